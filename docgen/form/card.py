"""The XLSX deal card: Russian labels for the form's fields, written blank or filled, and read back.

The sheet «Сделка» has the label in column A, the value in B, the field's key in a hidden column C and
what the field wants, with an example, in D; a manager may reword labels without breaking the card. Lists
(specification, payments) have their own sheets with the keys in a hidden first row. Every coded field
offers a drop-down of Russian labels, kept on the hidden sheet «Списки» beside their codes, so the card
reads a label back as its code; the workspace's divisions and contract types feed those lists.

Values are stored as Excel keeps them: money and quantities as numbers, percentages as percent-formatted
numbers, dates as dates, ИНН/КПП/БИК/accounts as text. Reading takes what a person types as meant:
«85000,50», «1 659 000», «30 %», a percent cell (22 % is 22, not 0.22), an Excel date, a label or a code.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from docgen.errors import Fault, FormInvalid, FormUnreadable
from docgen.form import numbers, text
from docgen.form.labels import CHOICES, CONTRACT_TYPES, ESSENTIALS, FIELDS, GENERAL, HINTS

MAIN = "Сделка"
LIST_SHEET = "Списки"
LISTS = {
    "subject.items": ("Спецификация", ("name", "unit", "quantity", "unit_price")),
    "price.payments": ("Платежи", ("share", "kind", "due_days", "after")),
}
LIST_ROWS = 200  # rows of a list sheet that get the drop-downs and formats
# The rows of the main sheet, grouped under headings; `attachments` is one cell, names separated by «;».
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    (GENERAL, ("deal", "contract_type", "contract_date", "division", "manager.name", "manager.email")),
    (ESSENTIALS["buyer"], ("buyer.name", "buyer.inn", "buyer.kpp", "buyer.ogrn", "buyer.address",
                           "buyer.signatory.name", "buyer.signatory.position", "buyer.signatory.basis",
                           "buyer.bank.name", "buyer.bank.bik", "buyer.bank.account", "buyer.bank.corr_account",
                           "buyer.email", "buyer.phone", "buyer.contact")),
    (ESSENTIALS["subject"], ("subject.summary",)),
    (ESSENTIALS["price"], ("price.procedure", "price.vat_rate")),
    (ESSENTIALS["buyer_liability"], ("buyer_liability.penalty_rate", "buyer_liability.penalty_cap")),
    (ESSENTIALS["delivery"], ("delivery.method", "delivery.address", "delivery.due_days", "delivery.after")),
    (ESSENTIALS["seller_liability"], ("seller_liability.penalty_rate", "seller_liability.penalty_cap")),
    ("Вложения", ("attachments",)),
]
SEE_SHEET = {"subject.summary": "Позиции спецификации — на листе «Спецификация»",
             "price.vat_rate": "График платежей — на листе «Платежи»"}
_TEXT_KEYS = {"buyer.inn", "buyer.kpp", "buyer.ogrn", "buyer.bank.bik", "buyer.bank.account",
              "buyer.bank.corr_account", "buyer.phone", "deal"}
_DATE_KEYS = {"contract_date"}
# Number formats: Excel shows them with the reader's own separators («1 659 000,00», «30,0%»).
_FORMATS = {
    "subject.items[].unit_price": "#,##0.00",
    "subject.items[].quantity": "General",
    "price.payments[].due_days": "0",
    "delivery.due_days": "0",
}
_PERCENT_FORMATS = {
    "price.payments[].share": "0.0#%",
    "buyer_liability.penalty_rate": "0.0###%",
    "seller_liability.penalty_rate": "0.0###%",
    "buyer_liability.penalty_cap": "0.0#%",
    "seller_liability.penalty_cap": "0.0#%",
}
_HEAD = Font(bold=True)
_HINT = Font(italic=True, color="595959")
_SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
_QUOTED = re.compile(r'"[^"]*"|\\.')


def card_choices(*, divisions: Mapping[str, str], contract_types: Collection[str],
                 vat_rates: Collection[Decimal], no_vat: bool) -> dict[str, dict[str, str]]:
    """The drop-down lists of a workspace's card: its divisions and contract types, the lawful VAT rates."""
    rates = {f"{r.normalize():f}": f"{r.normalize():f}".replace(".", ",") + " %" for r in sorted(set(vat_rates), reverse=True)}
    if no_vat:
        rates["без НДС"] = "без НДС"
    return {
        "contract_type": {code: CONTRACT_TYPES.get(code, code) for code in sorted(contract_types)},
        "division": dict(divisions),
        "price.vat_rate": rates,
        **CHOICES,
    }


def write_card(path: Path, data: dict[str, Any] | None, *, choices: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """A blank card (data None) or one filled from a form's raw data; FormInvalid names a value a worksheet
    cannot hold (a control character)."""
    choices = dict(CHOICES) if choices is None else dict(choices)
    wb = Workbook()
    sheet = wb.active
    sheet.title = MAIN
    ranges = _write_lists(wb.create_sheet(LIST_SHEET), choices)
    _write_main(sheet, data or {}, choices=choices, ranges=ranges)
    for list_key, (title, keys) in LISTS.items():
        _write_list(wb.create_sheet(title), list_key, keys=keys, rows=_get(data or {}, list_key), choices=choices,
                    ranges=ranges)
    wb.move_sheet(LIST_SHEET, offset=len(wb.sheetnames))
    wb[LIST_SHEET].sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _write_lists(sheet, choices: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Each coded field's labels (column 2n+1) beside its codes (2n+2); returns the label range per field."""
    ranges = {}
    for n, (key, options) in enumerate(choices.items()):
        label_col, code_col = 2 * n + 1, 2 * n + 2
        sheet.cell(1, label_col, key)
        sheet.cell(1, code_col, "code")
        for row, (code, label) in enumerate(options.items(), start=2):
            sheet.cell(row, label_col, label).number_format = "@"
            sheet.cell(row, code_col, code).number_format = "@"
        letter = get_column_letter(label_col)
        ranges[key] = f"'{LIST_SHEET}'!${letter}$2:${letter}${max(len(options) + 1, 2)}"
    return ranges


def _write_main(sheet, data: dict[str, Any], *, choices: Mapping[str, Mapping[str, str]],
                ranges: dict[str, str]) -> None:
    sheet.append(["Поле", "Значение", "key", "Что писать (пример)"])
    for cell in sheet[1]:
        cell.font = _HEAD
    for title, keys in SECTIONS:
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = _HEAD
        sheet.cell(sheet.max_row, 1).fill = _SECTION_FILL
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=4)
        for key in keys:
            value = _get(data, key)
            if key == "attachments":
                value = "; ".join(str(v) for v in value) if isinstance(value, list) else value
            sheet.append([FIELDS[key], None, key, HINTS.get(key, "")])
            _put_value(sheet.cell(sheet.max_row, 2), key, value=value, choices=choices)
            sheet.cell(sheet.max_row, 4).font = _HINT
            sheet.cell(sheet.max_row, 4).alignment = Alignment(wrap_text=True, vertical="top")
            _fit_height(sheet, sheet.max_row,
                        texts=[(HINTS.get(key, ""), 75), (str(sheet.cell(sheet.max_row, 2).value or ""), 55)])
            if key in ranges:
                _drop_down(sheet, ranges[key], ref=sheet.cell(sheet.max_row, 2).coordinate)
            if key in SEE_SHEET:
                sheet.append([SEE_SHEET[key]])
                sheet.cell(sheet.max_row, 1).font = _HINT
                sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=4)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 50
    sheet.column_dimensions["C"].hidden = True
    sheet.column_dimensions["D"].width = 70
    sheet.freeze_panes = "B2"
    _landscape(sheet)


def _fit_height(sheet, row: int, *, texts: list[tuple[str, int]]) -> None:
    """Neither Excel nor LibreOffice grows a row for wrapped text on opening: give it the lines it needs."""
    lines = max([1] + [-(-len(text) // width) for text, width in texts])
    if lines > 1:
        sheet.row_dimensions[row].height = 15 * lines


def _landscape(sheet) -> None:
    """Printed or saved as PDF, a sheet fits the page width."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def _drop_down(sheet, source: str, *, ref: str, prompt: str | None = None) -> None:
    dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=False,
                        showInputMessage=bool(prompt), prompt=(prompt or "")[:250] or None)
    sheet.add_data_validation(dv)
    dv.add(ref)


def _write_list(sheet, list_key: str, *, keys: tuple[str, ...], rows: Any,
                choices: Mapping[str, Mapping[str, str]], ranges: dict[str, str]) -> None:
    sheet.append(list(keys))
    sheet.row_dimensions[1].hidden = True
    sheet.append([FIELDS[f"{list_key}[].{k}"] for k in keys])
    sheet.row_dimensions[2].height = 30
    for n, key in enumerate(keys, start=1):
        head = sheet.cell(2, n)
        head.font = _HEAD
        head.alignment = Alignment(wrap_text=True, vertical="top")
        hint = HINTS.get(f"{list_key}[].{key}")
        if hint:
            head.comment = Comment(hint, "docgen")
    rows = rows if isinstance(rows, list) else []
    for r, row in enumerate(rows, start=3):
        for n, key in enumerate(keys, start=1):
            _put_value(sheet.cell(r, n), f"{list_key}[].{key}", value=row.get(key) if isinstance(row, dict) else None,
                       choices=choices)
    last = max(LIST_ROWS, len(rows)) + 2
    for n, key in enumerate(keys, start=1):
        field = f"{list_key}[].{key}"
        letter = get_column_letter(n)
        sheet.column_dimensions[letter].width = 40 if key == "name" else 20
        for r in range(len(rows) + 3, last + 1):
            _format(sheet.cell(r, n), field)
        if field in ranges:
            _drop_down(sheet, ranges[field], ref=f"{letter}3:{letter}{last}", prompt=HINTS.get(field))
    if list_key == "subject.items":
        _amount_column(sheet, last)
    sheet.freeze_panes = "A3"
    _landscape(sheet)
    sheet.print_area = f"A1:{get_column_letter(len(keys) + 1)}{max(len(rows) + 2, 20)}"  # not 200 empty rows


def _amount_column(sheet, last: int) -> None:
    """«Сумма без НДС» for the manager's eye: a formula, read by nobody (no key above it)."""
    sheet.cell(2, 5, "сумма без НДС (считает Excel)").font = _HEAD
    sheet.cell(2, 5).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["E"].width = 22
    for r in range(3, last + 1):
        cell = sheet.cell(r, 5, f'=IF(AND(ISNUMBER(C{r}),ISNUMBER(D{r})),ROUND(C{r}*D{r},2),"")')
        cell.number_format = "#,##0.00"


def _put_value(cell, key: str, *, value: Any, choices: Mapping[str, Mapping[str, str]]) -> None:
    _format(cell, key)
    value = _cell_value(key, value, choices=choices)
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):  # a worksheet cannot hold them
        raise FormInvalid("", [Fault(key, text.hidden_fault(value) or "в значении служебный знак")])
    cell.value = value


def _format(cell, key: str) -> None:
    if key in _TEXT_KEYS:
        cell.number_format = "@"  # so Excel keeps leading zeros of БИК and accounts
    elif key in _DATE_KEYS:
        cell.number_format = "DD.MM.YYYY"
    elif key in _PERCENT_FORMATS:
        cell.number_format = _PERCENT_FORMATS[key]
    elif key in _FORMATS:
        cell.number_format = _FORMATS[key]
    if key in ("subject.summary", "buyer.address", "delivery.address", "buyer.name"):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _cell_value(key: str, value: Any, *, choices: Mapping[str, Mapping[str, str]]) -> Any:
    """What a cell holds for a raw form value: the label of a code, a number, a date, or the text."""
    if value is None or isinstance(value, (dict, list)):
        return None if value is None else str(value)
    options = choices.get(key, {})
    if str(value) in options:
        return options[str(value)]
    if key in _DATE_KEYS:
        try:
            return numbers.parse_date(value)
        except ValueError:
            return str(value)
    if key in _PERCENT_FORMATS or key in _FORMATS and _FORMATS[key] != "@":
        try:
            number = numbers.parse_decimal(value, percent=True)
        except ValueError:
            return str(value)
        number = number / 100 if key in _PERCENT_FORMATS else number
        return int(number) if number == number.to_integral_value() and key.endswith("due_days") else float(number)
    if key == "price.vat_rate":
        try:
            return f"{numbers.parse_decimal(value, percent=True).normalize():f}".replace(".", ",") + " %"
        except ValueError:
            return str(value)
    return str(value)


def _get(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


# Reading


def read_card(name: str, content: bytes) -> dict[str, Any]:
    """The raw form data of a filled card; FormUnreadable when the workbook is not a deal card.

    The caller has checked the archive's sizes and passwords (readers._open_zip).
    """
    sheets = _load(name, content)
    if MAIN not in sheets:
        raise FormUnreadable(name, f"книга Excel не является карточкой сделки: нет листа «{MAIN}». "
                             "Возьмите бланк templates/forms/deal-card.xlsx или `docgen form --xlsx`")
    reverse = _reverse_choices(sheets.get(LIST_SHEET, []))
    data: dict[str, Any] = {}
    for row in sheets[MAIN][1:]:
        key = row[2][0] if len(row) >= 3 and isinstance(row[2][0], str) else None
        if key and key.strip() in FIELDS and len(row) >= 2:
            value = _from_cell(key.strip(), row[1][0], fmt=row[1][1], reverse=reverse)
            if value is not None:
                _put(data, key.strip(), value)
    for list_key, (title, _keys) in LISTS.items():
        rows = _list_rows(sheets.get(title, []), list_key, reverse)
        if rows:
            _put(data, list_key, rows)
    if not data:
        raise FormUnreadable(name, "карточка сделки пуста: не заполнено ни одно поле")
    return data


Cells = list[list[tuple[Any, str]]]  # rows of (value, number format)


def _load(name: str, content: bytes) -> dict[str, Cells]:
    """Every sheet as plain rows; whatever openpyxl's parsers raise on a malformed workbook (KeyError,
    TypeError, XML syntax errors…) means the file is broken, so the net here is wide and nothing else is in it."""
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            return {title: _rows(wb[title], columns=_COLUMNS.get(title, 8)) for title in wb.sheetnames}
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 — see the docstring
        raise FormUnreadable(name, "файл XLSX повреждён или это не книга Excel: откройте его в Excel и "
                                   "сохраните заново как «Книга Excel (.xlsx)»") from None


_COLUMNS = {LIST_SHEET: 80}  # the drop-down lists sit two columns per coded field
MAX_ROWS = 1100  # more than any card holds (1000 items and the headings); the model names the excess
MAX_GAP = 200  # empty rows in a row after which a sheet is taken to have ended


def _rows(sheet, *, columns: int) -> Cells:
    """The sheet's rows, at most `columns` wide. A stale <dimension> would hide rows that hold data, so it is
    ignored; a row numbered a billion (openpyxl fills the gap with empty rows) ends the reading instead."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    out: Cells = []
    gap = 0
    for row in sheet.iter_rows(max_col=columns):
        cells = [(cell.value, getattr(cell, "number_format", "General") or "General") for cell in row]
        gap = gap + 1 if all(value is None for value, _ in cells) else 0
        if gap > MAX_GAP or len(out) >= MAX_ROWS:
            break
        out.append(cells)
    return out


def _reverse_choices(rows: Cells) -> dict[str, dict[str, str]]:
    """label → code per field, from the card's own «Списки» sheet and docgen's built-in lists."""
    reverse = {key: {_fold(label): code for code, label in options.items()} for key, options in CHOICES.items()}
    if not rows:
        return reverse
    header = [value for value, _ in rows[0]]
    for col in range(0, len(header) - 1, 2):
        key = header[col]
        if not isinstance(key, str):
            continue
        for row in rows[1:]:
            if len(row) > col + 1 and row[col][0] is not None and row[col + 1][0] is not None:
                reverse.setdefault(key, {})[_fold(str(row[col][0]))] = str(row[col + 1][0])
    return reverse


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _list_rows(rows: Cells, list_key: str, reverse: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    if len(rows) < 2:
        return []
    keys = [str(value).strip() if value else "" for value, _ in rows[0]]
    out = []
    for row in rows[2:]:
        item = {}
        for key, (value, fmt) in zip(keys, row):
            if key:
                read = _from_cell(f"{list_key}[].{key}", value, fmt=fmt, reverse=reverse)
                if read is not None:
                    item[key] = read
        if item:
            out.append(item)
    return out


def _from_cell(key: str, value: Any, *, fmt: str, reverse: dict[str, dict[str, str]]) -> Any:
    """The raw form value of one cell, as the person meant it; None for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if key == "attachments":
        return [part.strip() for part in str(value).split(";") if part.strip()]
    if isinstance(value, str):
        text = value.strip()
        return reverse.get(key, {}).get(_fold(text), text)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return _from_number(key, value, fmt=fmt)


def _from_number(key: str, value: int | float, *, fmt: str) -> Any:
    if key in _TEXT_KEYS:
        return numbers.parse_digits(value) if float(value).is_integer() and value >= 0 else str(value)
    if key in _DATE_KEYS:
        return value  # an Excel day number in a cell not formatted as a date: the model reads it
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if _is_percent(fmt):
        number *= 100
    if key.endswith("due_days") and number == number.to_integral_value():
        return int(number)
    return f"{number.normalize():f}"


def _is_percent(number_format: str) -> bool:
    """A percent format: a «%» outside quotes and escapes ("0.0%" yes; '0" %"' no)."""
    return "%" in _QUOTED.sub("", number_format)


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return
        node = child
    node[last] = value
