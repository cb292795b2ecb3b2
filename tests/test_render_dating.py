"""The signing date written into a reviewed contract, and a clause found by its bookmark with Word's number."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx as python_docx
import pytest
from render_fixtures import docx_text, example_data, make_deal, workspace

from docgen.render.clauses import find_clause
from docgen.render.dating import fill_contract_date
from docgen.render.docx import render_contract

SIGNED = dt.date(2026, 12, 3)


@pytest.fixture
def ws(tmp_path):
    return workspace(tmp_path)


def undated(ws, contract_type: str = "supply"):
    data = example_data()
    data["contract_date"] = None
    data["contract_type"] = contract_type
    return render_contract(make_deal(ws, data), ws=ws, number="2026-0001", version=2)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_date_goes_into_the_body_and_the_footer_and_nothing_else_changes(ws):
    draft = undated(ws)
    assert "«____» ____________ 20___ г." in docx_text(draft) and "от __.__.20__" in docx_text(draft)
    signed, places = fill_contract_date(draft, SIGNED)
    assert places == 2
    text = docx_text(signed)
    assert "«03» декабря 2026 г." in text and "от 03.12.2026" in text and "____»" not in text
    before, after = parts(draft), parts(signed)
    assert before.keys() == after.keys()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"word/document.xml", "word/footer1.xml"}


def test_a_reviewers_edit_survives_and_a_deleted_field_falls_back_to_the_blank(ws):
    document = python_docx.Document(io.BytesIO(undated(ws)))
    document.paragraphs[3].insert_paragraph_before("Вставка юриста.")
    for sdt in document.element.body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sdt"):
        content = sdt[-1]
        sdt.addnext(content[0])  # the run stays, the content control is gone (as Word's «Удалить элемент»)
        sdt.getparent().remove(sdt)
    edited = io.BytesIO()
    document.save(edited)
    signed, places = fill_contract_date(edited.getvalue(), SIGNED)
    assert places == 2  # the body's blank found as text, the footer's field as a field
    text = docx_text(signed)
    assert "Вставка юриста." in text and "«03» декабря 2026 г." in text


def test_a_document_without_the_field_or_the_blank_is_left_as_it_is():
    plain = io.BytesIO()
    python_docx.Document().save(plain)
    assert fill_contract_date(plain.getvalue(), SIGNED) == (plain.getvalue(), 0)


def test_the_claims_clause_by_its_bookmark_follows_the_numbering(ws):
    supply = find_clause(undated(ws))
    assert (supply.number, supply.days, supply.day_kind) == ("10.2", 10, "рабочих")
    assert supply.text.startswith("Сторона, получившая претензию")
    data = example_data()
    data.update(contract_type="works", subject={**data["subject"], "summary": "Монтаж каркаса"})
    works = find_clause(render_contract(make_deal(ws, data), ws=ws, number="2026-0002", version=1))
    assert works.number == "12.2"  # the site section before it, numbered by Word
    document = python_docx.Document(io.BytesIO(undated(ws)))
    first = next(p for p in document.paragraphs if p.style.name == "Раздел договора")
    first.insert_paragraph_before("НОВЫЙ РАЗДЕЛ", style=first.style)
    edited = io.BytesIO()
    document.save(edited)
    assert find_clause(edited.getvalue()).number == "11.2"
    assert find_clause(edited.getvalue(), "no-such-bookmark") is None
