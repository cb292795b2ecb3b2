"""The register's dates as Excel dates, its new columns and the sheet of unrecognized files; stage_since
carried over from a store made before it was kept."""

from __future__ import annotations

import datetime as dt
import sqlite3

from openpyxl import load_workbook

from conftest import ManualClock
from deadline_kit import accept, at, workflow
from service_kit import make_workspace, one
from docgen import migrations
from docgen.store import DB_NAME, open_store
from docgen.workflow.register import REGISTER_NAME, UNRECOGNIZED_SHEET
from docgen.workflow.stages import Decision


def test_the_register_keeps_excel_dates_the_stage_deadline_and_what_was_not_recognized(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 11, 23, 10, 5))
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        clock.now = at(2026, 11, 24, 15, 40)
        wf.decide(number, role="lawyer", decision=Decision.RETURNED, comment="Уточнить адрес")
        stray = ws.review("finance") / "approved" / "письмо клиенту.docx"
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"not a deal")
        assert "не распознан" in wf.take(stray)
        wf.flush_register()
    book = load_workbook(ws.registers / REGISTER_NAME)
    sheet = book.active
    heads = [c.value for c in sheet[1]]
    row = dict(zip(heads, (c.value for c in sheet[2])))
    assert row["Принята"] == dt.datetime(2026, 11, 23, 10, 5)
    assert row["Дата договора"] == dt.datetime(2026, 11, 20)  # Excel keeps a date as a moment at midnight
    assert row["Направление"] == "Направление металлоконструкций"
    assert row["Менеджер по сопровождению"] == "Менеджер по сопровождению"
    assert row["Этап"] == "возвращена менеджеру"
    assert row["На этапе с"] == dt.datetime(2026, 11, 24, 15, 40) and row["Срок этапа"] is None
    assert row["Юрист"] == dt.datetime(2026, 11, 24, 15, 40)
    lawyer = sheet.cell(2, heads.index("Юрист") + 1)
    assert lawyer.number_format == "DD.MM.YYYY HH:MM" and "возвращено" in lawyer.comment.text
    assert sheet.conditional_formatting, "a past deadline is marked by Excel itself"
    aside = book[UNRECOGNIZED_SHEET]
    [listed] = list(aside.iter_rows(min_row=2, values_only=True))
    assert listed[:2] == ("outbox/finance/unrecognized/", "письмо клиенту.docx")
    assert isinstance(listed[2], dt.datetime) and "не удалось определить сделку" in listed[3]


def test_a_waiting_deal_shows_its_deadline_in_the_register(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 12, 29, 10))
    with workflow(ws, clock) as wf:
        accept(ws, wf)
        wf.flush_register()
    sheet = load_workbook(ws.registers / REGISTER_NAME).active
    heads = [c.value for c in sheet[1]]
    assert sheet.cell(2, heads.index("Срок этапа") + 1).value == dt.datetime(2027, 1, 11)
    assert sheet.cell(2, heads.index("На этапе с") + 1).value == dt.datetime(2026, 12, 29, 10)


def test_an_older_store_gets_each_deals_stage_since_from_its_journal(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 11, 23, 10))
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        clock.now = at(2026, 11, 25, 12)
        wf.decide(number, role="lawyer", decision=Decision.APPROVED)
    conn = sqlite3.connect(ws.state / DB_NAME)  # back to the first schema, as an older docgen left it
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("ALTER TABLE deals DROP COLUMN stage_since")
    conn.execute("ALTER TABLE versions DROP COLUMN route")
    for column in ("copy_pending", "ambiguous"):  # schema 3's
        conn.execute(f"ALTER TABLE mail_notices DROP COLUMN {column}")
    conn.execute("ALTER TABLE deals DROP COLUMN office")  # schema 6's
    conn.commit()
    conn.close()
    store = open_store(ws.state)
    try:
        assert [m.version for m in store.migrated] == [m.version for m in migrations.MIGRATIONS[1:]]
        row = store.deal(number)
        assert (row.stage, row.stage_since) == ("finance", "2026-11-25T12:00:00+03:00")
        assert store.route(number, 1) is None  # went the built-in way
    finally:
        store.close()
    assert one(ws.state / "backups", "*.sqlite3")
