"""The obligations' tables in the store: events, signing dates, notices told; and positions built from them.

Works inside the caller's transaction (the store's connection), like the rest of the store.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from docgen.calendar import WorkCalendar
from docgen.form.deal import thaw
from docgen.obligations.events import Event, EventKind
from docgen.obligations.position import Position, position
from docgen.obligations.terms import Contract, contract_of
from docgen.store import DealRow, Store
from docgen.workspace import Stage


@dataclass(frozen=True)
class Recorded:
    """An event as the store holds it: with who recorded it, when and from where."""

    event: Event
    deal: str
    comment: str
    actor: str
    source: str
    recorded_at: str


def add_event(store: Store, *, deal: str, kind: EventKind, day: dt.date, amount: Decimal | None = None,
              doc: str = "", reverses: int | None = None, comment: str = "", actor: str, source: str,
              at: dt.datetime) -> int:
    cur = store.conn.execute(
        "INSERT INTO obligation_events(deal, kind, day, amount, doc, reverses, comment, actor, source, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (deal, str(kind), day.isoformat(), None if amount is None else f"{amount:f}", doc, reverses, comment,
         actor, source, at.isoformat(timespec="seconds")))
    return int(cur.lastrowid)


def recorded(store: Store, deal: str) -> list[Recorded]:
    """Every event of `deal`, corrections included, in the order recorded."""
    rows = store.conn.execute("SELECT * FROM obligation_events WHERE deal = ? ORDER BY id", (deal,)).fetchall()
    return [Recorded(_event(r), r["deal"], r["comment"], r["actor"], r["source"], r["recorded_at"]) for r in rows]


def events_by_deal(store: Store, deals: Iterable[str] | None = None) -> dict[str, list[Event]]:
    if deals is None:
        rows = store.conn.execute("SELECT * FROM obligation_events ORDER BY id").fetchall()
    else:
        wanted = list(deals)
        marks = ", ".join("?" * len(wanted))
        rows = store.conn.execute(f"SELECT * FROM obligation_events WHERE deal IN ({marks}) ORDER BY id",
                                  wanted).fetchall() if wanted else []
    out: dict[str, list[Event]] = {}
    for row in rows:
        out.setdefault(row["deal"], []).append(_event(row))
    return out


def _event(row) -> Event:
    return Event(id=row["id"], kind=EventKind(row["kind"]), day=dt.date.fromisoformat(row["day"]),
                 amount=Decimal(row["amount"]) if row["amount"] is not None else None, doc=row["doc"],
                 reverses=row["reverses"])


def signing_days(store: Store, deals: Iterable[str] | None = None) -> dict[str, dt.date]:
    """The day of the director's decision that signed each deal (the latest approval by the director)."""
    query = "SELECT deal, at FROM journal WHERE role = 'director' AND action = 'approved'"
    if deals is None:
        rows = store.conn.execute(query + " ORDER BY id").fetchall()
    else:
        wanted = list(deals)
        rows = store.conn.execute(f"{query} AND deal IN ({', '.join('?' * len(wanted))}) ORDER BY id",
                                  wanted).fetchall() if wanted else []
    return {deal: dt.datetime.fromisoformat(at).date() for deal, at in rows}


def position_of(store: Store, row: DealRow, *, calendar: WorkCalendar, today: dt.date) -> Position | None:
    """The position of one deal; None while it is not signed."""
    return positions(store, [row], calendar=calendar, today=today).get(row.number)


def positions(store: Store, rows: Iterable[DealRow], *, calendar: WorkCalendar,
              today: dt.date) -> dict[str, Position]:
    """The positions of the signed deals among `rows`, reading the store twice whatever their number."""
    signed = [r for r in rows if r.stage == Stage.SIGNED]
    if not signed:
        return {}
    numbers = [r.number for r in signed] if len(signed) < 500 else None
    events = events_by_deal(store, numbers)
    days = signing_days(store, numbers)
    out = {}
    for row in signed:
        signed_on = days.get(row.number) or dt.date.fromisoformat(row.contract_date)
        contract = _contract(row.number, row.form_json, row.contract_date)
        out[row.number] = position(contract, signed_on=signed_on, events=events.get(row.number, []),
                                   calendar=calendar, today=today)
    return out


@functools.lru_cache(maxsize=20_000)
def _contract(number: str, form_json: str, contract_date: str) -> Contract:
    """A signed deal's terms: its stored form never changes once signed, so each is read (and checked) once.
    (A form without a date of its own takes the deal's: the day it was signed.)"""
    return contract_of(thaw(form_json, contract_date=dt.date.fromisoformat(contract_date), signed=True),
                       number=number)


def told(store: Store, key: str) -> bool:
    return store.conn.execute("SELECT 1 FROM obligation_notices WHERE key = ?", (key,)).fetchone() is not None


def mark_told(store: Store, *, key: str, deal: str, obligation: str, stage: str, due: dt.date | None,
              at: dt.datetime) -> None:
    store.conn.execute("INSERT OR IGNORE INTO obligation_notices(key, deal, obligation, stage, due, at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (key, deal, obligation, stage, due.isoformat() if due else None,
                        at.isoformat(timespec="seconds")))
