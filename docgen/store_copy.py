"""`docgen store copy --to URL`: the workspace's SQLite store, every table (deals, the journal, steps, the mail
outbox, accounts, obligations…), moved into an empty PostgreSQL database, then checked table by table.

Both stores are first brought to this docgen's schema (the SQLite one after its usual backup), so the
tables and columns match. The rows go in one transaction: a failure leaves the target as empty as it
was. The check reads both back: the same number of rows and the same checksum per table (SHA-256 over
each row's values, independent of order, so the engines' different sorting of text does not matter).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from docgen.engines import columns, follow_identity, identity_columns, tables
from docgen.errors import StoreError
from docgen.migrations import stored_version
from docgen.store import Store

BATCH = 1000
SKIPPED = frozenset({"meta"})  # the target keeps its own schema version (the same, checked)


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int
    checksum: str


def copy_store(source: Store, target: Store) -> list[Copied]:
    """Copy every row of `source` (SQLite) into `target` (PostgreSQL, empty) and check the copy."""
    if stored_version(source.conn) != stored_version(target.conn):
        raise StoreError("схемы баз различаются: обновите docgen и запустите его с обеими базами")
    names = source_tables(source.conn)
    missing = [n for n in names if n not in tables(target.conn)]
    if missing:
        raise StoreError(f"в базе назначения нет таблиц {', '.join(missing)}: она сделана другой версией docgen")
    busy = {n: count(target.conn, n) for n in names if count(target.conn, n)}
    if busy:
        shown = ", ".join(f"{n} ({c})" for n, c in busy.items())
        raise StoreError(f"база назначения {target.location} не пуста: {shown}. Копировать можно только в пустую "
                         "базу (создайте новую: docs/admin.md, «PostgreSQL»)")
    source.conn.execute("BEGIN")  # one moment of the source for the copy and its check
    try:
        with target.transaction() as conn:
            for name in names:
                cols = columns(source.conn, name)
                marks = ", ".join("?" * len(cols))
                insert = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})"
                for batch in _batches(source.conn.execute(f"SELECT {', '.join(cols)} FROM {name} ORDER BY rowid")):
                    conn.executemany(insert, batch)
            for name, column in identity_columns(target.conn).items():
                if name in names:
                    follow_identity(target.conn, name, column)
        return verify(source, target, names)
    finally:
        source.conn.rollback()


def verify(source: Store, target: Store, names: Iterable[str]) -> list[Copied]:
    """Row counts and checksums of each table on both sides; StoreError naming the first that differs."""
    out = []
    for name in names:
        cols = columns(source.conn, name)
        mine, theirs = table_sum(source.conn, name, cols), table_sum(target.conn, name, cols)
        if mine != theirs:
            raise StoreError(f"копия таблицы {name} не совпала с исходной (строк {mine[0]} и {theirs[0]}, "
                             "контрольные суммы различны): база назначения оставлена как есть, проверьте её")
        out.append(Copied(name, *mine))
    return out


def source_tables(conn: sqlite3.Connection) -> list[str]:
    """The SQLite store's tables in the order they were made (a referenced table before those referring)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "ORDER BY rowid").fetchall()
    return [row[0] for row in rows if row[0] not in SKIPPED]


def count(conn: Any, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def table_sum(conn: Any, table: str, cols: list[str]) -> tuple[int, str]:
    """(rows, checksum) of `table`: SHA-256 over the sorted hashes of its rows' values."""
    hashes = sorted(_row_hash(row) for row in conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
    digest = hashlib.sha256()
    for h in hashes:
        digest.update(h)
    return len(hashes), digest.hexdigest()


def _row_hash(row: Iterable[Any]) -> bytes:
    values = [v.hex() if isinstance(v, bytes | memoryview) and not isinstance(v, str) else v for v in
              (bytes(v) if isinstance(v, memoryview) else v for v in row)]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, default=str).encode()).digest()


def _batches(cursor: Any) -> Iterator[list[tuple]]:
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            return
        yield [tuple(r) for r in rows]
