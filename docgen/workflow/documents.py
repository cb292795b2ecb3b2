"""The documents a deal needs, as bytes: DOCX from the templates and, where LibreOffice is, PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import socket
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from docgen.errors import ConversionError, ConverterUnavailable
from docgen.files import safe_name
from docgen.form.deal import Deal
from docgen.render import docx as render
from docgen.render import pdfmarks
from docgen.render.pdfpool import convert_all
from docgen.render.context import Approval
from docgen.workspace import Workspace


SCRATCH = "tmp"  # in the state folder: documents on their way through LibreOffice
# Scratch folders are named «<host>-<pid>-…» (the host as a short hash: any name, no dashes to confuse).
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
# A scratch folder of another host (the state folder on a share) is cleaned once it is this old.
SCRATCH_MAX_AGE = 24 * 3600


def clean_scratch(state: Path) -> list[Path]:
    """Remove the scratch folders that processes of this host left when they died (and any folder a
    day old); a living process's folder (the CLI converting beside the service) is left alone."""
    try:
        entries = list((state / SCRATCH).iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        if _left_behind(entry):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _left_behind(entry: Path) -> bool:
    try:
        if time.time() - entry.lstat().st_mtime > SCRATCH_MAX_AGE:
            return True
    except OSError:
        return False
    host, _, rest = entry.name.partition("-")
    pid = rest.partition("-")[0]
    if host != _HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


class Converter(Protocol):
    def convert(self, docx: Path, pdf: Path) -> None: ...
    def close(self) -> None: ...


class Documents:
    """Renders a deal's documents; PDF renditions only when a converter is given."""

    def __init__(self, ws: Workspace, converter: Converter | None, *, log: logging.Logger):
        self.ws = ws
        self.converter = converter
        self.log = log
        # Steps that start a PDF and go on meanwhile (signing); the pool, if any, takes them at once.
        self._ahead = ThreadPoolExecutor(max_workers=2, thread_name_prefix="docgen-pdf-step")

    def contract(self, deal: Deal, *, number: str, version: int) -> bytes:
        return render.render_contract(deal, ws=self.ws, number=number, version=version)

    def approval_sheet(self, deal: Deal, *, number: str, version: int, sha256: str,
                       approvals: list[Approval], signed_sha256: str | None = None) -> bytes:
        return render.render_approval_sheet(deal, ws=self.ws, number=number, version=version,
                                            sha256=sha256, approvals=approvals, signed_sha256=signed_sha256)

    def handover(self, deal: Deal, *, number: str, version: int, approvals: list[Approval],
                 files: list[str] | None = None, signed_on: dt.date | None = None,
                 prepayment_date: dt.date | None = None) -> bytes:
        return render.render_handover(deal, ws=self.ws, number=number, version=version, approvals=approvals,
                                      files=files, signed_on=signed_on, prepayment_date=prepayment_date)

    def pdf(self, docx: bytes, *, title: str, number: str, version: int, draft: bool = False,
            appendix: bytes | None = None) -> bytes | None:
        """The PDF of `docx` (marked ПРОЕКТ for a draft, with `appendix`'s PDF after it), or None.

        A document LibreOffice cannot convert gets no PDF (said in the log, naming the deal and the
        file): the DOCX is the document, and the deal goes on. LibreOffice itself down or unable to
        start is ConverterUnavailable: the step waits and is tried again.
        """
        if self.converter is None:
            return None
        try:
            sources = [(docx, title)] + ([(appendix, f"{title} (приложение)")] if appendix is not None else [])
            data, *extra = self._convert_all(sources)  # the document and its appendix at once
            if draft:
                data = pdfmarks.mark_draft(data)
            if extra:
                data = pdfmarks.append_pdf(data, extra[0])
            return pdfmarks.set_metadata(data, title=title, deal=number, version=version)
        except ConverterUnavailable as exc:
            raise ConverterUnavailable(f"сделка {number}, версия {version}: {exc}") from None
        except ConversionError as exc:
            self.log.error("Сделка %s, версия %s: PDF «%s» не создан, дальше без него: %s", number, version, title, exc)
            return None

    def start_pdf(self, docx: bytes, *, title: str, number: str, version: int, draft: bool = False,
                  appendix: bytes | None = None) -> Future[bytes | None]:
        """`pdf(...)` started now and finished while the caller goes on: with `[pdf] workers` > 1 the
        documents a step makes meanwhile convert at the same time. The result (or error) is `pdf`'s."""
        return self._ahead.submit(self.pdf, docx, title=title, number=number, version=version, draft=draft,
                                  appendix=appendix)

    def convert(self, docx: bytes, *, name: str = "Документ") -> bytes | None:
        """The plain PDF rendition of `docx` (no marks, no deal metadata), or None without LibreOffice."""
        return None if self.converter is None else self._convert(docx, name=name)

    def _convert(self, docx: bytes, *, name: str) -> bytes:
        return self._convert_all([(docx, name)])[0]

    def _convert_all(self, sources: list[tuple[bytes, str]]) -> list[bytes]:
        """The PDF of each (docx, name), all handed to the converter at once; the first failure is raised
        (LibreOffice down before a document's own fault)."""
        scratch = self.ws.state / SCRATCH
        scratch.mkdir(parents=True, exist_ok=True)
        # The scratch folder names its process, so a later start can tell what a crash left behind;
        # the file inside names the document, so LibreOffice's errors name it too.
        with tempfile.TemporaryDirectory(dir=scratch, prefix=f"{_HOST}-{os.getpid()}-") as folder:
            jobs = []
            for n, (docx, name) in enumerate(sources):
                inner = Path(folder) / str(n)  # two documents of one name must not meet
                inner.mkdir()
                stem = safe_name(name, limit=80)
                source, target = inner / f"{stem}.docx", inner / f"{stem}.pdf"
                source.write_bytes(docx)
                jobs.append((source, target))
            assert self.converter is not None
            errors = [e for e in convert_all(self.converter, jobs) if e is not None]
            if errors:
                raise next((e for e in errors if isinstance(e, ConverterUnavailable)), errors[0])
            return [target.read_bytes() for _, target in jobs]

    def close(self) -> None:
        if self.converter is not None:
            self.converter.close()
        self._ahead.shutdown(wait=True, cancel_futures=True)
