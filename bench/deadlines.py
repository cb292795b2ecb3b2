"""Benchmark: the service's reminder check with many deals waiting (aim: 1,000 overdue deals in under 2 s).

Three numbers: the first look of a working day, which records a reminder for every overdue deal; another
look the same day, when all are recorded (a restart costs that); and the tick the watcher's loop makes
when nothing is due yet (it must cost next to nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import tempfile
import time
from pathlib import Path

from docgen.layout import lay_out
from docgen.settings import load_settings
from docgen.store import DealRow
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workflow.route import BUILT_IN_ROUTE
from docgen.workspace import Workspace

DEALS = 1000
AIM_SECONDS = 2.0
MSK = dt.timezone(dt.timedelta(hours=3))


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _fill(wf, count: int, *, since: dt.datetime) -> None:
    """`count` deals waiting at the lawyer since `since`, as intake records them."""
    with wf.svc.store.transaction():
        for n in range(1, count + 1):
            number = f"2026-{n:04d}"
            wf.svc.store.insert_deal(DealRow(
                number=number, created_at=since.isoformat(), stage="lawyer", version=1, contract_type="supply",
                contract_date="2026-11-20", division="metal", buyer_inn="5027012348", buyer_name="ООО «Ромашка»",
                subject="Металлоконструкции", total="2023980.00", manager="Петров Пётр", manager_email="p@x.ru",
                dossier=f"clients/5027012348/{number}", form_json="{}", stage_since=since.isoformat()))
            wf.svc.store.add_version(number, 1, origin="form", at=since, route=BUILT_IN_ROUTE.to_json())


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lay_out(root)
        ws = Workspace(root, load_settings(root, {}))
        clock = Clock(dt.datetime(2026, 11, 23, 10, tzinfo=MSK))
        wf = open_workflow(ws, clock=clock, log=logging.getLogger("bench.deadlines"))
        try:
            _fill(wf, DEALS, since=clock.now)
            clock.now = dt.datetime(2026, 11, 26, 9, 0, 1, tzinfo=MSK)  # a day after the lawyer's deadline
            first = _timed(lambda: wf.reminders.run(clock.now))
            recorded = len(wf.svc.outbox.listing())
            clock.now += dt.timedelta(hours=1)
            again = _timed(lambda: wf.reminders.run(clock.now))
            ticks = 100_000
            idle = _timed(lambda: [wf.reminders.tick() for _ in range(ticks)]) / ticks
        finally:
            close_workflow(wf)
    print(f"deadlines: first check of the day, {DEALS:,} overdue deals: {first:.2f} s, {recorded:,} letters recorded")
    print(f"deadlines: another look the same day (all recorded):      {again:.2f} s")
    print(f"deadlines: a tick with nothing due:                        {idle * 1e6:.1f} µs")
    print(f"deadlines: ratio to the aim ({AIM_SECONDS:.0f} s for {DEALS:,}): {AIM_SECONDS / max(first, 1e-9):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
