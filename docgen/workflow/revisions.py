"""Tracked changes and comments in a reviewer's DOCX: accepted when the draft is approved, kept out of the signed copy.

Approving a draft that still holds Word's tracked changes (Рецензирование → Исправления) means approving the
text as it reads with them: insertions stay (w:ins unwrapped), deletions go (w:del removed), a move keeps
its destination (w:moveTo) and drops its source (w:moveFrom), and formatting-change records (w:rPrChange …)
are dropped with the formatting as it now is. Comments are the reviewers' talk about the text: the dossier's
copy of a version keeps them, the copy that is signed has none.

Both work on the package's XML with lxml and copy every other entry as it is, each entry keeping its time:
the same bytes in give the same bytes out (a step repeated after a crash writes the same file).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass

from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
W = f"{{{_W}}}"

# The parts that hold text a reader sees, and so may hold tracked changes and comment marks.
_STORY = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
# Removed with everything inside: what a tracked change took out.
_DROPPED = {f"{W}del", f"{W}moveFrom"}
# Unwrapped, their content kept in their place: what a tracked change put in.
_UNWRAPPED = {f"{W}ins", f"{W}moveTo"}
# Marks without content, removed: the ends of a move, and the records of a formatting change.
_MARKS = {f"{W}{name}" for name in (
    "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd", "rPrChange", "pPrChange",
    "sectPrChange", "tblPrChange", "tblPrExChange", "trPrChange", "tcPrChange", "tblGridChange",
    "numberingChange", "cellIns", "cellDel", "cellMerge")}
_COMMENT_MARKS = {f"{W}commentRangeStart", f"{W}commentRangeEnd"}
# The parts of comments (Word 2007 and the later ones beside it), by the end of their relationship type.
_COMMENT_PARTS = ("/comments", "/commentsExtended", "/commentsIds", "/commentsExtensible")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


@dataclass(frozen=True)
class Accepted:
    """A DOCX with its tracked changes accepted, and how many of each kind there were."""

    docx: bytes
    counts: dict[str, int]

    @property
    def any(self) -> bool:
        return any(self.counts.values())

    def summary(self) -> str:
        """«вставок: 2, удалений: 1» for the journal and the letters."""
        titles = {"insertions": "вставок", "deletions": "удалений", "moves": "перемещений",
                  "formatting": "изменений оформления"}
        return ", ".join(f"{titles[k]}: {v}" for k, v in self.counts.items() if v)


def accept_revisions(docx: bytes) -> Accepted:
    """`docx` with every tracked change accepted; the same bytes when it has none (or is not a DOCX)."""
    counts: Counter[str] = Counter()

    def accept(name: str, root: etree._Element) -> bool:
        found = _accept_tree(root)
        counts.update(found)
        return bool(found)

    out = _rewrite(docx, accept)
    keys = ("insertions", "deletions", "moves", "formatting")
    return Accepted(out, {k: counts[k] for k in keys})


def has_revisions(docx: bytes) -> bool:
    return accept_revisions(docx).any


def strip_comments(docx: bytes) -> bytes:
    """`docx` without Word comments: their marks in the text, their parts, and the relationships to them."""
    def strip(name: str, root: etree._Element) -> bool:
        return _strip_marks(root)

    return _rewrite(docx, strip, drop_comment_parts=True)


def _accept_tree(root: etree._Element) -> Counter[str]:
    found: Counter[str] = Counter()
    # Rows and paragraph marks first: their markers sit inside properties (w:trPr/w:del, w:pPr/w:rPr/w:ins).
    for row in [r for r in root.iter(f"{W}tr") if _marked(r, f"{W}trPr", f"{W}del")]:
        row.getparent().remove(row)
        found["deletions"] += 1
    for mark in list(root.iter(f"{W}ins", f"{W}del")):
        parent = mark.getparent()
        if parent is not None and parent.tag in (f"{W}rPr", f"{W}trPr"):
            mark_of = parent.getparent()  # a paragraph mark's properties: w:p/w:pPr/w:rPr/(w:ins|w:del)
            paragraph = mark_of.getparent() if parent.tag == f"{W}rPr" and mark_of.tag == f"{W}pPr" else None
            parent.remove(mark)
            if mark.tag == f"{W}del" and paragraph is not None and paragraph.tag == f"{W}p":
                _join_next(paragraph)
            found["insertions" if mark.tag == f"{W}ins" else "deletions"] += 1
    for element in list(root.iter(*_DROPPED, *_UNWRAPPED, *_MARKS)):
        if element.getparent() is None:
            continue
        tag = element.tag
        if tag in _DROPPED:
            element.getparent().remove(element)
            found["deletions" if tag == f"{W}del" else "moves"] += 1
        elif tag in _UNWRAPPED:
            _unwrap(element)
            found["insertions" if tag == f"{W}ins" else "moves"] += 1
        else:
            element.getparent().remove(element)
            if tag.endswith("Change"):
                found["formatting"] += 1
    return found


def _marked(element: etree._Element, props: str, marker: str) -> bool:
    holder = element.find(props)
    return holder is not None and holder.find(marker) is not None


def _join_next(paragraph: etree._Element) -> None:
    """A deleted paragraph mark: the paragraph's content runs on into the next paragraph (which keeps its mark)."""
    following = paragraph.getnext()
    while following is not None and following.tag != f"{W}p":
        following = following.getnext() if following.tag in (f"{W}bookmarkEnd", f"{W}bookmarkStart") else None
    if following is None:
        return
    content = [child for child in paragraph if child.tag != f"{W}pPr"]
    at = 1 if following.find(f"{W}pPr") is not None else 0
    for offset, child in enumerate(content):
        following.insert(at + offset, child)
    paragraph.getparent().remove(paragraph)


def _unwrap(element: etree._Element) -> None:
    parent = element.getparent()
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    _keep_tail(element)
    parent.remove(element)


def _keep_tail(element: etree._Element) -> None:
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent = element.getparent()
            parent.text = (parent.text or "") + element.tail


def _strip_marks(root: etree._Element) -> bool:
    changed = False
    for mark in list(root.iter(*_COMMENT_MARKS)):
        mark.getparent().remove(mark)
        changed = True
    for reference in list(root.iter(f"{W}commentReference")):
        run = reference.getparent()
        run.remove(reference)
        if run.tag == f"{W}r" and all(child.tag == f"{W}rPr" for child in run):
            run.getparent().remove(run)
        changed = True
    return changed


def _rewrite(docx: bytes, change, *, drop_comment_parts: bool = False) -> bytes:
    """The package with `change(name, root)` applied to each story part; unchanged input comes back as it is."""
    try:
        source = zipfile.ZipFile(io.BytesIO(docx))
    except zipfile.BadZipFile:
        return docx
    with source:
        dropped = _comment_parts(source) if drop_comment_parts else set()
        entries: list[tuple[zipfile.ZipInfo, bytes]] = []
        changed = bool(dropped)
        for info in source.infolist():
            if info.filename in dropped:
                continue
            data = source.read(info)
            if _STORY.fullmatch(info.filename):
                try:
                    root = etree.fromstring(data, _PARSER)
                except etree.XMLSyntaxError:
                    entries.append((info, data))
                    continue
                if change(info.filename, root):
                    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                    changed = True
            elif dropped and info.filename in ("[Content_Types].xml", "word/_rels/document.xml.rels"):
                data = _without_parts(data, dropped)
            entries.append((info, data))
    if not changed:
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = zipfile.ZIP_DEFLATED
            copy.external_attr = info.external_attr
            target.writestr(copy, data)
    return out.getvalue()


def _comment_parts(source: zipfile.ZipFile) -> set[str]:
    """The entries of the comment parts the main document refers to."""
    try:
        rels = etree.fromstring(source.read("word/_rels/document.xml.rels"), _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return set()
    names = set(source.namelist())
    out = set()
    for rel in rels:
        if rel.get("Type", "").endswith(_COMMENT_PARTS) and rel.get("TargetMode") != "External":
            target = rel.get("Target", "").lstrip("/")
            name = target if target.startswith("word/") else f"word/{target}"
            if name in names:
                out.add(name)
    return out


def _without_parts(data: bytes, dropped: set[str]) -> bytes:
    """[Content_Types].xml or the document's relationships without the entries naming `dropped` parts."""
    root = etree.fromstring(data, _PARSER)
    for element in list(root):
        name = element.get("PartName", "").lstrip("/")
        target = element.get("Target", "")
        if target and element.get("Type", "").endswith(_COMMENT_PARTS):
            target = target.lstrip("/")
            name = target if target.startswith("word/") else f"word/{target}"
        if name in dropped:
            root.remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
