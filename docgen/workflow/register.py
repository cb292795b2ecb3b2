"""The register «Предварительные заказы».xlsx: one row per deal, rewritten atomically from the store,
dates as Excel dates; a second sheet lists the files waiting in the `unrecognized/` folders."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gc
import io
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from lxml import etree
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from docgen.errors import UnsafeFile, describe
from docgen.files import read_plain, write_atomic
from docgen.obligations import ledger
from docgen.obligations.position import Position
from docgen.obligations.summary import overdue_note, waiting_note
from docgen.printable import printable
from docgen.store import DealRow, Store
from docgen.workflow.acks import TITLES as ACK_TITLES
from docgen.workflow.acks import Closing, closing_of
from docgen.workflow.deadlines import Deadlines, in_zone_of, parse_since
from docgen.workflow.people import person_name
from docgen.workflow.route import Route
from docgen.workflow.stages import stage_title
from docgen.workspace import Role, Workspace

REGISTER_NAME = "Предварительные заказы.xlsx"
CELL_LIMIT = 32_767  # Excel's most characters in a cell
UNRECOGNIZED_SHEET = "Нераспознанные файлы"
DATE, MOMENT = "DD.MM.YYYY", "DD.MM.YYYY HH:MM"
# (heading, width, number format) of the columns before the decision dates
COLUMNS = (("Сделка", 11, None), ("Версия", 8, None), ("Принята", 17, MOMENT), ("Дата договора", 13, DATE),
           ("Клиент", 36, None), ("ИНН", 13, None), ("Направление", 28, None), ("Предмет", 48, None),
           ("Сумма с НДС, руб.", 16, "#,##0.00"), ("Менеджер", 28, None), ("Менеджер по сопровождению", 28, None),
           ("Этап", 30, None), ("На этапе с", 17, MOMENT), ("Срок этапа", 12, DATE))
DUE_COLUMN = get_column_letter(len(COLUMNS))
MONEY = "#,##0.00"
# After the decision dates: a signed deal's obligations (docgen.obligations), as of the day the file is written.
OBLIGATION_COLUMNS = (("Ближайший срок оплаты или поставки", 16, DATE), ("Что в срок", 40, None),
                      ("Оплачено, руб.", 16, MONEY), ("Просрочено, руб.", 16, MONEY),
                      ("Пеня Покупателя, руб.", 16, MONEY), ("Пеня Продавца, руб.", 16, MONEY))
# Last: how the deal ended or is being closed (docgen.workflow.cancel, docgen.workflow.acks).
CLOSING_COLUMNS = (("Отменена", 17, MOMENT), ("Причина отмены", 40, None), ("Не подтверждено", 36, None))
BUILT_IN_HEADINGS = {Role.LAWYER: "Юрист", Role.FINANCE: "Финансовый департамент", Role.DIRECTOR: "Директор"}
OVERDUE_FILL = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")


@dataclass(frozen=True)
class Decided:
    at: dt.datetime
    returned: bool


def write_register(store: Store, ws: Workspace, *, roles: Sequence[str], deadlines: Deadlines, now: dt.datetime,
                   log: logging.Logger) -> Path | None:
    """Rewrite the register; a file held open by Excel on a share is retried on the next change."""
    wb = Workbook()
    _deals_sheet(wb.active, store, ws, deals=store.deals(), roles=_decision_roles(roles), deadlines=deadlines,
                 now=now)
    _unrecognized_sheet(wb.create_sheet(UNRECOGNIZED_SHEET), ws, roles=roles, now=now)
    buffer = _saved(wb)
    target = ws.registers / REGISTER_NAME
    try:
        write_atomic(target, buffer.getvalue())
    except PermissionError:
        log.warning("реестр %s занят (открыт в Excel?): будет перезаписан при следующем изменении", target)
        return None
    return target


def register_xlsx(store: Store, ws: Workspace, *, deals: list[DealRow], roles: Sequence[str], deadlines: Deadlines,
                  now: dt.datetime) -> bytes:
    """The register's deals sheet for `deals` only (the web board's download of what a person may see)."""
    wb = Workbook()
    _deals_sheet(wb.active, store, ws, deals=deals, roles=_decision_roles(roles), deadlines=deadlines, now=now)
    return _saved(wb).getvalue()


def _saved(wb: Workbook) -> io.BytesIO:
    """The workbook's bytes. openpyxl writes each sheet through a temporary file first, and lxml reports a
    failed write there (a full disk, a file size limit) as its own SerialisationError: it is the disk's fault
    and is said as one (an OSError), not as a bug with a traceback. The half-written archive and openpyxl's
    half-run sheet writers fail once more on the same disk when they are finalised: that second, already
    said failure is not printed (it would reach stderr as «Exception ignored in …» with a traceback)."""
    buffer = io.BytesIO()
    archive = ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)  # as openpyxl's save does
    failure = ""
    hook = sys.unraisablehook
    try:
        try:
            ExcelWriter(wb, archive).save()
        except (etree.SerialisationError, OSError) as exc:
            sys.unraisablehook = _unheard
            failure = describe(exc)
            with contextlib.suppress(Exception):
                archive.close()
        if failure:
            gc.collect()  # the sheet writers, freed with the traceback that held them, finalised here
    finally:
        sys.unraisablehook = hook
    if failure:
        raise OSError(errno.ENOSPC, f"реестр не собран: временный файл не записывается ({failure})")
    return buffer


def _unheard(unraisable) -> None:
    """sys.unraisablehook while a failed register is taken apart: its finalisers' errors are the one said."""


def register_rows(store: Store, ws: Workspace, *, deals: list[DealRow], roles: Sequence[str], deadlines: Deadlines,
                  now: dt.datetime) -> tuple[list[str], list[list[object]]]:
    """The register's headings and its rows for `deals`, as the web board shows a page of them."""
    roles = _decision_roles(roles)
    decided = _decisions(store, [d.number for d in deals])
    positions = ledger.positions(store, deals, calendar=deadlines.calendar, today=now.date())
    ended = _ended(store, [d.number for d in deals])
    rows = []
    for deal in deals:
        moments = decided.get(deal.number, {})
        rows.append(_cells(store, deal, ws=ws, deadlines=deadlines, now=now)
                    + [_moment(moments[r].at, now=now) if r in moments else None for r in [*roles, "signed"]]
                    + _obligation_values(positions.get(deal.number))
                    + _closing_values(ended.get(deal.number), now=now))
    return _headings(ws, roles), rows


def _decision_roles(roles: Sequence[str]) -> list[str]:
    """The decision columns: the lawyer, finance, the route rules' roles, then the director who signs."""
    extra = [r for r in roles if r not in set(Role)]
    return [Role.LAWYER, Role.FINANCE, *extra, Role.DIRECTOR]


def _headings(ws: Workspace, roles: list[str]) -> list[str]:
    titles = {rule.role: rule.title for rule in ws.settings.route.rules}
    return ([c[0] for c in COLUMNS] + [BUILT_IN_HEADINGS.get(r) or titles.get(r, r) for r in roles] + ["Подписана"]
            + [c[0] for c in OBLIGATION_COLUMNS] + [c[0] for c in CLOSING_COLUMNS])


def _deals_sheet(sheet: Worksheet, store: Store, ws: Workspace, *, deals: list[DealRow], roles: list[str],
                 deadlines: Deadlines, now: dt.datetime) -> None:
    sheet.title = "Предварительные заказы"
    _head(sheet, _headings(ws, roles),
          widths=[c[1] for c in COLUMNS] + [17] * (len(roles) + 1) + [c[1] for c in OBLIGATION_COLUMNS]
          + [c[1] for c in CLOSING_COLUMNS])
    decided = _decisions(store, [d.number for d in deals])
    positions = ledger.positions(store, deals, calendar=deadlines.calendar, today=now.date())
    first_obligation = len(COLUMNS) + len(roles) + 2
    ended = _ended(store, [d.number for d in deals])
    for row, deal in enumerate(deals, start=2):  # not sheet.max_row: it counts every row each time
        sheet.append([_cell(v) for v in _cells(store, deal, ws=ws, deadlines=deadlines, now=now)])
        for column, (_heading, _width, fmt) in enumerate(COLUMNS, start=1):
            if fmt:
                sheet.cell(row, column).number_format = fmt
        _decision_cells(sheet, row, decided.get(deal.number, {}), roles=roles, now=now)
        _obligation_cells(sheet, row, positions.get(deal.number), first=first_obligation)
        _closing_cells(sheet, row, ended.get(deal.number), first=first_obligation + len(OBLIGATION_COLUMNS), now=now)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    # Excel itself marks a past deadline red, so the file need not be rewritten as days pass.
    sheet.conditional_formatting.add(f"{DUE_COLUMN}2:{DUE_COLUMN}{max(sheet.max_row, 2)}", FormulaRule(
        formula=[f"AND(ISNUMBER({DUE_COLUMN}2),{DUE_COLUMN}2<TODAY())"], fill=OVERDUE_FILL))


def _cells(store: Store, deal: DealRow, *, ws: Workspace, deadlines: Deadlines, now: dt.datetime) -> list[object]:
    division = ws.settings.divisions.get(deal.division)
    since = parse_since(deal.stage_since)
    timing = deadlines.timing(deal.stage, since, now=now)
    route = Route.from_json(store.route(deal.number, deal.version))
    return [deal.number, deal.version, _moment(dt.datetime.fromisoformat(deal.created_at), now=now),
            dt.date.fromisoformat(deal.contract_date), deal.buyer_name, deal.buyer_inn,
            division.title if division else deal.division, deal.subject, float(Decimal(deal.total)), deal.manager,
            person_name(division.support) if division else "", stage_title(deal.stage, route),
            _moment(since, now=now) if since else None, timing.due]


def _obligation_values(p: Position | None) -> list[object]:
    """The next due date, what it is for, paid, overdue and the penalties; blanks before signing."""
    if p is None:
        return [None] * len(OBLIGATION_COLUMNS)
    upcoming = p.next_due()
    what = f"ПРОСРОЧКА: {overdue_note(p)}" if p.overdue else upcoming.term.title if upcoming else waiting_note(p)
    return [upcoming.due if upcoming else None, what, float(p.paid), float(sum(s.overdue_amount for s in p.payments)),
            float(sum(s.penalty.total for s in p.payments)), float(p.delivery.penalty.total)]


def _obligation_cells(sheet: Worksheet, row: int, p: Position | None, *, first: int) -> None:
    if p is None:
        return
    for offset, (value, (_heading, _width, fmt)) in enumerate(zip(_obligation_values(p), OBLIGATION_COLUMNS)):
        cell = sheet.cell(row, first + offset, value)
        if fmt:
            cell.number_format = fmt


@dataclass(frozen=True)
class Ended:
    """How a deal ended or is being closed: its cancellation (when, why), its acknowledgments."""

    cancelled_at: dt.datetime | None = None
    reason: str = ""
    closing: Closing | None = None


def _ended(store: Store, numbers: list[str]) -> dict[str, Ended]:
    closing = closing_of(store, numbers if len(numbers) <= 500 else None)
    cancelled: dict[str, tuple[dt.datetime, str]] = {}
    for entry in store.conn.execute("SELECT deal, at, detail FROM journal WHERE action = 'cancelled' ORDER BY id"):
        detail = json.loads(entry[2])
        cancelled[entry[0]] = (dt.datetime.fromisoformat(entry[1]), "; ".join(detail.get("comments") or []))
    out = {}
    for number in set(closing) | set(cancelled):
        at, reason = cancelled.get(number, (None, ""))
        out[number] = Ended(at, reason, closing.get(number))
    return out


def _closing_values(ended: Ended | None, *, now: dt.datetime) -> list[object]:
    """When and why the deal was cancelled; what its departments have not acknowledged yet («» when all did)."""
    if ended is None:
        return [None] * len(CLOSING_COLUMNS)
    pending = ", ".join(ACK_TITLES[a] for a in ended.closing.pending) if ended.closing else None
    return [_moment(ended.cancelled_at, now=now) if ended.cancelled_at else None, ended.reason or None, pending]


def _closing_cells(sheet: Worksheet, row: int, ended: Ended | None, *, first: int, now: dt.datetime) -> None:
    for offset, (value, (_heading, _width, fmt)) in enumerate(zip(_closing_values(ended, now=now), CLOSING_COLUMNS)):
        if value is None:
            continue
        cell = sheet.cell(row, first + offset, _cell(value))
        if fmt:
            cell.number_format = fmt


def _decision_cells(sheet: Worksheet, row: int, decided: dict[str, Decided], *, roles: list[str],
                    now: dt.datetime) -> None:
    for offset, role in enumerate([*roles, "signed"]):
        found = decided.get(role)
        if found is None:
            continue
        cell = sheet.cell(row, len(COLUMNS) + 1 + offset, _moment(found.at, now=now))
        cell.number_format = MOMENT
        if found.returned:
            cell.font = Font(color="C00000", italic=True)
            cell.comment = Comment("возвращено на доработку", "docgen")


def _decisions(store: Store, numbers: list[str] | None = None) -> dict[str, dict[str, Decided]]:
    """The latest decision of each role per deal (of `numbers`, or every deal), and when it was signed."""
    out: dict[str, dict[str, Decided]] = {}
    if numbers is not None and len(numbers) > 500:
        numbers = None  # past SQLite's comfortable number of parameters: read them all
    only = f" AND deal IN ({', '.join('?' * len(numbers))})" if numbers is not None else ""
    rows = store.conn.execute(
        f"SELECT deal, role, action, at FROM journal WHERE action IN ('approved', 'returned'){only} ORDER BY id",
        numbers or ())
    for deal, role, action, at in rows:
        moment = dt.datetime.fromisoformat(at)
        out.setdefault(deal, {})[role] = Decided(moment, action == "returned")
        if role == Role.DIRECTOR and action == "approved":
            out[deal]["signed"] = Decided(moment, False)
    return out


@dataclass(frozen=True)
class SetAside:
    """A file waiting in an `outbox/<role>/unrecognized/` folder, and why it was not taken."""

    path: Path
    why: str
    at: dt.datetime


def unrecognized_files(ws: Workspace, *, roles: Sequence[str]) -> list[SetAside]:
    """Every file set aside in the roles' `unrecognized/` folders (a link as itself, lstat; only a plain
    reason file is read), for the register and `docgen status`."""
    found = []
    for role in roles:
        folder = ws.review(role) / "unrecognized"
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if not p.is_dir() and not p.name.endswith(".why.txt")):
            found.append(SetAside(path, _reason(path.with_name(path.name + ".why.txt")),
                                  dt.datetime.fromtimestamp(path.lstat().st_mtime).astimezone()))
    return found


def _unrecognized_sheet(sheet: Worksheet, ws: Workspace, *, roles: Sequence[str], now: dt.datetime) -> None:
    """Every file set aside in `outbox/<role>/unrecognized/`, with why, so someone sees it."""
    _head(sheet, ["Папка", "Файл", "Положен", "Почему не принят"], widths=[28, 48, 17, 90])
    for found in unrecognized_files(ws, roles=roles):
        sheet.append([_cell(v) for v in (f"{found.path.parent.relative_to(ws.root)}/", found.path.name,
                                         _moment(found.at, now=now), found.why)])
        sheet.cell(sheet.max_row, 3).number_format = MOMENT
    sheet.freeze_panes = "A2"


def _reason(why: Path) -> str:
    try:
        return read_plain(why)[0].decode("utf-8", errors="replace").strip()
    except (OSError, UnsafeFile):
        return ""


def _cell(value: object) -> object:
    """A value as a cell can hold it: text without control characters (openpyxl refuses them with
    IllegalCharacterError, and one stored name must not stop every later write) and within Excel's
    32 767 characters."""
    if not isinstance(value, str):
        return value
    return printable(value, limit=CELL_LIMIT)


def _head(sheet: Worksheet, headings: list[str], *, widths: list[int]) -> None:
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width


def _moment(moment: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    """A time as Excel keeps it: on the service's clock, without a zone."""
    return in_zone_of(moment, now).replace(tzinfo=None, microsecond=0)
