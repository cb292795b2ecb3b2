"""Commands of the web board: `docgen serve`, and `docgen user` for its passwords and API tokens."""

from __future__ import annotations

import getpass
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from docgen.cli import Env, app, out
from docgen.errors import AccountError
from docgen.store import Store, open_store
from docgen.web.accounts import Accounts, normal_email
from docgen.web.people import known_people

user_app = typer.Typer(help="Учётные записи веб-доски: пароли и токены API.", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(user_app, name="user")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="адрес (по умолчанию web.host: 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="порт (по умолчанию web.port: 8080)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="подробный журнал")] = False,
) -> None:
    """Веб-доска: кто что держит, решения, что изменил рецензент; API для скриптов."""
    import uvicorn

    from docgen.service import open_service, service_log
    from docgen.web.app import make_app

    env: Env = ctx.obj
    ws = env.existing_workspace
    log = service_log(ws, verbose=verbose)
    web = ws.settings.web
    application = make_app(ws, log=log, opener=open_service)
    host, port = host or web.host, port or web.port
    log.info("доска docgen: http://%s:%s/ (Ctrl+C — остановить)", host, port)
    # Proxy headers are read by the board itself (docgen.web.security.ProxyHeaders), only from web.trusted_proxies.
    config = uvicorn.Config(application, host=host, port=port, proxy_headers=False, server_header=False,
                            access_log=verbose, log_level="info" if verbose else "warning", timeout_graceful_shutdown=3)
    _server_class()(config).run()
    log.info("доска docgen остановлена")


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, stopped by SIGINT or SIGTERM with exit code 0 as `docgen watch` is (uvicorn itself
        raises the signal again once it has shut down, and the process then ends killed by it)."""

        def handle_exit(self, sig, frame) -> None:
            self.force_exit = self.should_exit and sig == signal.SIGINT
            self.should_exit = True

    return Server


@contextmanager
def _accounts(ctx: typer.Context) -> Iterator[tuple[Accounts, Store]]:
    from docgen.service import local_now

    env: Env = ctx.obj
    store = open_store(env.existing_workspace)
    try:
        yield Accounts(store, clock=local_now), store
    finally:
        store.close()


def _known(ctx: typer.Context, store: Store, *, email: str) -> str:
    """The person's name; AccountError for an address docgen.toml and the deals do not know."""
    people = known_people(ctx.obj.settings, store)
    name = people.get(normal_email(email))
    if name is None:
        raise AccountError(f"{email}: такого адреса нет ни в docgen.toml ([people], [divisions.*]), "
                           "ни среди менеджеров сделок")
    return name


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Новый пароль: ")
    if first != getpass.getpass("Ещё раз: "):
        raise AccountError("пароли не совпали")
    return first


@user_app.command("set")
def set_password(ctx: typer.Context, email: Annotated[str, typer.Argument(help="адрес человека")]) -> None:
    """Задать пароль (со стандартного ввода, если он не терминал); вход на доску по этому адресу."""
    with _accounts(ctx) as (accounts, store):
        name = _known(ctx, store, email=email)
        accounts.set_password(email, _read_password())
    out.print(f"Пароль для {name} <{normal_email(email)}> задан; прежние входы завершены.", markup=False)


@user_app.command("token")
def token(ctx: typer.Context, email: Annotated[str, typer.Argument(help="адрес человека")]) -> None:
    """Выдать токен API (печатается один раз; docgen хранит только его хеш)."""
    with _accounts(ctx) as (accounts, store):
        _known(ctx, store, email=email)
        number, secret = accounts.issue_token(email)
    typer.echo(secret)
    typer.echo(f"Токен №{number} для {normal_email(email)}; отозвать: docgen user revoke {normal_email(email)} "
               f"--token {number}", err=True)


@user_app.command("revoke")
def revoke(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="адрес человека")],
    token_id: Annotated[int | None, typer.Option("--token", help="номер токена; без него — все токены")] = None,
) -> None:
    """Отозвать токены API человека (все или один)."""
    with _accounts(ctx) as (accounts, _):
        count = accounts.revoke(email, token_id=token_id)
    if token_id is not None and not count:
        raise AccountError(f"у {normal_email(email)} нет действующего токена №{token_id}")
    out.print(f"Отозвано токенов: {count}.", markup=False)


@user_app.command("remove")
def remove(ctx: typer.Context, email: Annotated[str, typer.Argument(help="адрес человека")]) -> None:
    """Закрыть вход: удалить пароль, завершить сеансы, отозвать токены."""
    with _accounts(ctx) as (accounts, _):
        had = accounts.remove(email)
    out.print(f"Вход для {normal_email(email)} закрыт." if had else f"У {normal_email(email)} входа не было.",
              markup=False)


@user_app.command("list")
def listing(ctx: typer.Context) -> None:
    """Люди доски: кто есть в docgen.toml и сделках, у кого задан пароль, сколько токенов."""
    with _accounts(ctx) as (accounts, store):
        people = known_people(ctx.obj.settings, store)
        users = {u.email: u for u in accounts.users()}
        tokens = {email: accounts.tokens(email) for email in users}
    table = Table()
    for heading in ("Адрес", "Имя", "Пароль", "Токены"):
        table.add_column(heading)
    for email in sorted(set(people) | set(users)):
        user = users.get(email)
        live = [str(t.id) for t in tokens.get(email, []) if t.revoked_at is None]
        table.add_row(email, people.get(email, "(нет в docgen.toml и сделках)"),
                      "задан" if user and user.has_password else "—", ", ".join(f"№{n}" for n in live) or "—")
    out.print(table)
