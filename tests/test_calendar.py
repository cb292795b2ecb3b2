"""The production calendar: the 2026 and 2027 decrees' hard cases, local changes, unknown years."""

from __future__ import annotations

import datetime as dt

import pytest

from docgen.calendar import WorkCalendar
from docgen.settings import load_settings

D = dt.date
CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 1, 8), False),   # New Year holidays
        (D(2026, 1, 9), False),   # Friday, a day off transferred from Saturday 3 January
        (D(2026, 1, 12), True),   # the first working day of 2026
        (D(2026, 2, 23), False),  # Defender of the Fatherland Day, a Monday
        (D(2026, 3, 9), False),   # 8 March falls on a Sunday: Monday is off
        (D(2026, 5, 11), False),  # 9 May falls on a Saturday: Monday is off
        (D(2026, 11, 4), False),  # Unity Day
        (D(2026, 12, 31), False), # Thursday, a day off transferred from Sunday 4 January
        (D(2026, 12, 30), True),
        (D(2027, 2, 20), True),   # a working Saturday of the 2027 decree
        (D(2027, 2, 22), False),  # ...and the Monday it moved the day off to
        (D(2026, 11, 28), False), # an ordinary Saturday
    ],
)
def test_the_decrees_days(day, working):
    assert CAL.is_workday(day) is working


def test_a_term_across_the_new_year_holidays():
    # Tuesday 29 December 2026 + 2 working days: Wednesday the 30th, then nothing until Monday 11 January.
    assert CAL.add_workdays(D(2026, 12, 29), 2) == D(2027, 1, 11)
    assert CAL.workdays_between(D(2026, 12, 29), D(2027, 1, 11)) == 2


def test_a_term_over_a_working_saturday():
    # Friday 19 February 2027 + 1: the working Saturday; + 2: Tuesday 23rd is a holiday, Monday 22nd too.
    assert CAL.add_workdays(D(2027, 2, 19), 1) == D(2027, 2, 20)
    assert CAL.add_workdays(D(2027, 2, 19), 2) == D(2027, 2, 24)


def test_a_term_counts_from_the_day_after_the_event():
    # Civil Code art. 191: the event's own day does not count, even when it is a working day.
    assert CAL.add_workdays(D(2026, 11, 27), 1) == D(2026, 11, 30)
    assert CAL.add_workdays(D(2026, 11, 27), 0) == D(2026, 11, 27)
    assert CAL.add_workdays(D(2026, 11, 28), 0) == D(2026, 11, 30)


def test_local_changes_from_the_settings(tmp_path):
    (tmp_path / "docgen.toml").write_text(
        "[calendar]\nextra_holidays = [2026-12-30]\nextra_workdays = [2026-11-28]\nconfirmed_years = [2028]\n",
        encoding="utf-8")
    cal = WorkCalendar.from_settings(load_settings(tmp_path, {}).calendar)
    assert not cal.is_workday(D(2026, 12, 30))
    assert cal.is_workday(D(2026, 11, 28))
    assert cal.add_workdays(D(2026, 12, 29), 1) == D(2027, 1, 11)
    assert cal.known(2028)


def test_a_year_without_a_decree_is_unknown_not_guessed():
    far = D(2040, 6, 1)
    assert not CAL.known(far.year)
    assert CAL.unknown_years([D(2026, 5, 1), far]) == [2040]
    assert CAL.known(2026) and CAL.known(2027)
