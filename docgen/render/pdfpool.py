"""Several PDF converters at once: `[pdf] workers` LibreOffice processes, each document to a free one.

    ConverterPool(members)  -> .convert(docx, pdf) from any number of threads; .close()

Each member is a converter of docgen.render.pdf made with its own profile (and so its own
LibreOffice process and port) and `attempts=1`: when its LibreOffice dies or hangs on a document
(ConverterCrashed), that office is already killed; the member is restarted in the background and
the document goes to the next free member — another one whenever another is free or frees first.
A document that is itself bad (ConversionError) is not retried: another office would refuse it too.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from pathlib import Path

from docgen.errors import ConversionError, ConverterCrashed, ConverterUnavailable
from docgen.render.pdf import CLOSE_TIMEOUT, LOG, PdfConverter, check_docx

ATTEMPTS = 2  # a document meets at most this many crashes (each on a different office if one is free)
# How long a restart may take before close() stops waiting for it (a first start lays out a profile).
RESTART_JOIN = 60.0


class ConverterPool:
    """Hands each document to a free member; thread-safe; `close` stops every member's LibreOffice."""

    def __init__(self, members: Sequence[PdfConverter], *, log: logging.Logger = LOG):
        if not members:
            raise ValueError("a pool needs at least one converter")
        self.members = list(members)
        self._log = log
        self._free: queue.SimpleQueue[PdfConverter] = queue.SimpleQueue()
        for member in self.members:
            self._free.put(member)
        self._restarts: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> ConverterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def timeout(self) -> float:
        return float(getattr(self.members[0], "timeout", 0.0))

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        for member in self.members:
            member.timeout = seconds  # type: ignore[attr-defined]

    @property
    def pids(self) -> list[int | None]:
        """The soffice.bin pid of each member (None: not started, or a one-shot member)."""
        return [getattr(member, "pid", None) for member in self.members]

    def busy(self) -> dict[int, Path]:
        """The LibreOffice processes converting right now: soffice.bin pid → the document it converts."""
        out = {}
        for member in self.members:
            pid, doc = getattr(member, "pid", None), getattr(member, "working_on", None)
            if pid is not None and doc is not None:
                out[pid] = doc
        return out

    def convert(self, docx: Path, pdf: Path) -> None:
        """Convert on the first free member; a crash or hang is retried on the next free one."""
        check_docx(docx)
        problem: ConverterCrashed | None = None
        for attempt in range(1, ATTEMPTS + 1):
            member = self._take()
            try:
                member.convert(docx, pdf)
                self._free.put(member)
                return
            except ConverterCrashed as exc:
                problem = exc
                self._restart(member)
            except BaseException:
                self._free.put(member)
                raise
            if attempt < ATTEMPTS and not self._closed:
                self._log.warning("%s — документ передан другому LibreOffice, этот перезапускается",
                                  str(problem).removesuffix(": PDF-версия не создана"))
        assert problem is not None
        raise ConverterCrashed(f"{str(problem).removesuffix(': PDF-версия не создана')}; на другом LibreOffice — "
                               f"снова: PDF-версия не создана")

    def _take(self) -> PdfConverter:
        while True:
            if self._closed:
                raise ConverterUnavailable("Конвертер PDF закрыт: PDF-версия не создана")
            try:
                return self._free.get(timeout=0.5)
            except queue.Empty:
                continue

    def _restart(self, member: PdfConverter) -> None:
        """Start the member's LibreOffice again off the caller's thread, then let it take documents."""
        def run() -> None:
            try:
                warm_up = getattr(member, "warm_up", None)
                if warm_up is not None and not self._closed:
                    warm_up()
            finally:
                self._free.put(member)

        thread = threading.Thread(target=run, name="docgen-pdf-restart", daemon=True)
        with self._lock:
            self._restarts = [t for t in self._restarts if t.is_alive()] + [thread]
        thread.start()

    def close(self) -> None:
        """Stop every member's LibreOffice (a restart under way is waited for, then stopped too)."""
        self._closed = True
        with self._lock:
            restarts = list(self._restarts)
        closers = [threading.Thread(target=member.close, name="docgen-pdf-close") for member in self.members]
        for thread in closers:
            thread.start()
        for thread in closers + restarts:
            thread.join(timeout=RESTART_JOIN + CLOSE_TIMEOUT)


def convert_all(converter: PdfConverter, jobs: Sequence[tuple[Path, Path]]) -> list[ConversionError | None]:
    """Convert every (docx, pdf) at once, one thread each (a pool spreads them over its offices; a single
    converter takes them in turn); the error of each job, or None, in the jobs' order."""
    errors: list[ConversionError | None] = [None] * len(jobs)

    def run(n: int) -> None:
        try:
            converter.convert(*jobs[n])
        except ConversionError as exc:
            errors[n] = exc

    threads = [threading.Thread(target=run, args=(n,), name="docgen-pdf-job") for n in range(1, len(jobs))]
    for thread in threads:
        thread.start()
    if jobs:
        run(0)
    for thread in threads:
        thread.join()
    return errors
