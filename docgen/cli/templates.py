"""Commands about documents from templates: `docgen templates check`, `docgen transfer-client`, `docgen offer`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from docgen.cli import Env, app, err, out
from docgen.errors import FormError

templates_app = typer.Typer(help="Шаблоны документов: проверка.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(templates_app, name="templates")


def _say(text: str, *, error: bool = False) -> None:
    (err if error else out).print(text, markup=False, highlight=False)


@templates_app.command("check")
def check(ctx: typer.Context) -> None:
    """Проверить все шаблоны рабочего пространства: синтаксис тегов и имена, которых у сделки нет; письма — тоже."""
    from docgen.mail.check import check_mail_templates
    from docgen.render.check import check_workspace

    env: Env = ctx.obj
    checked, problems = check_workspace(env.workspace, today=dt.date.today())
    if not checked:
        _say(f"Шаблонов нет: {env.workspace.contract_templates} и {env.workspace.handover_templates} пусты.",
             error=True)
        raise typer.Exit(1)
    documents_ok = _report("шаблонов", [p.name for p in checked], problems)
    letters_ok = _report("шаблонов писем", *check_mail_templates(env.workspace))
    if not (documents_ok and letters_ok):
        raise typer.Exit(1)


def _report(what: str, checked: list[str], problems: list) -> bool:
    """Print the problems and a summary line; whether none was fatal."""
    for problem in problems:
        _say(("— " if problem.fatal else "  замечание: ") + problem.message)
    fatal = [p for p in problems if p.fatal]
    broken = sorted({p.template for p in fatal})
    if fatal:
        _say(f"Проверено {what}: {len(checked)}; с ошибками: {len(broken)} ({', '.join(broken)}), "
             f"ошибок: {len(fatal)}.")
        return False
    _say(f"Проверено {what}: {len(checked)}; все в порядке: {', '.join(checked)}.")
    return True


@app.command("transfer-client")
def transfer_client(
    ctx: typer.Context,
    form: Annotated[Path, typer.Argument(help="форма соглашения (YAML или JSON), образец — templates/forms/client-transfer.yaml")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="ещё одна копия соглашения DOCX, кроме досье")] = None,
    force: Annotated[bool, typer.Option("--force", help="заменить уже составленное соглашение")] = False,
) -> None:
    """Соглашение о передаче клиента штатному Клиент-менеджеру: сверяется со сделками клиента, ложится в его
    досье (DOCX и PDF), открытые сделки переходят к новому менеджеру, оба менеджера и директор получают письмо."""
    import logging

    from docgen.render.transfer import describe, read_transfer_form
    from docgen.service import local_now
    from docgen.workflow.engine import close_workflow, open_workflow
    from docgen.workflow.integrity import check_store
    from docgen.workflow.transfer import file_transfer, resolve

    env: Env = ctx.obj
    ws = env.existing_workspace
    log = logging.getLogger("docgen.cli")
    workflow = open_workflow(ws, clock=local_now, log=log, converter=_cli_converter(env, log))
    try:
        check_store(ws, workflow.svc.store)
        try:
            data = read_transfer_form(form, max_bytes=env.settings.limits.max_form_bytes)
            transfer = resolve(workflow.svc, data, source=form.name)
        except FormError as exc:
            _say(f"Форма «{form.name}» не принята:", error=True)
            for fault in exc.faults:
                _say(f"— {describe(fault)}", error=True)
            raise typer.Exit(1) from None
        written = file_transfer(workflow.svc, transfer, force=force, extra=output)
    finally:
        close_workflow(workflow)
    for path in written:
        _say(f"Соглашение записано: {path}")
    for row in transfer.rows:
        _say(f"Сделка {row.number} передана: {row.manager} → {transfer.form.manager.name}")


def _cli_converter(env: Env, log):
    """LibreOffice for a command's PDF, with its own profile: a running `docgen watch` holds the service's one."""
    if not env.settings.pdf.enabled:
        return None
    from docgen.render.pdf import open_converter

    return open_converter(profile_dir=env.workspace.state / "libreoffice-cli", log=log,
                          timeout=env.settings.pdf.timeout)


@app.command("offer")
def offer(
    ctx: typer.Context,
    form: Annotated[Path, typer.Argument(help="форма сделки (YAML, JSON, карточка XLSX или ZIP), как для inbox/")],
) -> None:
    """Коммерческое предложение по форме сделки — DOCX и PDF в папку клиента (clients/<ИНН …>/)."""
    import logging

    from docgen.form.deal import accept
    from docgen.form.readers import read_form
    from docgen.form.report import render_report
    from docgen.render.pdf import open_converter
    from docgen.workflow.documents import Documents
    from docgen.workflow.offers import file_offer

    env: Env = ctx.obj
    ws = env.workspace
    if not form.is_file():
        raise typer.BadParameter(f"файла {form} нет", param_hint="FORM")
    today = dt.date.today()
    try:
        raw = read_form(form, max_bytes=env.settings.limits.max_form_bytes)
        deal = accept(raw, source=form.name, settings=env.settings, contract_types=ws.contract_types(), today=today)
    except FormError as exc:
        _say(render_report(form.name, exc.faults), error=True)
        raise typer.Exit(1) from None
    log = logging.getLogger("docgen.cli")
    converter = None
    if env.settings.pdf.enabled:
        # its own LibreOffice profile: a running `docgen watch` holds the service's one (one office: one offer)
        converter = open_converter(profile_dir=ws.state / "libreoffice-cli", log=log,
                                   timeout=env.settings.pdf.timeout)
    documents = Documents(ws, converter, log=log)
    try:
        written = file_offer(ws, deal, documents=documents, today=today)
    finally:
        documents.close()
    for path in written:
        _say(f"Коммерческое предложение: {path}")
