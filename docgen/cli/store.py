"""`docgen store copy --to URL`: move the workspace's SQLite store into PostgreSQL (docgen.store_copy)."""

from __future__ import annotations

from typing import Annotated

import typer

from docgen.cli import Env, app, out

store_app = typer.Typer(help="База docgen: перенос из SQLite в PostgreSQL.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="пустая база PostgreSQL: postgresql://пользователь@сервер/база")],
    password_env: Annotated[str, typer.Option("--password-env", help="переменная окружения с паролем к ней "
                                                                     "(по умолчанию — [store] password_env)")] = "",
) -> None:
    """Перенести базу SQLite этого рабочего пространства (сделки, журнал, письма — все таблицы) в пустую
    базу PostgreSQL и сверить копию. Сначала остановите службу."""
    from docgen.engines import is_postgres_url, password_from, safe_url
    from docgen.errors import StoreError
    from docgen.lock import WatchLock
    from docgen.store import DB_NAME, Store
    from docgen.store_copy import copy_store

    env: Env = ctx.obj
    ws = env.existing_workspace
    if not is_postgres_url(to):
        raise typer.BadParameter("адрес должен начинаться с postgresql://", param_hint="--to")
    if ws.settings.store.url:
        raise StoreError(f"база этого рабочего пространства уже в PostgreSQL ({safe_url(ws.settings.store.url)}); "
                         "переносится только база SQLite")
    db = ws.state / DB_NAME
    if not db.is_file():
        raise StoreError(f"базы SQLite нет ({db}): переносить нечего")
    # The service must not write the source while it is copied (the lock keeps one from starting meanwhile).
    with WatchLock(ws.state, refusal="Базу нельзя переносить под работающей службой: сначала остановите её "
                                     "(systemctl stop docgen)"):
        source = Store(db, create=False, timeout=ws.settings.store.lock_timeout)
        try:
            target = Store(db, url=to, password=password_from(password_env or ws.settings.store.password_env),
                           timeout=ws.settings.store.lock_timeout)
            try:
                copied = copy_store(source, target)
            finally:
                target.close()
        finally:
            source.close()
    for item in copied:
        out.print(f"  {item.table}: строк {item.rows}, контрольная сумма {item.checksum[:16]}… — совпадает",
                  markup=False, highlight=False)
    out.print(f"База перенесена в {safe_url(to)} и сверена ({sum(c.rows for c in copied)} строк в {len(copied)} "
              f"таблицах). Теперь впишите в docgen.toml:\n\n[store]\nurl = \"{safe_url(to)}\"\n"
              + (f"password_env = \"{password_env}\"\n" if password_env else "")
              + f"\nи запустите службу. Файл {db} больше не используется; сохраните его как копию.",
              markup=False, highlight=False)
