"""PDF marks without LibreOffice: the ПРОЕКТ stamp on every page, the appended sheet, metadata, binding."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from docgen.errors import ConversionError
from docgen.render.pdfmarks import (
    STAMP_FONTS,
    append_pdf,
    bind,
    mark_draft,
    outline_titles,
    page_count,
    pdf_text,
    read_metadata,
    set_metadata,
    unembedded_fonts,
)

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils не установлены")
A4 = (595.28, 841.89)


def make_pdf(pages: list[str], *, size: tuple[float, float] = A4) -> bytes:
    """A PDF with one line of Russian text per page, drawn in a Cyrillic font."""
    font = next(p for p in STAMP_FONTS if Path(p).is_file())
    pdfmetrics.registerFont(TTFont("TestSans", font))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=size, initialFontName="TestSans")
    for line in pages:
        page.setFont("TestSans", 12)
        page.drawString(60, size[1] - 80, line)
        page.showPage()
    page.save()
    return out.getvalue()


def pdftotext_page(pdf: bytes, number: int, tmp_path: Path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-raw", "-f", str(number), "-l", str(number), str(path), "-"],
        capture_output=True, check=True, timeout=30,
    )
    return done.stdout.decode("utf-8")


CONTRACT = make_pdf(["Договор поставки № 2026-0001, стр. 1", "Цена 2 023 980,00 руб.", "Подписи сторон"])
SHEET = make_pdf(["Лист согласования"])


@needs_pdftotext
def test_draft_mark_on_every_page(tmp_path: Path) -> None:
    marked = mark_draft(CONTRACT)
    assert page_count(marked) == 3
    for number, original in enumerate(["Договор поставки", "2 023 980,00", "Подписи сторон"], start=1):
        text = pdftotext_page(marked, number, tmp_path)
        # The diagonal letters come out one per line: compare without the whitespace.
        assert "ПРОЕКТ" in "".join(text.split()), f"page {number}"
        assert original in text


def test_draft_mark_embeds_its_font() -> None:
    assert unembedded_fonts(CONTRACT) == []
    assert unembedded_fonts(mark_draft(CONTRACT)) == []
    bare = io.BytesIO()
    page = canvas.Canvas(bare)  # reportlab's default: Helvetica, named but never embedded
    page.drawString(60, 700, "x")
    page.save()
    assert unembedded_fonts(bare.getvalue()) == ["Helvetica"]


@needs_pdftotext
def test_draft_mark_on_pages_of_mixed_sizes(tmp_path: Path) -> None:
    landscape = make_pdf(["Спецификация"], size=(A4[1], A4[0]))
    mixed = append_pdf(CONTRACT, landscape)
    marked = mark_draft(mixed)
    assert all("ПРОЕКТ" in "".join(pdftotext_page(marked, n, tmp_path).split()) for n in range(1, 5))


def test_draft_mark_is_searchable_with_pypdf() -> None:
    pages = pdf_text(mark_draft(CONTRACT)).split("\f")
    assert len(pages) == 3
    assert all("ПРОЕКТ" in "".join(page.split()) for page in pages)


def test_append_pdf_adds_the_approval_sheet_after_the_contract() -> None:
    final = append_pdf(set_metadata(CONTRACT, title="Договор", deal="2026-0001", version=2), SHEET)
    assert page_count(final) == 4
    pages = pdf_text(final).split("\f")
    assert "Лист согласования" in pages[3] and "Договор поставки" in pages[0]
    assert read_metadata(final)["DocgenDeal"] == "2026-0001"


def test_set_metadata_reads_back() -> None:
    pdf = set_metadata(
        CONTRACT, title="Договор поставки № 2026-0001", deal="2026-0001", version=3, subject="Проект для юриста"
    )
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None
    assert info.title == "Договор поставки № 2026-0001"
    assert info.subject == "Проект для юриста"
    assert info["/DocgenDeal"] == "2026-0001"
    assert info["/DocgenVersion"] == "3"
    assert info.producer == "docgen"
    assert page_count(pdf) == 3


def test_bind_makes_one_bookmark_per_part() -> None:
    bound = bind(
        [("Договор поставки № 2026-0001", CONTRACT), ("Лист согласования", SHEET), ("Ввод в Производство", SHEET)],
        title="Архив: сделка 2026-0001",
    )
    reader = PdfReader(io.BytesIO(bound))
    assert len(reader.pages) == 5
    assert outline_titles(bound) == ["Договор поставки № 2026-0001", "Лист согласования", "Ввод в Производство"]
    starts = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)]
    assert starts == [0, 3, 4]
    assert reader.metadata is not None and reader.metadata.title == "Архив: сделка 2026-0001"
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_bind_needs_parts() -> None:
    with pytest.raises(ValueError):
        bind([], title="пусто")


@pytest.mark.parametrize("junk", [b"", b"not a pdf", CONTRACT[:200]])
def test_unreadable_pdf_is_a_conversion_error(junk: bytes) -> None:
    with pytest.raises(ConversionError, match="PDF не читается"):
        mark_draft(junk)


def test_marks_are_pure() -> None:
    before = bytes(CONTRACT)
    mark_draft(CONTRACT)
    set_metadata(CONTRACT, title="x", deal="1", version=1)
    assert CONTRACT == before
    assert pdf_text(mark_draft(CONTRACT)) == pdf_text(mark_draft(CONTRACT))
