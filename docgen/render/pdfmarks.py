"""Marks on finished PDFs, bytes in and bytes out: the ПРОЕКТ stamp, appended sheets, metadata, binding."""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError

from docgen.errors import ConversionError

DRAFT_MARK = "ПРОЕКТ"
PRODUCER = "docgen"

# Fonts with Cyrillic, first found wins: Debian's fonts-liberation2 (CI installs it), then the
# usual neighbours on Linux, macOS and Windows.
STAMP_FONTS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)


def mark_draft(pdf: bytes) -> bytes:
    """A grey diagonal «ПРОЕКТ» over every page; the text under it stays readable and searchable."""
    writer = PdfWriter(clone_from=_reader(pdf))
    for page in writer.pages:
        box = page.mediabox
        stamp = _stamp_page(round(float(box.width), 1), round(float(box.height), 1))
        page.merge_transformed_page(stamp, Transformation().translate(float(box.left), float(box.bottom)))
    return _bytes(writer)


def append_pdf(first: bytes, second: bytes) -> bytes:
    """`second` after the last page of `first` (the approval sheet after the contract);
    the metadata of `first` is kept."""
    writer = PdfWriter(clone_from=_reader(first))
    writer.append(_reader(second))
    return _bytes(writer)


def set_metadata(pdf: bytes, *, title: str, deal: str, version: int, subject: str = "") -> bytes:
    """Title, subject and the deal it belongs to (/DocgenDeal, /DocgenVersion), so a renamed
    PDF is still recognised."""
    writer = PdfWriter(clone_from=_reader(pdf))
    writer.add_metadata(
        {
            "/Title": title,
            "/Subject": subject,
            "/DocgenDeal": deal,
            "/DocgenVersion": str(version),
            "/Producer": PRODUCER,
        }
    )
    return _bytes(writer)


def read_metadata(pdf: bytes) -> dict[str, str]:
    """The document information dictionary as plain strings, keys without the slash."""
    info = _reader(pdf).metadata or {}
    return {str(key).lstrip("/"): str(value) for key, value in info.items()}


def bind(parts: list[tuple[str, bytes]], *, title: str) -> bytes:
    """One PDF of several documents, a top-level bookmark per part (each part's own bookmarks
    nested under it); the viewer opens with the bookmarks shown."""
    if not parts:
        raise ValueError("bind() needs at least one part")
    writer = PdfWriter()
    for name, pdf in parts:
        writer.append(_reader(pdf), outline_item=name)
    writer.add_metadata({"/Title": title, "/Producer": PRODUCER})
    writer.page_mode = "/UseOutlines"
    return _bytes(writer)


def outline_titles(pdf: bytes) -> list[str]:
    """Titles of the top-level bookmarks."""
    return [item.title for item in _reader(pdf).outline if not isinstance(item, list)]


def pdf_text(pdf: bytes) -> str:
    """The text of every page, pages separated by a form feed (as pdftotext does)."""
    return "\f".join(page.extract_text() for page in _reader(pdf).pages)


def unembedded_fonts(pdf: bytes) -> list[str]:
    """Names of the fonts a PDF's pages use without embedding them (a viewer would substitute its own)."""
    missing: set[str] = set()
    for page in _reader(pdf).pages:
        _fonts_of(page.get("/Resources"), missing, seen=set())
    return sorted(missing)


def _fonts_of(resources, missing: set[str], *, seen: set[int]) -> None:
    resources = resources.get_object() if resources is not None else None
    if not resources or id(resources) in seen:
        return
    seen.add(id(resources))
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        if not _embedded(font):
            missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    for xobject in (resources.get("/XObject") or {}).values():
        _fonts_of(xobject.get_object().get("/Resources"), missing, seen=seen)


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # drawn by the PDF's own glyph procedures
    for descendant in font.get("/DescendantFonts") or []:
        font = descendant.get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def page_count(pdf: bytes) -> int:
    return len(_reader(pdf).pages)


def _reader(pdf: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            raise ConversionError("PDF зашифрован: отметки и реквизиты в него не внести")
        len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ConversionError(f"PDF не читается ({exc}): отметки и реквизиты в него не внести") from None
    return reader


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- the stamp


def _stamp_pdf(width: float, height: float) -> bytes:
    """One transparent page of the given size with the mark on its diagonal (made once per size)."""
    from reportlab.pdfgen import canvas  # imported here: only drafts need it

    font = _stamp_font()
    size = 0.7 * math.hypot(width, height) / _text_width(font, 1.0)
    buffer = io.BytesIO()
    # initialFontName: else reportlab names Helvetica in every page's resources, a font it never embeds
    page = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1, initialFontName=font)
    page.setFillColorRGB(0.55, 0.55, 0.55)
    page.setFillAlpha(0.3)
    page.translate(width / 2, height / 2)
    page.rotate(math.degrees(math.atan2(height, width)))
    page.setFont(font, size)
    page.drawCentredString(0, -0.35 * size, DRAFT_MARK)
    page.showPage()
    page.save()
    return buffer.getvalue()


@functools.lru_cache(maxsize=16)
def _stamp_page(width: float, height: float) -> PageObject:
    # One reader per size: pypdf then copies the embedded font once per output file, not once per page.
    return PdfReader(io.BytesIO(_stamp_pdf(width, height))).pages[0]


@functools.cache
def _stamp_font() -> str:
    """Register the first Cyrillic font found with reportlab; its registered name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for path in STAMP_FONTS:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont("DocgenStamp", path))
            return "DocgenStamp"
    raise ConversionError(
        "Нет шрифта с кириллицей для отметки «ПРОЕКТ» (Debian: пакет fonts-liberation2)"
    )


def _text_width(font: str, size: float) -> float:
    from reportlab.pdfbase import pdfmetrics

    return float(pdfmetrics.stringWidth(DRAFT_MARK, font, size))
