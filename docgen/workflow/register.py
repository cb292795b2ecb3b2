"""The register «Предварительные заказы».xlsx: one row per deal, rewritten atomically from the store."""

from __future__ import annotations

import io
import logging
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from docgen.files import write_atomic
from docgen.printable import printable
from docgen.store import Store
from docgen.workflow.stages import STAGE_TITLES
from docgen.workspace import Role, Stage

REGISTER_NAME = "Предварительные заказы.xlsx"
HEADINGS = ("Сделка", "Версия", "Принята", "Дата договора", "Клиент", "ИНН", "Предмет", "Сумма с НДС, руб.",
            "Менеджер", "Этап", "Юрист", "Финансовый департамент", "Директор", "Подписана")
CELL_LIMIT = 32_767
WIDTHS = (11, 8, 17, 13, 36, 13, 48, 16, 28, 30, 17, 17, 17, 17)


def write_register(store: Store, folder: Path, *, log: logging.Logger) -> Path | None:
    """Rewrite the register; a file held open by Excel on a share is retried on the next change."""
    decided = _decision_dates(store)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Предварительные заказы"
    sheet.append(HEADINGS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for deal in store.deals():
        dates = decided.get(deal.number, {})
        sheet.append([_cell(v) for v in (
            deal.number, deal.version, deal.created_at.replace("T", " ")[:16], deal.contract_date,
            deal.buyer_name, deal.buyer_inn, deal.subject, float(Decimal(deal.total)), deal.manager,
            STAGE_TITLES[Stage(deal.stage)], dates.get(Role.LAWYER, ""), dates.get(Role.FINANCE, ""),
            dates.get(Role.DIRECTOR, ""), dates.get("signed", ""))])
        sheet.cell(sheet.max_row, 8).number_format = "#,##0.00"
    for n, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    target = folder / REGISTER_NAME
    try:
        write_atomic(target, buffer.getvalue())
    except PermissionError:
        log.warning("реестр %s занят (открыт в Excel?): будет перезаписан при следующем изменении", target)
        return None
    return target


def _cell(value: object) -> object:
    """A value as a cell can hold it: text without control characters (openpyxl refuses them with
    IllegalCharacterError, and one stored name must not stop every later write) and within Excel's
    32 767 characters."""
    if not isinstance(value, str):
        return value
    return printable(value, limit=CELL_LIMIT)


def _decision_dates(store: Store) -> dict[str, dict[str, str]]:
    """The latest date of each role's decision per deal, and when it was signed."""
    out: dict[str, dict[str, str]] = {}
    rows = store.conn.execute(
        "SELECT deal, role, action, at FROM journal WHERE action IN ('approved', 'returned') ORDER BY id")
    for deal, role, action, at in rows:
        stamp = at.replace("T", " ")[:16] + ("" if action == "approved" else " (возврат)")
        out.setdefault(deal, {})[Role(role)] = stamp
        if role == Role.DIRECTOR and action == "approved":
            out[deal]["signed"] = at.replace("T", " ")[:16]
    return out
