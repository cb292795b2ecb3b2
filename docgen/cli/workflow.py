"""Commands of the service and the decisions: watch, status, approve, return."""

from __future__ import annotations

import json
import logging
import signal
import threading
from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from docgen.cli import Env, app, out
from docgen.form.money import format_money
from docgen.obligations.show import deal_lines, obligations_cell
from docgen.service import local_now, open_service, run_service, service_log
from docgen.workflow.engine import close_workflow
from docgen.workflow.stages import Decision
from docgen.workflow.status import status_items
from docgen.workspace import Role


@app.command()
def watch(
    ctx: typer.Context,
    polling: Annotated[bool, typer.Option("--polling", help="опрос папок (сетевые диски SMB/NFS)")] = False,
    once: Annotated[bool, typer.Option("--once", help="обработать всё, что ждёт, и выйти")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="подробный журнал")] = False,
) -> None:
    """Служба: следить за inbox/ и папками решений, готовить документы, рассылать уведомления."""
    env: Env = ctx.obj
    ws = env.workspace
    log = service_log(ws, verbose=verbose)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if not once:
        log.info("Ctrl+C — остановить после текущего файла")
    run_service(ws, log=log, stop=stop, once=once, polling=True if polling else None)


@app.command()
def status(
    ctx: typer.Context,
    deal: Annotated[str | None, typer.Argument(help="номер сделки")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="ответ в JSON")] = False,
) -> None:
    """Сделки и где каждая сейчас."""
    from docgen.calendar import WorkCalendar
    from docgen.store import open_store

    env: Env = ctx.obj
    store = open_store(env.workspace.state)
    try:
        rows = [store.deal(deal)] if deal else store.deals()
        items = status_items(store, rows, today=local_now().date(),
                             calendar=WorkCalendar.from_settings(env.settings.calendar))
    finally:
        store.close()
    if as_json:
        out.print(json.dumps(items, ensure_ascii=False, indent=2), markup=False, highlight=False)
    elif deal:
        _print_deal(items[0])
    else:
        _print_table(items)


def _print_table(items: list[dict]) -> None:
    if not items:
        out.print("Сделок пока нет. Положите форму в inbox/.", markup=False)
        return
    table = Table()
    for heading, no_wrap in (("Сделка", True), ("Версия", True), ("Клиент", False), ("ИНН", True),
                             ("Сумма с НДС", True), ("Этап", False), ("Менеджер", False), ("Оплата и поставка", False)):
        table.add_column(heading, no_wrap=no_wrap, justify="right" if heading == "Сумма с НДС" else "left")
    for it in items:
        table.add_row(it["deal"], str(it["version"]), it["buyer"], it["buyer_inn"],
                      format_money(Decimal(it["total"])).replace("\u00a0", " "), it["stage_title"], it["manager"],
                      obligations_cell(it))
    out.print(table)


def _print_deal(it: dict) -> None:
    out.print(f"Сделка {it['deal']}, версия {it['version']}: {it['stage_title']}\n"
              f"Клиент: {it['buyer']}, ИНН {it['buyer_inn']}; сумма с НДС {format_money(Decimal(it['total']))}\n"
              f"Менеджер: {it['manager']}; досье: {it['dossier']}", markup=False, highlight=False)
    for e in it["journal"]:
        comments = f" — {'; '.join(e['comments'])}" if e["comments"] else ""
        out.print(f"  {e['at'][:16].replace('T', ' ')}  {e['who']}: {e['action_title']} (версия {e['version']})"
                  f"{comments}", markup=False, highlight=False)
    for line in deal_lines(it):
        out.print(line, markup=False, highlight=False)


def _decide(ctx: typer.Context, deal: str, role: Role, decision: Decision, comment: str) -> None:
    env: Env = ctx.obj
    ws = env.workspace
    log = logging.getLogger("docgen.cli")
    workflow = open_service(ws, log)
    try:
        account = workflow.decide(deal, role=role, decision=decision, comment=comment)
    finally:
        close_workflow(workflow)
    out.print(account, markup=False, highlight=False)


@app.command()
def approve(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    role: Annotated[Role, typer.Option("--role", help="lawyer, finance или director")],
    comment: Annotated[str, typer.Option("--comment", help="примечание к решению")] = "",
) -> None:
    """Согласовать (подписать — для director) текущую версию договора."""
    _decide(ctx, deal, role, Decision.APPROVED, comment)


@app.command("return")
def return_(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    role: Annotated[Role, typer.Option("--role", help="lawyer, finance или director")],
    comment: Annotated[str, typer.Option("--comment", help="замечания менеджеру")],
) -> None:
    """Вернуть договор менеджеру на доработку с замечаниями."""
    if not comment.strip():
        raise typer.BadParameter("нужны замечания: что исправить", param_hint="--comment")
    _decide(ctx, deal, role, Decision.RETURNED, comment)
