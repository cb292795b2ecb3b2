"""A read-only view of the store for exports: one read transaction, so the running service keeps writing."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from docgen.errors import ArchiveError
from docgen.store import DB_NAME, Store


class _ReadOnlyStore(Store):
    """Store's queries over a connection opened read-only; its writing methods fail if ever called."""

    def __init__(self, conn: sqlite3.Connection, path: Path):  # no super(): it would write the schema
        self.conn = conn
        self.path = path


@contextlib.contextmanager
def read_snapshot(state_dir: Path) -> Iterator[Store]:
    """The store as it was at one moment; WAL lets the service commit meanwhile, unseen by the export."""
    path = state_dir / DB_NAME
    if not path.is_file():
        raise ArchiveError(f"в рабочем пространстве нет базы docgen ({path}): сделок ещё не было")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")  # deferred: the first SELECT fixes the snapshot for the whole export
        conn.execute("SELECT count(*) FROM deals").fetchone()
    except sqlite3.Error as exc:
        raise ArchiveError(f"база docgen не читается ({path}): {exc}") from None
    try:
        yield _ReadOnlyStore(conn, path)
    finally:
        conn.rollback()
        conn.close()
