"""Clauses of a signed contract found by their bookmark, with the number Word's list numbering gives them.

The contract templates number their clauses with Word's own multilevel list (styles «Раздел
договора», «Пункт договора», «Подпункт договора»), so a clause's number is not in its text: it
follows from its place in the document. A letter that cites a clause (the claim letter citing the
deadline to answer a claim) finds it by its bookmark — `docgen_claim_answer` — in the contract as
signed, edits of the reviewers included, and gets its number and text here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CLAIM_ANSWER = "docgen_claim_answer"
_TERM = re.compile(r"(\d+)\s*(?:\([^)]*\)\s*)?(рабоч|календарн|банковск)\w*\s+дн", re.IGNORECASE)


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass(frozen=True)
class Clause:
    """A numbered clause: «10.2», its text, and the first term in days it names (10, «рабочих»), if any."""

    number: str
    text: str
    days: int | None
    day_kind: str | None


def find_clause(docx: bytes, bookmark: str = CLAIM_ANSWER) -> Clause | None:
    """The clause holding `bookmark` in a DOCX, or None when the bookmark is gone."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        names = set(archive.namelist())
        body = etree.fromstring(archive.read("word/document.xml")).find(_w("body"))
        styles = etree.fromstring(archive.read("word/styles.xml")) if "word/styles.xml" in names else None
        numbering = etree.fromstring(archive.read("word/numbering.xml")) if "word/numbering.xml" in names else None
    lists = _Lists(numbering, styles)
    for paragraph in body.iter(_w("p")):
        label = lists.advance(paragraph)
        if any(b.get(_w("name")) == bookmark for b in paragraph.iter(_w("bookmarkStart"))):
            text = "".join("-" if e.tag == _w("noBreakHyphen") else e.text or ""
                           for e in paragraph.iter(_w("t"), _w("noBreakHyphen")))
            term = _TERM.search(text)
            return Clause(number=label.rstrip("."), text=text, days=int(term.group(1)) if term else None,
                          day_kind={"рабоч": "рабочих", "календарн": "календарных", "банковск": "банковских"}
                          [term.group(2).lower()] if term else None)
    return None


class _Lists:
    """Word's list counters as the paragraphs go by: direct numbering first, else the style's."""

    def __init__(self, numbering: etree._Element | None, styles: etree._Element | None) -> None:
        self.formats: dict[str, dict[int, str]] = {}
        self.counters: dict[str, list[int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        self.based_on: dict[str, str] = {}
        if numbering is not None:
            self._read_numbering(numbering)
        if styles is not None:
            self._read_styles(styles)

    def _read_numbering(self, root: etree._Element) -> None:
        abstract = {}
        for item in root.iter(_w("abstractNum")):
            abstract[item.get(_w("abstractNumId"))] = {
                int(lvl.get(_w("ilvl"))): lvl.find(_w("lvlText")).get(_w("val"), "")
                for lvl in item.iter(_w("lvl")) if lvl.find(_w("lvlText")) is not None}
        for num in root.iter(_w("num")):
            ref = num.find(_w("abstractNumId"))
            if ref is not None:
                self.formats[num.get(_w("numId"))] = abstract.get(ref.get(_w("val")), {})

    def _read_styles(self, root: etree._Element) -> None:
        for style in root.iter(_w("style")):
            name = style.get(_w("styleId"))
            based = style.find(_w("basedOn"))
            if based is not None:
                self.based_on[name] = based.get(_w("val"))
            found = _num_pr(style.find(_w("pPr")))
            if found:
                self.style_num[name] = found

    def _style_numbering(self, style: str | None) -> tuple[str, int] | None:
        seen = set()
        while style and style not in seen:
            seen.add(style)
            if style in self.style_num:
                return self.style_num[style]
            style = self.based_on.get(style)
        return None

    def advance(self, paragraph: etree._Element) -> str:
        """This paragraph's list label («10.2.»), counting it; '' when it is not numbered."""
        ppr = paragraph.find(_w("pPr"))
        style = ppr.find(_w("pStyle")).get(_w("val")) if ppr is not None and ppr.find(_w("pStyle")) is not None \
            else None
        found = _num_pr(ppr) or self._style_numbering(style)
        if not found or found[0] == "0" or found[0] not in self.formats:
            return ""
        num_id, level = found
        counters = self.counters.setdefault(num_id, [0] * 9)
        counters[level] += 1
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        text = self.formats[num_id].get(level, "")
        return re.sub(r"%(\d)", lambda m: str(counters[int(m.group(1)) - 1]), text)


def _num_pr(ppr: etree._Element | None) -> tuple[str, int] | None:
    numpr = ppr.find(_w("numPr")) if ppr is not None else None
    if numpr is None:
        return None
    num = numpr.find(_w("numId"))
    if num is None:
        return None
    level = numpr.find(_w("ilvl"))
    return num.get(_w("val")), int(level.get(_w("val"))) if level is not None else 0
