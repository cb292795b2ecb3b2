"""Helpers of the rendering tests: a workspace with the shipped templates, deals, and reading documents back."""

from __future__ import annotations

import copy
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
from docx.oxml.ns import qn
import yaml

from docgen.form.deal import Deal, accept
from docgen.form.readers import RawForm, read_form
from docgen.settings import load_settings
from docgen.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "templates" / "forms" / "example.yaml"
TODAY = dt.date(2026, 11, 26)
NBSP = "\u00a0"


def workspace(tmp_path: Path) -> Workspace:
    """A workspace in tmp_path holding a copy of the repository's templates."""
    root = tmp_path / "ws"
    shutil.copytree(REPO / "templates", root / "templates")
    return Workspace(root, load_settings(root, {}))


def example_data() -> dict[str, Any]:
    return read_form(EXAMPLE, max_bytes=10**7).data


def make_deal(ws: Workspace, data: dict[str, Any] | None = None, **attachments: bytes) -> Deal:
    raw = RawForm(copy.deepcopy(data) if data is not None else example_data(), dict(attachments))
    return accept(raw, source="example.yaml", settings=ws.settings, contract_types={"supply", "works"},
                  today=TODAY)


def plain(text: str) -> str:
    """Text with no-break spaces as plain ones and runs of whitespace collapsed, for comparisons."""
    return " ".join(text.replace(NBSP, " ").split())


def docx_text(data: bytes) -> str:
    """All visible text of a DOCX: paragraphs (content controls inside them too), tables (nested too),
    headers and footers."""
    document = docx.Document(io.BytesIO(data))
    pieces = [_para(p) for p in document.paragraphs]
    for table in document.tables:
        pieces += _table_text(table)
    for section in document.sections:
        for part in (section.footer, section.header):
            pieces += [_para(p) for p in part.paragraphs]
            for table in part.tables:
                pieces += _table_text(table)
    return plain("\n".join(pieces))


def _para(paragraph) -> str:
    """The paragraph's text, content controls included; Word's non-breaking hyphen read as «-»."""
    hyphen = qn("w:noBreakHyphen")
    return "".join("-" if e.tag == hyphen else e.text or "" for e in paragraph._p.iter(qn("w:t"), hyphen))


def _table_text(table) -> list[str]:
    out = []
    for row in table.rows:
        for cell in row.cells:
            out += [_para(p) for p in cell.paragraphs]
            for inner in cell.tables:
                out += _table_text(inner)
    return out


def hostile_data() -> dict[str, Any]:
    """The example form with markup, Jinja and very long values in every free-text field."""
    data = example_data()
    data["buyer"]["name"] = 'ООО "Рога & Копыта" <Север>'
    data["buyer"]["signatory"]["name"] = "Петрова Анна Сергеевна"
    data["buyer"]["address"] = "{{ 7*7 }} " + "очень длинный адрес, " * 30 + "д. 1"
    data["subject"]["summary"] = "{% for x in range(3) %}{{ x }}{% endfor %} <b>&amp;</b> ]]>"
    data["subject"]["items"][0]["name"] = "Колонна «К-1» " + "Ж" * 400 + " {{ 7*7 }}"
    data["manager"]["name"] = "{{ 7*7 }}"
    return data


def yaml_text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


def soffice_to_pdf(files: list[Path], outdir: Path, profile: Path, *, fmt: str = "pdf") -> None:
    """One plain `soffice --headless --convert-to` call for all files, with its own profile."""
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
         "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=180,
    )


def pdf_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, timeout=60)
    return plain(result.stdout.decode("utf-8"))


FORM_TRANSFER = REPO / "templates" / "forms" / "client-transfer.yaml"
