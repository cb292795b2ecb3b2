"""The two engines of the store: SQLite (the embedded default) and PostgreSQL (one store for several watchers).

Everything docgen asks the store is written once, in the portable subset of SQL that SQLite speaks
(`?` placeholders, TEXT/INTEGER/BLOB, `ON CONFLICT`, `BEGIN IMMEDIATE`). A SQLite store is a plain
`sqlite3.Connection`; a PostgreSQL store is a `PgConnection`, a thin adapter over psycopg 3 with the same
face (`execute`, `executemany`, rows readable by position and by name, `rowcount`, `lastrowid`,
`in_transaction`), which rewrites each statement into PostgreSQL's dialect on its way out. Every
engine-specific bit lives here, so a migration written in the portable subset runs on both unedited.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from docgen.errors import StoreError

POSTGRES_SCHEMES = ("postgresql", "postgres")
# Every writing transaction on PostgreSQL takes this one advisory lock first, so writers follow each other
# as on SQLite (BEGIN IMMEDIATE): the step plans, gap-free numbers and the outbox keep SQLite's guarantees
# across any number of watchers, while readers (the board, reports) go on unblocked on their snapshots.
WRITE_LOCK = 0x646F6367  # "docg"
# SQLite's NOCASE comparison, as a PostgreSQL collation of the same name (made by the first migration).
NOCASE = ("CREATE COLLATION IF NOT EXISTS nocase "
          "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)")


# SQLite's built-ins and the functions docgen gives SQLite from Python, as SQL functions of the PostgreSQL
# store (made with the schema): instr() as the board's search uses it (in a condition), and the board's
# case-blind fold (Unicode lower case by ICU, whatever the database's own locale).
PG_FUNCTIONS = {
    "instr": "CREATE OR REPLACE FUNCTION instr(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE "
             "AS $$ SELECT strpos($1, $2) > 0 $$",
    "docgen_fold": "CREATE OR REPLACE FUNCTION docgen_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                   "AS $$ SELECT lower($1 COLLATE \"und-x-icu\") $$",
}


def is_postgres_url(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def is_postgres(conn: object) -> bool:
    return isinstance(conn, PgConnection)


def engine_name(conn: object) -> str:
    return "PostgreSQL" if is_postgres(conn) else "SQLite"


def safe_url(url: str) -> str:
    """The URL without a password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


# --- the dialect --------------------------------------------------------------------------------------------

_INTEGER_KEY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.IGNORECASE)
_TYPES = ((re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"), (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
          (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"))
_DDL = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)\b", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^(\s*)INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_EMPTY_IN = re.compile(r"\bIN\s*\(\s*\)", re.IGNORECASE)
_EMPTY_NOT_IN = re.compile(r"([\w.]+)\s+NOT\s+IN\s*\(\s*\)", re.IGNORECASE)
_LIMIT = re.compile(r"\bLIMIT\s+\?", re.IGNORECASE)
_BEGIN = re.compile(r"^\s*BEGIN(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED))?\s*;?\s*$", re.IGNORECASE)


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`sql` (SQLite's portable subset) in PostgreSQL's dialect, placeholders as psycopg's `%s`.

    Types: INTEGER → BIGINT (SQLite's integers are 64-bit), `INTEGER PRIMARY KEY` (a rowid that numbers
    itself, AUTOINCREMENT or not) → an identity column, BLOB → BYTEA, REAL → DOUBLE PRECISION, in CREATE
    TABLE and ALTER TABLE only. `INSERT OR IGNORE` → `ON CONFLICT DO NOTHING`. `INSERT OR REPLACE` has no
    exact equal and is refused: write `ON CONFLICT (…) DO UPDATE`. An empty `IN ()` (SQLite takes it) keeps
    its meaning.
    """
    if _OR_REPLACE.match(sql):
        raise ValueError("INSERT OR REPLACE не переносим: используйте ON CONFLICT (…) DO UPDATE")
    out = _placeholders(_LIMIT.sub("LIMIT NULLIF(?, -1)", sql))  # SQLite's LIMIT -1: no limit
    if "(" in out and ")" in out:  # SQLite takes an empty list: `IN ()` is false, `NOT IN ()` true
        out = _EMPTY_NOT_IN.sub(r"(\1 IS NULL OR \1 IS NOT NULL)", out)
        out = _EMPTY_IN.sub("IN (NULL)", out)
    if _DDL.match(out):
        out = _INTEGER_KEY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", out)
        for pattern, name in _TYPES:
            out = pattern.sub(name, out)
    if _OR_IGNORE.match(out):
        out = _OR_IGNORE.sub(r"\1INSERT INTO", out)
        returning = _RETURNING.search(out)
        if returning:
            out = f"{out[:returning.start()]}ON CONFLICT DO NOTHING {out[returning.start():]}"
        else:
            out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return out


def _placeholders(sql: str) -> str:
    """`?` outside quotes → `%s`; every `%` doubled (psycopg reads `%` as the start of a placeholder)."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


# --- rows and cursors ---------------------------------------------------------------------------------------

class Row(tuple):
    """A row readable as sqlite3.Row is: by position, by column name, unpacked, and `dict(row)`."""

    _index: dict[str, int]

    def __new__(cls, values: Iterable[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    names = [column.name for column in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}
    return lambda values: Row(values, index)


class PgCursor:
    """A psycopg cursor with sqlite3's `lastrowid` (the value the last INSERT drew from an identity)."""

    def __init__(self, cursor: Any, conn: PgConnection, *, inserted: bool):
        self._cursor = cursor
        self._conn = conn
        self._inserted = inserted

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        if not self._inserted:
            return None
        return self._conn.raw.execute("SELECT lastval()").fetchone()[0]

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list[Row]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class PgConnection:
    """A psycopg connection in autocommit mode, used as docgen uses sqlite3 (see the module's docstring).

    `BEGIN IMMEDIATE` starts a transaction that first takes the store's write lock (WRITE_LOCK); a plain
    `BEGIN` a reading one (no lock). Statements outside a transaction commit each on its own, as on SQLite.
    """

    engine = "postgresql"

    def __init__(self, raw: Any, url: str, *, serialize: bool = True):
        self.raw = raw
        self.url = url
        # False: this connection's transactions skip the write lock; only for writers whose every statement
        # is atomic by itself under PostgreSQL's row locks (the mail sender: claim by lease, updates by event).
        self.serialize = serialize

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> PgCursor:
        begin = _BEGIN.match(sql)
        if begin:
            self.raw.execute("BEGIN")
            if self.serialize and (begin.group(2) or "").upper() in ("IMMEDIATE", "EXCLUSIVE"):
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return PgCursor(self.raw.cursor(), self, inserted=False)
        cursor = self.raw.execute(to_postgres(sql), tuple(params) if not isinstance(params, dict) else params)
        return PgCursor(cursor, self, inserted=sql.lstrip()[:6].upper() == "INSERT")

    def create_function(self, name: str, narg: int, func: Any, *, deterministic: bool = False) -> None:
        """sqlite3's Python functions: PostgreSQL runs the store's own SQL ones instead (PG_FUNCTIONS)."""
        if name not in PG_FUNCTIONS:
            raise StoreError(f"функции {name} нет в базе PostgreSQL docgen")

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        cursor = self.raw.cursor()
        cursor.executemany(to_postgres(sql), [tuple(p) for p in seq])
        return PgCursor(cursor, self, inserted=False)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_postgres(url: str, *, password: str | None = None, timeout: float = 30.0,
                     serialize: bool = True) -> PgConnection:
    """A connection to the store at `url`; StoreError (Russian) when psycopg is missing or the server refuses."""
    try:
        import psycopg
    except ImportError:
        raise StoreError("для хранилища PostgreSQL ([store] url) нужен драйвер psycopg: установите docgen с "
                         "дополнением postgres (pip install 'docgen[postgres]')") from None
    extra: dict[str, Any] = {"connect_timeout": max(1, int(timeout))}
    if password is not None:
        extra["password"] = password
    try:
        raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory, application_name="docgen", **extra)
    except psycopg.Error as exc:
        raise StoreError(f"{describe_pg(exc)} — {safe_url(url)}") from None
    # a lock waited for longer than the store's timeout is a busy store, as on SQLite
    raw.execute(f"SET lock_timeout = {int(timeout * 1000)}")
    return PgConnection(raw, url, serialize=serialize)


def claim_key(name: str) -> int:
    """The advisory lock of a claim on `name` (a step's key, an entry of a watched folder): 63 bits of its hash."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") >> 1


def try_claim(conn: PgConnection, name: str) -> bool:
    """Take the session's claim on `name` unless another session holds it. The server drops it when the
    session ends however it ends (a watcher killed with kill -9, a host gone), so no claim outlives its holder."""
    return bool(conn.raw.execute("SELECT pg_try_advisory_lock(%s)", (claim_key(name),)).fetchone()[0])


def drop_claim(conn: PgConnection, name: str) -> None:
    conn.raw.execute("SELECT pg_advisory_unlock(%s)", (claim_key(name),))


def password_from(env_name: str) -> str | None:
    """The store's password from the environment variable `[store] password_env` names (None: not asked)."""
    if not env_name:
        return None
    value = os.environ.get(env_name)
    if value is None:
        raise StoreError(f"пароль к базе PostgreSQL не найден: переменная окружения {env_name} ([store] "
                         "password_env) не задана для этого процесса")
    return value


# --- what differs between the engines -----------------------------------------------------------------------

def tables(conn: Any) -> set[str]:
    """The names of the store's tables."""
    if is_postgres(conn):
        rows = conn.execute("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'").fetchall()
    else:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite_%'").fetchall()
    return {row[0] for row in rows}


def columns(conn: Any, table: str) -> list[str]:
    """The columns of `table`, in order."""
    cursor = conn.execute(f'SELECT * FROM "{table}" WHERE 1 = 0')
    return [d[0] for d in cursor.description]


def identity_columns(conn: Any) -> dict[str, str]:
    """PostgreSQL: table → its identity column (whose sequence must follow rows copied in with their ids)."""
    if not is_postgres(conn):
        return {}
    rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall()
    return {row[0]: row[1] for row in rows}


def follow_identity(conn: PgConnection, table: str, column: str) -> None:
    """After rows came in with their own ids: the next id drawn is above them all."""
    conn.raw.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                     f"COALESCE((SELECT max(\"{column}\") FROM \"{table}\"), 0) + 1, false)", (table, column))


def prepare_schema(conn: Any) -> None:
    """What the engine needs with the schema (PostgreSQL: the NOCASE collation, the SQL functions)."""
    if is_postgres(conn):
        conn.raw.execute(NOCASE)
        for statement in PG_FUNCTIONS.values():
            conn.raw.execute(statement)


def is_store_error(exc: BaseException) -> bool:
    """Whether `exc` came from either engine's driver."""
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.Error)


def is_transient_pg(exc: BaseException) -> bool:
    """A PostgreSQL failure of the machine (the server gone, a lock waited out), not of the input."""
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.errors.LockNotAvailable
                      | psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected)


def describe_pg(exc: BaseException) -> str:
    """A Russian line for a psycopg error."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = message.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return "PostgreSQL не принял пароль (проверьте [store] password_env и переменную окружения)"
    if "does not exist" in lowered and "database" in lowered:
        return f"базы PostgreSQL нет ({message}); создайте её (docs/admin.md, «PostgreSQL»)"
    if "role" in lowered and "does not exist" in lowered:
        return f"пользователя PostgreSQL нет ({message}); создайте его (docs/admin.md, «PostgreSQL»)"
    if "connection refused" in lowered or "could not connect" in lowered or "timeout" in lowered \
            or "connection failed" in lowered or "server closed" in lowered or "terminating connection" in lowered:
        return f"сервер PostgreSQL недоступен ({message})"
    if "lock timeout" in lowered or "canceling statement due to lock" in lowered:
        return "база docgen занята другим процессом дольше, чем можно ждать"
    if "permission denied" in lowered:
        return f"нет прав в базе PostgreSQL ({message})"
    return f"ошибка PostgreSQL: {message}"
