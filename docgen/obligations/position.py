"""Where each obligation of a signed deal stands on a day: due date, what was settled, the penalty (pure).

Payments are applied to the schedule in its order: each fills the first payment not yet paid in full,
the rest goes on to the next. A due date is counted on the production calendar from the day after its
event (Civil Code art. 191): signing (the director's decision), prepayment (the day the payments due
before production are received in full), readiness, delivery (the day the goods are delivered in full).
Until its event happens a due date is unknown, and says what it waits for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from docgen.calendar import WorkCalendar
from docgen.obligations.events import Event, EventKind, effective
from docgen.obligations.penalty import ZERO, Penalty, Settlement, accrue
from docgen.obligations.terms import Contract, ObligationKind, Term, Trigger


@dataclass(frozen=True)
class Standing:
    """One obligation on a day."""

    term: Term
    due: dt.date | None
    settled: tuple[Settlement, ...]
    settled_on: dt.date | None  # the day it was settled in full
    penalty: Penalty
    today: dt.date

    @property
    def waits_for(self) -> Trigger | None:
        return self.term.after if self.due is None else None

    @property
    def done(self) -> Decimal:
        """Paid (a payment) or delivered by price (the delivery)."""
        return sum((s.amount for s in self.settled), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return self.term.amount - self.done

    @property
    def is_open(self) -> bool:
        return self.outstanding > 0

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due is not None and self.today > self.due

    @property
    def overdue_amount(self) -> Decimal:
        return self.outstanding if self.overdue else ZERO


@dataclass(frozen=True)
class Position:
    contract: Contract
    today: dt.date
    events: dict[Trigger, dt.date | None]
    payments: tuple[Standing, ...]
    delivery: Standing
    surplus: Decimal  # paid beyond the price of the contract

    @property
    def standings(self) -> tuple[Standing, ...]:
        return (*self.payments, self.delivery)

    @property
    def prepaid_on(self) -> dt.date | None:
        return self.events[Trigger.PREPAYMENT]

    @property
    def paid(self) -> Decimal:
        return sum((s.done for s in self.payments), ZERO) + self.surplus

    @property
    def overdue(self) -> bool:
        return any(s.overdue for s in self.standings)

    def next_due(self) -> Standing | None:
        """The open obligation due soonest (one whose due date is known)."""
        known = [s for s in self.standings if s.is_open and s.due is not None]
        return min(known, key=lambda s: (s.due, s.term.kind != ObligationKind.PAYMENT), default=None)


def position(contract: Contract, *, signed_on: dt.date, events: Iterable[Event], calendar: WorkCalendar,
             today: dt.date) -> Position:
    """The position of a deal signed on `signed_on`, with `events`, counted through `today`."""
    standing = [e for e in effective(events) if e.day <= today]
    paid, surplus = _allocate(contract.payments, [e for e in standing if e.kind is EventKind.PAYMENT])
    delivered = [Settlement(e.day, e.amount or ZERO) for e in standing if e.kind is EventKind.DELIVERY]
    readiness = [e.day for e in standing if e.kind is EventKind.READINESS]
    dates: dict[Trigger, dt.date | None] = {
        Trigger.SIGNING: signed_on,
        Trigger.PREPAYMENT: _prepaid_on(contract, paid, signed_on=signed_on),
        Trigger.READINESS: min(readiness, default=None),
        Trigger.DELIVERY: _settled_on(contract.delivery.amount, delivered),
    }
    payments = tuple(_standing(t, paid[t.number], dates=dates, calendar=calendar, today=today)
                     for t in contract.payments)
    delivery = _standing(contract.delivery, delivered, dates=dates, calendar=calendar, today=today)
    return Position(contract=contract, today=today, events=dates, payments=payments, delivery=delivery,
                    surplus=surplus)


def _allocate(terms: tuple[Term, ...], payments: list[Event]) -> tuple[dict[int, list[Settlement]], Decimal]:
    """Each payment fills the schedule in order; what is left over after the last payment is surplus."""
    owed = {t.number: t.amount for t in terms}
    parts: dict[int, list[Settlement]] = {t.number: [] for t in terms}
    surplus = ZERO
    for event in payments:
        left = event.amount or ZERO
        for term in terms:
            if left <= 0:
                break
            part = min(left, owed[term.number])
            if part > 0:
                parts[term.number].append(Settlement(event.day, part))
                owed[term.number] -= part
                left -= part
        surplus += left
    return parts, surplus


def _settled_on(amount: Decimal, settled: list[Settlement]) -> dt.date | None:
    """The day the running total of `settled` reached `amount`."""
    running = ZERO
    for item in sorted(settled, key=lambda s: s.day):
        running += item.amount
        if running >= amount:
            return item.day
    return None


def _prepaid_on(contract: Contract, paid: dict[int, list[Settlement]], *, signed_on: dt.date) -> dt.date | None:
    """The day every payment due before production was in full; the signing day when there is none."""
    first = [t for t in contract.payments if t.before_production]
    if not first:
        return signed_on
    days = [_settled_on(t.amount, paid[t.number]) for t in first]
    return None if None in days else max(d for d in days if d is not None)


def _standing(term: Term, settled: list[Settlement], *, dates: dict[Trigger, dt.date | None],
              calendar: WorkCalendar, today: dt.date) -> Standing:
    event = dates[term.after]
    due = calendar.add_workdays(event, term.days) if event is not None else None
    penalty = accrue(amount=term.amount, due=due, settled=settled, rate=term.penalty_rate, cap=term.penalty_cap,
                     today=today)
    return Standing(term=term, due=due, settled=tuple(settled), settled_on=_settled_on(term.amount, settled),
                    penalty=penalty, today=today)
