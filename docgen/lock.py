"""One `docgen watch` per workspace: a lock on a file in the state folder that a crashed holder
releases by itself, and a heartbeat in the same file for shares whose locks do not reach other hosts.

flock is released by the kernel however its holder dies, so on one machine a crashed watcher never
blocks the next. Across machines on a share, locks may not work at all (NFS without lockd, SMB
mounted `nobrl`): the holder also writes who it is (host, pid, since) and a heartbeat every
HEARTBEAT seconds, and a watcher on another host refuses while that heartbeat is fresh. A holder
that died on another host is replaced once its heartbeat is STALE_AFTER seconds old.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from docgen.errors import WorkspaceBusy

LOCK_NAME = "watch.lock"
SECOND_WATCHER = "Вторая служба не запускается, чтобы не взять одни и те же файлы дважды: остановите ту службу"
HEARTBEAT = 10.0
STALE_AFTER = 60.0


@dataclass(frozen=True)
class Holder:
    """Who serves the workspace, as the lock file says."""

    host: str
    pid: int
    since: str  # ISO local time the holder started
    beat: float  # epoch seconds of its last heartbeat

    def fresh(self, now: float) -> bool:
        return now - self.beat < STALE_AFTER

    def describe(self) -> str:
        try:
            since = dt.datetime.fromisoformat(self.since).strftime("%d.%m.%Y %H:%M:%S")
        except ValueError:
            since = self.since
        return f"компьютер {self.host}, процесс {self.pid}, с {since}"


class WatchLock:
    """Held by the running service from start to stop; `acquire` raises WorkspaceBusy naming the holder."""

    def __init__(self, state: Path, *, heartbeat: float = HEARTBEAT, refusal: str = SECOND_WATCHER):
        self.path = state / LOCK_NAME
        self.heartbeat = heartbeat
        self.refusal = refusal
        self.locks_work = True
        self._fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._me = Holder(host=socket.gethostname(), pid=os.getpid(),
                          since=dt.datetime.now().astimezone().isoformat(timespec="seconds"), beat=time.time())

    def __enter__(self) -> WatchLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            self._lock(fd)
            holder = read_holder(self.path)
            if holder is not None and holder.host != self._me.host and holder.fresh(time.time()):
                raise WorkspaceBusy(_busy(holder, self.path, self.refusal))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._write()
        self._thread = threading.Thread(target=self._beat, name="docgen-watch-lock", daemon=True)
        self._thread.start()

    def _lock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(self.path)
            raise WorkspaceBusy(_busy(holder, self.path, self.refusal)) from None
        except OSError as exc:  # a share without locks: the heartbeat alone keeps hosts apart
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise
            self.locks_work = False

    def _write(self) -> None:
        assert self._fd is not None
        data = json.dumps(asdict(self._me) | {"beat": time.time()}).encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)
        os.fsync(self._fd)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                self._write()
            except OSError:
                pass  # a share gone for a moment: the next beat tries again

    def release(self) -> None:
        """Stop the heartbeat and free the workspace at once (the next watcher needn't wait it out)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def read_holder(path: Path) -> Holder | None:
    """Who the lock file names, or None (empty, unreadable, or written by no one)."""
    try:
        raw = json.loads(path.read_bytes() or b"null")
        return Holder(host=str(raw["host"]), pid=int(raw["pid"]), since=str(raw["since"]), beat=float(raw["beat"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _busy(holder: Holder | None, path: Path, refusal: str) -> str:
    who = holder.describe() if holder else "кто — неизвестно (файл блокировки пуст)"
    return (f"служба docgen уже работает с этим рабочим пространством: {who}. {refusal}. Если она завершилась "
            f"аварийно на другом компьютере, это станет возможно через {STALE_AFTER:g} с после её последнего "
            f"сигнала (файл {path})")
