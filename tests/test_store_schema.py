"""The store's schema version: an older store is upgraded after a backup, a newer one is refused (on both
engines: tests/test_store_engines.py holds the rest of the store's behaviour on SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3

import pytest

from docgen import migrations
from docgen.engines import connect_postgres
from docgen.errors import StoreError
from docgen.store import BACKUPS, DB_NAME, Store, open_store


def _legacy_store(path, url=""):
    """A store as docgen made it before schema versions: the tables, one deal, no meta table."""
    conn = connect_postgres(url) if url else sqlite3.connect(path)
    for statement in migrations.MIGRATIONS[0].statements:
        conn.execute(statement)
    conn.execute("INSERT INTO counters VALUES (2026, 1)")
    conn.commit()
    conn.close()


def test_a_new_store_starts_at_the_latest_version(tmp_path):
    store = open_store(tmp_path)
    try:
        assert migrations.stored_version(store.conn) == migrations.LATEST
        assert not (tmp_path / BACKUPS).exists()  # nothing to back up in an empty store
    finally:
        store.close()


def test_an_older_store_is_backed_up_then_upgraded(tmp_path, monkeypatch, store_url):
    _legacy_store(tmp_path / DB_NAME, store_url)
    extra = migrations.Migration(migrations.LATEST + 1, "проверка", ("CREATE TABLE probe (x INTEGER)",))
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, extra))
    monkeypatch.setattr(migrations, "LATEST", extra.version)
    store = Store(tmp_path / DB_NAME, url=store_url)
    try:
        assert migrations.stored_version(store.conn) == extra.version
        assert [m.version for m in store.migrated] == [m.version for m in migrations.MIGRATIONS[1:]]
        assert store.next_number(2026, pattern="{year}-{seq:04d}") == "2026-0002"  # the data survived
    finally:
        store.close()
    if store_url:  # PostgreSQL: the server's own dumps keep the old state (docs/admin.md), no file here
        assert not (tmp_path / BACKUPS).exists()
        return
    backups = list((tmp_path / BACKUPS).glob("*.sqlite3"))
    assert len(backups) == 1 and "схема1" in backups[0].name
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT last FROM counters").fetchone() == (1,)
    copy.close()


def test_a_newer_store_is_refused_with_a_clear_message(tmp_path):
    store = open_store(tmp_path)
    store.conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(migrations.LATEST + 5),))
    store.close()
    with pytest.raises(StoreError, match="более новой версией"):
        open_store(tmp_path)
