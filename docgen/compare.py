"""What changed between two versions of a contract: paragraph by paragraph, words marked inside a changed one.

Pure: two DOCX as bytes in, a `Comparison` out, with no idea of how it will be shown. The web board
renders it as HTML; a comparison document can be written from the same structure.

A document is read as its body's paragraphs and table cells in reading order, each as the text a
reader sees with every tracked change accepted (inserted text kept, deleted text dropped). Runs of
whitespace count as one space, so a change no one can see is no change; empty paragraphs are skipped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import StrEnum

from lxml import etree

from docgen.errors import DocumentUnreadable

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Inside a paragraph: what is read as text, and subtrees that are not part of what a reader sees.
_CHARS = {f"{_W}tab": " ", f"{_W}br": " ", f"{_W}cr": " ", f"{_W}noBreakHyphen": "-"}
_HIDDEN = {f"{_W}del", f"{_W}moveFrom", f"{_W}txbxContent", f"{_MC}Fallback", f"{_W}pPr", f"{_W}rPr",
           f"{_W}instrText", f"{_W}delText"}
# Block containers whose children are read in order (content controls, custom XML, tracked insertions).
_BLOCK_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}ins", f"{_W}moveTo"}
# Words, and numbers with their thousands groups and decimals as one («1 020 000,00»), punctuation, spaces.
_WORDS = re.compile(r"\d{1,3}(?: \d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?|\w+|[^\w\s]|\s+")
_PAIRING_LIMIT = 2500  # old × new paragraphs of one changed block paired by likeness; beyond, in order
_ALIKE = 0.5  # paragraphs at least this alike are one paragraph edited, not one deleted and one inserted


class Change(StrEnum):
    SAME = "same"
    INSERTED = "inserted"
    DELETED = "deleted"
    CHANGED = "changed"


class Mark(StrEnum):
    SAME = "same"
    INSERTED = "inserted"
    DELETED = "deleted"


@dataclass(frozen=True)
class Place:
    """Where a paragraph sits: in the running text (table None) or in a table's cell, all counted from 1."""

    table: int | None = None
    row: int | None = None
    cell: int | None = None

    @property
    def label(self) -> str:
        if self.table is None:
            return ""
        return f"таблица {self.table}, строка {self.row}, столбец {self.cell}"


@dataclass(frozen=True)
class Paragraph:
    text: str
    place: Place = Place()
    style: str = field(default="", compare=False)  # the paragraph style's id: names clauses in `clause_labels`


@dataclass(frozen=True)
class Piece:
    mark: Mark
    text: str


@dataclass(frozen=True)
class Entry:
    """One paragraph of the comparison; `old`/`new` are its positions (from 0) in each version, None where absent."""

    change: Change
    old: int | None
    new: int | None
    place: Place
    pieces: tuple[Piece, ...]

    @property
    def old_text(self) -> str:
        return "".join(p.text for p in self.pieces if p.mark is not Mark.INSERTED)

    @property
    def new_text(self) -> str:
        return "".join(p.text for p in self.pieces if p.mark is not Mark.DELETED)


@dataclass(frozen=True)
class Hunk:
    """Changed paragraphs with a little unchanged context, after `skipped` unchanged paragraphs not shown."""

    skipped: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Comparison:
    entries: tuple[Entry, ...]

    def count(self, change: Change | str) -> int:
        return sum(1 for e in self.entries if e.change == change)

    @property
    def identical(self) -> bool:
        return all(e.change is Change.SAME for e in self.entries)

    def hunks(self, *, context: int = 1) -> tuple[list[Hunk], int]:
        """The changes with `context` unchanged paragraphs around each; also how many unchanged end it."""
        shown = _near_changes(self.entries, context=context)
        hunks: list[Hunk] = []
        skipped, current = 0, []
        for index, entry in enumerate(self.entries):
            if index in shown:
                current.append(entry)
                continue
            if current:
                hunks.append(Hunk(skipped, tuple(current)))
                skipped, current = 0, []
            skipped += 1
        if current:
            hunks.append(Hunk(skipped, tuple(current)))
            skipped = 0
        return hunks, skipped


def _near_changes(entries: tuple[Entry, ...], *, context: int) -> set[int]:
    shown: set[int] = set()
    for index, entry in enumerate(entries):
        if entry.change is not Change.SAME:
            shown.update(range(max(0, index - context), min(len(entries), index + context + 1)))
    return shown


# reading a document


def paragraphs(docx: bytes) -> list[Paragraph]:
    """The body's non-empty paragraphs and table cells of a DOCX, in reading order."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            xml = archive.read("word/document.xml")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml, parser)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError) as exc:
        raise DocumentUnreadable(f"документ не читается как DOCX: {exc}") from None
    body = root.find(f"{_W}body")
    if body is None:
        return []
    tables = _Counter()
    return [p for p in _blocks(body, place=Place(), tables=tables) if p.text]


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


def _blocks(container: etree._Element, *, place: Place, tables: _Counter) -> Iterator[Paragraph]:
    for child in container:
        tag = child.tag
        if tag == f"{_W}p":
            yield Paragraph(_text(child), place, _style(child))
        elif tag == f"{_W}tbl":
            yield from _table(child, tables=tables)
        elif tag in _BLOCK_WRAPPERS:
            yield from _blocks(child, place=place, tables=tables)


def _table(table: etree._Element, *, tables: _Counter) -> Iterator[Paragraph]:
    number = tables.next()
    for r, row in enumerate(table.iterchildren(f"{_W}tr"), start=1):
        for c, cell in enumerate(row.iterchildren(f"{_W}tc"), start=1):
            yield from _blocks(cell, place=Place(number, r, c), tables=tables)


def _style(paragraph: etree._Element) -> str:
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return style.get(f"{_W}val", "") if style is not None else ""


def _text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    _collect(paragraph, parts)
    return " ".join("".join(parts).split())


def _collect(element: etree._Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag in _HIDDEN or not isinstance(tag, str):
            continue
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag in _CHARS:
            parts.append(_CHARS[tag])
        else:
            _collect(child, parts)


# comparing


def compare_docx(old: bytes, new: bytes) -> Comparison:
    """What changed from the DOCX `old` to the DOCX `new`; DocumentUnreadable if either is not a DOCX."""
    return compare_paragraphs(paragraphs(old), paragraphs(new))


def compare_paragraphs(old: list[Paragraph], new: list[Paragraph]) -> Comparison:
    matcher = SequenceMatcher(None, [p.text for p in old], [p.text for p in new], autojunk=False)
    entries: list[Entry] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            entries.extend(Entry(Change.SAME, i1 + k, j1 + k, new[j1 + k].place,
                                 (Piece(Mark.SAME, new[j1 + k].text),)) for k in range(i2 - i1))
        else:
            entries.extend(_changed_block(old, new, olds=range(i1, i2), news=range(j1, j2)))
    return Comparison(tuple(entries))


def _changed_block(old: list[Paragraph], new: list[Paragraph], *, olds: range, news: range) -> Iterator[Entry]:
    """A block that differs: paragraphs alike enough are one edited paragraph, the rest deleted or inserted."""
    i, j = olds.start, news.start
    for a, b in _pairs(old, new, olds=olds, news=news):
        yield from (_deleted(old, k) for k in range(i, a))
        yield from (_inserted(new, k) for k in range(j, b))
        yield Entry(Change.CHANGED, a, b, new[b].place, words_diff(old[a].text, new[b].text))
        i, j = a + 1, b + 1
    yield from (_deleted(old, k) for k in range(i, olds.stop))
    yield from (_inserted(new, k) for k in range(j, news.stop))


def _deleted(old: list[Paragraph], k: int) -> Entry:
    return Entry(Change.DELETED, k, None, old[k].place, (Piece(Mark.DELETED, old[k].text),))


def _inserted(new: list[Paragraph], k: int) -> Entry:
    return Entry(Change.INSERTED, None, k, new[k].place, (Piece(Mark.INSERTED, new[k].text),))


def _pairs(old: list[Paragraph], new: list[Paragraph], *, olds: range, news: range) -> list[tuple[int, int]]:
    """Old and new paragraphs of a block matched in order, each to the most alike one still free."""
    if len(olds) * len(news) > _PAIRING_LIMIT:
        return list(zip(olds, news))
    pairs: list[tuple[int, int]] = []
    start = news.start
    for a in olds:
        best, best_ratio = None, _ALIKE
        for b in range(start, news.stop):
            matcher = SequenceMatcher(None, old[a].text, new[b].text, autojunk=False)
            if matcher.real_quick_ratio() >= best_ratio and matcher.quick_ratio() >= best_ratio:
                ratio = matcher.ratio()
                if ratio >= best_ratio:
                    best, best_ratio = b, ratio
        if best is not None:
            pairs.append((a, best))
            start = best + 1
    return pairs


def words_diff(old: str, new: str) -> tuple[Piece, ...]:
    """`old` → `new` as pieces kept, deleted and inserted, word by word."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece(Mark.SAME, "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece(Mark.DELETED, "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece(Mark.INSERTED, "".join(b[j1:j2])))
    return _tidy(pieces)


def _tidy(pieces: list[Piece]) -> tuple[Piece, ...]:
    """A lone space kept between two changes joins them (one change of «a b» to «c d», not two); like marks merge."""
    out: list[Piece] = []
    for index, piece in enumerate(pieces):
        between = 0 < index < len(pieces) - 1 and pieces[index - 1].mark is not Mark.SAME \
            and pieces[index + 1].mark is not Mark.SAME
        if piece.mark is Mark.SAME and between and not piece.text.strip():
            out.extend((Piece(Mark.DELETED, piece.text), Piece(Mark.INSERTED, piece.text)))
        else:
            out.append(piece)
    return _merged(out)


def _merged(pieces: list[Piece]) -> tuple[Piece, ...]:
    """Adjacent pieces of one mark as one; within a change, the deletion before the insertion."""
    deleted: list[str] = []
    inserted: list[str] = []
    out: list[Piece] = []

    def flush() -> None:
        if deleted:
            out.append(Piece(Mark.DELETED, "".join(deleted)))
        if inserted:
            out.append(Piece(Mark.INSERTED, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for piece in pieces:
        if piece.mark is Mark.DELETED:
            deleted.append(piece.text)
        elif piece.mark is Mark.INSERTED:
            inserted.append(piece.text)
        else:
            flush()
            if out and out[-1].mark is Mark.SAME:
                out[-1] = Piece(Mark.SAME, out[-1].text + piece.text)
            else:
                out.append(piece)
    flush()
    return tuple(out)


# naming what changed


# Paragraph styles that open a numbered section and a numbered clause (docgen's contract templates number them
# by style: «6. ГАРАНТИЯ КАЧЕСТВА», «6.1. …»); Word's built-in headings open a section too.
SECTION_STYLES = ("Section", "Heading1", "heading1", "1")
CLAUSE_STYLES = ("Clause",)
_QUOTE = 70  # characters of a changed text quoted in a letter's line


def clause_labels(paras: list[Paragraph]) -> list[str]:
    """Where each paragraph sits, as a reader of the contract names it: «п. 6.1», «раздел 6 «ГАРАНТИЯ КАЧЕСТВА»»,
    «таблица 1, строка 2»; a paragraph inside a clause (a list item) by its clause; before any section,
    «преамбула»."""
    labels: list[str] = []
    section, clause, heading = 0, 0, ""
    for p in paras:
        if p.place.table is not None:
            labels.append(f"таблица {p.place.table}, строка {p.place.row}")
        elif p.style in SECTION_STYLES:
            section, clause, heading = section + 1, 0, p.text
            labels.append(f"раздел {section} «{_cut(heading, 40)}»")
        elif p.style in CLAUSE_STYLES and section:
            clause += 1
            labels.append(f"п. {section}.{clause}")
        elif section:
            labels.append(f"п. {section}.{clause}" if clause else f"раздел {section} «{_cut(heading, 40)}»")
        else:
            labels.append("преамбула")
    return labels


def changed_clauses(comparison: Comparison, old: list[Paragraph], new: list[Paragraph]) -> list[str]:
    """One line per changed paragraph, for a letter: where it is and what changed, quoted briefly
    («п. 6.1: «12 (двенадцать)» → «24 (двадцать четыре)»»)."""
    old_labels, new_labels = clause_labels(old), clause_labels(new)
    lines = []
    for entry in comparison.entries:
        if entry.change is Change.SAME:
            continue
        label = new_labels[entry.new] if entry.new is not None else old_labels[entry.old]
        if entry.change is Change.INSERTED:
            lines.append(f"{label}: добавлено «{_cut(entry.new_text, _QUOTE)}»")
        elif entry.change is Change.DELETED:
            lines.append(f"{label}: удалено «{_cut(entry.old_text, _QUOTE)}»")
        else:
            removed = " … ".join(p.text.strip() for p in entry.pieces if p.mark is Mark.DELETED and p.text.strip())
            added = " … ".join(p.text.strip() for p in entry.pieces if p.mark is Mark.INSERTED and p.text.strip())
            what = (f"«{_cut(removed, _QUOTE)}» → «{_cut(added, _QUOTE)}»" if removed and added
                    else f"удалено «{_cut(removed, _QUOTE)}»" if removed else f"добавлено «{_cut(added, _QUOTE)}»")
            lines.append(f"{label}: {what}")
    return lines


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
