"""The XLSX deal card as a manager uses it in Excel: drop-downs of Russian labels, numbers, dates, percentages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import REPO, TODAY
from docgen.form.card import LIST_SHEET, MAIN, card_choices, write_card
from docgen.form.deal import accept
from docgen.form.labels import CHOICES
from docgen.form.model import DealForm
from docgen.form.readers import read_form

LIMIT = 1_000_000
CHOICES_OF_WORKSPACE = card_choices(
    divisions={"metal": "Направление металлоконструкций", "concrete": "Направление бетонных работ"},
    contract_types={"supply", "works", "аренда"}, vat_rates=[Decimal(22), Decimal(20), Decimal(10), Decimal(0)],
    no_vat=False)
CODED = ("contract_type", "division", "price.procedure", "price.vat_rate", "delivery.method", "delivery.after",
         "price.payments[].kind", "price.payments[].after")


def _main_cells(sheet) -> dict[str, object]:
    return {row[2].value: row[1] for row in sheet.iter_rows(min_row=2) if isinstance(row[2].value, str)}


def _accept(path: Path, settings):
    return accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings,
                  contract_types={"supply", "works"}, today=TODAY)


def _fill_like_excel(path: Path) -> None:
    """What a manager does in Excel with a blank card: picks labels from the lists, types numbers into number
    cells, a date into the date cell, 30 % into a percent cell (Excel keeps 0.3), the ИНН as text."""
    wb = load_workbook(path)
    cells = _main_cells(wb[MAIN])
    typed = {
        "contract_type": "договор поставки", "contract_date": dt.datetime(2026, 11, 20),
        "division": "Направление металлоконструкций", "manager.name": "Петров Пётр Сергеевич",
        "manager.email": "petrov@ams.example", "buyer.name": "ООО «Ромашка & Ко»", "buyer.inn": "5027012348",
        "buyer.kpp": "502701001", "buyer.ogrn": "1025001234565",
        "buyer.address": "140000, Московская обл., г. Люберцы, ул. Заводская, д. 3",
        "buyer.signatory.name": "Иванов Иван Иванович", "buyer.signatory.position": "Генеральный директор",
        "buyer.signatory.basis": "Устава", "buyer.bank.name": "ПАО Сбербанк", "buyer.bank.bik": "044525225",
        "buyer.bank.account": "40702810640000012345", "buyer.bank.corr_account": "30101810400000000225",
        "buyer.email": "zakupki@romashka.example", "buyer.phone": "+7 495 000-00-00",
        "subject.summary": "Изготовление и поставка металлоконструкций каркаса склада",
        "price.procedure": "твёрдая цена", "buyer_liability.penalty_rate": 0.001,
        "buyer_liability.penalty_cap": 0.1, "delivery.method": "доставка",
        "delivery.address": "142100, Московская обл., г. Подольск, ул. Складская, д. 5", "delivery.due_days": 45,
        "delivery.after": "поступления предоплаты", "seller_liability.penalty_rate": 0.001,
        "seller_liability.penalty_cap": 0.1,
    }
    for key, value in typed.items():
        cells[key].value = value
    items = wb["Спецификация"]
    for row, values in enumerate([("Колонна К-1", "шт", 12, 85000), ("Балка Б-2", "т", 4.5, 142000.0)], start=3):
        for col, value in enumerate(values, start=1):
            items.cell(row, col).value = value
    payments = wb["Платежи"]
    for row, values in enumerate([(0.3, "предоплата", 5, "подписания договора"),
                                  (0.7, "окончательный расчёт", 10, "поставки")], start=3):
        for col, value in enumerate(values, start=1):
            payments.cell(row, col).value = value
    wb.save(path)


def test_a_blank_card_filled_as_in_excel_reads_back_exactly(tmp_path, example_data, settings):
    path = tmp_path / "card.xlsx"
    write_card(path, None, choices=CHOICES_OF_WORKSPACE)
    _fill_like_excel(path)
    deal = _accept(path, settings)
    assert deal.form == DealForm.model_validate(example_data)
    assert deal.totals.total == Decimal("2023980.00")


def test_a_card_filled_from_a_form_stores_numbers_dates_and_text_as_excel_does(tmp_path, example_data):
    path = tmp_path / "card.xlsx"
    write_card(path, example_data, choices=CHOICES_OF_WORKSPACE)
    wb = load_workbook(path)
    cells = _main_cells(wb[MAIN])
    assert cells["contract_date"].value == dt.datetime(2026, 11, 20) and cells["contract_date"].is_date
    assert cells["buyer.inn"].value == "5027012348" and cells["buyer.inn"].number_format == "@"
    assert cells["buyer.bank.bik"].value == "044525225"
    assert cells["buyer_liability.penalty_rate"].value == pytest.approx(0.001)
    assert "%" in cells["buyer_liability.penalty_rate"].number_format
    assert cells["delivery.due_days"].value == 45
    assert cells["division"].value == "Направление металлоконструкций"
    assert cells["contract_type"].value == "договор поставки"
    item = [c.value for c in wb["Спецификация"][3][:4]]
    assert item == ["Колонна К-1", "шт", 12.0, 85000.0]
    assert wb["Спецификация"]["D3"].number_format == "#,##0.00"
    share = wb["Платежи"]["A3"]
    assert share.value == pytest.approx(0.3) and "%" in share.number_format
    assert wb["Платежи"]["B3"].value == "предоплата"


def test_every_coded_field_offers_its_russian_labels(tmp_path):
    path = tmp_path / "card.xlsx"
    write_card(path, None, choices=CHOICES_OF_WORKSPACE)
    wb = load_workbook(path)
    lists = wb[LIST_SHEET]
    assert lists.sheet_state == "hidden"
    columns = {lists.cell(1, col).value: [lists.cell(r, col).value for r in range(2, lists.max_row + 1)
                                          if lists.cell(r, col).value is not None]
               for col in range(1, lists.max_column + 1, 2)}
    assert set(CODED) <= set(columns)
    assert columns["division"] == ["Направление металлоконструкций", "Направление бетонных работ"]
    assert columns["contract_type"] == ["договор поставки", "договор подряда", "аренда"]
    assert columns["price.vat_rate"] == ["22 %", "20 %", "10 %", "0 %"]
    assert columns["delivery.method"] == list(CHOICES["delivery.method"].values())
    formulas = {dv.formula1 for sheet in wb.worksheets for dv in sheet.data_validations.dataValidation}
    assert len([f for f in formulas if f.startswith(f"'{LIST_SHEET}'!")]) == len(CODED)


@pytest.mark.parametrize(("key", "typed", "meant"), [
    ("buyer_liability.penalty_cap", "10 %", Decimal(10)),
    ("buyer_liability.penalty_cap", "10,5", Decimal("10.5")),
    ("contract_type", "works", "works"),
    ("contract_type", "ДОГОВОР  ПОДРЯДА", "works"),
    ("delivery.method", "Самовывоз", "pickup"),
    ("division", "metal", "metal"),
])
def test_a_code_or_a_label_or_a_number_typed_as_text(tmp_path, example_data, settings, key, typed, meant):
    path = tmp_path / "card.xlsx"
    write_card(path, example_data, choices=CHOICES_OF_WORKSPACE)
    wb = load_workbook(path)
    cell = _main_cells(wb[MAIN])[key]
    cell.value = typed
    cell.number_format = "General"
    wb.save(path)
    form = accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings,
                  contract_types={"supply", "works"}, today=TODAY).form
    section, _, field = key.rpartition(".")
    assert getattr(getattr(form, section) if section else form, field) == meant


def test_values_typed_the_russian_way_are_read_as_meant(tmp_path, example_data, settings):
    """«85000,50» and «1 659 000» as text, «30 %» as text, 22 % in a percent cell, an Excel day number."""
    path = tmp_path / "card.xlsx"
    write_card(path, example_data, choices=CHOICES_OF_WORKSPACE)
    wb = load_workbook(path)
    items, payments, cells = wb["Спецификация"], wb["Платежи"], _main_cells(wb[MAIN])
    items["D3"].value = "85000,50"
    items["C4"].value, items["D4"].value = "1", "1 659 000"
    payments["A3"].value, payments["A4"].value = "30 %", "70%"
    cells["price.vat_rate"].value, cells["price.vat_rate"].number_format = 0.22, "0%"
    cells["contract_date"].value, cells["contract_date"].number_format = 46346, "General"
    wb.save(path)
    deal = _accept(path, settings)
    assert [line.unit_price for line in deal.totals.lines] == [Decimal("85000.50"), Decimal("1659000")]
    assert [p.share for p in deal.form.price.payments] == [Decimal(30), Decimal(70)]
    assert deal.totals.vat_rate == Decimal(22)
    assert deal.contract_date == dt.date(2026, 11, 20)


def test_a_fraction_in_a_plain_cell_is_refused_as_a_fraction(tmp_path, example_data, settings):
    from docgen.errors import FormInvalid

    path = tmp_path / "card.xlsx"
    write_card(path, example_data, choices=CHOICES_OF_WORKSPACE)
    wb = load_workbook(path)
    cell = _main_cells(wb[MAIN])["price.vat_rate"]
    cell.value, cell.number_format = 0.22, "General"
    wb.save(path)
    with pytest.raises(FormInvalid) as caught:
        _accept(path, settings)
    assert "процент записан долей" in caught.value.faults[0].message


def test_the_shipped_blank_card_is_current(tmp_path):
    """templates/forms/deal-card.xlsx is what `docgen form --xlsx` writes outside a workspace."""
    shipped = load_workbook(REPO / "templates" / "forms" / "deal-card.xlsx")
    fresh_path = tmp_path / "fresh.xlsx"
    from docgen.settings import load_settings
    from docgen.layout import DEFAULT_TEMPLATES
    from docgen.workspace import NON_CONTRACT_TEMPLATES

    defaults = load_settings(tmp_path, {})
    write_card(fresh_path, None, choices=card_choices(
        divisions={c: d.title for c, d in defaults.divisions.items()},
        contract_types={p.stem for p in (DEFAULT_TEMPLATES / "contracts").glob("*.docx")} - NON_CONTRACT_TEMPLATES,
        vat_rates=[r.rate for r in defaults.vat.lawful], no_vat=bool(defaults.vat.no_vat_basis)))
    fresh = load_workbook(fresh_path)
    assert shipped.sheetnames == fresh.sheetnames
    for title in fresh.sheetnames:
        values = [[c.value for c in row] for row in fresh[title].iter_rows()]
        assert [[c.value for c in row] for row in shipped[title].iter_rows()] == values, title


def test_a_form_with_a_control_character_is_not_turned_into_a_broken_card(tmp_path, example_data):
    import subprocess
    import sys

    import yaml

    example_data["buyer"]["name"] = "ООО\x07Ромашка"
    form = tmp_path / "bell.yaml"
    form.write_text(yaml.safe_dump(example_data, allow_unicode=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "docgen", "--root", str(REPO), "form", "--xlsx",
                          str(tmp_path / "card.xlsx"), "--from", str(form)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "наименование покупателя (buyer.name): в значении спрятан невидимый служебный знак (U+0007" in run.stderr
