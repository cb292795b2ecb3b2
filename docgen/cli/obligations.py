"""Commands of the contract's life after signing: record events, draft a claim, export the due dates."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from docgen.cli import Env, app, out
from docgen.files import write_atomic
from docgen.form.numbers import parse_date, parse_decimal
from docgen.obligations import ledger
from docgen.obligations.events import EventKind
from docgen.obligations.ical import calendar_ics, obligation_entries, stage_entries
from docgen.service import local_now, open_service
from docgen.workflow.deadlines import Deadlines
from docgen.workflow.engine import close_workflow
from docgen.workflow.status import status_items


def _date(value: str | None, hint: str) -> dt.date:
    if not value:
        raise typer.BadParameter("укажите дату: ГГГГ-ММ-ДД или ДД.ММ.ГГГГ", param_hint=hint)
    try:
        return parse_date(value)
    except ValueError:
        raise typer.BadParameter(f"«{value}» — не дата; пишите ГГГГ-ММ-ДД или ДД.ММ.ГГГГ", param_hint=hint) from None


def _money(value: str | None, hint: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = parse_decimal(value)
    except ValueError:
        raise typer.BadParameter(f"«{value}» — не сумма; пишите 150000.50 или «150 000,50»", param_hint=hint) from None
    if amount <= 0:
        raise typer.BadParameter("сумма должна быть больше нуля", param_hint=hint)
    return amount


@app.command()
def record(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    kind: Annotated[EventKind, typer.Argument(help="payment, readiness, delivery или correction")],
    amount: Annotated[str | None, typer.Argument(help="сумма оплаты (для payment)")] = None,
    date: Annotated[str | None, typer.Option("--date", help="когда это произошло: ГГГГ-ММ-ДД")] = None,
    doc: Annotated[str, typer.Option("--doc", help="документ: «п/п № 412 от 20.01.2027», накладная")] = "",
    delivered: Annotated[str | None, typer.Option("--amount", help="поставка: стоимость поставленного "
                                                                   "(без неё — всё, что осталось)")] = None,
    event: Annotated[int | None, typer.Option("--event", help="correction: номер отменяемой записи")] = None,
    comment: Annotated[str, typer.Option("--comment", help="пояснение (для исправления — обязательно)")] = "",
    who: Annotated[str | None, typer.Option("--who", help="кто записывает (по умолчанию — пользователь)")] = None,
) -> None:
    """Записать оплату, готовность, поставку — или отменить ошибочную запись исправлением."""
    values = _event_values(kind, amount=amount, date=date, delivered=delivered, event=event, comment=comment)
    env: Env = ctx.obj
    from docgen.obligations.notify import check_production
    from docgen.obligations.record import record as record_event

    workflow = open_service(env.workspace, logging.getLogger("docgen.cli"))
    try:
        user = who or getpass.getuser()
        account = record_event(workflow.svc, deal, kind=kind, doc=doc, comment=comment, actor=user,
                               source=f"команда docgen record (пользователь {getpass.getuser()})", **values)
        told = check_production(workflow.svc, workflow.svc.store.deal(deal))
    finally:
        close_workflow(workflow)
    out.print(account, markup=False, highlight=False)
    if told:
        out.print(told, markup=False, highlight=False)


def _event_values(kind: EventKind, *, amount: str | None, date: str | None, delivered: str | None,
                  event: int | None, comment: str) -> dict:
    """The checked values of one event from the command's arguments; a usage error names the one at fault."""
    if kind is EventKind.CORRECTION:
        if event is None:
            raise typer.BadParameter("укажите номер отменяемой записи (docgen status СДЕЛКА)", param_hint="--event")
        if not comment.strip():
            raise typer.BadParameter("напишите, почему запись отменяется", param_hint="--comment")
        return {"reverses": event}
    values: dict = {"day": _date(date, "--date")}
    if kind is EventKind.PAYMENT:
        values["amount"] = _money(amount, "AMOUNT")
        if values["amount"] is None:
            raise typer.BadParameter("укажите сумму оплаты: docgen record СДЕЛКА payment 150000.00 --date …",
                                     param_hint="AMOUNT")
    elif kind is EventKind.DELIVERY:
        values["amount"] = _money(delivered, "--amount")
    return values


@app.command()
def claim(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
) -> None:
    """Претензия покупателю: просроченные платежи и расчёт пени по дням — в досье (DOCX и PDF)."""
    from docgen.obligations.letters import draft_claim

    env: Env = ctx.obj
    workflow = open_service(env.workspace, logging.getLogger("docgen.cli"))
    try:
        account = draft_claim(workflow.svc, deal)
    finally:
        close_workflow(workflow)
    out.print(account, markup=False, highlight=False)


@app.command("calendar")
def calendar_(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="файл .ics (календарь для Outlook)")],
    deal: Annotated[str | None, typer.Option("--deal", help="только эта сделка")] = None,
) -> None:
    """Сроки оплат, поставок и этапов согласования — календарь iCalendar для подписки в Outlook."""
    from docgen.store import open_store

    if output.suffix.lower() != ".ics":
        raise typer.BadParameter("календарь пишется в файл .ics", param_hint="-o")
    env: Env = ctx.obj
    now = local_now()
    deadlines = Deadlines.from_settings(env.settings)
    store = open_store(env.workspace)
    try:
        rows = [store.deal(deal)] if deal else store.deals()
        positions = ledger.positions(store, rows, calendar=deadlines.calendar, today=now.date())
        items = status_items(store, rows, deadlines=deadlines, now=now)
    finally:
        store.close()
    entries = [e for row in rows if row.number in positions
               for e in obligation_entries(positions[row.number], client=row.buyer_name)]
    entries += [e for item in items for e in stage_entries(item)]
    write_atomic(output, calendar_ics(entries, now=now))
    out.print(f"Календарь: {len(entries)} сроков → {output}", markup=False, highlight=False)
