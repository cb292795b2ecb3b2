"""The state store: deals, versions, the journal, gap-free numbers and planned steps, in SQLite (WAL) in
the workspace's state folder, or in PostgreSQL when `[store] url` names one (docgen.engines adapts the SQL).

Every step of the workflow is written here first ('planned', with everything needed to redo its
file work) and marked 'done' after the files are in place, so a restart after a crash finishes
or repeats exactly the steps that were under way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.engines import PgConnection, connect_postgres, drop_claim, password_from, safe_url, try_claim
from docgen.errors import DealNotFound, StepBusy, StoreError, describe
from docgen.migrations import BACKUPS, backup_beside, migrate, stored_version
from docgen.settings import StoreSettings
from docgen.workspace import Workspace

DB_NAME = "docgen.sqlite3"
__all__ = ["BACKUPS", "DB_NAME", "DealRow", "Step", "Store", "open_store", "read_snapshot", "store_exists"]


@dataclass(frozen=True)
class DealRow:
    number: str
    created_at: str
    stage: str
    version: int
    contract_type: str
    contract_date: str
    division: str
    buyer_inn: str
    buyer_name: str
    subject: str
    total: str
    manager: str
    manager_email: str
    dossier: str
    form_json: str
    stage_since: str = ""  # when the deal entered its stage (ISO 8601 with the zone)
    office: str = ""  # the office ([store] office) whose workspace took the form; numbers are shared by all


@dataclass(frozen=True)
class Step:
    key: str
    kind: str
    state: str
    deal: str | None
    version: int | None
    sha256: str | None
    source: str
    payload: dict[str, Any]
    content: bytes | None


class Store:
    """One connection to the workspace's database; `transaction()` is the unit of every step.

    Opening it never shows sqlite's English: a missing, read-only, locked or damaged database is a
    StoreError with a Russian reason. `create=False` refuses to make a new one (a command given a
    mistyped --root must not lay a fresh store there).
    """

    office = ""  # [store] office: the deals this workspace sees of a store several offices share

    def __init__(self, path: Path, *, create: bool = True, timeout: float = 30.0, url: str = "",
                 password: str | None = None):
        self.path = path
        self.location = safe_url(url) if url else str(path)  # where the store is, for messages
        self.conn = None
        self.upgrade_backup: Path | None = None  # the copy made before this opening upgraded the schema
        self._claims: set[str] = set()  # PostgreSQL: what this process works on (see `claim`)
        self._release_after_commit: list[str] = []
        if url:
            self._open_postgres(url, password=password, create=create, timeout=timeout)
            return
        if not create and not path.is_file():
            raise StoreError(f"базы docgen нет ({path}): это не рабочее пространство docgen, или в нём ещё "
                             "не было ни одной сделки; проверьте --root и DOCGEN_ROOT")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.migrated = migrate(self.conn, backup=self._backup_before_upgrade)
        except (sqlite3.Error, OSError) as exc:
            if self.conn is not None:
                self.conn.close()
            raise StoreError(f"{describe(exc)} — {path}") from None

    def _open_postgres(self, url: str, *, password: str | None, create: bool, timeout: float) -> None:
        self.conn = connect_postgres(url, password=password, timeout=timeout)
        try:
            if not create and stored_version(self.conn) == 0:
                raise StoreError(f"в базе PostgreSQL {safe_url(url)} ещё нет данных docgen: служба ни разу не "
                                 "запускалась с ней, или [store] url указывает не туда")
            self.migrated = migrate(self.conn, backup=self._backup_before_upgrade)
        except StoreError:
            self.conn.close()
            raise
        except Exception as exc:
            self.conn.close()
            raise StoreError(f"{describe(exc)} — {safe_url(url)}") from None

    @property
    def postgres(self) -> bool:
        return isinstance(self.conn, PgConnection)

    def _backup_before_upgrade(self, version: int) -> Path | None:
        self.upgrade_backup = backup_beside(self.conn, version)
        return self.upgrade_backup

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: a second process (the CLI beside the service, another watcher) waits
        its turn (on PostgreSQL: for the store's write lock, docgen.engines.WRITE_LOCK)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._release_after_commit.clear()
            raise
        self.conn.execute("COMMIT")
        self._released()

    # claims: several watchers on one PostgreSQL store

    def claim(self, name: str) -> bool:
        """Whether this process may work on `name` (a step's key, a file of a watched folder) now; True
        while it holds the claim. On PostgreSQL it is a session advisory lock: several watchers share
        one store, each step is done by the one that holds it, and a watcher that dies (kill -9, its
        host down) drops its claims with its connection, so another or its restart finishes the step.
        On SQLite one watcher serves a workspace (docgen.lock), so a claim is always had."""
        if not self.postgres or name in self._claims:
            return True
        if not try_claim(self.conn, name):
            return False
        self._claims.add(name)
        return True

    def release(self, name: str) -> None:
        if name in self._claims:
            self._claims.discard(name)
            drop_claim(self.conn, name)

    def claim_step(self, key: str) -> bool:
        """Claim a planned step to finish it: False when another process does it, or it is done by now."""
        if not self.claim(f"step:{key}"):
            return False
        step = self.step(key)
        if step is None or step.state != "planned":
            self.release(f"step:{key}")
            return False
        return True

    def _released(self) -> None:
        """After COMMIT: the claims of the steps it finished (not before: another would see them planned)."""
        names, self._release_after_commit = self._release_after_commit, []
        for name in names:
            self.release(name)

    # numbers

    def next_number(self, year: int, *, pattern: str) -> str:
        """The next gap-free deal number of `year`; call inside the transaction that creates the deal (the
        counter's row stays locked until it commits, so a rolled-back deal gives its number back)."""
        row = self.conn.execute("INSERT INTO counters(year, last) VALUES (?, 1) "
                                "ON CONFLICT(year) DO UPDATE SET last = counters.last + 1 RETURNING last",
                                (year,)).fetchone()
        return pattern.format(year=year, seq=row[0])

    # deals

    def insert_deal(self, row: DealRow) -> None:
        row = dataclasses.replace(row, office=self.office)
        fields = DealRow.__dataclass_fields__
        self.conn.execute(f"INSERT INTO deals({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                          tuple(getattr(row, f) for f in fields))

    def update_deal(self, number: str, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(f"UPDATE deals SET {sets} WHERE number = ?", (*values.values(), number))

    def deal(self, number: str) -> DealRow:
        row = self.conn.execute("SELECT * FROM deals WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise DealNotFound(number)
        return DealRow(**dict(row))

    def find_deal(self, number: str) -> DealRow | None:
        try:
            return self.deal(number)
        except DealNotFound:
            return None

    def deals(self, *, where: str = "1 = 1", params: tuple = ()) -> list[DealRow]:
        """This office's deals (all of them when the store serves one office) that match `where`."""
        rows = self.conn.execute(f"SELECT * FROM deals WHERE office = ? AND ({where}) ORDER BY number",
                                 (self.office, *params)).fetchall()
        return [DealRow(**dict(r)) for r in rows]

    # versions

    def add_version(self, deal: str, version: int, *, origin: str, at: dt.datetime, form_sha256: str | None = None,
                    route: str | None = None) -> None:
        """A new version; `route` (docgen.workflow.route, as JSON) is the stages it is to pass."""
        self.conn.execute("INSERT OR IGNORE INTO versions(deal, version, origin, created_at, form_sha256, route) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (deal, version, origin, at.isoformat(), form_sha256, route))

    def current_routes(self) -> dict[str, str | None]:
        """The route of each deal's current version, by deal number, in one query."""
        rows = self.conn.execute("SELECT d.number, v.route FROM deals d LEFT JOIN versions v "
                                 "ON v.deal = d.number AND v.version = d.version").fetchall()
        return {number: route for number, route in rows}

    def route(self, deal: str, version: int) -> str | None:
        """The route recorded with a version (None for a version recorded before routes were kept)."""
        row = self.conn.execute("SELECT route FROM versions WHERE deal = ? AND version = ?", (deal, version)).fetchone()
        return row["route"] if row else None

    def set_version_file(self, deal: str, version: int, *, sha256: str, file: str) -> None:
        self.conn.execute("UPDATE versions SET sha256 = ?, file = ? WHERE deal = ? AND version = ?",
                          (sha256, file, deal, version))

    def versions(self, deal: str) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM versions WHERE deal = ? ORDER BY version", (deal,)).fetchall()

    def version(self, deal: str, version: int) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM versions WHERE deal = ? AND version = ?", (deal, version)).fetchone()

    # journal

    def journal_add(self, *, at: dt.datetime, deal: str | None, version: int | None, actor: str, role: str,
                    action: str, detail: dict[str, Any] | None = None, sha256: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO journal(at, deal, version, actor, role, action, detail, sha256) VALUES (?,?,?,?,?,?,?,?)",
            (at.isoformat(timespec="seconds"), deal, version, actor, role, action,
             json.dumps(detail or {}, ensure_ascii=False, default=str), sha256))

    def journal(self, deal: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM journal" + (" WHERE deal = ?" if deal else "") + " ORDER BY id"
        rows = self.conn.execute(query, (deal,) if deal else ()).fetchall()
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]

    # steps

    def plan(self, *, key: str, kind: str, at: dt.datetime, source: str, payload: dict[str, Any],
             deal: str | None = None, version: int | None = None, sha256: str | None = None,
             content: bytes | None = None) -> None:
        self.claim(f"step:{key}")  # a new key: no one else can hold it
        self.conn.execute(
            "INSERT INTO steps(key, kind, state, deal, version, sha256, source, payload, content, created_at) "
            "VALUES (?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?)",
            (key, kind, deal, version, sha256, source, json.dumps(payload, ensure_ascii=False, default=str),
             content, at.isoformat()))

    def finish(self, key: str, *, at: dt.datetime) -> None:
        self.conn.execute("UPDATE steps SET state = 'done', done_at = ?, content = NULL WHERE key = ?",
                          (at.isoformat(), key))
        self._release_after_commit.append(f"step:{key}")
        if not self.conn.in_transaction:
            self._released()

    def step(self, key: str) -> Step | None:
        row = self.conn.execute("SELECT * FROM steps WHERE key = ?", (key,)).fetchone()
        return _step(row) if row else None

    def drop_key(self, base: str) -> tuple[str, Step | None]:
        """The key for one more drop of the same file: `base` while free, then `base:2`, `base:3`…;
        a step under such a key still planned (a crash) is returned to be finished instead; StepBusy when
        another watcher is finishing it now."""
        key, n = base, 1
        while (step := self.step(key)) is not None:
            if step.state == "planned":
                if self.claim_step(key):
                    return key, step
                again = self.step(key)
                if again is not None and again.state == "planned":
                    raise StepBusy(f"шаг {key} выполняет другая служба docgen")
            n += 1
            key = f"{base}:{n}"
        return key, None

    def planned_steps(self) -> list[Step]:
        rows = self.conn.execute("SELECT * FROM steps WHERE state = 'planned' ORDER BY created_at").fetchall()
        return [_step(r) for r in rows]

    def accepted_with_sha(self, sha256: str) -> Step | None:
        row = self.conn.execute("SELECT * FROM steps WHERE sha256 = ? AND kind = 'intake' ORDER BY created_at "
                                "LIMIT 1", (sha256,)).fetchone()
        return _step(row) if row else None


def _step(row: sqlite3.Row) -> Step:
    return Step(key=row["key"], kind=row["kind"], state=row["state"], deal=row["deal"], version=row["version"],
                sha256=row["sha256"], source=row["source"], payload=json.loads(row["payload"]),
                content=row["content"])


def open_store(where: Path | Workspace, *, create: bool = True, timeout: float = 30.0) -> Store:
    """The workspace's store (PostgreSQL when its `[store] url` is set), or the SQLite store in a state folder."""
    if isinstance(where, Workspace):
        settings = where.settings.store
        store = Store(where.state / DB_NAME, create=create, timeout=timeout, url=settings.url,
                      password=password_from(settings.password_env) if settings.url else None)
        store.office = settings.office
        return store
    return Store(where / DB_NAME, create=create, timeout=timeout)


def store_connection(ws: Workspace) -> sqlite3.Connection | PgConnection:
    """A second connection to the workspace's store as it is (no migration), autocommit: for the mail sender's
    own thread. On PostgreSQL it does not wait for the store's write lock: each of the outbox's writes is
    one statement on one notice's row (a lease taken only where it is free, an update by event), which the
    server's row locks keep whole across any number of senders."""
    settings = ws.settings.store
    if settings.url:
        return connect_postgres(settings.url, password=password_from(settings.password_env),
                                timeout=settings.lock_timeout, serialize=False)
    from docgen.mail.outbox import connect

    return connect(ws.state / DB_NAME, timeout=settings.lock_timeout)


def store_exists(ws: Workspace) -> bool:
    """Whether the workspace may hold a store already: its SQLite file is there, or its store is PostgreSQL's
    (whether that one has data, opening it tells)."""
    return bool(ws.settings.store.url) or (ws.state / DB_NAME).is_file()


def store_settings(where: Path | Workspace) -> StoreSettings:
    return where.settings.store if isinstance(where, Workspace) else StoreSettings()


class _ReadOnlyStore(Store):
    """Store's queries over a connection opened read-only; its writing methods fail if ever called."""

    def __init__(self, conn: sqlite3.Connection | PgConnection, path: Path, location: str = ""):
        # no super(): it would write the schema
        self.conn = conn
        self.path = path
        self.location = location or str(path)


@contextlib.contextmanager
def read_snapshot(where: Path | Workspace, *, timeout: float = 30.0) -> Iterator[Store]:
    """The store as it was at one moment, opened read-only (a read-only file or share is fine); WAL lets
    the service commit meanwhile, unseen by the reader (on PostgreSQL: a read-only REPEATABLE READ
    transaction). StoreError (Russian) when there is none or it cannot be read."""
    settings = store_settings(where)
    state_dir = where.state if isinstance(where, Workspace) else where
    if settings.url:
        with _postgres_snapshot(settings, state_dir / DB_NAME, timeout=timeout) as store:
            store.office = settings.office
            yield store
        return
    path = state_dir / DB_NAME
    if not path.is_file():
        raise StoreError(f"в рабочем пространстве нет базы docgen ({path}): сделок ещё не было, "
                         "или --root (DOCGEN_ROOT) указывает не туда")
    try:
        conn = _read_only(path, timeout=timeout)
    except sqlite3.OperationalError:
        # A WAL store in a folder we may not write cannot make its shared-memory file: no one can be
        # writing it then (not from here), so it is read as it lies on disk.
        try:
            conn = _read_only(path, timeout=timeout, immutable=True)
        except sqlite3.Error as exc:
            raise StoreError(f"{describe(exc)} — {path}") from None
    except sqlite3.Error as exc:
        raise StoreError(f"{describe(exc)} — {path}") from None
    try:
        store = _ReadOnlyStore(conn, path)
        store.office = settings.office
        yield store
    finally:
        conn.rollback()
        conn.close()


@contextlib.contextmanager
def _postgres_snapshot(settings: StoreSettings, path: Path, *, timeout: float) -> Iterator[Store]:
    conn = connect_postgres(settings.url, password=password_from(settings.password_env), timeout=timeout)
    try:
        if stored_version(conn) == 0:
            raise StoreError(f"в базе PostgreSQL {safe_url(settings.url)} нет данных docgen: сделок ещё не было, "
                             "или [store] url указывает не туда")
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield _ReadOnlyStore(conn, path, safe_url(settings.url))
    finally:
        conn.rollback()
        conn.close()


def _read_only(path: Path, *, timeout: float, immutable: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{'&immutable=1' if immutable else ''}", uri=True,
                           timeout=timeout, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")  # deferred: the first SELECT fixes the snapshot for the whole read
        conn.execute("SELECT count(*) FROM deals").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn
