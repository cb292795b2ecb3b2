"""Bank statements through the real watcher: cp1251 twice, overlapping, unmatched reported, malformed refused."""

from __future__ import annotations

import sqlite3

import pytest

from bank_kit import payment, statement
from obligations_kit import D, signed_workflow
from service_kit import files, service, wait_for
from docgen.mail.outbox import MailOutbox
from docgen.obligations.bank import STATEMENTS_IN_DOSSIER
from docgen.store import DB_NAME
STRANGER = "7736207543"


def drop_statement(ws, name: str, data: bytes) -> None:
    """Written aside and renamed in, as a careful copy does."""
    ws.bank_inbox.mkdir(parents=True, exist_ok=True)
    aside = ws.root / f".{name}.tmp"
    aside.write_bytes(data)
    aside.replace(ws.bank_inbox / name)


def query(ws, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(ws.state / DB_NAME)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def notices(ws, kind: str) -> list:
    conn = sqlite3.connect(ws.state / DB_NAME)
    try:
        return [q.notice for q in MailOutbox(conn).listing() if q.notice.kind == kind]
    finally:
        conn.close()


@pytest.fixture
def signed(tmp_path):
    with signed_workflow(tmp_path / "ws", D(2026, 12, 29)) as (wf, clock, number):
        ws, dossier = wf.svc.ws, wf.svc.dossier(wf.svc.store.deal(number)).root
    clock.set(D(2027, 1, 21), 8)  # before the reminders' hour: this test is about the statements
    return ws, clock, number, dossier


def test_a_cp1251_statement_dropped_twice_and_an_overlapping_one_record_each_payment_once(signed):
    ws, clock, number, dossier = signed
    prepayment = payment("412", D(2027, 1, 20), "607194.00", purpose=f"Предоплата по дог. № {number}, НДС 22%")
    stranger = payment("77", D(2027, 1, 20), "15000.00", purpose="Оплата по счёту 15", payer_inn=STRANGER,
                       payer="ООО «Незнакомец»")
    outgoing = payment("5", D(2027, 1, 20), "999.00", purpose="аренда", incoming=False)
    first = statement([prepayment, stranger, outgoing], first=D(2027, 1, 20), last=D(2027, 1, 20))
    assert b"\r\n" in first and "Предоплата".encode("cp1251") in first
    with service(ws, clock=clock):
        drop_statement(ws, "kl_to_1c.txt", first)
        wait_for(lambda: (ws.bank_processed / "kl_to_1c.txt").exists(), what="the statement taken")
        wait_for(lambda: notices(ws, "production"), what="production told")
        drop_statement(ws, "kl_to_1c.txt", first)  # the same file again
        wait_for(lambda: (ws.bank_processed / "kl_to_1c (2).txt").exists(), what="the repeat kept")
        later = payment("420", D(2027, 2, 1), "100000.00", purpose=f"N{number} частично")
        drop_statement(ws, "week.txt", statement([prepayment, later], first=D(2027, 1, 20), last=D(2027, 2, 1),
                                                 encoding="utf-8"))
        wait_for(lambda: (ws.bank_processed / "week.txt").exists(), what="the overlapping statement taken")
    events = query(ws, "SELECT day, amount, source FROM obligation_events WHERE deal = ? ORDER BY id", number)
    assert [(d, a) for d, a, _ in events] == [("2027-01-20", "607194.00"), ("2027-02-01", "100000.00")]
    assert "банковская выписка «kl_to_1c.txt», строка" in events[0][2]
    assert query(ws, "SELECT name, incoming, recorded FROM bank_statements ORDER BY id") == [
        ("kl_to_1c.txt", 2, 2), ("kl_to_1c.txt", 2, 0), ("week.txt", 2, 1)]
    # Kept as received, byte for byte, and in the dossier of the deal it touched.
    assert (ws.bank_processed / "kl_to_1c.txt").read_bytes() == first
    # The dossier keeps the statement with this deal's payment only: the bank's lines, unchanged.
    assert (dossier / STATEMENTS_IN_DOSSIER / "kl_to_1c.txt").read_bytes() == statement(
        [prepayment], first=D(2027, 1, 20), last=D(2027, 1, 20))
    assert not files(ws.bank_inbox, "*.txt")
    # The stranger's payment went to finance once, with the reason; the repeat added no letter.
    (letter,) = notices(ws, "statement")
    assert letter.to == ("Руководитель Финансового департамента <finance@localhost>",)
    assert f"нет сделок с покупателем ИНН {STRANGER}" in letter.body
    assert "ООО «Незнакомец»" in letter.body and "→ сделка" in letter.body
    (production,) = notices(ws, "production")
    assert "20.01.2027" in production.body


def test_a_malformed_statement_goes_to_rejected_with_a_report_naming_the_line(signed):
    ws, clock, number, _ = signed
    good = statement([payment("1", D(2027, 1, 20), "10.00", purpose=number)], first=D(2027, 1, 20),
                     last=D(2027, 1, 20)).decode("cp1251")
    broken = good.replace("Сумма=10.00", "Сумма=десять").encode("cp1251")
    line = good.split("\r\n").index("Сумма=10.00") + 1
    with service(ws, clock=clock):
        drop_statement(ws, "broken.txt", broken)
        report = wait_for(lambda: next(iter(files(ws.rejected, "broken.txt.errors.txt")), None), what="refused")
    assert (ws.rejected / "broken.txt").read_bytes() == broken
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"Банковская выписка «broken.txt» не принята: строка {line}: «Сумма=десять»")
    assert "Ни один платёж из неё не записан" in text
    assert query(ws, "SELECT count(*) FROM obligation_events") == [(0,)]
    (letter,) = notices(ws, "statement_rejected")
    assert f"строка {line}" in letter.body


def test_watch_once_sends_the_reminders_due_at_that_moment(signed):
    import threading

    from docgen.service import run_service, service_log

    ws, clock, number, _ = signed
    clock.set(D(2027, 1, 15), 10)  # the prepayment was due yesterday
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True, clock=clock)
    (letter,) = notices(ws, "obligation")
    assert letter.subject == f"Просрочка оплаты — договор {number}, ООО «Ромашка & Ко»"
    spooled = files(ws.mail_spool, "*.eml")
    assert any("obligation" in p.name for p in spooled)
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True, clock=clock)
    assert len(notices(ws, "obligation")) == 1  # a restart the same day sends nothing again
