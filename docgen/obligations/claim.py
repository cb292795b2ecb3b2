"""What the claim letter (претензия) says: the missed payments, the penalty period by period, the totals (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docgen.calendar import WorkCalendar
from docgen.form.deal import Deal
from docgen.form.money import money_words
from docgen.obligations.penalty import ZERO
from docgen.obligations.position import Position, Standing
from docgen.render.clauses import Clause
from docgen.render.context import Record, contract_context
from docgen.settings import Settings


def claimed(p: Position) -> list[Standing]:
    """The buyer's payments to claim: overdue now, or paid late with a penalty accrued."""
    return [s for s in p.payments if s.overdue or s.penalty.total > 0]


def claim_context(deal: Deal, p: Position, *, settings: Settings, number: str, version: int,
                  calendar: WorkCalendar, clause: Clause | None = None) -> dict[str, Any]:
    """The contract's context plus `claim`: every name claim.docx may use.

    `clause` is the signed contract's claims clause (found by its bookmark): the claim cites its number
    and gives the buyer the term it sets; without it, `[obligations] claim_answer_days` working days."""
    context = contract_context(deal, settings=settings, number=number, version=version)
    items = [_item(s) for s in claimed(p)]
    debt = sum((s.overdue_amount for s in claimed(p)), ZERO)
    penalty = sum((s.penalty.total for s in claimed(p)), ZERO)
    days, kind = settings.obligations.claim_answer_days, "рабочих"
    if clause is not None and clause.days:
        days, kind = clause.days, clause.day_kind or kind
    answer_by = p.today + dt.timedelta(days=days) if kind == "календарных" else calendar.add_workdays(p.today, days)
    context["claim"] = Record(
        date=p.today, items=items, periods=[row for item in items for row in item.periods],
        debt=debt, debt_words=money_words(debt), penalty=penalty, penalty_words=money_words(penalty),
        total=debt + penalty, total_words=money_words(debt + penalty), capped=any(i.capped for i in items),
        clause=clause.number if clause is not None and clause.number else None,
        answer_days=days, answer_kind=kind, answer_by=answer_by)
    return context


def _item(s: Standing) -> Record:
    penalty = s.penalty
    periods = [Record(payment=s.term.number, first=r.first, last=r.last, days=r.days, owed=r.owed, rate=r.rate,
                      amount=r.amount) for r in penalty.periods]
    return Record(
        number=s.term.number, title=s.term.title, amount=s.term.amount, due=s.due, paid=s.done,
        outstanding=s.outstanding, debt=s.overdue_amount, settled_on=s.settled_on if not s.is_open else None,
        overdue_days=penalty.overdue_days, rate=s.term.penalty_rate, cap_percent=s.term.penalty_cap,
        accrued=penalty.accrued, cap=penalty.cap, penalty=penalty.total, capped=penalty.capped, periods=periods)



def sample_context(deal: Deal, *, settings: Settings, number: str) -> dict[str, Any]:
    """A claim as `docgen templates check` renders it: signed on 29.12.2026, half the first payment paid
    late, the penalty counted to 25.01.2027 (a late, a partial and an unpaid payment all show)."""
    from docgen.obligations.events import Event, EventKind
    from docgen.obligations.position import position
    from docgen.obligations.terms import contract_of

    calendar = WorkCalendar.from_settings(settings.calendar)
    contract = contract_of(deal, number=number)
    half = (contract.payments[0].amount / 2).quantize(ZERO)
    events = [Event(1, EventKind.PAYMENT, dt.date(2027, 1, 18), half)]
    p = position(contract, signed_on=dt.date(2026, 12, 29), events=events, calendar=calendar,
                 today=dt.date(2027, 1, 25))
    clause = Clause("10.2", "Сторона, получившая претензию, …", 10, "рабочих")
    return claim_context(deal, p, settings=settings, number=number, version=1, calendar=calendar, clause=clause)
