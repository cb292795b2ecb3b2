"""The outbox in SQLite: queued inside the caller's transaction, due by the clock, retried with growing delays."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from conftest import ManualClock
from docgen.mail import (
    MailOutbox, MailSender, MailStatus, Notice, NoticeKind, PermanentMailError, SpoolTransport,
    TransientMailError, retry_delay, transport_for,
)
from docgen.mail.outbox import connect
from docgen.settings import load_settings
from docgen.workspace import Workspace

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
STAMP = f"{T0.astimezone():%Y%m%d-%H%M%S}"  # file names carry the local time of the Date header


def Clock() -> ManualClock:  # noqa: N802 - reads as the class it returns
    return ManualClock(T0)


class ScriptedTransport:
    """A fake written against Transport: raises the scripted errors in turn, then accepts."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)


def notice(n: int = 1, **over) -> Notice:
    fields = dict(event_id=f"2026-{n:04d}/v1/review/lawyer", kind=NoticeKind.REVIEW,
                  to=("Юрист <lawyer@x.ru>",), subject=f"Сделка 2026-{n:04d}", body="Текст\n",
                  deal=f"2026-{n:04d}")
    return Notice(**(fields | over))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conn(tmp_path):
    conn = connect(tmp_path / "docgen.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    yield conn
    conn.close()


@pytest.fixture
def outbox(conn, clock) -> MailOutbox:
    box = MailOutbox(conn, clock=clock)
    box.ensure_schema()
    return box


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path, load_settings(tmp_path, {"DOCGEN_SMTP__RETRY_DELAYS": "[10, 60, 300]"}))


def enqueue(conn, outbox, *notices: Notice) -> None:
    conn.execute("BEGIN")
    for n in notices:
        outbox.enqueue(n)
    conn.execute("COMMIT")


def test_enqueue_rides_on_the_callers_transaction(conn, outbox, tmp_path):
    conn.execute("BEGIN")
    outbox.enqueue(notice(1))
    other = connect(tmp_path / "docgen.sqlite3")
    assert other.execute("SELECT count(*) FROM mail_notices").fetchone()[0] == 0  # not committed by us
    conn.execute("ROLLBACK")
    assert outbox.listing() == []
    enqueue(conn, outbox, notice(2))
    assert other.execute("SELECT count(*) FROM mail_notices").fetchone()[0] == 1
    other.close()


def test_enqueue_works_with_the_default_isolation_level(tmp_path, clock):
    conn = sqlite3.connect(tmp_path / "d.sqlite3")
    conn.execute("PRAGMA journal_mode=WAL")
    box = MailOutbox(conn, clock=clock)
    box.ensure_schema()
    box.enqueue(notice(1))
    conn.commit()
    box.mark_failed(notice(1).event_id, error="x", next_try=T0)
    assert not conn.in_transaction
    assert box.listing()[0].attempts == 1
    conn.close()


def test_the_same_event_twice_is_one_notice(conn, outbox):
    enqueue(conn, outbox, notice(1), notice(1, subject="другая"))
    enqueue(conn, outbox, notice(1))
    [row] = outbox.listing()
    assert row.notice.subject == "Сделка 2026-0001" and row.status == MailStatus.QUEUED


def test_notice_round_trips(conn, outbox, tmp_path):
    original = notice(1, attachments=(tmp_path / "Договор.pdf",), dossier=tmp_path / "clients" / "1",
                      to=('"Иванов, Иван" <i@x.ru>', "b@y.ru"))
    enqueue(conn, outbox, original)
    [row] = outbox.due(T0)
    assert row.notice == original and row.created_at == T0 and row.next_try == T0


def test_growing_delays_then_the_last_one_for_ever():
    delays = [10, 60, 300]
    assert [retry_delay(n, delays).total_seconds() for n in (1, 2, 3, 4, 9)] == [10, 60, 300, 300, 300]
    assert retry_delay(1, []).total_seconds() > 0


def test_a_transient_failure_is_retried_later_with_growing_delays(conn, outbox, clock, ws):
    enqueue(conn, outbox, notice(1))
    transport = ScriptedTransport(TransientMailError("451"), TransientMailError("451"))
    sender = MailSender(outbox, transport, ws=ws, clock=clock, log=logging.getLogger("test"))
    assert sender.deliver_due() == 0
    [row] = outbox.listing()
    assert (row.status, row.attempts, row.next_try, row.last_error) == (MailStatus.QUEUED, 1, T0 + dt.timedelta(seconds=10), "451")
    clock.advance(9)
    assert outbox.due(clock()) == [] and sender.deliver_due() == 0
    clock.advance(1)
    assert sender.deliver_due() == 0
    assert outbox.listing()[0].next_try == clock() + dt.timedelta(seconds=60)
    clock.advance(60)
    assert sender.deliver_due() == 1
    [row] = outbox.listing()
    assert (row.status, row.attempts, row.sent_at, row.last_error) == (MailStatus.SENT, 3, clock(), "")
    assert len(transport.sent) == 1 and sender.deliver_due() == 0


def test_force_ignores_the_delay_and_retries_failed_ones(conn, outbox, clock, ws):
    enqueue(conn, outbox, notice(1), notice(2))
    transport = ScriptedTransport(TransientMailError("down"), PermanentMailError("550"))
    sender = MailSender(outbox, transport, ws=ws, clock=clock, log=logging.getLogger("test"))
    assert sender.deliver_due() == 0
    assert {r.status for r in outbox.listing()} == {MailStatus.QUEUED, MailStatus.FAILED}
    assert sender.deliver_due() == 1  # the administrator's letter about the 5xx; the failed one is never due
    [told] = transport.sent
    assert "admin@localhost" in str(told["To"]) and "не отправлено" in str(told["Subject"])
    assert sender.deliver_due(force=True) == 2


def test_a_server_down_defers_the_whole_batch_without_trying_each(conn, outbox, clock, ws):
    enqueue(conn, outbox, notice(1), notice(2), notice(3))
    transport = ScriptedTransport(TransientMailError("нет соединения", whole_server=True))
    sender = MailSender(outbox, transport, ws=ws, clock=clock, log=logging.getLogger("test"))
    assert sender.deliver_due() == 0
    assert transport.errors == [] and transport.sent == []
    rows = outbox.listing()
    assert all(r.status == MailStatus.QUEUED and r.last_error == "нет соединения" for r in rows)
    clock.advance(10)
    assert sender.deliver_due() == 3


def test_a_notice_taken_by_another_sender_is_skipped(conn, outbox, clock):
    enqueue(conn, outbox, notice(1))
    [row] = outbox.due(clock())
    lease = clock() + dt.timedelta(minutes=5)
    assert outbox.claim(row, now=clock(), until=lease)
    assert not outbox.claim(row, now=clock(), until=lease)
    assert outbox.due(clock()) == [] and outbox.due(clock(), force=True) == []  # not even for --retry
    clock.advance(301)  # a sender that died mid-send: free again after its lease
    assert [r.event_id for r in outbox.due(clock())] == [row.event_id]
    outbox.mark_sent(row.event_id, at=clock())
    assert not outbox.claim(row, now=clock(), until=clock() + dt.timedelta(minutes=5))


def test_an_unexpected_error_is_recorded_and_the_loop_goes_on(conn, outbox, clock, ws):
    enqueue(conn, outbox, notice(1), notice(2))
    transport = ScriptedTransport(RuntimeError("boom"))
    sender = MailSender(outbox, transport, ws=ws, clock=clock, log=logging.getLogger("test"))
    assert sender.deliver_due() == 1
    failing = [r for r in outbox.listing() if r.status == MailStatus.QUEUED]
    # said in Russian to whoever reads `docgen mail`; the traceback is in the log
    assert [r.last_error for r in failing] == ["внутренняя ошибка docgen (RuntimeError); подробности — в журнале работы"]


def test_no_valid_recipient_fails_that_notice_only(conn, outbox, clock, ws):
    enqueue(conn, outbox, notice(1, to=("не адрес",)), notice(2, to=("не адрес", "Юрист <l@x.ru>")))
    transport = ScriptedTransport()
    sender = MailSender(outbox, transport, ws=ws, clock=clock, log=logging.getLogger("test"))
    assert sender.deliver_due() == 1
    by_id = {r.notice.deal: r for r in outbox.listing() if r.notice.kind is not NoticeKind.ADMIN}
    assert by_id["2026-0001"].status == MailStatus.FAILED and "не адрес" in by_id["2026-0001"].last_error
    sent = by_id["2026-0002"]
    assert sent.status == MailStatus.SENT and sent.problems == ("не адрес: неверный адрес, письмо ему не отправлено",)
    assert [str(a) for a in transport.sent[0]["To"].addresses] == ["Юрист <l@x.ru>"]
    told = {r.event_id: r.notice.body for r in outbox.listing() if r.notice.kind is NoticeKind.ADMIN}
    assert set(told) == {"admin/mail-failed/2026-0001/v1/review/lawyer", "admin/mail-failed/2026-0002/v1/review/lawyer"}
    assert all("не адрес" in body for body in told.values())


def test_a_moved_attachment_does_not_hold_the_letter(conn, outbox, clock, ws, tmp_path):
    present = tmp_path / "Договор 2026-0001.pdf"
    present.write_bytes(b"%PDF")
    enqueue(conn, outbox, notice(1, attachments=(present, tmp_path / "Пропал.pdf")))
    transport = ScriptedTransport()
    MailSender(outbox, transport, ws=ws, clock=clock, log=logging.getLogger("test")).deliver_due()
    [msg] = transport.sent
    assert [p.get_filename() for p in msg.iter_attachments()] == ["Договор 2026-0001.pdf"]
    assert "Пропал.pdf" in msg.get_body(("plain",)).get_content()
    assert outbox.listing()[0].problems == ("вложение «Пропал.pdf» не найдено при отправке",)


def test_spool_is_the_default_and_its_files_parse_back(conn, outbox, clock, ws, tmp_path):
    assert isinstance(transport_for(ws), SpoolTransport)
    att = tmp_path / "Договор 2026-0001.pdf"
    att.write_bytes(b"%PDF-1.4")
    dossier = ws.clients / "5027012348" / "2026-0001"
    enqueue(conn, outbox, notice(1, attachments=(att,), dossier=dossier), notice(2))
    sender = MailSender(outbox, transport_for(ws), ws=ws, clock=clock, log=logging.getLogger("test"))
    assert sender.deliver_due() == 2
    files = sorted(ws.mail_spool.glob("*.eml"))
    assert [f.name for f in files] == [f"{STAMP}-review-2026-0001.eml", f"{STAMP}-review-2026-0002.eml"]
    assert not list(ws.mail_spool.glob(".*"))  # no temp files left behind
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["Subject"] == "Сделка 2026-0001"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["Договор 2026-0001.pdf"]
    [copy] = dossier.glob("*.eml")
    assert copy.read_bytes() == files[0].read_bytes()


def test_spool_rewrites_its_own_file_and_never_overwrites_another(ws, conn, outbox, clock):
    enqueue(conn, outbox, notice(1), notice(1, event_id="2026-0001/v1/review/finance"))
    sender = MailSender(outbox, SpoolTransport(ws.mail_spool), ws=ws, clock=clock, log=logging.getLogger("t"))
    assert sender.deliver_due() == 2
    assert sender.deliver_due(force=False) == 0
    # The same message again (a retry after a crash before it was marked sent) keeps one file.
    outbox.conn.execute("UPDATE mail_notices SET status = 'failed'")
    assert sender.deliver_due(force=True) == 2
    names = sorted(f.name for f in ws.mail_spool.glob("*.eml"))
    assert names == [f"{STAMP}-review-2026-0001-2.eml", f"{STAMP}-review-2026-0001.eml"]
