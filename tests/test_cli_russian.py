"""The command line speaks Russian: every command's --help and the usual usage errors carry no English
words of click's (docgen.cli.russian translates click's gettext messages)."""

from __future__ import annotations

import re

import pytest
import typer

from docgen.cli import _register, app, main, russian

# What click and typer print in English when a message is not translated.
ENGLISH = re.compile(r"Usage|Options|Commands|Arguments|Show this|Missing|Error|No such|Invalid|Try '|"
                     r"default:|env var|required|\[OPTIONS\]|COMMAND|\[ARGS\]|\bTEXT\b|\bINTEGER\b|\bPATH\b|"
                     r"\bFLOAT\b|Did you mean|Got unexpected|is not|does not|requires|Aborted")


def every_command() -> list[list[str]]:
    """The argv of every command and group, from the command tree the CLI itself builds."""
    _register()
    found: list[list[str]] = []

    def walk(command, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def run(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    printed = capsys.readouterr()
    return int(done.value.code or 0), printed.out + printed.err


def test_every_commands_help_is_russian(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    commands = every_command()
    assert ["approve"] in commands and ["templates", "check"] in commands
    for path in commands:
        code, text = run(["--root", str(tmp_path), *path, "--help"], capsys)
        assert code == 0 and text.startswith("Использование: docgen"), (path, text)
        assert "Показать эту справку и выйти." in text
        english = ENGLISH.findall(text)
        assert not english, (path, english, text)


@pytest.mark.parametrize(("argv", "expected"), [
    (["nope"], "Ошибка: Нет такой команды: «nope»."),
    (["watch", "--nope"], "Ошибка: Нет такого параметра: «--nope». Возможно, имелось в виду '--once'?"),
    (["approve"], "Ошибка: Не указан аргумент 'СДЕЛКА'."),
    (["approve", "2026-0001"], "Ошибка: Не указан параметр '--role'."),
    (["approve", "2026-0001", "--role", "boss"], "«boss» не из списка: 'lawyer', 'finance', 'director'."),
    (["approve", "2026-0001", "--role"], "Ошибка: Параметру «--role» нужно значение."),
    (["validate", "a.yaml", "b.yaml"], "Ошибка: Лишний аргумент (b.yaml)"),
    (["return", "2026-0001", "--role", "lawyer", "--comment", " "], "нужны замечания: что исправить"),
    (["templates"], "Использование: docgen templates [ПАРАМЕТРЫ] КОМАНДА [АРГУМЕНТЫ]..."),
])
def test_usage_errors_are_russian(capsys, tmp_path, argv, expected):
    code, text = run(["--root", str(tmp_path), *argv], capsys)
    assert code == 2, text
    assert expected in text, text
    assert not ENGLISH.findall(text), text


def test_russian_plural_forms():
    assert [russian._plural_form(n) for n in (1, 2, 4, 5, 11, 12, 21, 22, 25, 111)] == [0, 1, 1, 2, 2, 2, 0, 1, 2, 2]
