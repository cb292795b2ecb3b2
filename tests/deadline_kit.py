"""Helpers for the deadline tests: a workflow on a clock the test moves, and what its outbox holds."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from email.message import EmailMessage

from conftest import ManualClock
from service_kit import drop
from docgen.mail.notice import NoticeKind
from docgen.mail.outbox import QueuedNotice
from docgen.workflow.engine import Workflow, close_workflow, open_workflow
from docgen.workspace import Workspace

MSK = dt.timezone(dt.timedelta(hours=3))
HOUR = 3600


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


@contextlib.contextmanager
def workflow(ws: Workspace, clock: ManualClock) -> Iterator[Workflow]:
    wf = open_workflow(ws, clock=clock, log=logging.getLogger("docgen.test.deadlines"))
    try:
        yield wf
    finally:
        close_workflow(wf)


def accept(ws: Workspace, wf: Workflow, data: dict | None = None, *, name: str = "deal.yaml") -> str:
    """Drop a form and let the workflow take it; the number of the deal."""
    account = wf.take(drop(ws, name, data))
    assert account.startswith("принята"), account
    return account.split("сделка ")[1].split(",")[0]


def letters(wf: Workflow, kind: NoticeKind) -> list[QueuedNotice]:
    """The notices of `kind` the outbox holds, oldest first."""
    return [q for q in reversed(wf.svc.outbox.listing()) if q.notice.kind == kind]


def walk(wf: Workflow, clock: ManualClock, *, until: dt.datetime, step: float = HOUR) -> int:
    """Move the clock to `until` step by step, letting the workflow tick at each; how many ticks did work."""
    worked = 0
    while clock.now < until:
        clock.advance(step)
        before = wf.reminders.next_at
        wf.tick()
        worked += wf.reminders.next_at != before
    return worked


def reminder_days(wf: Workflow) -> list[dt.date]:
    return [dt.date.fromisoformat(q.event_id.rsplit("/", 1)[1]) for q in letters(wf, NoticeKind.REMINDER)]


class Recorder:
    """A mail transport (docgen.mail.transport.Transport) that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)
