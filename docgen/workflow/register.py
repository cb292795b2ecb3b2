"""The register «Предварительные заказы».xlsx: one row per deal, rewritten atomically from the store."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from docgen.calendar import WorkCalendar
from docgen.files import write_atomic
from docgen.obligations import ledger
from docgen.obligations.position import Position
from docgen.obligations.summary import overdue_note, waiting_note
from docgen.store import Store
from docgen.workflow.stages import STAGE_TITLES
from docgen.workspace import Role, Stage

REGISTER_NAME = "Предварительные заказы.xlsx"
HEADINGS = ("Сделка", "Версия", "Принята", "Дата договора", "Клиент", "ИНН", "Предмет", "Сумма с НДС, руб.",
            "Менеджер", "Этап", "Юрист", "Финансовый департамент", "Директор", "Подписана",
            "Ближайший срок", "Что в срок", "Оплачено, руб.", "Просрочено, руб.", "Пеня Покупателя, руб.",
            "Пеня Продавца, руб.")
WIDTHS = (11, 8, 17, 13, 36, 13, 48, 16, 28, 30, 17, 17, 17, 17, 14, 34, 16, 16, 16, 16)
_MONEY_COLUMNS = (8, 17, 18, 19, 20)
_DUE_COLUMN = 15


def write_register(store: Store, folder: Path, *, log: logging.Logger, today: dt.date | None = None,
                   calendar: WorkCalendar | None = None) -> Path | None:
    """Rewrite the register; a file held open by Excel on a share is retried on the next change.

    The obligations of signed deals (next due date, paid, overdue, penalties) are counted through
    `today` on `calendar`.
    """
    decided = _decision_dates(store)
    deals = store.deals()
    positions = ledger.positions(store, deals, calendar=calendar or WorkCalendar(), today=today or dt.date.today())
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Предварительные заказы"
    sheet.append(HEADINGS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, deal in enumerate(deals, start=2):  # not sheet.max_row: it counts every row, every time
        dates = decided.get(deal.number, {})
        sheet.append([deal.number, deal.version, deal.created_at.replace("T", " ")[:16], deal.contract_date,
                      deal.buyer_name, deal.buyer_inn, deal.subject, float(Decimal(deal.total)), deal.manager,
                      STAGE_TITLES[Stage(deal.stage)], dates.get(Role.LAWYER, ""), dates.get(Role.FINANCE, ""),
                      dates.get(Role.DIRECTOR, ""), dates.get("signed", ""), *_obligations(positions.get(deal.number))])
        for column in _MONEY_COLUMNS:
            sheet.cell(row_number, column).number_format = "#,##0.00"
        sheet.cell(row_number, _DUE_COLUMN).number_format = "DD.MM.YYYY"
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


def _obligations(p: Position | None) -> list:
    """The next due date (an Excel date), what it is for, paid, overdue and the penalties; blanks before signing."""
    if p is None:
        return ["", "", "", "", "", ""]
    upcoming = p.next_due()
    what = upcoming.term.title if upcoming else waiting_note(p)
    if p.overdue:
        what = f"ПРОСРОЧКА: {overdue_note(p)}"
    return [upcoming.due if upcoming else "", what, float(p.paid),
            float(sum(s.overdue_amount for s in p.payments)), float(sum(s.penalty.total for s in p.payments)),
            float(p.delivery.penalty.total)]


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
