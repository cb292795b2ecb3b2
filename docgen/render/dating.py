"""The signing date written into a reviewed contract, touching nothing else a reviewer may have edited.

A contract whose form gives no date is reviewed undated: the template puts its date inside a locked
Word content control tagged `docgen:contract-date:<filter>` («Дата договора (ставится при
подписании)»), which shows «____» ____________ 20___ г. in the draft. On signing, docgen replaces
the text of every such control — in the body, headers and footers — with the date written by that
filter, and copies every other part of the file byte for byte. A reviewer who deleted the control
leaves the blank for a hand to fill: the blank date is then looked for as plain text.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from lxml import etree

from docgen.render.filters import BLANK_DATE_RU, BLANK_DATE_SHORT, date_ru, date_short

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TAG_PREFIX = "docgen:contract-date"
_FORMATS = {"date_ru": date_ru, "date_short": date_short}
_BLANKS = {BLANK_DATE_RU: date_ru, BLANK_DATE_SHORT: date_short}
_PARTS = ("word/document.xml", "word/header", "word/footer")


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def fill_contract_date(docx: bytes, date: dt.date) -> tuple[bytes, int]:
    """`docx` with its contract date set to `date`, and how many places were filled (0: none found)."""
    filled = 0
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith(_PARTS) and item.filename.endswith(".xml"):
                data, count = _fill_part(data, date)
                filled += count
            dst.writestr(item, data)
    return (out.getvalue(), filled) if filled else (docx, 0)


def _fill_part(xml: bytes, date: dt.date) -> tuple[bytes, int]:
    root = etree.fromstring(xml)
    count = sum(_fill_control(sdt, date) for sdt in root.iter(_w("sdt")))
    if not count:
        count = _fill_blank_text(root, date)
    if not count:
        return xml, 0
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), count


def _fill_control(sdt: etree._Element, date: dt.date) -> int:
    tag = sdt.find(f"{_w('sdtPr')}/{_w('tag')}")
    value = tag.get(_w("val"), "") if tag is not None else ""
    if not value.startswith(TAG_PREFIX):
        return 0
    write = _FORMATS.get(value.rsplit(":", 1)[-1], date_ru)
    content = sdt.find(_w("sdtContent"))
    texts = list(content.iter(_w("t"))) if content is not None else []
    if not texts:
        return 0
    texts[0].text = write(date)
    for extra in texts[1:]:
        extra.text = ""
    placeholder = sdt.find(f"{_w('sdtPr')}/{_w('showingPlcHdr')}")
    if placeholder is not None:
        placeholder.getparent().remove(placeholder)
    return 1


def _fill_blank_text(root: etree._Element, date: dt.date) -> int:
    count = 0
    for text in root.iter(_w("t")):
        for blank, write in _BLANKS.items():
            if text.text and blank in text.text:
                text.text = text.text.replace(blank, write(date))
                count += 1
    return count
