"""Varied deals to signed PDFs through one kept-running LibreOffice, checked as a proof-reader would by machine.

The matrix (tests/document_matrix.py): a legal entity and a sole trader; 1, 5 and 200 items; 20 %, 22 % and
«без НДС»; a female signatory by power of attorney with a compound position; names in capitals and with
hyphens; sums from 0,61 to nearly a trillion; supply and works, on site and in the shop; pickup and delivery;
one to three payments; a fixed date and a date set on signing.
"""

from __future__ import annotations

import logging
import re
import shutil

import pytest
from document_matrix import (
    SIGNED_ON, TECHNICAL, WAREHOUSE, layout_text, matrix_workspace, page_lines, page_texts, plain, render_matrix,
    unembedded,
)

from docgen.render.filters import date_ru
from docgen.render.pdf import open_converter
from docgen.workflow.documents import Documents

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="LibreOffice или poppler-utils не установлены")

KINDS = ("draft", "contract", "handover")
SIGNATURE_LINE = re.compile(r"_{6,} / [^/]+ /")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    ws = matrix_workspace(tmp / "ws")
    converter = open_converter(profile_dir=tmp / "lo", timeout=180)
    assert converter is not None
    documents = Documents(ws, converter, log=logging.getLogger("matrix"))
    try:
        yield render_matrix(ws, documents, tmp / "pdf")
    finally:
        documents.close()


def flow(pages: list[list[str]]) -> str:
    """The pages' lines as one text; a word broken at its hyphen across lines («Сидоренко-⏎Ким») joined."""
    return re.sub(r"(\w)- (\w)", r"\1-\2", " ".join(" ".join(page) for page in pages))


def contract_pages(item) -> list[list[str]]:
    """The pages of the signed contract without the approval sheet appended to it."""
    pages = page_lines(item.pdfs["contract"])
    return pages[:len(page_lines(item.pdfs["draft"]))]


def test_every_figure_is_printed_whole(matrix):
    for item in matrix.values():
        for kind in ("contract", "handover"):
            lines = [line for page in page_lines(item.pdfs[kind]) for line in page]
            for figure in item.figures:
                assert any(figure in line for line in lines), f"{item.name} {kind}: «{figure}» split or missing"
        for kind in ("contract", "handover"):
            lines = [line for page in page_lines(item.pdfs[kind]) for line in page]
            for figure in item.payments:
                assert any(figure in line for line in lines), f"{item.name} {kind}: payment «{figure}» split"


def test_row_numbers_up_to_three_digits_stay_whole(matrix):
    lines = {line for page in contract_pages(matrix["big"]) for line in page}
    assert all(str(n) in lines for n in range(1, 201)), "a row number wrapped in the № column"


def test_every_font_is_embedded(matrix):
    for item in matrix.values():
        for kind, pdf in item.pdfs.items():
            assert unembedded(pdf) == [], f"{item.name} {kind}"


def only_signatures(lines: list[str]) -> bool:
    """A page whose lines, the signature block aside (lines to sign, «М.П.», «С уважением», who passed and
    who took), hold fewer than 15 words."""
    rest = [line for line in lines if not SIGNATURE_LINE.search(line) and not SIGNATURE_BLOCK.match(line)]
    return sum(len(line.split()) for line in rest) < 15


SIGNATURE_BLOCK = re.compile(r"(М\.П\.|С уважением|менеджер |E-mail|Передал|Принял|Клиента принял)")


def test_signatures_stay_with_the_requisites(matrix):
    for item in matrix.values():
        for page in contract_pages(item):
            text = " ".join(page)
            if SIGNATURE_LINE.search(text):
                assert "БИК" in text and "АДРЕСА, РЕКВИЗИТЫ И ПОДПИСИ СТОРОН" in text, \
                    f"{item.name}: signature lines on a page without the requisites"
                assert len(SIGNATURE_LINE.findall(text)) == 2
        for kind, pdf in item.pdfs.items():
            for number, page in enumerate(page_lines(pdf, footer=False), start=1):
                if any(SIGNATURE_LINE.search(line) for line in page):
                    assert not only_signatures(page), f"{item.name} {kind}: page {number} holds only signatures"


def test_no_page_ends_with_a_section_heading(matrix):
    for item in matrix.values():
        for number, page in enumerate(page_lines(item.pdfs["contract"], footer=False), start=1):
            assert not (page and re.fullmatch(r"\d+\. [А-ЯЁ ,.\-]+", page[-1])), \
                f"{item.name}: page {number} ends with the heading «{page[-1]}»"


def test_the_same_figures_in_contract_sheet_and_handover(matrix):
    for item in matrix.values():
        contract = flow(contract_pages(item))
        sheet = " ".join(page_lines(item.pdfs["contract"])[-1])
        handover = " ".join(page_texts(item.pdfs["handover"]))
        total = plain(item.figures[1])
        assert total in contract and total in sheet and total in handover, item.name
        for amount in item.payments:
            assert amount in contract and amount in handover, item.name
        assert "ЛИСТ СОГЛАСОВАНИЯ" in sheet and "Подписанная версия договора 2" in layout_text(item.pdfs["contract"])
        date = plain(date_ru(item.signed.contract_date))
        for text in (contract, sheet, handover):
            assert date in text, f"{item.name}: the contract date differs between documents"


def test_wording_a_proof_reader_would_mark(matrix):
    for item in matrix.values():
        for kind, pdf in item.pdfs.items():
            text = " ".join(page_texts(pdf))
            for wrong in ("None", "{{", "{%", "ноль рублей", "ИВАНОВа", "И. И. ИВАНОВ"):
                assert wrong not in text, f"{item.name} {kind}: «{wrong}»"
            assert not re.search(r"\d,\d\d рубл", text), f"{item.name} {kind}: a figure followed by «рублей»"
            assert not re.search(r"\dСтр\.", text), f"{item.name} {kind}: the footer runs together"
            assert not re.search(r"\b(КС|ФЗ|SHA)- |\d- ФЗ", text), f"{item.name} {kind}: a code split at its hyphen"


def test_the_date_is_blank_in_a_draft_and_the_signing_date_once_signed(matrix):
    poa = matrix["poa"]
    draft = " ".join(page_texts(poa.pdfs["draft"]))
    contract = " ".join(page_texts(poa.pdfs["contract"]))
    assert "«____» ____________ 20___ г." in draft and "от __.__.20__" in draft
    assert plain(date_ru(SIGNED_ON)) in contract and "от 27.11.2026" in contract and "«____»" not in contract


def test_who_signs_for_the_seller_is_the_same_person_everywhere(matrix):
    poa = matrix["poa"]
    contract = flow(contract_pages(poa))
    sheet = " ".join(page_lines(poa.pdfs["contract"])[-1])
    handover = " ".join(page_texts(poa.pdfs["handover"]))
    assert ("в лице Директора направления металлоконструкций Кузнецовой-Смирновой Ольги Викторовны, действующей "
            "на основании доверенности № 17 от 12.01.2026") in contract
    assert "по доверенности № 17 от 12.01.2026" in contract and "/ О. В. Кузнецова-Смирнова /" in contract
    person = "Директор направления металлоконструкций Кузнецова-Смирнова Ольга Викторовна, на основании " \
             "доверенности № 17 от 12.01.2026"
    assert person in sheet and person in handover and "Подписано" in sheet
    tiny = " ".join(page_lines(matrix["tiny"].pdfs["contract"])[-1])
    assert "Генеральный директор Сидоров Алексей Николаевич, на основании Устава" in tiny
    assert "Подписано" in tiny  # the division director's decision signs the route, whoever signs the paper


def test_buyer_names_cases_and_positions(matrix):
    poa = flow(contract_pages(matrix["poa"]))
    assert ("в лице Заместителя генерального директора — коммерческого директора Петровой-Водкиной Анны Сергеевны, "
            "действующей на основании доверенности № 12 от 01.02.2026") in poa
    assert "/ А. С. Петрова-Водкина /" in poa
    big = flow(contract_pages(matrix["big"]))
    assert "Генерального директора ИВАНОВА Ивана Ивановича" in big and "/ И. И. Иванов /" in big
    site = flow(contract_pages(matrix["site"]))
    assert ("ИП Сидоренко-Ким Ольга Павловна, именуемая в дальнейшем «Заказчик», действующая на основании листа "
            "записи ЕГРИП от 10.03.2020") in site


def test_money_in_words(matrix):
    tiny = flow(contract_pages(matrix["tiny"]))
    assert "0,61 руб. (шестьдесят одна копейка), в т.ч. НДС 22 % — 0,11 руб. (одиннадцать копеек)" in tiny
    poa = flow(contract_pages(matrix["poa"]))
    assert "1 425 000 000,00 руб. (один миллиард четыреста двадцать пять миллионов рублей 00 копеек), НДС не " \
           "облагается" in poa


def test_supply_pickup_and_delivery(matrix):
    poa = flow(contract_pages(matrix["poa"]))
    assert f"на складе Поставщика по адресу: {WAREHOUSE} (выборка Товара)" in poa
    assert "транспортной накладной" not in poa and "и счёт-фактуру" not in poa  # no VAT: no invoice
    tiny = flow(contract_pages(matrix["tiny"]))
    assert "транспортной накладной" in tiny and "Разгрузку Товара осуществляет Покупатель" in tiny
    for clause in ("статья 470 ГК РФ", "статья 513 ГК РФ", "статьи 475, 518 ГК РФ", "пункт 2 статьи 523 ГК РФ",
                   "статья 317.1 ГК РФ", "статьи 54.1 НК РФ", "273-ФЗ", "статья 165.1 ГК РФ",
                   "КОНФИДЕНЦИАЛЬНОСТЬ", "Приложений к Договору нет"):
        assert clause in tiny, clause
    handover = " ".join(page_texts(matrix["poa"].pdfs["handover"]))
    assert f"самовывоз со склада Продавца: {WAREHOUSE}" in handover
    assert "Смирнов Олег, +7 916 000-00-01" in handover


def test_works_on_site_and_in_the_shop(matrix):
    site = flow(contract_pages(matrix["site"]))
    for clause in ("Начальный срок", "Конечный срок", "статья 708 ГК РФ", "КС-2", "КС-3", "статья 705 ГК РФ",
                   "статья 706 ГК РФ", "ОБЪЕКТ И ВЫПОЛНЕНИЕ РАБОТ НА ОБЪЕКТЕ", "скрытых работ",
                   "статья 720 ГК РФ", "пункт 4 статьи 753 ГК РФ", "статьи 722, 724 ГК РФ", "статья 717 ГК РФ",
                   "Приложение № 1 «Техническая документация»: " + "; ".join(TECHNICAL)):
        assert clause in site, clause
    assert "изготовлению и монтажу" not in site and "Краткое описание Работ: Монтаж лестницы." in site
    assert "с даты подписания Сторонами акта о приёмке выполненных работ (КС-2)" in site
    shop = flow(contract_pages(matrix["shop"]))
    assert "КС-2" not in shop and "Объект" not in shop and "монтаж" not in shop.lower()
    assert "на складе Подрядчика по адресу: 141006, Московская обл., г. Мытищи, Промзона, д. 4" in shop
    handover = " ".join(page_texts(matrix["site"].pdfs["handover"]))
    assert "3. Выполнение работ" in handover and "на объекте Заказчика" in handover and "Поставка" not in handover
    for name in TECHNICAL:
        assert f"— {name}" in handover


def test_a_vat_rate_change_within_the_contract_terms(matrix):
    site = flow(contract_pages(matrix["site"]))
    assert "в т.ч. НДС 20 %" in site
    assert "с «01» января 2026 г. ставка налога на добавленную стоимость составляет 22 %" in site
    for name in ("tiny", "big", "shop"):
        text = flow(contract_pages(matrix[name]))
        assert "ставка налога на добавленную стоимость составляет" not in text, name


def test_handover_knows_the_calendar_dates_that_count_from_signing(matrix):
    shop = layout_text(matrix["shop"].pdfs["handover"])
    assert "в течение 50 рабочих дней с даты подписания Договора" in shop
    assert re.search(r"Дата по календарю не позднее \d\d\.\d\d\.2027", shop)
    poa = layout_text(matrix["poa"].pdfs["handover"])
    assert "Дата по календарю станет известна после поступления предоплаты" in poa
    assert re.search(r"1 Предоплата 50 712 500 000,00 в течение 5 банковских дней с 04\.12\.2026", poa)


def test_approvals_tell_which_decisions_apply_to_the_signed_version(matrix):
    sheet = " ".join(page_lines(matrix["site"].pdfs["contract"])[-1])
    signed, earlier = sheet.split("Решения по предыдущим версиям")
    assert "Решения, на которых основана подписанная версия 2" in signed and "Уточнить адрес" not in signed
    assert "Возвращено на доработку" in earlier and "Уточнить адрес" in earlier


def test_the_commercial_proposal(matrix):
    offer = " ".join(page_texts(matrix["site"].pdfs["offer"]))
    assert "КОММЕРЧЕСКОЕ ПРЕДЛОЖЕНИЕ № 20261126-1" in offer and "Уважаемая Ольга Павловна!" in offer
    assert "Индивидуальному предпринимателю О. П. Сидоренко-Ким" in offer
    assert "Предложение действительно до «26» декабря 2026 г. включительно" in offer
    for figure in matrix["site"].figures + matrix["site"].payments:
        assert figure in offer
    poa = " ".join(page_texts(matrix["poa"].pdfs["offer"]))
    assert "Заместителю генерального директора — коммерческому директору" in poa
    assert "Цены указаны в рублях; НДС не облагается" in poa
