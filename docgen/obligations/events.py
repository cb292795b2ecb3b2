"""What happened after signing: payments, readiness, deliveries, and corrections that reverse a wrong one (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class EventKind(StrEnum):
    PAYMENT = "payment"        # money received from the buyer (amount)
    READINESS = "readiness"    # the goods are ready (the buyer notified)
    DELIVERY = "delivery"      # goods delivered, by the price of what was delivered (amount)
    CORRECTION = "correction"  # reverses the event `reverses`; nothing is ever deleted


EVENT_TITLES = {
    EventKind.PAYMENT: "оплата",
    EventKind.READINESS: "готовность",
    EventKind.DELIVERY: "поставка",
    EventKind.CORRECTION: "исправление",
}

# Journal actions of this room, with their Russian names for status and the web board.
ACTION_TITLES = {
    "payment_recorded": "записана оплата",
    "readiness_recorded": "записана готовность",
    "delivery_recorded": "записана поставка",
    "event_corrected": "запись отменена исправлением",
    "payment_matched": "оплата сверена с выпиской",
    "statement_taken": "принята банковская выписка",
    "statement_rejected": "банковская выписка не принята",
    "production_may_start": "оплата до производства поступила",
    "claim_drafted": "подготовлена претензия",
}


@dataclass(frozen=True)
class Event:
    id: int
    kind: EventKind
    day: dt.date
    amount: Decimal | None = None
    doc: str = ""
    reverses: int | None = None


def effective(events: Iterable[Event]) -> list[Event]:
    """The events that stand, oldest first: corrections and the events they reverse are left out."""
    events = list(events)
    reversed_ids = {e.reverses for e in events if e.kind is EventKind.CORRECTION}
    standing = [e for e in events if e.kind is not EventKind.CORRECTION and e.id not in reversed_ids]
    return sorted(standing, key=lambda e: (e.day, e.id))
