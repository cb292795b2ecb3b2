"""The Russian production calendar: working days for stage deadlines, payment and delivery terms.

One calendar serves the whole project. It is the `holidays` package's Russian calendar (public
holidays of Labour Code art. 112 and the government's yearly transfers of days off, working
Saturdays included), plus the workspace's own `[calendar] extra_holidays` / `extra_workdays`.

A year the package has no decree for is not silently counted as Monday to Friday: `known(year)`
says so, `unknown_years` lists such years for `docgen doctor` and the log, and the administrator
confirms a year by `[calendar] confirmed_years` after entering its transfers by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import holidays
from holidays.countries.russia import RussiaStaticHolidays

ONE_DAY = dt.timedelta(days=1)


@functools.cache
def decree_years() -> frozenset[int]:
    """Years whose transfers of days off the installed `holidays` package carries."""
    years = set(RussiaStaticHolidays.special_public_holidays)
    years |= set(getattr(RussiaStaticHolidays, "substituted_holidays", {}) or {})
    return frozenset(years)


def last_decree_year() -> int:
    return max(decree_years())


@functools.lru_cache(maxsize=64)
def _official(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off that would otherwise be working days, working Saturdays/Sundays) of one year."""
    calendar = holidays.RU(years=year)
    days_off = frozenset(d for d in calendar if d.weekday() < 5)
    working_weekends = frozenset(getattr(calendar, "weekend_workdays", ()) or ())
    return days_off, working_weekends


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday to Friday, minus holidays and transferred days off, plus working weekends.

    Pure: no clock, no IO. `extra_holidays` and `extra_workdays` override the official calendar.
    """

    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    confirmed_years: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, calendar_settings: object) -> WorkCalendar:
        """From `[calendar]` of docgen.toml (any object with the three attributes)."""
        return cls(
            extra_holidays=frozenset(getattr(calendar_settings, "extra_holidays", ()) or ()),
            extra_workdays=frozenset(getattr(calendar_settings, "extra_workdays", ()) or ()),
            confirmed_years=frozenset(getattr(calendar_settings, "confirmed_years", ()) or ()),
        )

    def known(self, year: int) -> bool:
        """Whether the days off of `year` are known: by a decree the package carries, or confirmed locally."""
        return year in self.confirmed_years or year <= last_decree_year()

    def unknown_years(self, days: Iterable[dt.date]) -> list[int]:
        """The years among `days` whose calendar is not known (for a warning, never a silent guess)."""
        return sorted({d.year for d in days if not self.known(d.year)})

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        days_off, working_weekends = _official(day.year)
        if day.weekday() >= 5:
            return day in working_weekends
        return day not in days_off

    def next_workday(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it (Civil Code art. 193)."""
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def add_workdays(self, event: dt.date, count: int) -> dt.date:
        """The `count`-th working day after the day of `event` (the term starts the next day, art. 191).

        A term of 0 days ends on the event's day when that is a working day, else on the next one.
        """
        if count < 0:
            raise ValueError("a term cannot be negative")
        if count == 0:
            return self.next_workday(event)
        day = event
        left = count
        while left:
            day += ONE_DAY
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`; 0 when `end` is not after `start`."""
        return sum(1 for _ in self.workdays(start + ONE_DAY, end))

    def workdays(self, first: dt.date, last: dt.date) -> Iterator[dt.date]:
        """Every working day from `first` to `last`, both included."""
        day = first
        while day <= last:
            if self.is_workday(day):
                yield day
            day += ONE_DAY
