"""Faults of a form as a report a manager can act on: Russian, by essential and field."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from docgen.errors import Fault
from docgen.form import labels, text

# pydantic's own error types, in words a manager understands; {…} is filled from the error's ctx.
_MESSAGES: dict[str, str] = {
    "missing": "не заполнено — это обязательное поле",
    "string_type": "ожидается текст",
    "string_too_short": "не заполнено",
    "string_too_long": "слишком длинно: не более {max_length} знаков",
    "too_short": "нужен хотя бы один элемент",
    "too_long": "слишком много элементов: не больше {max_length}",
    "int_type": "ожидается целое число, например 5",
    "int_parsing": "ожидается целое число, например 5",
    "int_parsing_size": "слишком большое число",
    "int_from_float": "ожидается целое число, без дробной части",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than_equal": "должно быть не больше {le}",
    "list_type": "ожидается список (каждый элемент с новой строки через «- »)",
    "bool_type": "ожидается да/нет (true/false)",
    "frozen_instance": "значение нельзя изменить",
}
_SECTION_TYPES = {"model_type", "model_attributes_type", "dict_type"}
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def faults_from(error: ValidationError, *, fields: Mapping[str, str] = labels.FIELDS) -> list[Fault]:
    """The faults of a failed validation; `fields` names the form's fields (the deal form by default)."""
    return [_fault(err, fields) for err in error.errors(include_url=False)]


def _fault(err: ErrorDetails, fields: Mapping[str, str]) -> Fault:
    path = _path(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return Fault(path, _unknown_key(path, fields))
    if kind == "enum":
        return Fault(path, _enum(path, err))
    if kind in _SECTION_TYPES or (kind == "missing" and _is_section(path)):
        return Fault(path, _section(path, err))
    if kind == "string_type":
        return Fault(path, _not_text(err.get("input")))
    if _CYRILLIC.search(err["msg"]):
        return Fault(path, err["msg"])  # our own PydanticCustomError: already Russian
    template = _MESSAGES.get(kind)
    if template is None:
        return Fault(path, f"недопустимое значение «{text.shown(err.get('input'))}»")
    try:
        return Fault(path, template.format(**err.get("ctx", {})))
    except (KeyError, IndexError):
        return Fault(path, template)


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or part.startswith(
                ("function-", "literal[", "decimal", "constrained", "union[", "nullable[", "lax-or-strict")):
            continue  # union members pydantic names in the location
        else:
            out += f".{part}" if out else text.shown(part, limit=40)
    return out


def _is_section(path: str) -> bool:
    return bool(labels.section_fields(labels.generic(path)))


def _section(path: str, err: ErrorDetails) -> str:
    inside = ", ".join(labels.section_fields(labels.generic(path)))
    if err["type"] == "missing":
        return (f"раздела нет — заполните его: {inside}. Пока его нет, проверки, связанные с этим разделом, "
                "не выполнены")
    return f"ожидается раздел с полями ({inside}), а здесь «{text.shown(err.get('input'))}»"


def _not_text(value: object) -> str:
    if value is None:
        return "не заполнено"
    if isinstance(value, bool):
        return "значение прочитано как да/нет; если это текст, возьмите его в кавычки"
    if isinstance(value, dict):
        return "ожидается текст, а здесь раздел с полями"
    if isinstance(value, list):
        return "ожидается одно значение, а здесь список"
    return "ожидается текст"


def _unknown_key(path: str, fields: Mapping[str, str]) -> str:
    parent, _, key = path.rpartition(".")
    parent = labels.generic(parent)
    siblings = set()
    for field in fields:
        head, _, name = field.rpartition(".")
        if head == parent and name:
            siblings.add(name.removesuffix("[]"))
    siblings.discard(key)
    close = difflib.get_close_matches(key, sorted(siblings), n=1)
    hint = f" — возможно, имелось в виду «{close[0]}»" if close else " — уберите его или проверьте написание"
    return f"неизвестное поле «{text.shown(key, limit=40)}»{hint}"


def _enum(path: str, err: ErrorDetails) -> str:
    choices = labels.CHOICES.get(labels.generic(path), {})
    if choices:
        listed = ", ".join(f"{k} ({v})" for k, v in choices.items())
    else:
        listed = err.get("ctx", {}).get("expected", "")
    return f"недопустимое значение «{text.shown(err.get('input'))}»; допустимые: {listed}"


def render_report(source: str, faults: list[Fault], *, warnings: list[Fault] = (),
                  verdict: str = "не принята") -> str:
    """The Russian report of a rejected form, as written to <name>.errors.txt (`validate`: «не пройдёт проверку»)."""
    count = (f"Ошибок: {len(faults)} — здесь все, что нашлись: исправьте их сразу." if len(faults) > 1
             else "Ошибка одна.")
    lines = [f"Форма «{source}» {verdict}. Исправьте и положите её в inbox/ снова.", count, ""]
    lines += [f"— {line_of(fault)}" for fault in faults]
    if warnings:
        lines += ["", "Кроме того, предупреждения (они не мешают приёму, их увидит юрист):"]
        lines += [f"— {line_of(warning)}" for warning in warnings]
    return "\n".join(lines) + "\n"


def render_warnings(warnings: list[Fault]) -> str:
    """The warnings of an accepted form, one per line, for `validate` and the letters."""
    return "\n".join(f"— {line_of(w)}" for w in warnings)


def line_of(fault: Fault) -> str:
    if not fault.field:
        return fault.message
    if fault.field in labels.ESSENTIALS:  # a whole section: its heading names it already
        return f"{labels.essential_of(fault.field)} ({fault.field}): {fault.message}"
    name = labels.describe(fault.field)
    where = fault.field if name == fault.field else f"{name} ({fault.field})"
    return f"{labels.essential_of(fault.field)}, {where}: {fault.message}"


def _entries(faults: list[Fault]) -> list[dict[str, str]]:
    return [{"field": f.field, "essential": labels.essential_of(f.field) if f.field else "", "message": f.message}
            for f in faults]


def render_json(faults: list[Fault], *, warnings: list[Fault] = (), **extra: object) -> str:
    answer = {"ok": not faults, "errors": _entries(faults), "warnings": _entries(list(warnings))} | extra
    return json.dumps(answer, ensure_ascii=False, indent=2)
