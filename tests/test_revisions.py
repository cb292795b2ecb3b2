"""Accepting tracked changes and stripping comments on the package's XML: each kind of revision Word writes."""

from __future__ import annotations

import io
import zipfile

import docx as python_docx

from docgen.compare import paragraphs
from docgen.workflow.revisions import accept_revisions, strip_comments

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = "<w:r><w:t xml:space=\"preserve\">{}</w:t></w:r>"
D = "<w:r><w:delText xml:space=\"preserve\">{}</w:delText></w:r>"
MARK = 'w:id="{}" w:author="Юрист" w:date="2026-11-26T10:00:00Z"'


def package(body: str) -> bytes:
    """A DOCX made by python-docx whose body is `body`."""
    out = io.BytesIO()
    python_docx.Document().save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with source, zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = (f'<?xml version="1.0" encoding="UTF-8"?><w:document {NS}><w:body>{body}</w:body>'
                        '</w:document>').encode()
            target.writestr(info, data)
    return result.getvalue()


def texts(docx: bytes) -> list[str]:
    return [p.text for p in paragraphs(docx)]


def test_insertions_kept_deletions_dropped_moves_land_where_they_went():
    body = (f"<w:p>{R.format('Срок — ')}<w:del {MARK.format(1)}>{D.format('12')}</w:del>"
            f"<w:ins {MARK.format(2)}>{R.format('24')}</w:ins>{R.format(' месяца.')}</w:p>"
            f"<w:p><w:moveFrom {MARK.format(3)}>{R.format('Перенесённый абзац.')}</w:moveFrom></w:p>"
            f"<w:p>{R.format('Последний.')}<w:moveTo {MARK.format(4)}>{R.format(' Перенесённый абзац.')}"
            "</w:moveTo></w:p>")
    accepted = accept_revisions(package(body))
    assert texts(accepted.docx) == ["Срок — 24 месяца.", "Последний. Перенесённый абзац."]
    assert accepted.counts == {"insertions": 1, "deletions": 1, "moves": 2, "formatting": 0}
    assert b"w:del" not in _xml(accepted.docx) and b"w:ins" not in _xml(accepted.docx)


def test_a_deleted_paragraph_mark_joins_the_paragraphs_and_a_deleted_row_goes():
    body = (f"<w:p><w:pPr><w:rPr><w:del {MARK.format(1)}/></w:rPr></w:pPr>{R.format('Первая часть')}</w:p>"
            f"<w:p>{R.format(' и вторая.')}</w:p>"
            "<w:tbl><w:tr><w:tc><w:p>" + R.format("оставить") + "</w:p></w:tc></w:tr>"
            f"<w:tr><w:trPr><w:del {MARK.format(2)}/></w:trPr><w:tc><w:p>" + R.format("удалить")
            + "</w:p></w:tc></w:tr>"
            "</w:tbl>")
    accepted = accept_revisions(package(body))
    assert texts(accepted.docx) == ["Первая часть и вторая.", "оставить"]


def test_formatting_changes_are_dropped_and_the_formatting_kept():
    body = (f"<w:p><w:r><w:rPr><w:b/><w:rPrChange {MARK.format(1)}><w:rPr/></w:rPrChange></w:rPr>"
            "<w:t>Жирный</w:t></w:r></w:p>")
    accepted = accept_revisions(package(body))
    xml = _xml(accepted.docx)
    assert b"rPrChange" not in xml and b"<w:b/>" in xml and accepted.counts["formatting"] == 1


def test_a_document_without_revisions_comes_back_as_it_is_and_the_same_input_gives_the_same_bytes():
    plain = package(f"<w:p>{R.format('Текст.')}</w:p>")
    assert accept_revisions(plain).docx == plain and not accept_revisions(plain).any
    tracked = package(f"<w:p><w:ins {MARK.format(1)}>{R.format('Текст.')}</w:ins></w:p>")
    assert accept_revisions(tracked).docx == accept_revisions(tracked).docx


def test_comments_are_stripped_with_their_part_and_relationships():
    document = python_docx.Document()
    paragraph = document.add_paragraph("Цена твёрдая.")
    document.add_comment(paragraph.runs[0], text="Проверить", author="Юрист")
    out = io.BytesIO()
    document.save(out)
    stripped = strip_comments(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(stripped)) as archive:
        names = archive.namelist()
        rels = archive.read("word/_rels/document.xml.rels")
        types = archive.read("[Content_Types].xml")
    assert "word/comments.xml" not in names and b"comments" not in rels and b"comments" not in types
    assert b"comment" not in _xml(stripped)
    assert [p.text for p in python_docx.Document(io.BytesIO(stripped)).paragraphs] == ["Цена твёрдая."]


def _xml(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read("word/document.xml")
