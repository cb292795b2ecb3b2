"""The command line: `docgen` / `python -m docgen`. Turns DocgenError into Russian messages and exit codes.

Each group of commands lives in its own module here and registers itself on `app`;
`_COMMAND_MODULES` lists them.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from docgen import __version__
from docgen.cli import russian
from docgen.errors import DocgenError, NotAWorkspace, describe
from docgen.settings import SETTINGS_FILE, Settings, load_settings
from docgen.workspace import Workspace

app = typer.Typer(
    name="docgen",
    help="Договоры из пяти сущностей: проверка форм, документы, согласование, архив.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@dataclass
class Env:
    """What every command gets: the workspace root and, loaded on first use, its settings."""

    root: Path
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.root)
        return self._settings

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root, self.settings)

    @property
    def existing_workspace(self) -> Workspace:
        """The workspace at --root, which must already be one: a mistyped path is refused, never laid out."""
        hint = "Проверьте --root и DOCGEN_ROOT; новое рабочее пространство создаёт команда docgen init ПАПКА"
        if not self.root.is_dir():
            raise NotAWorkspace(f"папки {self.root} нет. {hint}")
        ws = self.workspace
        if not ws.exists():
            raise NotAWorkspace(f"папка {self.root} — не рабочее пространство docgen (в ней нет {SETTINGS_FILE}, "
                                f"{ws.settings.folders.inbox}/ и {ws.settings.folders.state}/). {hint}")
        return ws


def _print_version(value: bool) -> None:
    if value:
        out.print(f"docgen {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    root: Annotated[
        Path,
        typer.Option("--root", envvar="DOCGEN_ROOT", help="рабочее пространство (по умолчанию текущая папка)"),
    ] = Path("."),
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="версия docgen и выход"),
    ] = False,
) -> None:
    ctx.obj = Env(root=root.resolve())


_COMMAND_MODULES = ("docgen.cli.form", "docgen.cli.workflow", "docgen.cli.mail", "docgen.cli.templates",
                    "docgen.cli.archive", "docgen.cli.doctor", "docgen.cli.backup", "docgen.cli.web",
                    "docgen.cli.obligations", "docgen.cli.store", "docgen.cli.closing")


def _register() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a DocgenError becomes its message on stderr and exit code 1, never a traceback.

    Usage errors are click's own, in Russian (docgen.cli.russian): a message and exit code 2. What no
    command expected (a disk that refuses, a store sqlite cannot read, a bug) is still a Russian line
    and exit code 1; a bug's traceback goes to a file the line names, for whoever fixes it.
    """
    _register()
    russian.install()
    command = typer.main.get_command(app)
    russian.name_placeholders(command)
    try:
        command.main(args=argv, prog_name="docgen")
    except DocgenError as exc:
        _fail(str(exc), exc.exit_code)
    except (OSError, sqlite3.Error, RecursionError, MemoryError) as exc:
        _fail(describe(exc), 1)
    except Exception as exc:  # the last net: a user never sees a traceback
        from docgen.engines import is_store_error

        if is_store_error(exc):  # PostgreSQL's driver: the store's trouble, said as SQLite's is
            _fail(describe(exc), 1)
        _fail(f"{describe(exc)}; подробности — в файле {_keep_traceback(exc)}", 1)


def _fail(message: str, code: int) -> None:
    err.print(f"Ошибка: {message}", markup=False, highlight=False)
    sys.exit(code)


def _keep_traceback(exc: BaseException) -> str:
    try:
        fd, name = tempfile.mkstemp(prefix="docgen-ошибка-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            traceback.print_exception(exc, file=handle)
    except OSError:
        return "(не записан: временная папка недоступна)"
    return name
