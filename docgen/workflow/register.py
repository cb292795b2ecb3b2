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
from docgen.store import DealRow, Store
from docgen.workflow.stages import STAGE_TITLES
from docgen.workspace import Role, Stage

REGISTER_NAME = "Предварительные заказы.xlsx"
HEADINGS = ("Сделка", "Версия", "Принята", "Дата договора", "Клиент", "ИНН", "Предмет", "Сумма с НДС, руб.",
            "Менеджер", "Этап", "Юрист", "Финансовый департамент", "Директор", "Подписана")
WIDTHS = (11, 8, 17, 13, 36, 13, 48, 16, 28, 30, 17, 17, 17, 17)


def write_register(store: Store, folder: Path, *, log: logging.Logger) -> Path | None:
    """Rewrite the register; a file held open by Excel on a share is retried on the next change."""
    target = folder / REGISTER_NAME
    try:
        write_atomic(target, register_xlsx(store, store.deals()))
    except PermissionError:
        log.warning("реестр %s занят (открыт в Excel?): будет перезаписан при следующем изменении", target)
        return None
    return target


def register_rows(store: Store, deals: list[DealRow]) -> list[list[object]]:
    """The register's rows for `deals`, under HEADINGS (the web board shows the same rows, a page at a time)."""
    decided = _decision_dates(store, [d.number for d in deals] if len(deals) <= 500 else None)
    rows = []
    for deal in deals:
        dates = decided.get(deal.number, {})
        rows.append([deal.number, deal.version, deal.created_at.replace("T", " ")[:16], deal.contract_date,
                     deal.buyer_name, deal.buyer_inn, deal.subject, float(Decimal(deal.total)), deal.manager,
                     STAGE_TITLES[Stage(deal.stage)], dates.get(Role.LAWYER, ""), dates.get(Role.FINANCE, ""),
                     dates.get(Role.DIRECTOR, ""), dates.get("signed", "")])
    return rows


def register_xlsx(store: Store, deals: list[DealRow]) -> bytes:
    """The register of `deals` as an XLSX workbook."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Предварительные заказы"
    sheet.append(HEADINGS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in register_rows(store, deals):
        sheet.append(row)
        sheet.cell(sheet.max_row, 8).number_format = "#,##0.00"
    for n, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _decision_dates(store: Store, numbers: list[str] | None = None) -> dict[str, dict[str, str]]:
    """The latest date of each role's decision per deal (of `numbers`, or every deal), and when it was signed."""
    out: dict[str, dict[str, str]] = {}
    only = f" AND deal IN ({', '.join('?' * len(numbers))})" if numbers is not None else ""
    rows = store.conn.execute(
        f"SELECT deal, role, action, at FROM journal WHERE action IN ('approved', 'returned'){only} ORDER BY id",
        numbers or ())
    for deal, role, action, at in rows:
        stamp = at.replace("T", " ")[:16] + ("" if action == "approved" else " (возврат)")
        out.setdefault(deal, {})[Role(role)] = stamp
        if role == Role.DIRECTOR and action == "approved":
            out[deal]["signed"] = at.replace("T", " ")[:16]
    return out
