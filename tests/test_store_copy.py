"""`docgen store copy --to URL` moves a SQLite store with its journal and outbox into PostgreSQL and checks it;
`docgen doctor` checks the PostgreSQL store; then the service goes on with the copy where SQLite left off."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest

from obligations_kit import D, Clock, signed_deal
from pg_kit import store_toml
from service_kit import drop, make_workspace, service, stage_of, wait_for
from docgen.cli import main
from docgen.engines import connect_postgres
from docgen.obligations.events import EventKind
from docgen.obligations.record import record
from docgen.settings import load_settings
from docgen.store import open_store
from docgen.store_copy import source_tables, table_sum
from docgen.web.accounts import Accounts
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workspace import Workspace

LOG = logging.getLogger("docgen.tests.store_copy")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    printed = capsys.readouterr()
    return exited.value.code or 0, printed.out, printed.err


@pytest.fixture
def used_sqlite_ws(tmp_path, example_data):
    """A SQLite workspace with a history: a signed deal with a payment, letters, a token, a second deal."""
    ws = make_workspace(tmp_path / "ws")
    clock = Clock(D(2026, 12, 1))
    wf = open_workflow(ws, clock=clock, log=LOG)
    try:
        number = signed_deal(wf, clock, D(2026, 12, 1))
        record(wf.svc, number, kind=EventKind.PAYMENT, day=D(2026, 12, 1), amount=Decimal("1000.00"),
               actor="Бухгалтер", source="command")
        Accounts(wf.svc.store, clock=lambda: dt.datetime(2026, 12, 1, tzinfo=dt.UTC)).issue_token("boss@example.ru")
    finally:
        close_workflow(wf)
    return ws


def test_copy_moves_every_table_and_the_service_goes_on_with_it(used_sqlite_ws, pg_url, capsys, example_data):
    ws = used_sqlite_ws
    code, said, err = run(capsys, "--root", str(ws.root), "store", "copy", "--to", pg_url)
    assert code == 0, err
    assert "совпадает" in said and "[store]" in said and pg_url in said
    store = open_store(ws.state)
    try:
        names = source_tables(store.conn)
        before = {n: table_sum(store.conn, n, _cols(store.conn, n)) for n in names}
    finally:
        store.close()
    assert before["deals"][0] == 1 and before["journal"][0] > 3 and before["mail_notices"][0] > 2
    assert before["obligation_events"][0] == 1 and before["web_tokens"][0] == 1
    pg = connect_postgres(pg_url)
    try:
        assert {n: table_sum(pg, n, _cols(pg, n)) for n in names} == before
    finally:
        pg.close()

    # the workspace switched to PostgreSQL: the next deal is numbered after the copied one, ids go on
    (ws.root / "docgen.toml").write_text((ws.root / "docgen.toml").read_text(encoding="utf-8") + store_toml(pg_url),
                                         encoding="utf-8")
    moved = Workspace(ws.root, load_settings(ws.root, {}))
    example_data["subject"]["items"][0]["quantity"] = "3"
    with service(moved):
        drop(moved, "next.yaml", example_data)
        wait_for(lambda: stage_of(moved, "2026-0002") == "lawyer", what="the next deal on PostgreSQL")
    store = open_store(moved)
    try:
        ids = [e["id"] for e in store.journal()]
        assert ids == sorted(set(ids)) and len(ids) > before["journal"][0]
    finally:
        store.close()
    code, said, _ = run(capsys, "--root", str(ws.root), "doctor")
    assert "PostgreSQL" in said and "текущая" in said


def test_copy_refuses_a_target_that_is_not_empty(used_sqlite_ws, pg_url, capsys):
    ws = used_sqlite_ws
    assert run(capsys, "--root", str(ws.root), "store", "copy", "--to", pg_url)[0] == 0
    code, _, err = run(capsys, "--root", str(ws.root), "store", "copy", "--to", pg_url)
    assert code == 1 and "не пуста" in err and "deals (1)" in err


def test_doctor_names_an_unreachable_server_and_a_missing_password(tmp_path, pg_server, capsys):
    ws = make_workspace(tmp_path / "ws", extra=store_toml(f"postgresql://docgen@127.0.0.1:{pg_server.port + 1}/x"))
    code, said, _ = run(capsys, "--root", str(ws.root), "doctor")
    assert code != 0 and "сервер PostgreSQL недоступен" in said
    ws = make_workspace(tmp_path / "ws2", extra=store_toml(pg_server.url("postgres"))
                        + 'password_env = "DOCGEN_TEST_NO_SUCH_PASSWORD"\n')
    code, said, _ = run(capsys, "--root", str(ws.root), "doctor")
    assert code != 0 and "DOCGEN_TEST_NO_SUCH_PASSWORD" in said


def test_a_password_in_the_url_is_refused(tmp_path):
    from docgen.errors import SettingsError

    with pytest.raises(SettingsError, match="пароль в адресе базы недопустим"):
        make_workspace(tmp_path / "ws", extra=store_toml("postgresql://docgen:secret@db.example/docgen"))


def _cols(conn, table: str) -> list[str]:
    from docgen.engines import columns

    return sorted(columns(conn, table))


def test_backup_of_a_postgres_store_is_pg_dump_and_restore_names_pg_restore(tmp_path, pg_url, capsys):
    import zipfile

    ws = make_workspace(tmp_path / "ws", extra=store_toml(pg_url))
    open_store(ws).close()
    code, said, err = run(capsys, "--root", str(ws.root), "backup", str(tmp_path / "copy.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "copy.zip") as archive:
        assert archive.read("docgen.pgdump").startswith(b"PGDMP")
    code, _, err = run(capsys, "--root", str(ws.root), "restore", str(tmp_path / "copy.zip"))
    assert code == 1 and "pg_restore" in err
