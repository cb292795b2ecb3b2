"""Benchmark of the store's engines: the burst of 1,000 forms (bench.service's) on SQLite with one watcher, and on
PostgreSQL with one and with two `docgen watch` processes on the same workspace and store.

Each run is checked, not only timed: every form made exactly one draft and one deal, deal numbers run
1…N without a gap, each accepted once and sent for review once, no step is left planned. Prints forms
per second, the peak memory (VmHWM) of each watcher, and two watchers against one on PostgreSQL (aim
≥ 1.5×). The PostgreSQL server is a throw-away one of the benchmark's own (tests/pg_kit.py), with fsync on.
PDF renditions are off here (bench.pdf_convert measures them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.service import REPO, _peak_mb, drafts, drop, wait_until
from docgen.layout import lay_out
from docgen.settings import load_settings
from docgen.store import open_store
from docgen.workspace import Workspace

sys.path.insert(0, str(REPO / "tests"))
from pg_kit import PgServer  # noqa: E402 - the tests' throw-away server, shared with the benchmark


@dataclass(frozen=True)
class Run:
    engine: str
    watchers: int
    seconds: float
    peaks_mb: list[float]


def start_watcher(root: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env["DOCGEN_DOCUMENTS__PDF"] = "false"
    return subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(root), "watch"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def workspace(root: Path, url: str) -> Workspace:
    lay_out(root)
    if url:
        with (root / "docgen.toml").open("a", encoding="utf-8") as settings:
            settings.write(f'\n[store]\nurl = "{url}"\n')
    ws = Workspace(root, load_settings(root, {}))
    open_store(ws).close()  # the schema made before the clock starts, as a running office has it
    return ws


def burst(ws: Workspace, *, engine: str, watchers: int, count: int) -> Run:
    procs = [start_watcher(ws.root) for _ in range(watchers)]
    try:
        wait_until(lambda: (ws.state / "docgen.log").exists(), timeout=60)
        time.sleep(1.0)  # every watcher's observer started
        start = time.monotonic()
        for n in range(count):
            drop(ws.root, 10_000 + n)
        end = _wait(lambda: drafts(ws.root) >= count and not _pending(ws), timeout=3600)
        peaks = [_peak_mb(p.pid) for p in procs]
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"{engine}: a watcher stopped during the burst")
        return Run(engine, watchers, end - start, peaks)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=120)


def _wait(predicate, *, timeout: float) -> float:
    """bench.service's wait, at a tenth of a second: listing a folder of 1,000 drafts every 2 ms would take
    a core of this 2-core machine from the watchers being measured."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the watchers did not finish in time")
        time.sleep(0.1)
    return time.monotonic()


def _pending(ws: Workspace) -> bool:
    return any(p.suffix == ".yaml" for p in ws.inbox.iterdir())


def check(ws: Workspace, *, count: int) -> None:
    """Each form exactly once: one draft, one deal, numbers without a gap, one acceptance, one review notice."""
    found = drafts(ws.root)
    store = open_store(ws)
    try:
        numbers = [d.number for d in store.deals()]
        journal = store.journal()
        planned = store.planned_steps()
        letters = store.conn.execute("SELECT count(*) FROM mail_notices WHERE kind = 'review'").fetchone()[0]
    finally:
        store.close()
    year = numbers[0][:4] if numbers else "?"
    problems = []
    if found != count:
        problems.append(f"{found} drafts for {count} forms")
    if numbers != [f"{year}-{n:04d}" for n in range(1, count + 1)]:
        problems.append(f"deal numbers are not 1…{count} without gaps ({len(numbers)} deals)")
    for action in ("accepted", "sent_for_review"):
        done = sum(1 for e in journal if e["action"] == action)
        if done != count:
            problems.append(f"{done} '{action}' for {count} forms")
    if letters != count:
        problems.append(f"{letters} review notices for {count} forms")
    if planned:
        problems.append(f"{len(planned)} steps left planned")
    if problems:
        raise RuntimeError("; ".join(problems))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store_engines")
    parser.add_argument("--count", type=int, default=1000, help="forms in each burst")
    args = parser.parse_args(argv if argv is not None else [])
    server = PgServer(durable=True)
    server.start()
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for engine, watchers in (("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 2)):
                url = server.database() if engine == "PostgreSQL" else ""
                ws = workspace(Path(tmp) / f"{engine}-{watchers}", url)
                run = burst(ws, engine=engine, watchers=watchers, count=args.count)
                check(ws, count=args.count)
                runs.append(run)
                peaks = ", ".join(f"{p:.0f}" for p in run.peaks_mb)
                print(f"store: {engine}, {watchers} watcher{'s' if watchers > 1 else ''}: burst of {args.count} "
                      f"forms in {run.seconds:.1f} s, {args.count / run.seconds:.1f} forms/s, each exactly once, "
                      f"numbers gap-free; peak memory per watcher {peaks} MB", flush=True)
    finally:
        server.stop()
    sqlite, one, two = runs
    print(f"store: PostgreSQL 1 watcher / SQLite = {sqlite.seconds / one.seconds:.2f}× the forms per second")
    print(f"store: PostgreSQL 2 watchers / 1 watcher = {one.seconds / two.seconds:.2f}× (aim >= 1.5; "
          f"{os.cpu_count()} cores, shared with the PostgreSQL server)")


if __name__ == "__main__":
    main(sys.argv[1:])
