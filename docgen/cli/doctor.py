"""`docgen doctor`: check the workspace, the machine and the settings; a fix for each fault."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from docgen.cli import Env, app, out


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="ответ в JSON: список проверок")] = False,
) -> None:
    """Проверить рабочее пространство: настройки, реквизиты, папки, шаблоны, LibreOffice, почту, базу, диск.
    Код 0 — ошибок нет (предупреждения — советы), 1 — есть ошибки."""
    from docgen.doctor import healthy, report_lines, run_doctor

    env: Env = ctx.obj
    results = run_doctor(env.root, today=dt.date.today())
    if as_json:
        out.print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2),
                  markup=False, highlight=False)
    else:
        for line in report_lines(results):
            out.print(line, markup=False, highlight=False)
    if not healthy(results):
        raise typer.Exit(1)
