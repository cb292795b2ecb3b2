"""Every known due date as an iCalendar file people subscribe to in Outlook (pure: entries in, bytes out).

Each entry keeps one UID across exports (the deal and the obligation, or the deal, stage and version),
so a subscribed calendar moves an entry when its date moves instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import icalendar

from docgen.form.money import format_money
from docgen.obligations.position import Position
from docgen.obligations.terms import ObligationKind

PRODID = "-//docgen//Сроки договоров//RU"
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Entry:
    uid: str
    day: dt.date
    summary: str
    description: str


def obligation_entries(p: Position, *, client: str) -> list[Entry]:
    """One entry per obligation whose due date is known; settled ones say so."""
    out = []
    number = p.contract.number
    for s in p.standings:
        if s.due is None:
            continue
        verb = "Поставка" if s.term.kind is ObligationKind.DELIVERY else f"Оплата {s.term.number}"
        state = " (исполнено)" if not s.is_open else (" — ПРОСРОЧЕНО" if s.overdue else "")
        out.append(Entry(
            uid=f"{number}-{s.term.key}@docgen", day=s.due,
            summary=f"{verb}: договор {number}, {client}{state}",
            description=(f"{s.term.title}: {format_money(s.term.amount)} руб.; исполнено на "
                         f"{format_money(s.done)} руб., осталось {format_money(s.outstanding)} руб."
                         + (f" Пеня на сегодня: {format_money(s.penalty.total)} руб." if s.penalty.total else ""))))
    return out


def stage_entries(item: Mapping[str, Any]) -> list[Entry]:
    """The deadline of the stage a deal is at, when status gives one (`due`, the stage deadlines' field)."""
    due, stage = item.get("due"), item.get("stage")
    if not due or not stage:
        return []
    title = item.get("stage_title") or stage
    return [Entry(uid=f"{item['deal']}-stage-{stage}-v{item.get('version', 1)}@docgen",
                  day=dt.date.fromisoformat(str(due)[:10]),
                  summary=f"Срок этапа «{title}»: договор {item['deal']}, {item.get('buyer', '')}",
                  description=f"Сделка {item['deal']} сейчас {title}.")]


def calendar_ics(entries: Iterable[Entry], *, now: dt.datetime, name: str = "Сроки договоров") -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")  # how often a subscribed Outlook looks again
    stamp = now.astimezone(dt.UTC)
    for entry in sorted(entries, key=lambda e: (e.day, e.uid)):
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + ONE_DAY)
        event.add("summary", entry.summary)
        event.add("description", entry.description)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
