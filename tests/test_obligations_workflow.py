"""Events recorded against a signed deal, production told on prepayment, reminders once, claims rendered."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import docx
import pytest

from obligations_kit import D, Clock, signed_deal
from pg_kit import store_toml
from service_kit import make_workspace
from docgen.errors import ObligationError
from docgen.mail.outbox import MailOutbox
from docgen.obligations import ledger, notify
from docgen.obligations.events import EventKind
from docgen.obligations.record import record
from docgen.workflow.engine import close_workflow, open_workflow

LOG = logging.getLogger("docgen.tests.obligations")


@pytest.fixture
def env(tmp_path, store_url):
    """A workflow with a signed deal's clock, on each engine of the store."""
    ws = make_workspace(tmp_path / "ws", extra=store_toml(store_url))
    clock = Clock(D(2026, 12, 29))
    wf = open_workflow(ws, clock=clock, log=LOG)
    yield wf, clock
    close_workflow(wf)


def letters(wf, kind: str) -> list:
    return [q.notice for q in MailOutbox(wf.svc.store.conn).listing() if q.notice.kind == kind]


def pay(wf, number, day, amount, **kw) -> str:
    return plain(record(wf.svc, number, kind=EventKind.PAYMENT, day=day, amount=Decimal(amount), actor="Бухгалтер",
                        source="command", **kw))


def plain(text: str) -> str:
    """Sums are written with no-break spaces; the tests read them as plain ones."""
    return text.replace("\u00a0", " ")


def test_a_late_prepayment_tells_economics_once_and_dates_the_handover(env):
    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 20), 11)
    assert "записана оплата на 607 194,00 руб. от 20.01.2027" in pay(wf, number, D(2027, 1, 20), "607194.00")
    assert notify.check_production(wf.svc, wf.svc.store.deal(number)) is not None
    assert notify.check_production(wf.svc, wf.svc.store.deal(number)) is None  # once
    (mail,) = letters(wf, "production")
    assert "20.01.2027" in mail.body and "26.03.2027" in mail.body  # the delivery term from the prepayment
    assert set(mail.to) == {wf.svc.settings.people.economics, wf.svc.settings.divisions["metal"].support}
    row = wf.svc.store.deal(number)
    p = ledger.position_of(wf.svc.store, row, calendar=notify.calendar_of(wf.svc), today=D(2027, 1, 20))
    assert p.payments[0].penalty.total == Decimal("3643.16")
    # «Ввод в Производство» records the date: written again, in outbox/economics/ and the dossier.
    (handover,) = wf.svc.ws.economics.glob("*.docx")
    document = docx.Document(str(handover))
    text = plain("\n".join([p.text for p in document.paragraphs] +
                            [c.text for t in document.tables for r in t.rows for c in r.cells]))
    assert "Оплата до запуска в производство: поступила полностью «20» января 2027 г." in text
    assert "не позднее 26.03.2027" in text  # the delivery's date, counted from the prepayment
    assert [a.name for a in mail.attachments] == [handover.name]
    actions = [e["action"] for e in wf.svc.store.journal(number)]
    assert actions[-2:] == ["payment_recorded", "production_may_start"]
    entry = wf.svc.store.journal(number)[-2]
    assert entry["actor"] == "Бухгалтер" and entry["detail"]["via"] == "command"


def test_events_that_do_not_fit_are_refused_in_russian(env):
    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 20))
    with pytest.raises(ObligationError, match="ещё не наступила"):
        pay(wf, number, D(2027, 1, 21), "1.00")
    with pytest.raises(ObligationError, match="раньше подписания"):
        record(wf.svc, number, kind=EventKind.READINESS, day=D(2026, 12, 1), actor="x", source="command")
    with pytest.raises(ObligationError, match="осталось поставить только на 2\u00a0023\u00a0980,00"):
        record(wf.svc, number, kind=EventKind.DELIVERY, day=D(2027, 1, 20), amount=Decimal("3000000"),
               actor="x", source="command")
    with pytest.raises(ObligationError, match="нет записи № 99"):
        record(wf.svc, number, kind=EventKind.CORRECTION, reverses=99, actor="x", source="command")


def test_a_correction_reverses_and_is_never_a_deletion(env):
    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 20))
    pay(wf, number, D(2027, 1, 12), "607194.00")
    account = record(wf.svc, number, kind=EventKind.CORRECTION, reverses=1, comment="не та сделка", actor="Бухгалтер",
                     source="command")
    assert account == f"сделка {number}: запись № 1 отменена (исправление № 2)"
    with pytest.raises(ObligationError, match="уже отменена"):
        record(wf.svc, number, kind=EventKind.CORRECTION, reverses=1, actor="x", source="command")
    events = ledger.recorded(wf.svc.store, number)
    assert [(r.event.kind, r.event.reverses) for r in events] == [(EventKind.PAYMENT, None), (EventKind.CORRECTION, 1)]
    row = wf.svc.store.deal(number)
    p = ledger.position_of(wf.svc.store, row, calendar=notify.calendar_of(wf.svc), today=D(2027, 1, 20))
    assert p.payments[0].done == 0 and p.payments[0].overdue


def test_reminders_before_on_and_after_the_due_date_go_once_each(env):
    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))  # the prepayment is due 14 January 2027
    sent = []
    for day in (D(2027, 1, 8), D(2027, 1, 11), D(2027, 1, 11), D(2027, 1, 13), D(2027, 1, 14), D(2027, 1, 15),
                D(2027, 1, 18)):
        clock.set(day)
        sent.append(len(notify.tell_due(wf.svc, now=clock.at)))
    # 8 January is a holiday; 11 January is 3 working days before; then the due date and the day after.
    assert sent == [0, 1, 0, 0, 1, 1, 0]
    subjects = [m.subject for m in letters(wf, "obligation")]
    assert subjects == [f"Напоминание: срок оплаты 14.01.2027 — договор {number}, ООО «Ромашка & Ко»",
                        f"Напоминание: сегодня срок оплаты — договор {number}, ООО «Ромашка & Ко»",
                        f"Просрочка оплаты — договор {number}, ООО «Ромашка & Ко»"][::-1]
    missed = letters(wf, "obligation")[0]
    assert "1 дн. просрочки, 607,19 руб." in plain(missed.body)
    assert wf.svc.settings.divisions["metal"].support in missed.to


def test_the_director_is_warned_before_the_sellers_delivery_penalty(env):
    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 14))
    pay(wf, number, D(2027, 1, 14), "607194.00")     # delivery due 22 March 2027
    clock.set(D(2027, 3, 17))
    notify.tell_due(wf.svc, now=clock.at)
    (mail,) = [m for m in letters(wf, "obligation") if "поставки" in m.subject]
    assert mail.subject.startswith("Напоминание: срок поставки 22.03.2027")
    assert wf.svc.settings.divisions["metal"].director in mail.to
    assert "С 23.03.2027 Компания будет должна Покупателю пеню" in mail.body


class CrashingOutbox:
    """The mail outbox, failing as a kill -9 would inside the transaction that queues the first letter."""

    def __init__(self, outbox):
        self.outbox = outbox
        self.crashed = False

    def enqueue(self, notice) -> None:
        self.outbox.enqueue(notice)
        if not self.crashed:
            self.crashed = True
            raise KeyboardInterrupt("killed")


def test_a_reminder_is_sent_once_across_a_crash_and_a_restart(env, tmp_path):
    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 15))
    real = wf.svc.outbox
    wf.svc.outbox = CrashingOutbox(real)
    with pytest.raises(KeyboardInterrupt):
        notify.tell_due(wf.svc, now=clock.at)
    wf.svc.outbox = real
    assert letters(wf, "obligation") == [] and not ledger.told(wf.svc.store, f"{number}/payment-1/missed/2027-01-14")
    # Two fresh schedules, as after two restarts on the same day: one letter, one record of it.
    for _ in range(2):
        schedule = notify.ObligationSchedule(wf.svc)
        schedule.run_due()
    assert len(letters(wf, "obligation")) == 1
    assert ledger.told(wf.svc.store, f"{number}/payment-1/missed/2027-01-14")


def test_the_schedule_looks_once_a_working_day_at_the_reminders_hour_and_never_polls(env):
    wf, clock = env
    signed_deal(wf, clock, D(2026, 12, 29))
    schedule = notify.ObligationSchedule(wf.svc)
    clock.set(D(2027, 1, 15), 8)
    assert schedule.seconds_left() == 0  # the first tick always looks
    assert schedule.run_due() == []  # before [deadlines] remind_at (9:00): nothing yet
    assert schedule.seconds_left() == 3600  # and it sleeps until then
    clock.set(D(2027, 1, 15), 9)
    assert len(schedule.run_due()) == 1
    assert schedule.next_look == dt.datetime.combine(D(2027, 1, 18), dt.time(9), tzinfo=clock.at.tzinfo)  # Monday
    clock.set(D(2027, 1, 15), 12)
    assert schedule.run_due() == [] and schedule.seconds_left() == 3 * 24 * 3600 - 3 * 3600
    schedule.changed()  # a file was taken: a deal may have been signed
    assert schedule.seconds_left() == 0 and schedule.run_due() == []


def test_a_deal_signed_after_its_prepayment_came_starts_production_at_once(env):
    from docgen.workflow.stages import Decision

    wf, clock = env
    from test_archive_kit import new_deal

    clock.set(D(2026, 12, 28), 9)
    number = new_deal(wf)
    pay(wf, number, D(2026, 12, 28), "607194.00")  # paid on the invoice, before signing
    for role in ("lawyer", "finance"):
        wf.decide(number, role=role, decision=Decision.APPROVED)
    assert letters(wf, "production") == []
    account = wf.decide(number, role="director", decision=Decision.APPROVED)
    assert "оплата до производства поступила 28.12.2026" in account
    (mail,) = letters(wf, "production")
    assert "28.12.2026" in mail.body


def test_a_payment_recorded_by_hand_and_then_seen_in_a_statement_counts_once(env):
    from bank_kit import payment, statement
    from docgen.obligations.bank import take_statement

    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 21))
    pay(wf, number, D(2027, 1, 20), "607194.00")
    data = statement([payment("412", D(2027, 1, 20), "607194.00", purpose=f"по договору {number}")],
                     first=D(2027, 1, 20), last=D(2027, 1, 20))
    path = wf.svc.ws.bank_inbox / "day.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    assert "разнесено 1" in take_statement(wf.svc, path)
    assert len(ledger.recorded(wf.svc.store, number)) == 1
    assert "payment_matched" in [e["action"] for e in wf.svc.store.journal(number)]


def test_the_register_shows_the_next_due_date_paid_overdue_and_the_penalty(env):
    from openpyxl import load_workbook
    from docgen.workflow.register import write_register

    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 20))
    pay(wf, number, D(2027, 1, 18), "300000.00")
    path = write_register(wf.svc.store, wf.svc.ws, roles=wf.roles(), deadlines=wf.svc.deadlines, now=clock.at, log=LOG)
    sheet = load_workbook(path).active
    headings = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(headings, sheet[2])}
    assert row["Сделка"] == number
    assert row["Ближайший срок оплаты или поставки"].date() == D(2027, 1, 14)
    assert sheet.cell(2, headings.index("Ближайший срок оплаты или поставки") + 1).number_format == "DD.MM.YYYY"
    assert row["Что в срок"] == "ПРОСРОЧКА: платёж 1: просрочка 6 дн., пеня 3\u00a0043,17"
    assert row["Оплачено, руб."] == 300000 and row["Просрочено, руб."] == 307194
    # 15-18 January on 607 194,00 (2 428,78) + 19-20 January on 307 194,00 (614,39) = 3 043,17
    assert row["Пеня Покупателя, руб."] == pytest.approx(3043.17) and row["Пеня Продавца, руб."] == 0


def test_a_statement_whose_files_a_crash_interrupted_is_finished_not_taken_twice(env):
    from bank_kit import payment, statement
    from docgen.obligations import bank

    wf, clock = env
    number = signed_deal(wf, clock, D(2026, 12, 29))
    clock.set(D(2027, 1, 21))
    path = wf.svc.ws.bank_inbox / "day.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(statement([payment("412", D(2027, 1, 20), "607194.00", purpose=number)],
                               first=D(2027, 1, 20), last=D(2027, 1, 20)))
    bank._record(wf.svc, path, statement=bank.parse(path.read_bytes()), content=path.read_bytes())  # then killed
    assert path.exists() and len(ledger.recorded(wf.svc.store, number)) == 1
    assert "разнесено 1" in bank.take_statement(wf.svc, path)  # the same file seen again: the step finishes
    assert not path.exists() and (wf.svc.ws.bank_processed / "day.txt").exists()
    assert wf.svc.store.conn.execute("SELECT count(*) FROM bank_statements").fetchone()[0] == 1
