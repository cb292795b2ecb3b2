"""`docgen backup` and `docgen restore`: the store and docgen.toml, copied while the service runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from docgen.cli import Env, app, out
from docgen.lock import WatchLock


@app.command()
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="файл резервной копии .zip, например /backup/docgen-2026-11-27.zip")],
    force: Annotated[bool, typer.Option("--force", help="заменить существующий файл")] = False,
) -> None:
    """Резервная копия базы и docgen.toml в один ZIP; служба может работать (копия всё равно целостна)."""
    from docgen.backup import make_backup

    env: Env = ctx.obj
    if file.exists() and not force:
        raise typer.BadParameter(f"файл {file} уже есть; заменить — --force", param_hint="FILE")
    manifest = make_backup(env.workspace, file.resolve(), now=dt.datetime.now().astimezone())
    out.print(f"Резервная копия записана: {file} — сделок {manifest['deals']}, схема базы {manifest['schema']}",
              markup=False, highlight=False)


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="резервная копия .zip, сделанная docgen backup")],
    force: Annotated[bool, typer.Option("--force", help="заменить существующую базу (она будет сохранена)")] = False,
) -> None:
    """Восстановить базу из резервной копии. Сначала остановите службу."""
    from docgen.backup import restore_backup

    env: Env = ctx.obj
    if not file.is_file():
        raise typer.BadParameter(f"файла {file} нет", param_hint="FILE")
    # A running service would go on writing into the store being replaced (and the lock keeps one
    # from starting until the restore is done).
    with WatchLock(env.workspace.state, refusal="Базу нельзя восстанавливать под работающей службой: "
                                                "сначала остановите её (systemctl stop docgen)"):
        for line in restore_backup(env.workspace, file, now=dt.datetime.now().astimezone(), force=force):
            out.print(line, markup=False, highlight=False)
