"""What status, the register and the web board show of a deal's obligations (pure, JSON-ready)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docgen.form.money import format_money
from docgen.obligations.position import Position, Standing
from docgen.obligations.terms import WAITS_FOR_TITLES, ObligationKind

LIABLE = {ObligationKind.PAYMENT: "buyer", ObligationKind.DELIVERY: "seller"}


def obligation_item(s: Standing) -> dict[str, Any]:
    """One obligation: at least kind, number, amount, due, paid, overdue_days, penalty.

    For the delivery, `paid` is the price of what was delivered (also given as `delivered`).
    """
    term, penalty = s.term, s.penalty
    item = {
        "kind": str(term.kind), "number": term.number, "title": term.title, "amount": f"{term.amount:f}",
        "after": str(term.after), "days": term.days, "day_kind": "banking" if term.banking_days else "working",
        "due": _iso(s.due), "waits_for": str(s.waits_for) if s.waits_for else None,
        "waits_for_title": WAITS_FOR_TITLES[s.waits_for] if s.waits_for else None,
        "paid": f"{s.done:f}", "outstanding": f"{s.outstanding:f}", "settled_on": _iso(s.settled_on),
        "overdue": s.overdue, "overdue_amount": f"{s.overdue_amount:f}", "overdue_days": penalty.overdue_days,
        "penalty": f"{penalty.total:f}", "penalty_capped": penalty.capped, "liable": LIABLE[term.kind],
    }
    if term.kind is ObligationKind.DELIVERY:
        item["delivered"] = item["paid"]
    return item


def obligations_json(p: Position) -> list[dict[str, Any]]:
    return [obligation_item(s) for s in p.standings]


def deal_summary(p: Position) -> dict[str, Any]:
    """The deal-level figures: paid, overdue, the penalties each side owes, the next due date."""
    upcoming = p.next_due()
    return {
        "paid": f"{p.paid:f}",
        "overdue_amount": f"{sum(s.overdue_amount for s in p.payments):f}",
        "buyer_penalty": f"{sum(s.penalty.total for s in p.payments):f}",
        "seller_penalty": f"{p.delivery.penalty.total:f}",
        "obligations_overdue": p.overdue,
        "next_due": _iso(upcoming.due) if upcoming else None,
        "next_due_title": upcoming.term.title if upcoming else None,
        "prepaid_on": _iso(p.prepaid_on),
    }


def overdue_note(p: Position) -> str:
    """«оплата 1 просрочена на 6 дн., пеня 3 643,16» — for the status table; '' when nothing is late."""
    notes = []
    for s in p.standings:
        if s.overdue:
            what = "поставка" if s.term.kind is ObligationKind.DELIVERY else f"платёж {s.term.number}"
            notes.append(f"{what}: просрочка {s.penalty.overdue_days} дн., пеня {format_money(s.penalty.total)}")
    return "; ".join(notes)


def waiting_note(p: Position) -> str:
    """What the next unknown due date waits for: «срок ждёт поставки»."""
    waiting = [s for s in p.standings if s.is_open and s.waits_for is not None]
    return f"срок ждёт {WAITS_FOR_TITLES[waiting[0].waits_for]}" if waiting else ""


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
