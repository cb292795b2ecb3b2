"""Commands of the service and the decisions: watch, status, approve, return."""

from __future__ import annotations

import json
import logging
import signal
import threading
from decimal import Decimal
from typing import Annotated

import typer
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from docgen.cli import Env, app, out
from docgen.form.money import format_money
from docgen.obligations.show import deal_lines, obligations_cell
from docgen.printable import printable
from docgen.service import local_now, open_service, run_service, service_log
from docgen.workflow.deadlines import Deadlines
from docgen.workflow.engine import close_workflow
from docgen.workflow.integrity import check_store
from docgen.workflow.stages import Decision
from docgen.workflow.status import status_items

ROLE_HELP = "lawyer, finance, director или роль правила маршрута ([[route.rules]])"


def _role(ctx: typer.Context, role: str | None) -> str | None:
    """--role: a role of the settings, or the stage a deal still waits in after its rule was removed."""
    env: Env = ctx.obj
    if role is None or role in env.workspace.roles or _waits_in(env, role):
        return role
    raise typer.BadParameter(f"«{role}» не из списка: {', '.join(repr(str(r)) for r in env.workspace.roles)}.")


def _waits_in(env: Env, stage: str) -> bool:
    from docgen.store import open_store, store_exists

    if not store_exists(env.workspace):
        return False
    store = open_store(env.workspace)
    try:
        return bool(store.deals(where="stage = ?", params=(stage,)))
    finally:
        store.close()


# A value longer than this is cut where a terminal shows it (the JSON keeps it whole).
SHOWN_LIMIT = 200


@app.command()
def watch(
    ctx: typer.Context,
    polling: Annotated[bool, typer.Option("--polling", help="опрос папок (сетевые диски SMB/NFS)")] = False,
    once: Annotated[bool, typer.Option("--once", help="обработать всё, что ждёт, и выйти")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="подробный журнал")] = False,
) -> None:
    """Служба: следить за inbox/ и папками решений, готовить документы, рассылать уведомления."""
    env: Env = ctx.obj
    ws = env.existing_workspace
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
    from docgen.store import read_snapshot, store_exists

    env: Env = ctx.obj
    ws = env.existing_workspace
    deadlines, now = Deadlines.from_settings(env.settings), local_now()
    items = []
    if store_exists(ws) or deal:
        with read_snapshot(ws) as store:  # read-only: a read-only store or share is fine for a look
            check_store(ws, store)
            rows = [store.deal(deal)] if deal else store.deals()
            items = status_items(store, rows, deadlines=deadlines, now=now)
    if as_json:
        out.print(json.dumps(items, ensure_ascii=False, indent=2), markup=False, highlight=False)
    elif deal:
        _print_deal(items[0])
    else:
        _print_table(items)
        _print_unrecognized(ws, [it["stage"] for it in items])


# Below this many columns the table keeps what a person looks for first: the deal, whom, how much, where, until.
WIDE_COLUMNS = 140


def _print_table(items: list[dict]) -> None:
    if not items:
        out.print("Сделок пока нет. Положите форму в inbox/.", markup=False)
        return
    wide = out.width >= WIDE_COLUMNS
    table = Table()
    # (heading, wraps, shown on a narrow terminal): a column that does not wrap is never cut, so the deal
    # number and the sum stay whole at 80 columns while the client and the stage wrap.
    for heading, wraps, narrow in (("Сделка", False, True), ("Версия", False, False), ("Клиент", True, True),
                                   ("ИНН", False, False), ("Сумма с НДС", False, True), ("Этап", True, True),
                                   ("С", False, False), ("Срок", True, True), ("Менеджер", True, False),
                                   ("Оплата и поставка", True, False)):
        if wide or narrow:
            table.add_column(heading, no_wrap=not wraps, min_width=10 if heading == "Срок" else None,
                             overflow="fold", justify="right" if heading == "Сумма с НДС" else "left")
    for it in items:
        # Text from forms is shown, never obeyed: no terminal escapes, newlines or bidi marks from a name.
        cells = [Text(printable(v, limit=SHOWN_LIMIT)) for v in (
            it["deal"], str(it["version"]), it["buyer"], it["buyer_inn"],
            format_money(Decimal(it["total"])).replace("\u00a0", " "), it["stage_title"],
            _day(it["stage_since"]), _due(it), it["manager"])] + [obligations_cell(it)]
        table.add_row(*(cells if wide else [cells[i] for i in (0, 2, 4, 5, 7)]))
    out.print(table)


def _print_unrecognized(ws, stages: list[str]) -> None:
    """What waits in the `unrecognized/` folders, with why: someone has to look at it."""
    from docgen.workflow.register import unrecognized_files

    waiting = unrecognized_files(ws, roles=list(dict.fromkeys([*ws.roles, *stages])))
    if not waiting:
        return
    out.print(f"\nНераспознанные файлы ({len(waiting)}) — их нужно разобрать:", markup=False, highlight=False)
    for found in waiting:
        reason = found.why.split(" не принят: ", 1)[-1]  # the reason file names the file again: once is enough
        out.print(Text(f"— {printable(found.path.relative_to(ws.root).as_posix(), limit=SHOWN_LIMIT)}"), soft_wrap=False)
        if reason:
            out.print(Padding(Text(printable(reason, limit=SHOWN_LIMIT)), (0, 0, 0, 2)), soft_wrap=False)


def _day(stamp: str | None) -> str:
    return f"{stamp[8:10]}.{stamp[5:7]}.{stamp[:4]}" if stamp else ""


def _due(it: dict) -> str:
    """«30.11.2026», «30.11.2026 — просрочено (2 раб. дн.)»."""
    if not it["due"]:
        return ""
    late = f" — просрочено ({it['days_overdue']} раб. дн.)" if it["overdue"] else ""
    return _day(it["due"]) + late


def _print_deal(it: dict) -> None:
    lines = [f"Сделка {it['deal']}, версия {it['version']}: {it['stage_title']}",
             f"Клиент: {it['buyer']}, ИНН {it['buyer_inn']}; сумма с НДС {format_money(Decimal(it['total']))}",
             f"Менеджер: {it['manager']}; досье: {it['dossier']}"]
    if it["holder"]:
        deputy = f" (заместитель за {it['deputy_for']})" if it["deputy_for"] else ""
        lines.append(f"У кого: {it['holder']}{deputy}; с {_day(it['stage_since'])} {it['stage_since'][11:16]}; "
                     f"срок — до конца дня {_due(it)}")
    lines.append("Маршрут: " + " → ".join(_stage(s) for s in it["route"]))
    for e in it["journal"]:
        comments = f" — {'; '.join(e['comments'])}" if e["comments"] else ""
        deputy = f" за {e['on_behalf_of']}" if e["on_behalf_of"] else ""
        lines.append(f"  {e['at'][:16].replace('T', ' ')}  {e['who']}{deputy}: {e['action_title']} "
                     f"(версия {e['version']}){comments}")
    lines += deal_lines(it)
    lines += _closing_lines(it)
    for line in lines:  # text from forms is shown, never obeyed: no escapes, newlines or bidi marks
        out.print(printable(line, limit=SHOWN_LIMIT * 4), markup=False, highlight=False)


def _closing_lines(it: dict) -> list[str]:
    """What the departments confirmed of a signed deal, and what they have not yet."""
    from docgen.workflow.acks import TITLES, Ack

    done = [f"{a['title']} — {a['who']}, {_day(a['at'])}" for a in it.get("acknowledged", [])]
    lines = [f"Подтверждено: {'; '.join(done)}"] if done else []
    if it.get("unacknowledged"):
        lines.append("Не подтверждено: " + ", ".join(TITLES[Ack(a)] for a in it["unacknowledged"])
                     + " (docgen ack СДЕЛКА originals|production|technical или папка accepted/)")
    return lines


def _stage(stage: dict) -> str:
    """«Юрист ✓», «[Руководитель Финансового департамента — сейчас]», «Директор направления (1 раб. дн.)»."""
    if stage["state"] == "passed":
        return f"{stage['title']} ✓"
    if stage["state"] == "current":
        return f"[{stage['title']} — сейчас]"
    if stage["state"] == "cancelled":
        return f"[{stage['title']} — здесь сделка отменена]"
    return f"{stage['title']} ({stage['days']} раб. дн.)"


def _decide(ctx: typer.Context, deal: str, role: str, decision: Decision, comment: str) -> None:
    env: Env = ctx.obj
    ws = env.existing_workspace
    log = logging.getLogger("docgen.cli")
    workflow = open_service(ws, log)
    try:
        check_store(ws, workflow.svc.store)
        account = workflow.decide(deal, role=role, decision=decision, comment=comment)
    finally:
        close_workflow(workflow)
    out.print(account, markup=False, highlight=False)


@app.command()
def approve(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP, callback=_role)],
    comment: Annotated[str, typer.Option("--comment", help="примечание к решению")] = "",
) -> None:
    """Согласовать (подписать — для director) текущую версию договора."""
    _decide(ctx, deal, role, Decision.APPROVED, comment)


@app.command("return")
def return_(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP, callback=_role)],
    comment: Annotated[str, typer.Option("--comment", help="замечания менеджеру")],
) -> None:
    """Вернуть договор менеджеру на доработку с замечаниями."""
    if not comment.strip():
        raise typer.BadParameter("нужны замечания: что исправить", param_hint="--comment")
    _decide(ctx, deal, role, Decision.RETURNED, comment)
