"""Commands that end or hand over: `docgen cancel`, `docgen ack`."""

from __future__ import annotations

import getpass
import logging
from typing import Annotated

import typer

from docgen.cli import Env, app, out
from docgen.service import open_service
from docgen.workflow.engine import Workflow, close_workflow
from docgen.workflow.integrity import check_store


def _run(ctx: typer.Context, job) -> None:
    """`job(workflow)` on the workspace's store; its account printed."""
    env: Env = ctx.obj
    ws = env.existing_workspace
    workflow = open_service(ws, logging.getLogger("docgen.cli"))
    try:
        check_store(ws, workflow.svc.store)
        account = job(workflow)
    finally:
        close_workflow(workflow)
    out.print(account, markup=False, highlight=False)


@app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    comment: Annotated[str, typer.Option("--comment", help="причина отмены (её получат все, кто держал сделку)")],
    by: Annotated[str, typer.Option("--by", help="кто отменяет (по умолчанию — менеджер сделки)")] = "",
) -> None:
    """Отменить сделку: снять её с согласования; все, кто её держал, получат письмо."""
    from docgen.workflow.cancel import cancel

    if not comment.strip():
        raise typer.BadParameter("нужна причина отмены", param_hint="--comment")

    def job(workflow: Workflow) -> str:
        svc = workflow.svc
        actor = by.strip() or svc.store.deal(deal).manager
        return cancel(svc, deal, reason=[comment.strip()], actor=actor,
                      via=f"command (пользователь {getpass.getuser()})")

    _run(ctx, job)


@app.command("ack")
def ack_command(
    ctx: typer.Context,
    deal: Annotated[str, typer.Argument(help="номер сделки")],
    what: Annotated[str, typer.Argument(help="originals (Финансы: оригиналы), production (Экономический отдел: "
                                             "Ввод в Производство), technical (Технический отдел: документация)")],
    by: Annotated[str, typer.Option("--by", help="кто подтверждает (по умолчанию — адресат отдела из [people])")] = "",
) -> None:
    """Подтвердить получение: оригиналов (Финансы), «Ввода в Производство» (Экономика), техдокументации."""
    from docgen.workflow.acks import Ack, ack

    try:
        item = Ack(what)
    except ValueError:
        raise typer.BadParameter(f"«{what}» не из списка: originals, production, technical",
                                 param_hint="WHAT") from None
    _run(ctx, lambda workflow: ack(workflow.svc, deal, item, actor=by.strip() or None,
                                   via=f"command (пользователь {getpass.getuser()})"))
