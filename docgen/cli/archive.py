"""Commands of the archive: export deals into a verifiable ZIP, verify such a ZIP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from docgen.archive.export import OnDeal, export_archive
from docgen.archive.selection import By, Selector, parse_date, valid_inn
from docgen.archive.summary import export_summary, verify_summary
from docgen.archive.verify import verify_archive
from docgen.cli import Env, app, err, out

# Without a terminal the bar is drawn only at its end; worth it only when the export takes a while.
MANY_DEALS = 50


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="файл архива .zip (обычно в archive/)")],
    deal: Annotated[str | None, typer.Option("--deal", help="номер сделки")] = None,
    client: Annotated[str | None, typer.Option("--client", help="ИНН клиента: все его сделки")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="с даты приёма сделки (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="по дату приёма сделки включительно")] = None,
    force: Annotated[bool, typer.Option("--force", help="заменить существующий файл архива")] = False,
) -> None:
    """Архив сделок: досье, журнал и manifest.json с SHA-256 каждого файла."""
    selector = _selector(deal=deal, client=client, date_from=date_from, date_to=date_to)
    if output.suffix.lower() != ".zip":
        raise typer.BadParameter("архив пишется в файл .zip", param_hint="-o")
    env: Env = ctx.obj
    with _progress() as on_deal:
        result = export_archive(env.existing_workspace, selector, target=output, on_deal=on_deal, overwrite=force,
                                clock=lambda: dt.datetime.now().astimezone())
    out.print(export_summary(result), markup=False, highlight=False)


@app.command()
def verify(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="архив .zip, сделанный docgen export")],
) -> None:
    """Проверить архив по его manifest.json; код 1 — если что-то не совпало."""
    env: Env = ctx.obj
    report = verify_archive(archive, limits=env.settings.archive)
    out.print(verify_summary(report), markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def _selector(*, deal: str | None, client: str | None, date_from: str | None, date_to: str | None) -> Selector:
    """Exactly one of --deal, --client, --from/--to; anything else is wrong usage (exit code 2)."""
    given = [name for name, value in (("--deal", deal), ("--client", client)) if value is not None]
    if date_from is not None or date_to is not None:
        given.append("--from/--to")
    if len(given) != 1:
        raise typer.BadParameter("укажите ровно одно: --deal N, --client ИНН или --from ДАТА --to ДАТА")
    if deal is not None:
        return Selector(By.DEAL, deal=deal.strip())
    if client is not None:
        if not valid_inn(client.strip()):
            raise typer.BadParameter(f"ИНН «{client}» — нужны 10 или 12 цифр", param_hint="--client")
        return Selector(By.CLIENT, inn=client.strip())
    return _period(date_from, date_to)


def _period(date_from: str | None, date_to: str | None) -> Selector:
    if date_from is None or date_to is None:
        raise typer.BadParameter("период задаётся обеими датами: --from ДАТА --to ДАТА")
    try:
        start, end = parse_date(date_from), parse_date(date_to)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if start > end:
        raise typer.BadParameter(f"начало периода {start:%d.%m.%Y} позже его конца {end:%d.%m.%Y}")
    return Selector(By.PERIOD, start=start, end=end)


@contextmanager
def _progress() -> Iterator[OnDeal]:
    """A bar on stderr, started at the first deal once the count is known: on a terminal, or for many deals."""
    bar: list[Progress] = []

    def on_deal(done: int, total: int, number: str) -> None:
        if not bar and (err.is_terminal or total >= MANY_DEALS):
            bar.append(Progress(TextColumn("Выгрузка {task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=err, transient=err.is_terminal))
            bar[0].start()
            bar[0].add_task("", total=total)
        if bar:
            bar[0].update(bar[0].task_ids[0], completed=done, description=number)

    try:
        yield on_deal
    finally:
        if bar:
            bar[0].stop()
