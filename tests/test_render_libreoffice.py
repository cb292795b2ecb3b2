"""Every rendered template through a real LibreOffice: it opens, and the PDF text holds what the DOCX says."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from render_fixtures import (
    FORM_TRANSFER, example_data, hostile_data, make_deal, pdf_text, soffice_to_pdf, workspace,
)

from docgen.render.context import Approval
from docgen.render.docx import read_identity, render_approval_sheet, render_contract, render_handover
from docgen.render.transfer import read_transfer_form, render_transfer

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                                reason="LibreOffice или pdftotext не установлены")

APPROVALS = [Approval("lawyer", "Юрист Компании", "approved", dt.datetime(2026, 11, 26, 10, 15), "", 1, "b" * 64)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """All documents rendered once and converted by one soffice call: {stem: pdf text}."""
    tmp = tmp_path_factory.mktemp("lo")
    ws = workspace(tmp)
    deal = make_deal(ws)
    works = example_data()
    works["contract_type"] = "works"
    documents = {
        "supply": render_contract(deal, ws=ws, number="2026-0001", version=1),
        "works": render_contract(make_deal(ws, works), ws=ws, number="2026-0002", version=1),
        "hostile": render_contract(make_deal(ws, hostile_data()), ws=ws, number="2026-0003", version=1),
        "handover": render_handover(deal, ws=ws, number="2026-0001", version=1, approvals=APPROVALS),
        "sheet": render_approval_sheet(deal, ws=ws, number="2026-0001", version=1, sha256="b" * 64,
                                       approvals=APPROVALS),
        "transfer": render_transfer(read_transfer_form(FORM_TRANSFER, max_bytes=10**6), ws=ws),
    }
    sources = []
    for stem, data in documents.items():
        path = tmp / "docx" / f"{stem}.docx"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        sources.append(path)
    soffice_to_pdf(sources, tmp / "pdf", tmp / "profile")
    soffice_to_pdf([tmp / "docx" / "supply.docx"], tmp / "resaved", tmp / "profile", fmt="docx")
    texts = {stem: pdf_text(tmp / "pdf" / f"{stem}.pdf") for stem in documents}
    texts["resaved-identity"] = read_identity(tmp / "resaved" / "supply.docx")
    return texts


def test_contract_pdf_text(rendered):
    text = rendered["supply"]
    for needle in ("ДОГОВОР ПОСТАВКИ № 2026-0001", "«20» ноября 2026 г.", "2 023 980,00", "1 659 000,00",
                   "364 980,00", "два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек",
                   "в т.ч. НДС 22 %", "Генерального директора Иванова Ивана Ивановича, действующего",
                   "ИНН 5027012348, КПП 502701001", "БИК 044525225", "40702810640000012345",
                   "И. И. Иванов", "А. Н. Сидоров", "Стр. 1 из"):
        assert needle in text, needle


def test_works_and_hostile_pdf_text(rendered):
    assert "ДОГОВОР ПОДРЯДА № 2026-0002" in rendered["works"] and "2 023 980,00" in rendered["works"]
    hostile = rendered["hostile"]
    assert 'ООО "Рога & Копыта" <Север>' in hostile and "{{ 7*7 }}" in hostile
    assert "Петровой Анны Сергеевны, действующей" in hostile


def test_handover_sheet_and_transfer_pdf_text(rendered):
    assert "ВВОД В ПРОИЗВОДСТВО" in rendered["handover"] and "607 194,00" in rendered["handover"]
    assert "ЛИСТ СОГЛАСОВАНИЯ" in rendered["sheet"] and "b" * 64 in rendered["sheet"]
    assert "о передаче клиента" in rendered["transfer"] and "О. П. Смирнова" in rendered["transfer"]


def test_identity_survives_a_libreoffice_resave(rendered):
    assert rendered["resaved-identity"] == ("2026-0001", 1)
