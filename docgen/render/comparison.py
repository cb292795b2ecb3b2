"""A comparison document: what changed between two versions of a contract, as Word tracked changes.

Built from docgen.compare's `Comparison`: each changed paragraph under its clause, with a little unchanged
context; deleted words as Word deletions (w:del), inserted ones as insertions (w:ins), so Word shows them
struck through and underlined in colour and LibreOffice prints them so. It is a document to read, not a
version: it carries no deal properties (a version is recognised by them) but its own mark, `docgen-comparison`.
"""

from __future__ import annotations

import datetime as dt
import io

import docx as python_docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from docgen.compare import Change, Comparison, Mark, Paragraph, clause_labels
from docgen.render.docx import set_custom_properties, steady_package

COMPARISON_PROPERTY = "docgen-comparison"
_AUTHOR = "docgen (сравнение версий)"
_GREY = RGBColor(0x66, 0x66, 0x66)


def comparison_docx(comparison: Comparison, *, old: list[Paragraph], new: list[Paragraph], title: str,
                    intro: list[str], at: dt.datetime, mark: str) -> bytes:
    """The comparison as a DOCX: `title`, `intro` lines, then each change under its clause."""
    document = python_docx.Document()
    document.core_properties.title = title
    document.core_properties.author = "docgen"
    set_custom_properties(document.part.package, {COMPARISON_PROPERTY: mark})
    document.add_heading(title, level=1)
    for line in intro:
        document.add_paragraph(line)
    old_labels, new_labels = clause_labels(old), clause_labels(new)
    hunks, tail = comparison.hunks(context=1)
    counter = iter(range(1, 1_000_000))
    for hunk in hunks:
        if hunk.skipped:
            _aside(document, f"… без изменений: {_paragraphs(hunk.skipped)} …")
        for entry in hunk.entries:
            if entry.change is not Change.SAME:  # the context around a change goes without a label
                label = new_labels[entry.new] if entry.new is not None else old_labels[entry.old]
                _aside(document, label, bold=True)
            paragraph = document.add_paragraph()
            for piece in entry.pieces:
                if piece.mark is Mark.SAME:
                    paragraph.add_run(piece.text)
                else:
                    paragraph._p.append(_tracked(piece, number=next(counter), at=at))
    if tail:
        _aside(document, f"… без изменений: {_paragraphs(tail)} …")
    out = io.BytesIO()
    document.save(out)
    return steady_package(out.getvalue())


def _aside(document, text: str, *, bold: bool = False) -> None:
    run = document.add_paragraph().add_run(text)
    run.italic = not bold
    run.bold = bold
    run.font.size = Pt(9)
    run.font.color.rgb = _GREY


def _tracked(piece, *, number: int, at: dt.datetime):
    """A Word insertion or deletion holding `piece`'s text."""
    deleted = piece.mark is Mark.DELETED
    change = OxmlElement("w:del" if deleted else "w:ins")
    change.set(qn("w:id"), str(number))
    change.set(qn("w:author"), _AUTHOR)
    change.set(qn("w:date"), at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    run = OxmlElement("w:r")
    text = OxmlElement("w:delText" if deleted else "w:t")
    text.text = piece.text
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(text)
    change.append(run)
    return change


def _paragraphs(count: int) -> str:
    tens, ones = count % 100, count % 10
    word = "абзацев" if 11 <= tens <= 14 else "абзац" if ones == 1 else "абзаца" if 2 <= ones <= 4 else "абзацев"
    return f"{count} {word}"
