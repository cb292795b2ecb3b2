"""Commands about the form itself: init, validate, schema, form."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from docgen.cli import Env, app, out
from docgen.errors import DocgenError, FormError, describe
from docgen.form.deal import Deal, accept
from docgen.form.model import DealForm
from docgen.form.money import format_money
from docgen.form.readers import read_form
from docgen.form.report import line_of, render_json, render_report, render_warnings
from docgen.form.versions import DealLookup, KnownDeal
from docgen.layout import DEFAULT_TEMPLATES
from docgen.settings import Settings
from docgen.store import read_snapshot, store_exists
from docgen.workflow.intake import known_deal
from docgen.workspace import NON_CONTRACT_TEMPLATES, Workspace


@dataclass(frozen=True)
class CheckBasis:
    """What a form is checked against: a workspace, or — outside one — docgen's own templates and defaults."""

    settings: Settings
    contract_types: set[str]
    workspace: Workspace | None
    where: str  # which, in words: «рабочему пространству /x» / «встроенным шаблонам и настройкам docgen …»


def check_basis(ctx: typer.Context, env: Env) -> CheckBasis:
    """The workspace of --root/DOCGEN_ROOT (refused if it is none), else the current folder if it is one,
    else the templates and defaults inside docgen."""
    ws = env.workspace
    if ws.exists():
        return CheckBasis(env.settings, ws.contract_types(), ws, f"рабочему пространству {env.root}")
    source = ctx.find_root().get_parameter_source("root")
    if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):  # not the default: a choice
        env.existing_workspace  # not one: NotAWorkspace refuses a mistyped --root, saying what to check
    types = {p.stem for p in (DEFAULT_TEMPLATES / "contracts").glob("*.docx")} - NON_CONTRACT_TEMPLATES
    return CheckBasis(env.settings, types, None,
                      f"встроенным шаблонам и настройкам docgen: в {env.root} нет рабочего пространства "
                      "(его указывают --root или DOCGEN_ROOT)")


def _store_lookup(ws: Workspace) -> DealLookup:
    """The workspace's deals as a corrected form is checked against them, read-only; no store, no deals."""
    def find(number: str) -> KnownDeal | None:
        if not store_exists(ws):
            return None
        with read_snapshot(ws) as store:
            row = store.find_deal(number)
            return known_deal(row, office=store.office) if row is not None else None

    return find


def _say(text: str) -> None:
    # plain spaces in a terminal: the no-break spaces of documents only get in the way of grep
    out.print(text.replace("\u00a0", " "), markup=False, highlight=False)


@app.command()
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="форма: YAML, JSON, карточка XLSX или ZIP")],
    as_json: Annotated[bool, typer.Option("--json", help="ответ в JSON")] = False,
) -> None:
    """Проверить форму, не отправляя её: тот же ответ, что даст папка inbox/."""
    env: Env = ctx.obj
    if not file.is_file():
        raise typer.BadParameter(f"файла {file} нет", param_hint="FILE")
    basis = check_basis(ctx, env)
    said = f"Проверка по {basis.where}"
    try:
        raw = read_form(file, max_bytes=basis.settings.limits.max_form_bytes)
        deal = accept(raw, source=file.name, settings=basis.settings, contract_types=basis.contract_types,
                      today=dt.date.today(), deals=_store_lookup(basis.workspace) if basis.workspace else None)
    except FormError as exc:
        warnings = getattr(exc, "warnings", [])
        _say(render_json(exc.faults, warnings=warnings, checked_against=said) if as_json else
             f"{said}.\n\n" + render_report(file.name, exc.faults, warnings=warnings, verdict="не пройдёт проверку"))
        raise typer.Exit(1) from None
    if as_json:
        _say(render_json([], warnings=list(deal.warnings), checked_against=said))
        return
    _say(f"{said}.\n\n{_accepted_text(file.name, deal)}")


def _accepted_text(name: str, deal: Deal) -> str:
    totals = deal.totals
    vat = f"НДС {totals.vat_rate} % — {format_money(totals.vat)}" if totals.vat_rate is not None else "без НДС"
    text = (f"Форма «{name}» в порядке: {deal.form.buyer.name}, ИНН {deal.form.buyer.inn}.\n"
            f"Без НДС {format_money(totals.subtotal)}; {vat}; итого {format_money(totals.total)} "
            f"({totals.total_words}).")
    if deal.warnings:
        text += ("\n\nПредупреждения (форму примут, их увидят юрист и вы в письме):\n"
                 + render_warnings(list(deal.warnings)))
    return text


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
    """Пустая карточка сделки XLSX или заполненная из формы YAML/JSON; списки выбора — из настроек и шаблонов."""
    from docgen.form.card import card_choices, write_card

    env: Env = ctx.obj
    basis = check_basis(ctx, env)
    data = None
    if source is not None:
        if not source.is_file():
            raise typer.BadParameter(f"файла {source} нет", param_hint="--from")
        data = read_form(source, max_bytes=basis.settings.limits.max_form_bytes).data
    vat = basis.settings.vat
    choices = card_choices(divisions={code: d.title for code, d in basis.settings.divisions.items()},
                           contract_types=basis.contract_types, vat_rates=[row.rate for row in vat.lawful],
                           no_vat=bool(vat.no_vat_basis))
    try:
        write_card(xlsx, data, choices=choices)
    except OSError as exc:
        raise DocgenError(f"карточка {xlsx} не записана: {describe(exc)}") from None
    except FormError as exc:
        lines = "\n".join(f"— {line_of(f)}" for f in exc.faults)
        raise DocgenError(f"карточку из «{source.name if source else ''}» не записать:\n{lines}") from None
    _say(f"Карточка записана: {xlsx}\nСписки выбора — по {basis.where}.")


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
