"""The documents a deal needs, as bytes: DOCX from the templates and, where LibreOffice is, PDF."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path
from typing import Protocol

from docgen.form.deal import Deal
from docgen.render import docx as render
from docgen.render import pdfmarks
from docgen.render.context import Approval
from docgen.workspace import Workspace


class Converter(Protocol):
    def convert(self, docx: Path, pdf: Path) -> None: ...
    def close(self) -> None: ...


class Documents:
    """Renders a deal's documents; PDF renditions only when a converter is given."""

    def __init__(self, ws: Workspace, converter: Converter | None, *, log: logging.Logger):
        self.ws = ws
        self.converter = converter
        self.log = log

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
        """The PDF of `docx` (marked ПРОЕКТ for a draft, with `appendix`'s PDF after it), or None."""
        if self.converter is None:
            return None
        data = self._convert(docx)
        if draft:
            data = pdfmarks.mark_draft(data)
        if appendix is not None:
            data = pdfmarks.append_pdf(data, self._convert(appendix))
        return pdfmarks.set_metadata(data, title=title, deal=number, version=version)

    def convert(self, docx: bytes) -> bytes | None:
        """The plain PDF rendition of `docx` (no marks, no deal metadata), or None without LibreOffice."""
        return None if self.converter is None else self._convert(docx)

    def _convert(self, docx: bytes) -> bytes:
        scratch = self.ws.state / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch) as folder:
            source, target = Path(folder) / "document.docx", Path(folder) / "document.pdf"
            source.write_bytes(docx)
            assert self.converter is not None
            self.converter.convert(source, target)
            return target.read_bytes()

    def close(self) -> None:
        if self.converter is not None:
            self.converter.close()
