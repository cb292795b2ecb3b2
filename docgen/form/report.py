"""Faults of a form as a report a manager can act on: Russian, by essential and field."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from docgen.errors import Fault
from docgen.form import labels

# pydantic's own error types, in words a manager understands; {…} is filled from the error's ctx.
_MESSAGES: dict[str, str] = {
    "missing": "не заполнено — это обязательное поле",
    "string_type": "ожидается текст",
    "string_too_short": "не заполнено",
    "string_too_long": "слишком длинное значение: не более {max_length} знаков",
    "too_short": "нужен хотя бы один элемент",
    "too_long": "слишком много элементов",
    "int_type": "ожидается целое число",
    "int_parsing": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than_equal": "должно быть не больше {le}",
    "list_type": "ожидается список (каждый элемент с новой строки через «- »)",
    "model_type": "ожидается раздел с вложенными полями",
    "model_attributes_type": "ожидается раздел с вложенными полями",
    "dict_type": "ожидается раздел с вложенными полями",
    "literal_error": "допустимое значение: {expected}",
    "bool_type": "ожидается да/нет (true/false)",
    "frozen_instance": "значение нельзя изменить",
}


def faults_from(error: ValidationError) -> list[Fault]:
    return [_fault(err) for err in error.errors(include_url=False)]


def _fault(err: ErrorDetails) -> Fault:
    path = _path(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return Fault(path, _unknown_key(path))
    if kind == "enum":
        return Fault(path, _enum(path, err))
    template = _MESSAGES.get(kind)
    if template is None:
        return Fault(path, err["msg"])  # our own PydanticCustomError: already Russian
    try:
        return Fault(path, template.format(**err.get("ctx", {})))
    except (KeyError, IndexError):
        return Fault(path, template)


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or part.startswith(("function-", "literal[", "decimal", "constrained")):
            continue  # union members pydantic names in the location
        else:
            out += f".{part}" if out else part
    return out


def _unknown_key(path: str) -> str:
    parent, _, key = path.rpartition(".")
    siblings = [f.rsplit(".", 1)[-1] for f in labels.FIELDS if labels.generic(f).rpartition(".")[0] == labels.generic(parent)]
    close = difflib.get_close_matches(key, siblings, n=1)
    hint = f" — возможно, имелось в виду «{close[0]}»" if close else " — уберите его или проверьте написание"
    return f"неизвестное поле «{key}»{hint}"


def _enum(path: str, err: ErrorDetails) -> str:
    choices = labels.CHOICES.get(labels.generic(path), {})
    if choices:
        listed = ", ".join(f"{k} ({v})" for k, v in choices.items())
    else:
        listed = err.get("ctx", {}).get("expected", "")
    return f"недопустимое значение «{err.get('input')}»; допустимые: {listed}"


def render_report(source: str, faults: list[Fault]) -> str:
    """The Russian report of a rejected form, as written to <name>.errors.txt."""
    lines = [f"Форма «{source}» не принята. Исправьте и положите её в inbox/ снова.", ""]
    for fault in faults:
        lines.append(f"— {line_of(fault)}")
    return "\n".join(lines) + "\n"


def line_of(fault: Fault) -> str:
    if not fault.field:
        return fault.message
    name = labels.describe(fault.field)
    where = fault.field if name == fault.field else f"{name} ({fault.field})"
    return f"{labels.essential_of(fault.field)}, {where}: {fault.message}"


def render_json(faults: list[Fault]) -> str:
    errors = [
        {"field": f.field, "essential": labels.essential_of(f.field) if f.field else "", "message": f.message}
        for f in faults
    ]
    return json.dumps({"ok": not faults, "errors": errors}, ensure_ascii=False, indent=2)
