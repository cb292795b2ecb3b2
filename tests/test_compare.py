"""docgen.compare: two DOCX in, what changed out — paragraphs and table cells in reading order, words marked."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from docgen.compare import (
    Change, Mark, Paragraph, Place, changed_clauses, clause_labels, compare_docx, compare_paragraphs, paragraphs,
)
from docgen.errors import DocumentUnreadable


def make_docx(*blocks: str | list[list[str]]) -> bytes:
    """Paragraphs (strings) and tables (lists of rows of cell texts), in this order."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def with_body(body_xml: str) -> bytes:
    """A DOCX whose body is exactly `body_xml` (for tracked changes and other markup python-docx does not write)."""
    source = make_docx("x")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                        f"<w:body>{body_xml}</w:body></w:document>").encode()
            dst.writestr(item, data)
    return out.getvalue()


def changes(comparison) -> list[tuple[Change, str, str]]:
    return [(e.change, e.old_text, e.new_text) for e in comparison.entries if e.change is not Change.SAME]


def test_the_same_text_is_identical_even_resaved_with_other_spacing():
    old = make_docx("1. Предмет договора", "Поставщик передаёт Товар.")
    new = make_docx("1.  Предмет   договора", "  Поставщик передаёт\u00a0Товар. ")
    comparison = compare_docx(old, new)
    assert comparison.identical
    assert [e.change for e in comparison.entries] == [Change.SAME, Change.SAME]


def test_a_changed_word_is_marked_inside_its_paragraph():
    old = make_docx("Заголовок", "Поставщик передаёт Товар в течение 45 рабочих дней.", "Конец")
    new = make_docx("Заголовок", "Поставщик передаёт Товар в течение 50 рабочих дней.", "Конец")
    comparison = compare_docx(old, new)
    (entry,) = [e for e in comparison.entries if e.change is Change.CHANGED]
    assert (entry.old, entry.new) == (1, 1)
    assert [(p.mark, p.text) for p in entry.pieces] == [
        (Mark.SAME, "Поставщик передаёт Товар в течение "), (Mark.DELETED, "45"), (Mark.INSERTED, "50"),
        (Mark.SAME, " рабочих дней.")]
    assert entry.old_text == "Поставщик передаёт Товар в течение 45 рабочих дней."
    assert entry.new_text == "Поставщик передаёт Товар в течение 50 рабочих дней."


def test_inserted_and_deleted_paragraphs_keep_their_places():
    old = make_docx("Первый", "Второй пункт о гарантии", "Третий")
    new = make_docx("Первый", "Третий", "Новый пункт о неустойке")
    comparison = compare_docx(old, new)
    assert changes(comparison) == [
        (Change.DELETED, "Второй пункт о гарантии", ""),
        (Change.INSERTED, "", "Новый пункт о неустойке")]
    assert [comparison.count(c) for c in ("same", Change.CHANGED, Change.INSERTED, Change.DELETED)] == [2, 0, 1, 1]


def test_an_edited_paragraph_among_inserted_ones_is_paired_with_its_old_self():
    old = make_docx("А", "Цена Договора составляет 100 рублей.", "Б")
    new = make_docx("А", "Совсем новый абзац про иное.", "Цена Договора составляет 120 рублей.", "Б")
    assert [(c, o, n) for c, o, n in changes(compare_docx(old, new))] == [
        (Change.INSERTED, "", "Совсем новый абзац про иное."),
        (Change.CHANGED, "Цена Договора составляет 100 рублей.", "Цена Договора составляет 120 рублей.")]


def test_table_cells_are_read_in_reading_order_with_their_place():
    document = make_docx("До таблицы", [["№", "Наименование", "Сумма"], ["1", "Колонна К-1", "1 020 000,00"]],
                         "После таблицы")
    assert paragraphs(document) == [
        Paragraph("До таблицы"), Paragraph("№", Place(1, 1, 1)), Paragraph("Наименование", Place(1, 1, 2)),
        Paragraph("Сумма", Place(1, 1, 3)), Paragraph("1", Place(1, 2, 1)), Paragraph("Колонна К-1", Place(1, 2, 2)),
        Paragraph("1 020 000,00", Place(1, 2, 3)), Paragraph("После таблицы")]
    assert Place(1, 2, 3).label == "таблица 1, строка 2, столбец 3"


def test_a_changed_cell_reports_its_place_and_a_number_changes_whole():
    old = make_docx([["Колонна К-1", "12", "1 020 000,00"]])
    new = make_docx([["Колонна К-1", "14", "1 190 000,00"]])
    entries = [e for e in compare_docx(old, new).entries if e.change is Change.CHANGED]
    assert [(e.place.label, [(p.mark, p.text) for p in e.pieces]) for e in entries] == [
        ("таблица 1, строка 1, столбец 2", [(Mark.DELETED, "12"), (Mark.INSERTED, "14")]),
        ("таблица 1, строка 1, столбец 3", [(Mark.DELETED, "1 020 000,00"), (Mark.INSERTED, "1 190 000,00")])]


def test_tracked_changes_are_read_as_accepted():
    run = '<w:r><w:t xml:space="preserve">{}</w:t></w:r>'
    body = ("<w:p>" + run.format("Срок поставки ")
            + '<w:del w:id="1" w:author="Юрист"><w:r><w:delText>45</w:delText></w:r></w:del>'
            + '<w:ins w:id="2" w:author="Юрист">' + run.format("50") + "</w:ins>"
            + run.format(" рабочих дней.") + "</w:p>"
            + '<w:p><w:del w:id="3" w:author="Юрист"><w:r><w:delText>Удалённый абзац.</w:delText></w:r></w:del></w:p>')
    assert paragraphs(with_body(body)) == [Paragraph("Срок поставки 50 рабочих дней.")]


def test_tabs_breaks_and_content_controls_are_text_too():
    body = ('<w:sdt><w:sdtContent><w:p><w:r><w:t>Поле</w:t><w:tab/><w:t>значение</w:t><w:br/>'
            '<w:t>вторая строка</w:t></w:r></w:p></w:sdtContent></w:sdt>')
    assert paragraphs(with_body(body)) == [Paragraph("Поле значение вторая строка")]


def test_hunks_show_changes_with_context_and_count_what_is_left_out():
    old = [Paragraph(f"Пункт {n}") for n in range(10)]
    new = list(old)
    new[2] = Paragraph("Пункт 2 изменён")
    new[8] = Paragraph("Пункт 8 изменён")
    hunks, tail = compare_paragraphs(old, new).hunks(context=1)
    assert [(h.skipped, [e.new for e in h.entries]) for h in hunks] == [(1, [1, 2, 3]), (3, [7, 8, 9])]
    assert tail == 0
    hunks, tail = compare_paragraphs(old, old).hunks(context=1)
    assert hunks == [] and tail == 10


def test_a_file_that_is_not_a_docx_is_reported():
    with pytest.raises(DocumentUnreadable, match="не читается как DOCX"):
        compare_docx(b"%PDF-1.7 not a docx", make_docx("x"))


def _styled(style: str, text: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'


def test_changed_paragraphs_are_named_by_their_clause_as_a_reader_numbers_them():
    old = with_body(_styled("Title", "ДОГОВОР") + _styled("Section", "ПРЕДМЕТ") + _styled("Clause", "Поставка товара.")
                    + _styled("Section", "ГАРАНТИЯ") + _styled("Clause", "Срок — 12 месяцев.")
                    + _styled("Subclause", "Кроме сварных швов.") + _styled("Clause", "Лишний пункт."))
    new = with_body(_styled("Title", "ДОГОВОР") + _styled("Section", "ПРЕДМЕТ") + _styled("Clause", "Поставка товара.")
                    + _styled("Section", "ГАРАНТИЯ") + _styled("Clause", "Срок — 24 месяцев.")
                    + _styled("Subclause", "Кроме сварных швов.") + _styled("Clause", "Новый пункт о приёмке."))
    olds, news = paragraphs(old), paragraphs(new)
    assert clause_labels(news) == ["преамбула", "раздел 1 «ПРЕДМЕТ»", "п. 1.1", "раздел 2 «ГАРАНТИЯ»", "п. 2.1",
                                   "п. 2.1", "п. 2.2"]
    lines = changed_clauses(compare_paragraphs(olds, news), olds, news)
    assert lines == ["п. 2.1: «12» → «24»", "п. 2.2: удалено «Лишний пункт.»", "п. 2.2: добавлено «Новый пункт о приёмке.»"]
