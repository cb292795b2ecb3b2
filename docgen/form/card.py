"""The XLSX deal card: Russian labels for the form's fields, written blank or filled, and read back.

The sheet «Сделка» has the label in column A, the value in B and the field's key in a hidden
column C, so a manager may reword labels without breaking the card. Lists (specification,
payments) have their own sheets with the keys in a hidden first row.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from docgen.errors import FormUnreadable
from docgen.form.labels import CHOICES, ESSENTIALS, FIELDS, GENERAL

MAIN = "Сделка"
LISTS = {
    "subject.items": ("Спецификация", ("name", "unit", "quantity", "unit_price")),
    "price.payments": ("Платежи", ("share", "kind", "due_days", "after")),
}
# The rows of the main sheet, grouped under headings; `attachments` is one cell, names separated by «;».
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    (GENERAL, ("deal", "contract_type", "contract_date", "division", "manager.name", "manager.email")),
    (ESSENTIALS["buyer"], ("buyer.name", "buyer.inn", "buyer.kpp", "buyer.ogrn", "buyer.address",
                           "buyer.signatory.name", "buyer.signatory.position", "buyer.signatory.basis",
                           "buyer.bank.name", "buyer.bank.bik", "buyer.bank.account", "buyer.bank.corr_account",
                           "buyer.email", "buyer.phone")),
    (ESSENTIALS["subject"], ("subject.summary",)),
    (ESSENTIALS["price"], ("price.procedure", "price.vat_rate")),
    (ESSENTIALS["buyer_liability"], ("buyer_liability.penalty_rate", "buyer_liability.penalty_cap")),
    (ESSENTIALS["delivery"], ("delivery.method", "delivery.address", "delivery.due_days", "delivery.after")),
    (ESSENTIALS["seller_liability"], ("seller_liability.penalty_rate", "seller_liability.penalty_cap")),
    ("Вложения", ("attachments",)),
]
_TEXT_KEYS = {"buyer.inn", "buyer.kpp", "buyer.ogrn", "buyer.bank.bik", "buyer.bank.account",
              "buyer.bank.corr_account", "buyer.phone", "deal"}
_HEAD = Font(bold=True)
_SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_card(path: Path, data: dict[str, Any] | None) -> None:
    """A blank card (data None) or one filled from a form's raw data."""
    data = data or {}
    wb = Workbook()
    sheet = wb.active
    sheet.title = MAIN
    _write_main(sheet, data)
    for list_key, (title, keys) in LISTS.items():
        _write_list(wb.create_sheet(title), list_key, keys, _get(data, list_key) or [])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _write_main(sheet, data: dict[str, Any]) -> None:
    sheet.append(["Поле", "Значение", "key"])
    for cell in sheet[1]:
        cell.font = _HEAD
    for title, keys in SECTIONS:
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = _HEAD
        sheet.cell(sheet.max_row, 1).fill = _SECTION_FILL
        for key in keys:
            value = _get(data, key)
            if key == "attachments":
                value = "; ".join(value or [])
            sheet.append([FIELDS[key], _cell_value(key, value), key])
            _format_cell(sheet, key, sheet.max_row)
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].hidden = True


def _format_cell(sheet, key: str, row: int) -> None:
    cell = sheet.cell(row, 2)
    cell.alignment = Alignment(wrap_text=True)
    if key in _TEXT_KEYS:
        cell.number_format = "@"  # so Excel keeps leading zeros of БИК and accounts
    if key in CHOICES:
        _choices(sheet, key, cell.coordinate)


def _choices(sheet, key: str, ref: str) -> None:
    options = ",".join(CHOICES[key].values())
    dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
    sheet.add_data_validation(dv)
    dv.add(ref)


def _write_list(sheet, list_key: str, keys: tuple[str, ...], rows: list[dict]) -> None:
    sheet.append(list(keys))
    sheet.row_dimensions[1].hidden = True
    sheet.append([FIELDS[f"{list_key}[].{k}"] for k in keys])
    for cell in sheet[2]:
        cell.font = _HEAD
    for row in rows:
        sheet.append([_cell_value(f"{list_key}[].{k}", row.get(k)) for k in keys])
    for n, key in enumerate(keys):
        letter = "ABCD"[n]
        sheet.column_dimensions[letter].width = 40 if key == "name" else 18
        if f"{list_key}[].{key}" in CHOICES:
            _choices(sheet, f"{list_key}[].{key}", f"{letter}3:{letter}500")


def _cell_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    choice = CHOICES.get(key, {})
    if isinstance(value, str) and value in choice:
        return choice[value]
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and key not in _TEXT_KEYS:
        return value if not isinstance(value, Decimal) else float(value)
    if isinstance(value, dt.date):
        return value
    return str(value)


def _get(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def read_card(name: str, content: bytes) -> dict[str, Any]:
    """The raw form data of a filled card; FormUnreadable when the workbook is not a deal card."""
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FormUnreadable(name, "файл XLSX повреждён или это не книга Excel") from None
    if MAIN not in wb.sheetnames:
        raise FormUnreadable(name, f"книга Excel не является карточкой сделки: нет листа «{MAIN}». "
                             "Возьмите бланк templates/forms/deal-card.xlsx или `docgen form --xlsx`")
    data: dict[str, Any] = {}
    for label, value, key in _main_rows(wb[MAIN]):
        if key in FIELDS and value is not None and str(value).strip() != "":
            _put(data, key, _from_cell(key, value))
    for list_key, (title, _keys) in LISTS.items():
        if title in wb.sheetnames:
            rows = _list_rows(wb[title], list_key)
            if rows:
                _put(data, list_key, rows)
    if not data:
        raise FormUnreadable(name, "карточка сделки пуста: не заполнено ни одно поле")
    return data


def _main_rows(sheet):
    for row in sheet.iter_rows(min_row=2, max_col=3, values_only=True):
        if len(row) >= 3 and isinstance(row[2], str):
            yield row[0], row[1], row[2].strip()


def _list_rows(sheet, list_key: str) -> list[dict[str, Any]]:
    rows = sheet.iter_rows(values_only=True)
    keys = [str(k).strip() if k else "" for k in next(rows, ())]
    next(rows, None)  # the Russian headings
    out = []
    for values in rows:
        item = {k: _from_cell(f"{list_key}[].{k}", v) for k, v in zip(keys, values)
                if k and v is not None and str(v).strip() != ""}
        if item:
            out.append(item)
    return out


def _from_cell(key: str, value: Any) -> Any:
    if key == "attachments":
        return [part.strip() for part in str(value).split(";") if part.strip()]
    if isinstance(value, str):
        value = value.strip()
        reverse = {v: k for k, v in CHOICES.get(key, {}).items()}
        return reverse.get(value, value)
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize()) if not value.is_integer() else str(int(value))
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
