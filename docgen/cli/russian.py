"""click's and typer's own words in Russian: help headings, option help, usage errors, type names.

The mechanism is gettext's: every click module (and typer's core) marks its messages with
`from gettext import gettext as _` (and `ngettext`) and calls `_` at the moment of use. `install()`
rebinds those module-level names, in every loaded click/typer module that still holds gettext's own
functions, to lookups in the tables below; the msgid becomes Russian before click formats it.
A msgid missing here stays English: tests/test_cli_russian.py runs every command's --help and the
usual usage errors and fails on English click words. `name_placeholders` turns the placeholders
click prints in usage lines ([OPTIONS], COMMAND [ARGS]..., TEXT, INTEGER) into Russian.
"""

from __future__ import annotations

import gettext as gettext_module
import sys

import click

_MESSAGES: dict[str, str] = {
    # help
    "Usage:": "Использование:",
    "Options": "Параметры",
    "Commands": "Команды",
    "Arguments": "Аргументы",
    "Positional arguments": "Аргументы",
    "Show this message and exit.": "Показать эту справку и выйти.",
    "Show the version and exit.": "Показать версию и выйти.",
    "%(prog)s, version %(version)s": "%(prog)s, версия %(version)s",
    "default: {default}": "по умолчанию: {default}",
    "env var: {var}": "переменная окружения: {var}",
    "required": "обязательно",
    "(dynamic)": "(вычисляется)",
    "deprecated": "устарело",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "Внимание: команда «{name}» устарела.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "Внимание: {param_type} «{name}» устарел.{extra_message}",
    # usage errors
    "Error: {message}": "Ошибка: {message}",
    "Try '{command} {option}' for help.": "Справка: {command} {option}",
    "Missing command.": "Не указана команда.",
    "No such command {name!r}.": "Нет такой команды: «{name}».",
    "No such option {name!r}.": "Нет такого параметра: «{name}».",
    "Missing argument": "Не указан аргумент",
    "Missing option": "Не указан параметр",
    "Missing parameter": "Не указано значение",
    "Missing {param_type}": "Не указано: {param_type}",
    "Missing parameter: {param_name}": "Не указано значение: {param_name}",
    "Invalid value for {param_hint}: {message}": "Недопустимое значение {param_hint}: {message}",
    "Invalid value: {message}": "Недопустимое значение: {message}",
    "Option {name!r} does not take a value.": "Параметр «{name}» не принимает значения.",
    "Argument {name!r} takes {nargs} values.": "Аргумент «{name}» принимает значений: {nargs}.",
    "Invalid start character for option ({option})": "Недопустимый первый знак параметра ({option})",
    "Value must be an iterable.": "Ожидается список значений.",
    "Could not open file {filename!r}: {message}": "Не открывается файл «{filename}»: {message}",
    "unknown error": "неизвестная ошибка",
    "Aborted!": "Прервано.",
    # values
    "{value!r} is not a valid {number_type}.": "«{value}» — не число.",
    "{value} is not in the range {range}.": "{value} — вне допустимых пределов {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "«{value}» — не да/нет; допустимо: {states}",
    "{value!r} is not a valid UUID.": "«{value}» — не UUID.",
    "Choose from:\n\t{choices}": "Выберите из:\n\t{choices}",
    "Choice({choices})": "одно из ({choices})",
    "file": "файл",
    "directory": "папка",
    "path": "путь",
    "{name} {filename!r} does not exist.": "{name} «{filename}» не существует.",
    "{name} {filename!r} is a file.": "{name} «{filename}» — файл, а не папка.",
    "{name} {filename!r} is a directory.": "{name} «{filename}» — папка, а не файл.",
    "{name} {filename!r} is not readable.": "{name} «{filename}» не читается: нет прав.",
    "{name} {filename!r} is not writable.": "{name} «{filename}» недоступен для записи.",
    "{name} {filename!r} is not executable.": "{name} «{filename}» не запускается: нет прав.",
    # prompts
    "Repeat for confirmation": "Повторите для подтверждения",
    "Error: The two entered values do not match.": "Ошибка: введённые значения не совпадают.",
    "Error: invalid input": "Ошибка: неверный ввод",
    "Press any key to continue...": "Нажмите любую клавишу…",
    "Do you want to continue?": "Продолжить?",
    "Confirm the action without prompting.": "Подтвердить, не спрашивая.",
}

# ngettext: the English singular msgid → the Russian forms for 1, 2–4 and 5+ (21, 22–24, 25+ …).
_PLURALS: dict[str, tuple[str, str, str]] = {
    "Got unexpected extra argument ({args})": ("Лишний аргумент ({args})",) + ("Лишние аргументы ({args})",) * 2,
    "Did you mean {possibility}?": ("Возможно, имелось в виду {possibility}?",)
                                   + ("(Возможно, имелось в виду одно из: {possibilities}?)",) * 2,
    "Option {name!r} requires an argument.": ("Параметру «{name}» нужно значение.",)
                                             + ("Параметру «{name}» нужно значений: {nargs}.",) * 2,
    "{value!r} is not {choice}.": ("«{value}» — можно только {choice}.",)
                                  + ("«{value}» не из списка: {choices}.",) * 2,
    "{value!r} does not match the format {format}.": ("«{value}» не подходит под формат {format}.",)
                                                     + ("«{value}» не подходит ни под один формат: {formats}.",) * 2,
    "Takes {nargs} values but 1 was given.": ("Нужно значений: {nargs}, а указано одно.",)
                                             + ("Нужно значений: {nargs}, а указано {len}.",) * 2,
    "{len_type} values are required, but {len_value} was given.":
        ("Нужно значений: {len_type}, а указано {len_value}.",) * 3,
}

# The placeholders of usage lines and of option values, by click's English name.
_PLACEHOLDERS = {"TEXT": "ТЕКСТ", "INTEGER": "ЧИСЛО", "FLOAT": "ЧИСЛО", "BOOLEAN": "ДА|НЕТ",
                 "DATETIME": "ДАТА", "UUID": "UUID", "FILENAME": "ФАЙЛ", "PATH": "ПУТЬ"}
# Arguments are named after the function's parameter; the usual ones in Russian (others stay as named).
_ARGUMENTS = {"DEAL": "СДЕЛКА", "FILE": "ФАЙЛ", "FORM": "ФОРМА", "PATH": "ПАПКА", "ARCHIVE": "АРХИВ",
              "OUTPUT": "ФАЙЛ", "NAME": "ИМЯ", "LOGIN": "ЛОГИН", "USER": "ПОЛЬЗОВАТЕЛЬ"}
OPTIONS_METAVAR = "[ПАРАМЕТРЫ]"
SUBCOMMAND_METAVAR = "КОМАНДА [АРГУМЕНТЫ]..."


def gettext(message: str) -> str:
    return _MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    forms = _PLURALS.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    return forms[_plural_form(n)]


def _plural_form(n: int) -> int:
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def install() -> None:
    """Point the gettext names of every loaded click and typer module at the Russian tables."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("click", "typer")):
            continue
        if getattr(module, "_", None) is gettext_module.gettext:
            module._ = gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext_module.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]


def name_placeholders(command: click.Command) -> None:
    """Russian placeholders in the usage lines of `command` and every command under it: [ПАРАМЕТРЫ],
    КОМАНДА, the value types of options (ТЕКСТ, ЧИСЛО, ПУТЬ) and the usual argument names."""
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = OPTIONS_METAVAR
    if isinstance(command, click.Group):
        if command.subcommand_metavar in (None, "COMMAND [ARGS]..."):
            command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            name_placeholders(sub)
    for param in command.params:
        if param.metavar is not None:
            continue
        if isinstance(param, click.Option) and not param.is_flag:
            param.metavar = _PLACEHOLDERS.get(param.type.name.upper())
        elif isinstance(param, click.Argument) and param.nargs == 1:
            param.metavar = _ARGUMENTS.get((param.name or "").upper())
