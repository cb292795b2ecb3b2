"""Stage deadlines on the production calendar: reminders once per working day, escalation, restarts."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest

from conftest import ManualClock
from deadline_kit import HOUR, MSK, Recorder, accept, at, letters, reminder_days, walk, workflow
from service_kit import make_workspace
from docgen.calendar import WorkCalendar
from docgen.mail.notice import NoticeKind
from docgen.service import run_service, service_log
from docgen.settings import load_settings
from docgen.workflow.deadlines import Deadlines
from docgen.workflow.stages import Decision

D = dt.date


@pytest.mark.parametrize(
    ("role", "since", "due"),
    [
        ("lawyer", D(2026, 12, 29), D(2027, 1, 11)),  # 30 Dec, then the New Year holidays, then Monday 11 Jan
        ("finance", D(2026, 12, 30), D(2027, 1, 11)),  # Thursday 31 Dec 2026 is a day off by transfer
        ("finance", D(2027, 11, 3), D(2027, 11, 8)),  # 4 Nov a holiday, Friday 5 Nov off by transfer
        ("finance", D(2027, 2, 19), D(2027, 2, 20)),  # Saturday 20 Feb 2027 is a working day
        ("lawyer", D(2027, 2, 19), D(2027, 2, 24)),  # ...then 21 Sun, 22 transferred, 23 holiday: Wed 24
        ("director", D(2026, 11, 27), D(2026, 11, 30)),  # a Friday's draft: due Monday
        ("lawyer", D(2026, 11, 28), D(2026, 12, 1)),  # arrived on a Saturday: counted from Monday
    ],
)
def test_a_stage_is_due_at_the_end_of_its_nth_working_day(tmp_path, role, since, due):
    deadlines = Deadlines.from_settings(load_settings(tmp_path, {}))
    assert deadlines.due(role, dt.datetime.combine(since, dt.time(17, 30), tzinfo=MSK)) == due


def test_the_holidays_package_carries_the_decrees_as_references_md_gives_them():
    cal = WorkCalendar()
    days_off_2026 = [d for d in cal_days(2026) if not cal.is_workday(d) and d.weekday() < 5]
    assert days_off_2026[:7] == [D(2026, 1, n) for n in (1, 2, 5, 6, 7, 8, 9)]  # 1–8 Jan and the 9th by transfer
    assert D(2026, 12, 31) in days_off_2026  # the other transfer of 3 and 4 January
    assert [d for d in cal_days(2027) if cal.is_workday(d) and d.weekday() >= 5] == [D(2027, 2, 20)]
    assert cal.known(2026) and cal.known(2027)


def cal_days(year: int) -> list[dt.date]:
    return [D(year, 1, 1) + dt.timedelta(days=n) for n in range((D(year + 1, 1, 1) - D(year, 1, 1)).days)]


def test_a_stage_across_the_new_year_is_reminded_each_working_day_and_escalated_once(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 12, 29, 10))
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        wf.tick()
        assert wf.reminders.next_at == at(2026, 12, 30, 9)  # it looks each working day, in case others decide
        assert wf.seconds_to_next() == pytest.approx((at(2026, 12, 30, 9) - clock.now).total_seconds())
        walk(wf, clock, until=at(2026, 12, 30, 10))
        assert wf.reminders.next_at == at(2027, 1, 11, 9)  # 31 December and the holidays are slept through
        assert not letters(wf, NoticeKind.REMINDER)
        worked = walk(wf, clock, until=at(2027, 1, 18, 12))
        assert reminder_days(wf) == [D(2027, 1, n) for n in (12, 13, 14, 15, 18)]
        assert worked <= 6  # it looked once a working day (11, 12, 13, 14, 15, 18 January), not every hour
        [escalation] = letters(wf, NoticeKind.ESCALATION)
        assert escalation.event_id == f"{number}/v1/escalate/lawyer"
        assert escalation.notice.to == ("Директор Направления <director.metal@localhost>",)
        journal = [e for e in wf.svc.store.journal(number) if e["action"] == "escalated"]
        assert len(journal) == 1 and journal[0]["at"].startswith("2027-01-13T09:00")  # 2 days overdue > 1
        first = letters(wf, NoticeKind.REMINDER)[0].notice
    assert "Напоминание" in first.subject and number in first.subject
    assert first.to == ("Юрист Компании <lawyer@localhost>",)
    assert "Проект поступил: 29.12.2026 10:00" in first.body
    assert "до конца дня 11.01.2027" in first.body
    assert f"outbox/lawyer/{number} v1 Договор" in first.body


def test_no_reminder_on_a_day_off_and_one_on_the_working_saturday(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra="[deadlines]\nlawyer = 1\nescalate_after = 3\nremind_at = 08:30:00\n")
    clock = ManualClock(at(2027, 2, 17, 16))  # Wednesday: due Thursday 18 February
    with workflow(ws, clock) as wf:
        accept(ws, wf)
        walk(wf, clock, until=at(2027, 2, 25, 23), step=HOUR / 2)
        # 19 Fri, 20 the working Saturday, not 21 Sun, 22 (transferred), 23 (holiday); 24 and 25
        assert reminder_days(wf) == [D(2027, 2, n) for n in (19, 20, 24, 25)]
        assert [q.notice.event_id.rsplit("/", 1)[1] for q in letters(wf, NoticeKind.REMINDER)] == [
            "2027-02-19", "2027-02-20", "2027-02-24", "2027-02-25"]
        [escalation] = letters(wf, NoticeKind.ESCALATION)  # 4 working days overdue on the 25th > 3
        assert escalation.notice.event_id.endswith("/escalate/lawyer")
        stamps = [e["at"] for e in wf.svc.store.journal() if e["action"] == "reminded"]
        assert all(stamp[11:16] == "08:30" for stamp in stamps), stamps


def test_the_directors_own_stage_escalates_to_people_escalation(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra='[people]\nescalation = "Генеральный директор <ceo@localhost>"\n'
                                               "[deadlines]\nlawyer = 0\nfinance = 0\ndirector = 0\n"
                                               "escalate_after = 0\n")
    clock = ManualClock(at(2026, 12, 1, 10))
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        for role in ("lawyer", "finance"):
            wf.decide(number, role=role, decision=Decision.APPROVED)
        walk(wf, clock, until=at(2026, 12, 2, 12))
        [escalation] = letters(wf, NoticeKind.ESCALATION)
        assert escalation.notice.to == ("Генеральный директор <ceo@localhost>",)
        assert "этап «Директор направления»" in escalation.notice.subject
        assert [q.notice.to for q in letters(wf, NoticeKind.REMINDER)] == [
            ("Директор Направления <director.metal@localhost>",)]


def test_a_decision_stops_the_reminders_and_the_next_stage_has_its_own_deadline(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 11, 23, 11))  # Monday: the lawyer's deadline is Wednesday the 25th
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        walk(wf, clock, until=at(2026, 11, 26, 12))
        assert reminder_days(wf) == [D(2026, 11, 26)]
        wf.decide(number, role="lawyer", decision=Decision.APPROVED)
        walk(wf, clock, until=at(2026, 11, 30, 12))  # finance: due Friday the 27th, reminded Monday
        assert [q.notice.event_id.split("/", 2)[2] for q in letters(wf, NoticeKind.REMINDER)] == [
            "remind/lawyer/2026-11-26", "remind/finance/2026-11-30"]


def test_a_restart_between_a_reminder_due_and_sent_sends_it_once(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 11, 23, 11))
    with workflow(ws, clock) as wf:
        accept(ws, wf)
    clock.now = at(2026, 11, 26, 9, 30)  # due at 09:00, the service was down: it comes up at 09:30
    with workflow(ws, clock) as wf:
        wf.tick()  # recorded... and the process dies before the sender runs (nothing is sent here)
        assert [q.status for q in letters(wf, NoticeKind.REMINDER)] == ["queued"]
    recorder = Recorder()
    for _restart in range(3):  # each run of the service sends what waits and records nothing twice
        clock.advance(600)
        run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True, transport=recorder,
                    clock=clock)
    reminders = [m for m in recorder.sent if m["Subject"].startswith("Напоминание")]
    assert len(reminders) == 1
    clock.now = at(2026, 11, 27, 15)  # the next working day: the next reminder, once
    for _restart in range(2):
        run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True, transport=recorder,
                    clock=clock)
    assert len([m for m in recorder.sent if m["Subject"].startswith("Напоминание")]) == 2


def test_the_running_service_wakes_for_the_reminder_on_its_own(tmp_path):
    from service_kit import wait_for

    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(at(2026, 11, 23, 11))
    with workflow(ws, clock) as wf:
        accept(ws, wf)
    clock.now = at(2026, 11, 26, 8, 59) + dt.timedelta(seconds=59)
    recorder, stop = Recorder(), threading.Event()
    thread = threading.Thread(target=run_service, daemon=True, kwargs={
        "ws": ws, "log": service_log(ws, stderr=False), "stop": stop, "transport": recorder, "clock": clock})
    thread.start()
    try:
        wait_for(lambda: (ws.state / "docgen.log").exists() and "следит за" in (ws.state / "docgen.log").read_text(
            encoding="utf-8"), what="the service started")
        assert not [m for m in recorder.sent if m["Subject"].startswith("Напоминание")]
        clock.advance(2)  # 09:00:01 — nobody drops a file, nothing else happens
        wait_for(lambda: [m for m in recorder.sent if m["Subject"].startswith("Напоминание")], timeout=10,
                 what="the reminder")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_an_unknown_calendar_year_is_said_in_the_log(tmp_path, caplog):
    ws = make_workspace(tmp_path / "ws")
    last = max(y for y in range(2026, 2100) if WorkCalendar().known(y))
    clock = ManualClock(at(last + 1, 3, 2, 10))
    with caplog.at_level(logging.WARNING, logger="docgen.test.deadlines"), workflow(ws, clock) as wf:
        accept(ws, wf)
        wf.tick()
        wf.reminders.run(clock.now)
    warnings = [r.getMessage() for r in caplog.records if "календарь" in r.getMessage()]
    assert len(warnings) == 1 and str(last + 1) in warnings[0]
