"""The watcher: notices files in the inbox and decision folders, takes each once it is completely
written, and keeps the mail flowing. It only notices and queues; the workflow does the work.

A file is ready when no event touched it for the settle delay, its size and modification time
were the same on two looks, and it is still there (paperless-ngx's FileStabilityTracker).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from docgen.errors import DocgenError, Postponed, describe
from docgen.printable import printable

# After a failed file or step the next rescan comes this soon, doubling while failures repeat.
RETRY_FIRST = 2.0
# The same trouble of the loop (a full disk, a locked register) is said again after this many seconds.
COMPLAIN_EVERY = 600.0

IGNORED = ("~$*", ".~lock.*#", "*.tmp", "*.part", ".DS_Store", "Thumbs.db", ".*", "desktop.ini", "*.crdownload")


def ignored(name: str) -> bool:
    """Temporary and system files: Word's lock files, partial downloads, dot-files."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED) or name.endswith((".errors.txt", ".why.txt"))


@dataclass
class _Look:
    last_event: float
    size: int
    mtime_ns: int


class StabilityTracker:
    """Candidates and the moment each became ready."""

    def __init__(self, *, settle: float, clock: Callable[[], float] = time.monotonic):
        self.settle = settle
        self.clock = clock
        self._seen: dict[Path, _Look] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, path: Path) -> bool:
        return path in self._seen

    def touch(self, path: Path) -> None:
        look = _stat(path)
        self._seen[path] = _Look(self.clock(), *(look or (-1, -1)))

    def next_due(self) -> float | None:
        """Seconds until the earliest candidate may be ready; None when there is none."""
        if not self._seen:
            return None
        earliest = min(look.last_event for look in self._seen.values())
        return max(0.0, earliest + self.settle - self.clock())

    def ready(self) -> list[Path]:
        now, out = self.clock(), []  # (mtime, path): the oldest file first
        for path, look in list(self._seen.items()):
            if now - look.last_event < self.settle:
                continue
            current = _stat(path)
            if current is None:
                del self._seen[path]  # gone: moved away again before it settled
            elif current != (look.size, look.mtime_ns):
                self._seen[path] = _Look(now, *current)
            else:
                del self._seen[path]
                out.append((current[1], path))
        return [path for _mtime, path in sorted(out)]


def _stat(path: Path) -> tuple[int, int] | None:
    """Size and time of the entry itself: a link is a candidate as it is (the workflow sets it
    aside), never looked through; a folder is none."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return None if stat.S_ISDIR(st.st_mode) else (st.st_size, st.st_mtime_ns)


class _Notice(FileSystemEventHandler):
    """Puts the path of every created, modified or moved-in file on the queue and wakes the loop."""

    def __init__(self, events: queue.Queue[Path], wake: threading.Event):
        self.events = events
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in ("created", "modified", "moved", "closed"):
            return
        path = getattr(event, "dest_path", "") or event.src_path
        self.events.put(Path(path if isinstance(path, str) else path.decode()))
        self.wake.set()


class Watcher:
    """Runs until `stop` is set (or, with once=True, until nothing is pending)."""

    def __init__(self, *, folders: list[Path], take: Callable[[Path], str], idle: Callable[[], None],
                 rescan_hook: Callable[[], object], polling: bool, settle: float, poll_seconds: float, rescan_seconds: float,
                 log: logging.Logger, stop: threading.Event | None = None,
                 timer: Callable[[], float | None] = lambda: None):
        self.folders = folders
        self.take = take
        self.idle = idle
        self.rescan_hook = rescan_hook
        self.polling = polling
        # A polled share reports a growing file only once per poll: wait at least two polls.
        self.tracker = StabilityTracker(settle=max(settle, 2 * poll_seconds) if polling else settle)
        self.poll_seconds = poll_seconds
        self.rescan_seconds = rescan_seconds
        self.timer = timer  # seconds until something else is due (a reminder), None when nothing is
        self.log = log
        self.stop = stop or threading.Event()
        self.events: queue.Queue[Path] = queue.Queue()
        self.wake = threading.Event()
        self._next_rescan = 0.0
        self._retry_delay = RETRY_FIRST
        self._complaints: dict[str, tuple[str, float]] = {}

    def run(self, *, once: bool = False) -> None:
        for folder in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
        observer = None if once else self._observe()
        try:
            self._loop(once=once)
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=10)

    def _observe(self):
        observer = PollingObserver(timeout=self.poll_seconds) if self.polling else Observer()
        handler = _Notice(self.events, self.wake)
        for folder in self.folders:
            observer.schedule(handler, str(folder), recursive=False)
        observer.start()
        return observer

    def _loop(self, *, once: bool) -> None:
        self._guarded("пересмотр папок", self.rescan)
        self._next_rescan = time.monotonic() + self.rescan_seconds
        while not self.stop.is_set():
            self._drain()
            for path in self.tracker.ready():
                if self.stop.is_set():
                    break
                self._take(path)
            self._guarded("служебные дела", self.idle)
            if once and not len(self.tracker) and self.events.empty():
                return
            if time.monotonic() >= self._next_rescan:
                self._next_rescan = time.monotonic() + self.rescan_seconds
                self._guarded("пересмотр папок", self.rescan)
            self._sleep(until_rescan=self._next_rescan - time.monotonic())

    def _sleep(self, *, until_rescan: float) -> None:
        """Until an event, the next candidate's settle time, the timer, the rescan or a stop, whichever is first."""
        due = self.tracker.next_due()
        timer = self._guarded("срок напоминаний", self.timer)
        timeout = min(until_rescan, 0.25 if due is None else due + 0.01)  # 0.25: how soon a stop is seen
        timeout = timeout if timer is None else min(timeout, timer)
        self.wake.wait(max(timeout, 0.0))
        self.wake.clear()

    def rescan(self) -> None:
        """Every file waiting in the watched folders: at start-up and as a safety net for missed events.
        Steps a crash or a failure left unfinished are finished first."""
        for account in self.rescan_hook() or []:
            self.log.info("завершён прерванный шаг: %s", account)
        for folder in self.folders:
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for path in entries:
                if not ignored(path.name) and path not in self.tracker and _stat(path) is not None:
                    self.tracker.touch(path)

    def _drain(self) -> None:
        while True:
            try:
                path = self.events.get_nowait()
            except queue.Empty:
                return
            if path.parent in self.folders and not ignored(path.name):
                self.tracker.touch(path)

    def _take(self, path: Path) -> None:
        if not os.path.lexists(path):
            return
        try:
            account = self.take(path)
        except Postponed as exc:
            self.log.warning("%s: отложено — %s", _short(path), exc)
            self._retry_soon()
        except DocgenError as exc:
            self.log.error("%s: %s", _short(path), exc)
            self._retry_soon()
        except Exception:  # one file failing must never stop the loop
            self.log.exception("%s: внутренняя ошибка docgen; файл оставлен на месте", _short(path))
            self._retry_soon()
        else:
            self.log.info("%s: %s", _short(path), account)
            self._retry_delay = RETRY_FIRST

    def _retry_soon(self) -> None:
        """Bring the next rescan (which finishes unfinished steps) close, backing off while failures repeat."""
        self._next_rescan = min(self._next_rescan, time.monotonic() + self._retry_delay)
        self._retry_delay = min(self._retry_delay * 2, self.rescan_seconds)

    def _guarded(self, what: str, job: Callable[[], object]) -> object:
        """Run a job of the loop; whatever it raises is said (once per distinct trouble in a while), never fatal."""
        try:
            result = job()
        except Exception as exc:  # the disk, the store, a bug: the service stays up and says what is wrong
            self._complain(what, exc)
            return None
        self._complaints.pop(what, None)
        return result

    def _complain(self, what: str, exc: Exception) -> None:
        text = describe(exc)
        said, when = self._complaints.get(what, ("", 0.0))
        if said == text and time.monotonic() - when < COMPLAIN_EVERY:
            return
        self._complaints[what] = (text, time.monotonic())
        if isinstance(exc, DocgenError) or isinstance(exc, OSError) or "sqlite3" in type(exc).__module__ \
                or type(exc).__module__.startswith("psycopg"):
            self.log.error("%s: %s; служба продолжает работу и повторит позже", what, text)
        else:
            self.log.exception("%s: %s; служба продолжает работу", what, text)


def _short(path: Path) -> str:
    return printable(f"{path.parent.name}/{path.name}")
