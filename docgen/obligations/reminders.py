"""Which notices an open obligation is due on a day: soon before its due date, on it, once missed (pure).

Notices go out on working days only. Each has a key naming the deal, the obligation, the stage and
the due date, so it is sent once — and again only if the due date itself moves (a corrected event).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from docgen.calendar import WorkCalendar
from docgen.obligations.position import Position, Standing


class ReminderStage(StrEnum):
    SOON = "soon"      # within `remind_days_before` working days of the due date
    DUE = "due"        # the due date itself
    MISSED = "missed"  # the due date passed and it is still open


@dataclass(frozen=True)
class Reminder:
    key: str
    stage: ReminderStage
    standing: Standing

    @property
    def due(self) -> dt.date:
        assert self.standing.due is not None
        return self.standing.due


def stage_on(s: Standing, *, today: dt.date, calendar: WorkCalendar, days_before: int) -> ReminderStage | None:
    if not s.is_open or s.due is None or not calendar.is_workday(today):
        return None
    if today > s.due:
        return ReminderStage.MISSED
    if today == s.due:
        return ReminderStage.DUE
    if calendar.workdays_between(today, s.due) <= days_before:
        return ReminderStage.SOON
    return None


def reminders(p: Position, *, today: dt.date, calendar: WorkCalendar, days_before: int) -> list[Reminder]:
    out = []
    for s in p.standings:
        stage = stage_on(s, today=today, calendar=calendar, days_before=days_before)
        if stage is not None:
            assert s.due is not None
            out.append(Reminder(f"{p.contract.number}/{s.term.key}/{stage}/{s.due.isoformat()}", stage, s))
    return out
