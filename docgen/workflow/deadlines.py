"""Stage deadlines on the working calendar, and which reminders are due when (pure: the clock is passed in).

A stage's deadline is the end of the N-th working day after the day the draft arrived (`[deadlines]`).
From the first working day after it the holder gets a reminder each working day at `remind_at`; once
more than `escalate_after` working days are overdue, the division director is told once (for the
director's own stage, `[people].escalation`). When the holder of a waiting deal changes (a deputy
takes over, the owner comes back), the new holder is told once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr

from docgen.calendar import ONE_DAY, WorkCalendar
from docgen.mail.notice import NoticeKind
from docgen.settings import Settings
from docgen.store import DealRow
from docgen.workflow.people import Holder, holder
from docgen.workflow.route import Route
from docgen.workflow.stages import holds
from docgen.workspace import Role


@dataclass(frozen=True)
class Timing:
    """Where a deal stands against its stage's deadline."""

    since: dt.datetime | None
    due: dt.date | None
    overdue: bool = False
    days_overdue: int = 0  # working days after the deadline, today included


@dataclass(frozen=True)
class Waiting:
    """A deal someone holds: its row, its route and since when it is in its stage."""

    row: DealRow
    route: Route
    since: dt.datetime

    @property
    def role(self) -> str:
        return self.row.stage


@dataclass(frozen=True)
class Letter:
    """One letter due: a reminder, an escalation or a word to a new holder."""

    kind: NoticeKind
    item: Waiting
    event: str  # unique within the deal's version: the outbox never records it twice
    to: str  # the owner's address: the notice puts the deputy in an absent owner's place
    timing: Timing
    context: dict[str, object] = field(default_factory=dict)


def parse_since(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def in_zone_of(moment: dt.datetime, like: dt.datetime) -> dt.datetime:
    """`moment` on the clock of `like` (a naive one is taken to be on it already)."""
    if moment.tzinfo is None or like.tzinfo is None:
        return moment.replace(tzinfo=like.tzinfo)
    return moment.astimezone(like.tzinfo)


@dataclass(frozen=True)
class Deadlines:
    """The deadline rules of one workspace: its settings and its working calendar."""

    settings: Settings
    calendar: WorkCalendar
    _dues: dict[tuple[str, dt.date], dt.date] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Deadlines:
        return cls(settings, WorkCalendar.from_settings(settings.calendar))

    def due(self, role: str, since: dt.datetime) -> dt.date:
        """The last day of `role`'s stage entered at `since`."""
        key = (role, since.date())
        if key not in self._dues:  # the service asks the same again at every check
            self._dues[key] = self.calendar.add_workdays(since.date(), self.settings.deadlines.days(role))
        return self._dues[key]

    def timing(self, stage: str, since: dt.datetime | None, *, now: dt.datetime) -> Timing:
        if since is None or not holds(stage):
            return Timing(since, None)
        due = self.due(stage, in_zone_of(since, now))
        today = now.date()
        return Timing(since, due, today > due, self.calendar.workdays_between(due, today))

    def slot(self, day: dt.date, *, now: dt.datetime) -> dt.datetime:
        """The moment of `day` when reminders go out."""
        return dt.datetime.combine(day, self.settings.deadlines.remind_at, tzinfo=now.tzinfo)

    def escalates(self, timing: Timing) -> bool:
        return timing.days_overdue > self.settings.deadlines.escalate_after

    def letters_due(self, items: Sequence[Waiting], *, now: dt.datetime) -> list[Letter]:
        """Every letter due at `now`: none on a day off or before the day's slot."""
        today = now.date()
        if not self.calendar.is_workday(today) or now < self.slot(today, now=now):
            return []
        return [letter for item in items for letter in self._letters(item, now=now)]

    def _letters(self, item: Waiting, *, now: dt.datetime) -> Iterator[Letter]:
        today, role, division = now.date(), item.role, item.row.division
        timing = self.timing(role, item.since, now=now)
        current = holder(self.settings, role, division=division, day=today)
        told = holder(self.settings, role, division=division, day=in_zone_of(item.since, now).date())
        if current.address != told.address:
            yield Letter(NoticeKind.ABSENCE, item, f"holder/{role}/{_email_key(current)}", current.owner, timing,
                         {"stood_in_for": current.for_person, "before": told.person})
        if not timing.overdue:
            return
        yield Letter(NoticeKind.REMINDER, item, f"remind/{role}/{today.isoformat()}", current.owner, timing)
        boss = self.escalation_address(role, division=division)
        if self.escalates(timing) and boss:
            yield Letter(NoticeKind.ESCALATION, item, f"escalate/{role}", boss, timing, {"holder": current.person})

    def escalation_address(self, role: str, *, division: str) -> str:
        """Who hears of an overdue stage: the division's director; for the director's stage, [people].escalation."""
        if role == Role.DIRECTOR:
            return self.settings.people.escalation
        return self.settings.divisions[division].director

    def next_due(self, items: Sequence[Waiting], *, now: dt.datetime) -> dt.datetime | None:
        """The first moment after `now` a letter may come due, None when nobody holds a deal."""
        if not items:
            return None
        days = {self._first_reminder_day(item, now=now) for item in items}
        for absence in self.settings.absences:
            days |= {absence.start, absence.end + ONE_DAY}
        moments = [self.slot_after(day, now=now) for day in days]
        return min(m for m in moments if m is not None) if any(moments) else None

    def _first_reminder_day(self, item: Waiting, *, now: dt.datetime) -> dt.date:
        timing = self.timing(item.role, item.since, now=now)
        assert timing.due is not None
        return max(timing.due + ONE_DAY, now.date())

    def slot_after(self, day: dt.date, *, now: dt.datetime) -> dt.datetime | None:
        """The first slot on a working day from `day` on that is after `now`; None for a day already past."""
        if day < now.date():
            return None
        day = self.calendar.next_workday(day)
        if self.slot(day, now=now) <= now:
            day = self.calendar.next_workday(day + ONE_DAY)
        return self.slot(day, now=now)


def _email_key(holder_: Holder) -> str:
    return parseaddr(holder_.address)[1].lower() or holder_.address
