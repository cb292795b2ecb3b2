"""The store behaves the same on both engines: SQLite in .docgen and PostgreSQL (a throw-away server of the
tests' own, tests/pg_kit.py). Each test here runs once per engine."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from docgen import migrations
from docgen.engines import to_postgres
from docgen.errors import StoreError
from docgen.mail.notice import Notice, NoticeKind
from docgen.mail.outbox import MailOutbox
from docgen.store import DealRow, open_store, read_snapshot
from docgen.workspace import Workspace
from pg_kit import store_toml
from service_kit import make_workspace

AT = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
PATTERN = "{year}-{seq:04d}"


@pytest.fixture
def ws(tmp_path: Path, store_url: str) -> Workspace:
    return make_workspace(tmp_path / "ws", extra=store_toml(store_url))


def _deal(number: str, **values: str) -> DealRow:
    base = dict(number=number, created_at=AT.isoformat(), stage="lawyer", version=1, contract_type="supply",
                contract_date="2026-11-26", division="Север", buyer_inn="7707083893", buyer_name="ООО «Ромашка»",
                subject="станок", total="100.00", manager="Иванов И. И.", manager_email="Ivanov@Example.ru",
                dossier=f"clients/{number}", form_json="{}", stage_since=AT.isoformat())
    return DealRow(**(base | values))


def test_a_new_store_starts_at_the_latest_version(ws):
    store = open_store(ws)
    try:
        assert migrations.stored_version(store.conn) == migrations.LATEST
        assert store.postgres == bool(ws.settings.store.url)
    finally:
        store.close()


def test_deals_versions_journal_and_steps_round_trip(ws):
    store = open_store(ws)
    try:
        with store.transaction():
            number = store.next_number(2026, pattern=PATTERN)
            store.insert_deal(_deal(number))
            store.add_version(number, 1, origin="form", at=AT, form_sha256="ab", route='["lawyer"]')
            store.add_version(number, 1, origin="form", at=AT)  # the same version twice: ignored
            store.journal_add(at=AT, deal=number, version=1, actor="Иванов", role="manager", action="accepted",
                              detail={"file": "форма.yaml", "сумма": 1})
            store.plan(key="k1", kind="intake", at=AT, source="форма.yaml", payload={"a": [1, "б"]}, deal=number,
                       version=1, sha256="ff", content=b"\x00\x01binary\xff")
        assert store.deal(number).buyer_name == "ООО «Ромашка»"
        assert [dict(v)["route"] for v in store.versions(number)] == ['["lawyer"]']
        assert store.version(number, 1)["form_sha256"] == "ab"
        assert store.current_routes() == {number: '["lawyer"]'}
        assert store.journal(number)[0]["detail"] == {"file": "форма.yaml", "сумма": 1}
        planned = store.planned_steps()
        assert [(s.key, s.content, s.payload) for s in planned] == [("k1", b"\x00\x01binary\xff", {"a": [1, "б"]})]
        assert store.accepted_with_sha("ff").key == "k1"
        assert store.drop_key("k1") == ("k1", planned[0])
        with store.transaction():
            store.finish("k1", at=AT)
            store.update_deal(number, stage="finance")
        assert store.step("k1").state == "done" and store.step("k1").content is None
        assert store.drop_key("k1")[0] == "k1:2"
        assert [d.number for d in store.deals(where="stage = ?", params=("finance",))] == [number]
        assert [d.number for d in store.deals()] == [number]
    finally:
        store.close()


def test_numbers_are_gap_free_and_a_rolled_back_deal_gives_its_number_back(ws):
    store = open_store(ws)
    try:
        with store.transaction():
            assert store.next_number(2026, pattern=PATTERN) == "2026-0001"
        with pytest.raises(RuntimeError), store.transaction():
            assert store.next_number(2026, pattern=PATTERN) == "2026-0002"
            raise RuntimeError("the deal failed half-way")
        with store.transaction():
            assert store.next_number(2026, pattern=PATTERN) == "2026-0002"
            assert store.next_number(2027, pattern=PATTERN) == "2027-0001"
    finally:
        store.close()


def test_numbers_stay_gap_free_under_writers_in_parallel(ws):
    """Four connections (as four processes would) draw numbers at once: each once, none skipped."""
    drawn: list[str] = []
    guard = threading.Lock()

    def draw() -> None:
        store = open_store(ws)
        try:
            for _ in range(25):
                with store.transaction():
                    number = store.next_number(2026, pattern=PATTERN)
                    store.insert_deal(_deal(number))
                with guard:
                    drawn.append(number)
        finally:
            store.close()

    open_store(ws).close()  # the schema, made once
    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(drawn) == [f"2026-{n:04d}" for n in range(1, 101)]


def test_the_outbox_records_an_event_once_and_claims_it_once(ws):
    store = open_store(ws)
    try:
        outbox = MailOutbox(store.conn, clock=lambda: AT)
        notice = Notice(event_id="e1", kind=NoticeKind.REVIEW, to=("a@example.ru",), subject="тема", body="текст",
                        deal="2026-0001", dossier=ws.root / "clients" / "2026-0001")
        with store.transaction():
            assert outbox.enqueue(notice) is True
            assert outbox.enqueue(notice) is False
        [item] = outbox.due(AT)
        assert outbox.claim(item, now=AT, until=AT + dt.timedelta(minutes=5)) is True
        assert outbox.claim(item, now=AT, until=AT + dt.timedelta(minutes=5)) is False  # held
        outbox.mark_sent("e1", at=AT, problems=["b@example.ru: 550"])
        assert [q.event_id for q in outbox.copies_pending()] == ["e1"]
        assert outbox.known(["e1", "e2"]) == {"e1"}
        assert outbox.counts()["sent"] == 1
        assert outbox.scrub_stored(["550"]) == 1
        assert outbox.listing(deal="2026-0001", limit=5)[0].problems == ("b@example.ru: ***",)
    finally:
        store.close()


def test_accounts_tokens_and_case_blind_manager_search(ws):
    from docgen.web.accounts import Accounts

    store = open_store(ws)
    try:
        accounts = Accounts(store, clock=lambda: AT)
        first, secret = accounts.issue_token("boss@example.ru")
        second, _ = accounts.issue_token("boss@example.ru")
        assert second == first + 1
        assert accounts.token_owner(secret) == "boss@example.ru"
        with store.transaction():
            store.insert_deal(_deal("2026-0001"))
        rows = store.conn.execute("SELECT number FROM deals WHERE manager_email = ? COLLATE NOCASE",
                                  ("ivanov@example.RU",)).fetchall()
        assert [r["number"] for r in rows] == ["2026-0001"]
    finally:
        store.close()


def test_a_snapshot_reads_one_moment_while_the_store_is_written(ws):
    store = open_store(ws)
    try:
        with store.transaction():
            store.insert_deal(_deal("2026-0001"))
        with read_snapshot(ws) as snapshot:
            assert [d.number for d in snapshot.deals()] == ["2026-0001"]
            with store.transaction():
                store.insert_deal(_deal("2026-0002"))
            assert [d.number for d in snapshot.deals()] == ["2026-0001"]  # the moment it began
        with read_snapshot(ws) as snapshot:
            assert len(snapshot.deals()) == 2
    finally:
        store.close()


def test_a_newer_store_is_refused_with_a_clear_message(ws):
    store = open_store(ws)
    store.conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(migrations.LATEST + 5),))
    store.close()
    with pytest.raises(StoreError, match="более новой версией"):
        open_store(ws)


def test_a_new_migration_in_the_portable_subset_runs_on_both_engines(ws, monkeypatch):
    """What another feature appends (a table numbering its own rows, a column, an index) needs no edit here."""
    open_store(ws).close()
    extra = migrations.Migration(migrations.LATEST + 1, "проверка", (
        "CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, deal TEXT NOT NULL REFERENCES deals(number), "
        "n INTEGER NOT NULL DEFAULT 0, data BLOB, share REAL)",
        "ALTER TABLE probe ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX IF NOT EXISTS probe_deal ON probe(deal)",
    ))
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, extra))
    monkeypatch.setattr(migrations, "LATEST", extra.version)
    store = open_store(ws)
    try:
        assert [m.version for m in store.migrated] == [extra.version]
        with store.transaction() as conn:
            store.insert_deal(_deal("2026-0001"))
            ids = [conn.execute("INSERT INTO probe(deal, n, data, share) VALUES (?, ?, ?, ?)",
                                ("2026-0001", 2**40, b"\x00", 0.5)).lastrowid for _ in range(2)]
            conn.execute("INSERT INTO probe(deal) VALUES (?) ON CONFLICT DO NOTHING", ("2026-0001",))
        assert ids[1] == ids[0] + 1
        row = store.conn.execute("SELECT * FROM probe WHERE id = ?", (ids[0],)).fetchone()
        assert (row["n"], bytes(row["data"]), row["share"], row["note"]) == (2**40, b"\x00", 0.5, "")
        assert store.conn.execute("SELECT count(*) FROM probe WHERE note LIKE '%'").fetchone()[0] == 3
    finally:
        store.close()


def test_the_dialect_translation():
    assert to_postgres("SELECT * FROM t WHERE a = ? AND b LIKE '%?%'") == \
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%'"
    assert to_postgres("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB)") == \
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b BYTEA)"
    assert to_postgres("INSERT OR IGNORE INTO t(a) VALUES (?)") == "INSERT INTO t(a) VALUES (%s) ON CONFLICT DO NOTHING"
    assert to_postgres("UPDATE t SET integer_count = 1") == "UPDATE t SET integer_count = 1"  # only DDL's types
    assert to_postgres("SELECT 1 FROM t WHERE a IN () OR t.b NOT IN ( )") == \
        "SELECT 1 FROM t WHERE a IN (NULL) OR (t.b IS NULL OR t.b IS NOT NULL)"
    with pytest.raises(ValueError):
        to_postgres("INSERT OR REPLACE INTO t VALUES (1)")
