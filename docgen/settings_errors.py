"""Settings errors in Russian: each names its key, says what is expected and, for a misspelt key,
suggests the close one (as the form's report does for a form's fields)."""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

HEADING = "в docgen.toml или переменных окружения DOCGEN_* есть ошибки:"

# pydantic's error types in words an administrator understands; our own checks arrive already Russian.
_EXPECTED: dict[str, str] = {
    "missing": "обязательный ключ не задан",
    "string_type": "ожидается текст в кавычках, например \"…\"",
    "bool_type": "ожидается true или false",
    "bool_parsing": "ожидается true или false",
    "int_type": "ожидается целое число",
    "int_parsing": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "float_type": "ожидается число",
    "float_parsing": "ожидается число",
    "decimal_type": "ожидается число, например \"20\" или 0.5",
    "decimal_parsing": "ожидается число, например \"20\" или 0.5",
    "list_type": "ожидается список в квадратных скобках, например [10, 60]",
    "dict_type": "ожидается раздел: [имя] с ключами под ним",
    "model_type": "ожидается раздел: [имя] с ключами под ним",
    "model_attributes_type": "ожидается раздел: [имя] с ключами под ним",
    "date_type": "ожидается дата ГГГГ-ММ-ДД, например 2026-01-01",
    "date_parsing": "ожидается дата ГГГГ-ММ-ДД, например 2026-01-01",
    "date_from_datetime_parsing": "ожидается дата ГГГГ-ММ-ДД, например 2026-01-01",
    "date_from_datetime_inexact": "ожидается дата без времени, ГГГГ-ММ-ДД",
    "json_invalid": "значение переменной окружения не разбирается (список пишется как [1, 2])",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
}


def explain(exc: ValidationError, *, model: type[BaseModel]) -> str:
    """The Russian message of a settings ValidationError: a heading and one line per key."""
    lines = [HEADING]
    for err in exc.errors(include_url=False):
        key = _dotted(err["loc"])
        if not key and err["type"] == "route_absences":  # checks across sections: each line names its key
            lines += [f"  {line}" for line in err["msg"].splitlines()]
            continue
        lines.append(f"  {key or '(весь файл)'}: {_message(err, model)}")
    return "\n".join(lines)


def explain_source(exc: Exception) -> str:
    """pydantic-settings' own error: an environment value it could not parse as JSON."""
    field = _QUOTED.search(str(exc))
    where = f" раздела «{field[1]}»" if field else ""
    return (f"{HEADING}\n  значение переменной окружения{where} не разбирается: списки и разделы "
            "пишутся в JSON, например DOCGEN_SMTP__RETRY_DELAYS=[10, 60]")


_QUOTED = re.compile(r'field "([^"]+)"')


def toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """Where a TOML syntax error is, in Russian; tomllib's own wording follows in parentheses."""
    found = _AT_LINE.search(str(exc))
    if found is None:
        return f"ошибка синтаксиса TOML ({exc})"
    detail = str(exc)[: found.start()].strip()
    return f"ошибка синтаксиса TOML в строке {found['line']}, столбец {found['column']} ({detail})"


_AT_LINE = re.compile(r"\(at line (?P<line>\d+), column (?P<column>\d+)\)")


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: ErrorDetails, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return _unknown_key(err["loc"], model)
    template = _EXPECTED.get(kind)
    if template is None:
        return err["msg"]  # our own PydanticCustomError: already Russian
    try:
        text = template.format(**err.get("ctx", {}))
    except (KeyError, IndexError):
        text = template
    given = err.get("input")
    if kind != "missing" and isinstance(given, (str, int, float, bool)):
        text += f"; указано: {given!r}"
    return text


def _unknown_key(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    key = str(loc[-1])
    where = _model_at(loc[:-1], model)
    known = list(where.model_fields) if where is not None else []
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"неизвестный ключ «{key}» — возможно, имелось в виду «{close[0]}»"
    listed = f"; допустимые: {', '.join(known)}" if known else ""
    return f"неизвестный ключ «{key}» — уберите его или проверьте написание{listed}"


def _model_at(path: tuple[int | str, ...], model: type[BaseModel]) -> type[BaseModel] | None:
    """The settings model a key path leads to: sections, [divisions.<код>] tables, [[vat.rates]] rows."""
    current: type[BaseModel] | None = model
    skip_key = False
    for part in path:
        if skip_key or isinstance(part, int):
            skip_key = False
            continue
        field = current.model_fields.get(str(part)) if current is not None else None
        if field is None:
            return None
        direct = isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        current = field.annotation if direct else model_inside(field.annotation)
        skip_key = typing.get_origin(field.annotation) is dict
    return current


def model_inside(annotation: Any) -> type[BaseModel] | None:
    """The model a container of settings holds (`dict[str, M]`, `list[M]`), or None."""
    args = typing.get_args(annotation)
    last = args[-1] if args else None
    return last if isinstance(last, type) and issubclass(last, BaseModel) else None
