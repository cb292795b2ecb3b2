"""The store's schema, version by version: a newer docgen upgrades an older store (after a backup),
an older docgen refuses a newer store.

Each migration is a list of SQL statements; a capability that needs a table appends a migration at
the end of MIGRATIONS and never edits one that has shipped. The version lives in the `meta` table
(not SQLite's user_version), so the same bookkeeping works on another engine.

Statements are written in the portable subset docgen.engines translates for PostgreSQL (types
TEXT/INTEGER/BLOB, `?`, `ON CONFLICT`, no AUTOINCREMENT in new tables): one list serves both engines.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docgen.engines import is_postgres, prepare_schema, tables
from docgen.errors import StoreError

BACKUPS = "backups"  # beside the database: copies made before a schema upgrade


@dataclass(frozen=True)
class Migration:
    version: int
    title: str
    statements: tuple[str, ...]


_V1 = (
    "CREATE TABLE IF NOT EXISTS counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS deals (
        number TEXT PRIMARY KEY, created_at TEXT NOT NULL, stage TEXT NOT NULL, version INTEGER NOT NULL,
        contract_type TEXT NOT NULL, contract_date TEXT NOT NULL, division TEXT NOT NULL,
        buyer_inn TEXT NOT NULL, buyer_name TEXT NOT NULL, subject TEXT NOT NULL, total TEXT NOT NULL,
        manager TEXT NOT NULL, manager_email TEXT NOT NULL, dossier TEXT NOT NULL, form_json TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS versions (
        deal TEXT NOT NULL REFERENCES deals(number), version INTEGER NOT NULL, origin TEXT NOT NULL,
        created_at TEXT NOT NULL, sha256 TEXT, file TEXT, form_sha256 TEXT,
        PRIMARY KEY (deal, version)
    )""",
    """CREATE TABLE IF NOT EXISTS journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, deal TEXT, version INTEGER,
        actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL, sha256 TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS journal_deal ON journal(deal)",
    """CREATE TABLE IF NOT EXISTS steps (
        key TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, deal TEXT, version INTEGER,
        sha256 TEXT, source TEXT NOT NULL, payload TEXT NOT NULL, content BLOB,
        created_at TEXT NOT NULL, done_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS steps_sha ON steps(sha256)",
    "CREATE INDEX IF NOT EXISTS steps_state ON steps(state)",
    """CREATE TABLE IF NOT EXISTS mail_notices (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        deal        TEXT,
        recipients  TEXT NOT NULL,
        subject     TEXT NOT NULL,
        body        TEXT NOT NULL,
        attachments TEXT NOT NULL,
        dossier     TEXT,
        status      TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        next_try    TEXT,
        lease_until TEXT,
        sent_at     TEXT,
        last_error  TEXT NOT NULL DEFAULT '',
        problems    TEXT NOT NULL DEFAULT '[]'
    )""",
    "CREATE INDEX IF NOT EXISTS mail_notices_due ON mail_notices (status, next_try)",
    "CREATE INDEX IF NOT EXISTS mail_notices_deal ON mail_notices (deal)",
)

_V2 = (
    "ALTER TABLE deals ADD COLUMN stage_since TEXT NOT NULL DEFAULT ''",
    # A deal's current stage began with its latest acceptance or decision (its creation at the latest).
    """UPDATE deals SET stage_since = coalesce(
        (SELECT max(at) FROM journal WHERE journal.deal = deals.number AND action IN ('accepted', 'approved',
                                                                                         'returned')),
        created_at)""",
    "ALTER TABLE versions ADD COLUMN route TEXT",
)

# The web board's accounts: a password only as an Argon2 hash; sessions and API tokens only as SHA-256
# of the random secret the browser or the script holds, so a copy of the store opens no door.
_ACCOUNTS = (
    """CREATE TABLE IF NOT EXISTS web_users (
        email TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS web_sessions (
        secret_sha256 TEXT PRIMARY KEY, email TEXT NOT NULL, csrf TEXT NOT NULL, via TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS web_sessions_email ON web_sessions(email)",
    """CREATE TABLE IF NOT EXISTS web_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, secret_sha256 TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL, last_used TEXT, revoked_at TEXT
    )""",
    # The board asks by manager (any case of the address), division and stage among thousands of deals.
    "CREATE INDEX IF NOT EXISTS deals_manager ON deals(manager_email COLLATE NOCASE, manager)",
    "CREATE INDEX IF NOT EXISTS deals_division_stage ON deals(division, stage)",
    "CREATE INDEX IF NOT EXISTS deals_stage ON deals(stage)",
)

_MAIL_SAFETY = (
    # 1 from the moment a notice is sent until its copy is in the dossier: a process killed between
    # the two leaves 1, and the next start writes the copy (older rows: 0, nothing to redo).
    "ALTER TABLE mail_notices ADD COLUMN copy_pending INTEGER NOT NULL DEFAULT 0",
    # Failures after the message went out (the server took DATA, then dropped the line): it may
    # have arrived, so such a notice is tried at most once more.
    "ALTER TABLE mail_notices ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0",
)

# The contract's life after signing (docgen.obligations): what happened, the bank statements taken and
# each payment in them (matched or not), and the notices sent about obligations.
_V5_OBLIGATIONS = (
    """CREATE TABLE IF NOT EXISTS obligation_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        deal        TEXT NOT NULL REFERENCES deals(number),
        kind        TEXT NOT NULL CHECK (kind IN ('payment', 'readiness', 'delivery', 'correction')),
        day         TEXT NOT NULL,              -- YYYY-MM-DD: money received, goods ready or delivered
        amount      TEXT,                       -- a payment; a delivery by the price of what was delivered
        doc         TEXT NOT NULL DEFAULT '',   -- the payment order, the delivery note
        reverses    INTEGER REFERENCES obligation_events(id),  -- a correction: the event it cancels
        comment     TEXT NOT NULL DEFAULT '',
        actor       TEXT NOT NULL,              -- who recorded it
        source      TEXT NOT NULL,              -- where from: a command, a bank statement
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS obligation_events_deal ON obligation_events(deal)",
    "CREATE INDEX IF NOT EXISTS obligation_events_reverses ON obligation_events(reverses)",
    """CREATE TABLE IF NOT EXISTS bank_statements (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256      TEXT NOT NULL,
        name        TEXT NOT NULL,
        received_at TEXT NOT NULL,
        kept_as     TEXT NOT NULL,
        documents   INTEGER NOT NULL,           -- payment documents in the file
        incoming    INTEGER NOT NULL,           -- of them, money to the Company's account
        recorded    INTEGER NOT NULL            -- of them, payments not seen in an earlier statement
    )""",
    "CREATE INDEX IF NOT EXISTS bank_statements_sha ON bank_statements(sha256)",
    """CREATE TABLE IF NOT EXISTS bank_payments (
        identity    TEXT PRIMARY KEY,           -- the same payment in two statements is one row
        statement   INTEGER NOT NULL REFERENCES bank_statements(id),
        line        INTEGER NOT NULL,
        number      TEXT NOT NULL,
        day         TEXT NOT NULL,
        amount      TEXT NOT NULL,
        payer_inn   TEXT NOT NULL,
        payer       TEXT NOT NULL,
        purpose     TEXT NOT NULL,
        deal        TEXT REFERENCES deals(number),
        event       INTEGER REFERENCES obligation_events(id),
        reason      TEXT NOT NULL               -- how it matched, or why it did not
    )""",
    "CREATE INDEX IF NOT EXISTS bank_payments_deal ON bank_payments(deal)",
    "CREATE INDEX IF NOT EXISTS bank_payments_event ON bank_payments(event)",
    """CREATE TABLE IF NOT EXISTS obligation_notices (
        key         TEXT PRIMARY KEY,           -- deal/obligation/stage/due: each told once
        deal        TEXT NOT NULL REFERENCES deals(number),
        obligation  TEXT NOT NULL,
        stage       TEXT NOT NULL,
        due         TEXT,
        at          TEXT NOT NULL
    )""",
)

# Several offices' workspaces on one store: each deal belongs to the office that took its form ([store] office).
_V6_OFFICES = (
    "ALTER TABLE deals ADD COLUMN office TEXT NOT NULL DEFAULT ''",
)


# Append only. A store made before versions were kept (deals but no meta table) is version 1.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "сделки, версии, журнал, шаги, письма", _V1),
    Migration(2, "сроки этапов (deals.stage_since) и маршрут версии (versions.route)", _V2),
    Migration(3, "веб-доска: пароли, сеансы, токены API; поиск сделок по менеджеру, направлению, этапу", _ACCOUNTS),
    Migration(4, "письма: копия в досье после отправки, сомнительные отправки", _MAIL_SAFETY),
    Migration(5, "оплаты, поставки, банковские выписки, напоминания о сроках", _V5_OBLIGATIONS),
    Migration(6, "офис сделки (deals.office): несколько офисов на одной базе", _V6_OFFICES),
)
LATEST = MIGRATIONS[-1].version


def stored_version(conn: sqlite3.Connection) -> int:
    """The schema version of the open database (either engine); 0 for an empty one."""
    names = tables(conn)
    if "meta" in names:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None:
            return int(row[0])
    return 1 if "deals" in names else 0


def migrate(conn: sqlite3.Connection, *, backup: Callable[[int], Path | None]) -> list[Migration]:
    """Bring the schema to LATEST; `backup(old_version)` copies a non-empty store first.

    Returns the migrations applied. StoreError when the store is newer than this docgen.
    """
    current = stored_version(conn)
    if current > LATEST:
        raise StoreError(
            f"База docgen сделана более новой версией программы (схема {current}, эта версия знает до {LATEST}). "
            "Обновите docgen или восстановите резервную копию базы (docs/admin.md, «Резервные копии»)")
    pending = [m for m in MIGRATIONS if m.version > current]
    if not pending:
        return []
    if current > 0:
        backup(current)
    conn.execute("BEGIN IMMEDIATE")  # on PostgreSQL too: the store's write lock, so one process migrates
    try:
        if stored_version(conn) != current:  # another process migrated meanwhile
            conn.execute("ROLLBACK")
            return migrate(conn, backup=backup)
        prepare_schema(conn)
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for migration in pending:
            for statement in migration.statements:
                conn.execute(statement)
        conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(LATEST),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return pending


def backup_copy(conn: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy of the open database (SQLite's online backup: safe while others write)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"~${target.name}.part")
    part.unlink(missing_ok=True)
    copy = sqlite3.connect(part)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    part.replace(target)
    return target


def backup_name(version: int, *, now: dt.datetime) -> str:
    return f"docgen-схема{version}-{now:%Y%m%d-%H%M%S}.sqlite3"


def backup_beside(conn: sqlite3.Connection, version: int) -> Path | None:
    """Before an upgrade: a copy of the open database in `backups/` beside it (none for an in-memory one,
    nor for PostgreSQL: its server's own dumps keep it, docs/admin.md «PostgreSQL»)."""
    if is_postgres(conn):
        return None
    row = conn.execute("PRAGMA database_list").fetchone()
    if row is None or not row[2]:
        return None
    path = Path(row[2])
    return backup_copy(conn, path.parent / BACKUPS / backup_name(version, now=dt.datetime.now().astimezone()))
