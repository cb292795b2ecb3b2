"""`docgen record`: a payment, readiness or delivery entered by hand, or a correction reversing a wrong one.

Each event is checked against the deal, then stored and journaled with who recorded it, in one
transaction; nothing recorded is ever deleted — a wrong event is reversed by a correction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from docgen.calendar import WorkCalendar
from docgen.errors import ObligationError
from docgen.form.money import format_money
from docgen.obligations import ledger
from docgen.obligations.events import EVENT_TITLES, EventKind
from docgen.obligations.position import Position
from docgen.obligations.terms import Trigger
from docgen.store import DealRow
from docgen.workflow.services import Services
from docgen.workspace import Stage

ACTIONS = {EventKind.PAYMENT: "payment_recorded", EventKind.READINESS: "readiness_recorded",
           EventKind.DELIVERY: "delivery_recorded", EventKind.CORRECTION: "event_corrected"}


def record(svc: Services, number: str, *, kind: EventKind, day: dt.date | None = None,
           amount: Decimal | None = None, doc: str = "", comment: str = "", reverses: int | None = None,
           actor: str, source: str) -> str:
    """Record one event; returns the account for the terminal. ObligationError when it does not fit."""
    now = svc.now()
    today = now.date()
    with svc.store.transaction():
        row = svc.store.deal(number)
        if kind is EventKind.CORRECTION:
            day, amount, doc = today, None, ""
            _check_correction(svc, row, reverses)
        else:
            assert day is not None
            amount = _checked(svc, row, kind=kind, day=day, amount=amount, today=today)
        event = ledger.add_event(svc.store, deal=number, kind=kind, day=day, amount=amount, doc=doc,
                                 reverses=reverses, comment=comment, actor=actor, source=source, at=now)
        detail = {"event": event, "day": day.isoformat(), "amount": None if amount is None else f"{amount:f}",
                  "doc": doc, "comment": comment, "reverses": reverses, "via": source}
        svc.store.journal_add(at=now, deal=number, version=row.version, actor=actor, role="obligations",
                              action=ACTIONS[kind], detail=detail)
    svc.register_dirty = True
    return _account(number, kind=kind, event=event, day=day, amount=amount, reverses=reverses)


def _checked(svc: Services, row: DealRow, *, kind: EventKind, day: dt.date, amount: Decimal | None,
             today: dt.date) -> Decimal | None:
    """The amount to store (a delivery without one: what is left to deliver); ObligationError if it cannot be."""
    if day > today:
        raise ObligationError(f"дата {day:%d.%m.%Y} ещё не наступила: записывают то, что уже произошло")
    if kind is EventKind.PAYMENT:
        if amount is None or amount <= 0:
            raise ObligationError("сумма оплаты должна быть больше нуля")
        return amount
    if row.stage != Stage.SIGNED:
        raise ObligationError(f"сделка {row.number} ещё не подписана: готовность и поставку записывают "
                              "после подписания договора")
    p = _position(svc, row, today=today)
    signed = p.events[Trigger.SIGNING]
    if signed is not None and day < signed:
        raise ObligationError(f"дата {day:%d.%m.%Y} раньше подписания договора ({signed:%d.%m.%Y})")
    if kind is EventKind.DELIVERY:
        return _delivered(p, amount)
    return None


def _delivered(p: Position, amount: Decimal | None) -> Decimal:
    left = p.delivery.outstanding
    if left <= 0:
        raise ObligationError("по договору уже всё поставлено; ошибочную поставку отменяют исправлением "
                              "(docgen record … correction --event N)")
    if amount is None:
        return left
    if amount <= 0:
        raise ObligationError("стоимость поставленного должна быть больше нуля")
    if amount > left:
        raise ObligationError(f"поставлено на {format_money(amount)} руб., а осталось поставить только на "
                              f"{format_money(left)} руб.")
    return amount


def _check_correction(svc: Services, row: DealRow, reverses: int | None) -> None:
    events = {r.event.id: r for r in ledger.recorded(svc.store, row.number)}
    target = events.get(reverses) if reverses is not None else None
    if target is None:
        listed = ", ".join(str(i) for i, r in events.items() if r.event.kind is not EventKind.CORRECTION) or "нет"
        raise ObligationError(f"у сделки {row.number} нет записи № {reverses}; записи сделки: {listed} "
                              f"(их номера показывает docgen status {row.number})")
    if target.event.kind is EventKind.CORRECTION:
        raise ObligationError(f"запись № {reverses} сама исправление; запишите событие заново")
    if any(r.event.reverses == reverses for r in events.values()):
        raise ObligationError(f"запись № {reverses} уже отменена")


def _position(svc: Services, row: DealRow, *, today: dt.date) -> Position:
    calendar = WorkCalendar.from_settings(svc.settings.calendar)
    found = ledger.position_of(svc.store, row, calendar=calendar, today=today)
    assert found is not None  # signed
    return found


def _account(number: str, *, kind: EventKind, event: int, day: dt.date, amount: Decimal | None,
             reverses: int | None) -> str:
    if kind is EventKind.CORRECTION:
        return f"сделка {number}: запись № {reverses} отменена (исправление № {event})"
    money = f" на {format_money(amount)} руб." if amount is not None else ""
    return f"сделка {number}: записана {EVENT_TITLES[kind]}{money} от {day:%d.%m.%Y} (запись № {event})"
