"""Helpers for tests of the service: a fresh workspace, the real watcher in a thread, bounded waits."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

from conftest import EXAMPLE
from docgen.layout import lay_out
from docgen.service import run_service, service_log
from docgen.settings import load_settings
from docgen.workspace import Workspace

FAST = """
[watch]
settle_seconds = 0.2
poll_seconds = 0.2
rescan_seconds = 2.0
"""


def make_workspace(root: Path, *, pdf: bool = False, extra: str = "") -> Workspace:
    lay_out(root)
    (root / "docgen.toml").write_text(FAST + f"\n[pdf]\nenabled = {'true' if pdf else 'false'}\n" + extra,
                                      encoding="utf-8")
    return Workspace(root, load_settings(root, {}))


def wait_for(predicate: Callable[[], object], *, timeout: float = 30.0, what: str = "") -> object:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what or predicate}")
        time.sleep(0.05)


@contextlib.contextmanager
def service(ws: Workspace, *, polling: bool = False, transport=None, clock=None) -> Iterator[threading.Thread]:
    """The real service in a thread, stopped and joined at the end; `clock`: the workflow's, if the test sets it."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            extra = {"clock": clock} if clock is not None else {}
            run_service(ws, log=service_log(ws, stderr=False), stop=stop, polling=polling, transport=transport,
                        **extra)
        except BaseException as exc:  # surfaced in the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="docgen-service", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive(), "the service did not stop"
    assert not errors, errors


def drop(ws: Workspace, name: str, data: dict | None = None, *, source: Path = EXAMPLE) -> Path:
    """Write a form aside and rename it into the inbox, as a careful copy does."""
    ws.inbox.mkdir(parents=True, exist_ok=True)
    aside = ws.root / f".{name}.tmp"
    if data is None:
        shutil.copyfile(source, aside)
    else:
        aside.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    target = ws.inbox / name
    aside.replace(target)
    return target


def files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file()) if folder.is_dir() else []


def one(folder: Path, pattern: str) -> Path | None:
    found = files(folder, pattern)
    return found[0] if len(found) == 1 else None


def stage_of(ws: Workspace, number: str) -> str:
    """The stage the store gives a deal, or '' when there is no such deal."""
    from docgen.store import open_store

    store = open_store(ws)
    try:
        row = store.find_deal(number)
        return row.stage if row else ""
    finally:
        store.close()
