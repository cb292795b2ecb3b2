"""Commands about the form itself: init, validate, schema, form."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from docgen.cli import Env, app, out
from docgen.errors import DocgenError, FormError, describe
from docgen.form.deal import accept
from docgen.form.model import DealForm
from docgen.form.money import format_money
from docgen.form.readers import read_form
from docgen.form.report import render_json, render_report


@app.command()
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="форма: YAML, JSON, карточка XLSX или ZIP")],
    as_json: Annotated[bool, typer.Option("--json", help="ответ в JSON")] = False,
) -> None:
    """Проверить форму, не отправляя её."""
    env: Env = ctx.obj
    if not file.is_file():
        raise typer.BadParameter(f"файла {file} нет", param_hint="FILE")
    try:
        raw = read_form(file, max_bytes=env.settings.limits.max_form_bytes)
        deal = accept(raw, source=file.name, settings=env.settings,
                      contract_types=env.workspace.contract_types(), today=dt.date.today())
    except FormError as exc:
        out.print(render_json(exc.faults) if as_json else render_report(file.name, exc.faults),
                  markup=False, highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        out.print(render_json([]), markup=False, highlight=False)
        return
    totals = deal.totals
    vat = f"НДС {totals.vat_rate} % — {format_money(totals.vat)}" if totals.vat_rate is not None else "без НДС"
    text = (f"Форма «{file.name}» в порядке: {deal.form.buyer.name}, ИНН {deal.form.buyer.inn}.\n"
            f"Без НДС {format_money(totals.subtotal)}; {vat}; итого {format_money(totals.total)} "
            f"({totals.total_words}).")
    # plain spaces in a terminal: the no-break spaces of documents only get in the way of grep
    out.print(text.replace("\u00a0", " "), markup=False, highlight=False)


@app.command()
def schema() -> None:
    """JSON Schema формы сделки."""
    out.print(json.dumps(DealForm.model_json_schema(), ensure_ascii=False, indent=2), markup=False, highlight=False)


@app.command()
def form(
    ctx: typer.Context,
    xlsx: Annotated[Path, typer.Option("--xlsx", help="куда записать карточку XLSX")],
    source: Annotated[Path | None, typer.Option("--from", help="заполнить из формы YAML/JSON")] = None,
) -> None:
    """Пустая карточка сделки XLSX или заполненная из формы YAML/JSON."""
    from docgen.form.card import write_card

    env: Env = ctx.obj
    data = None
    if source is not None:
        if not source.is_file():
            raise typer.BadParameter(f"файла {source} нет", param_hint="--from")
        data = read_form(source, max_bytes=env.settings.limits.max_form_bytes).data
    try:
        write_card(xlsx, data)
    except OSError as exc:
        raise DocgenError(f"карточка {xlsx} не записана: {describe(exc)}") from None
    out.print(f"Карточка записана: {xlsx}", markup=False, highlight=False)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="папка нового рабочего пространства")] = Path("."),
) -> None:
    """Создать рабочее пространство: папки, docgen.toml с комментариями, шаблоны. Ничего не перезаписывает."""
    from docgen.layout import lay_out

    created = lay_out(path.resolve())
    out.print(f"Рабочее пространство: {path.resolve()}", markup=False, highlight=False)
    for item in created:
        out.print(f"  создано: {item}", markup=False, highlight=False)
    if not created:
        out.print("  всё уже было на месте, ничего не изменено", markup=False, highlight=False)
