"""The penalty of one late obligation, period by period (pure).

A term given in days ends at the end of its due date; the delay runs from the day after it through
the day the money (or the goods) actually arrive, both included, or through today while they have not
(Supreme Court plenary resolution No. 7 of 24.03.2016, p. 65). Each period of an unchanged overdue sum
accrues `sum × rate % × days`, rounded to kopecks; a partial settlement counts on its own day with the
sum owed that morning and reduces the sum from the next day. The total is capped at `cap %` of the sum
overdue on the first day of delay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from docgen.form.money import kopecks

ONE_DAY = dt.timedelta(days=1)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Settlement:
    """A part of an obligation settled on a day: money received, or goods delivered by their price."""

    day: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Period:
    """A row of the calculation: `owed` was overdue every day from `first` to `last`, both included."""

    first: dt.date
    last: dt.date
    owed: Decimal
    rate: Decimal
    amount: Decimal

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Penalty:
    periods: tuple[Period, ...]
    accrued: Decimal      # the sum of the periods
    cap: Decimal          # cap % of the sum overdue on the first day of delay
    total: Decimal        # min(accrued, cap)
    overdue_days: int     # days of delay so far: through the day of settlement, or through today

    @property
    def capped(self) -> bool:
        return self.accrued > self.cap


NONE = Penalty(periods=(), accrued=ZERO, cap=ZERO, total=ZERO, overdue_days=0)


def accrue(*, amount: Decimal, due: dt.date | None, settled: Iterable[Settlement], rate: Decimal,
           cap: Decimal, today: dt.date) -> Penalty:
    """The penalty on `amount` due on `due`, with `settled` reducing it, counted through `today`."""
    if due is None or today <= due:
        return NONE
    settled = sorted(settled, key=lambda s: s.day)
    owed = amount - sum((s.amount for s in settled if s.day <= due), ZERO)
    if owed <= 0:
        return NONE
    periods, first, last = _periods(owed, due=due, later=[s for s in settled if s.day > due], rate=rate,
                                    today=today)
    accrued = sum((p.amount for p in periods), ZERO)
    limit = kopecks(owed * cap / 100)
    return Penalty(periods=tuple(periods), accrued=accrued, cap=limit, total=min(accrued, limit),
                   overdue_days=(last - due).days)


def _periods(owed: Decimal, *, due: dt.date, later: list[Settlement], rate: Decimal,
             today: dt.date) -> tuple[list[Period], dt.date, dt.date]:
    """The periods of an unchanged overdue sum, and the first and last day of the delay."""
    periods: list[Period] = []
    first = start = due + ONE_DAY
    last = today
    for settlement in later:
        if settlement.day > today or owed <= 0:
            break
        if settlement.day >= start:
            periods.append(_period(start, settlement.day, owed=owed, rate=rate))
            start = settlement.day + ONE_DAY
        owed -= settlement.amount
        last = settlement.day
    if owed > 0:
        if start <= today:
            periods.append(_period(start, today, owed=owed, rate=rate))
        last = today
    return periods, first, last


def _period(first: dt.date, last: dt.date, *, owed: Decimal, rate: Decimal) -> Period:
    days = (last - first).days + 1
    return Period(first=first, last=last, owed=owed, rate=rate, amount=kopecks(owed * rate / 100 * days))
