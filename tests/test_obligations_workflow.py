"""Events recorded against a signed deal, production told on prepayment, reminders once, claims rendered."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from obligations_kit import D, Clock, signed_deal
from service_kit import make_workspace
from docgen.errors import ObligationError
from docgen.mail.outbox import MailOutbox
from docgen.obligations import ledger, notify
from docgen.obligations.events import EventKind
from docgen.obligations.letters import draft_claim
from docgen.obligations.record import record
from docgen.workflow.engine import close_workflow, open_workflow

LOG = logging.getLogger("docgen.tests.obligations")


@pytest.fixture
def env(tmp_path):
    ws = make_workspace(tmp_path / "ws")
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
        sent.append(len(notify.tell_due(wf.svc, today=day)))
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
    notify.tell_due(wf.svc, today=D(2027, 3, 17))
    (mail,) = [m for m in letters(wf, "obligation") if "поставки" in m.subject]
    assert mail.subject.startswith("Напоминание: срок поставки 22.03.2027")
    assert wf.svc.settings.divisions["metal"].director in mail.to
    assert "С 23.03.2027 Компания будет должна Покупателю пеню" in mail.body
