"""Reading a dropped file into the raw data of a form: YAML, JSON, the XLSX card, or a ZIP with attachments."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from docgen.errors import FormUnreadable
from docgen.form import yamlload

FORM_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
ACCEPTED_SUFFIXES = FORM_SUFFIXES + (".zip",)


@dataclass
class RawForm:
    """What a dropped file held: the form's data and, from a ZIP, its attachments by name."""

    data: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)


def read_form(path: Path, *, max_bytes: int) -> RawForm:
    """Read `path`; FormUnreadable with a Russian reason when it is not a form."""
    size = path.stat().st_size
    if size > max_bytes:
        raise FormUnreadable(path.name, f"файл слишком большой: {size:,} байт при пределе {max_bytes:,}".replace(",", " "))
    return parse_form(path.name, path.read_bytes(), max_bytes=max_bytes)


def parse_form(name: str, content: bytes, *, max_bytes: int) -> RawForm:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise FormUnreadable(name, f"файлы «{suffix or 'без расширения'}» не принимаются; "
                             "нужна форма YAML, JSON, карточка XLSX или ZIP с формой и вложениями")
    if not content.strip():
        raise FormUnreadable(name, "файл пуст")
    if suffix == ".zip":
        return _read_zip(name, content, max_bytes=max_bytes)
    if suffix == ".xlsx":
        from docgen.form.card import read_card  # openpyxl is only imported when a card arrives

        return RawForm(read_card(name, content))
    text = _text(name, content)
    data = _parse_json(name, text) if suffix == ".json" else _parse_yaml(name, text)
    if data is None:
        raise FormUnreadable(name, "файл пуст: в нём нет ни одного поля")
    if not isinstance(data, dict):
        raise FormUnreadable(name, "форма должна состоять из полей «ключ: значение», как в templates/forms/example.yaml")
    return RawForm(data)


def _text(name: str, content: bytes) -> str:
    if b"\x00" in content[:8192]:
        raise FormUnreadable(name, "это не текстовый файл (двоичные данные), хотя расширение — формы")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("cp1251")  # Windows Notepad's default for Russian text
        except UnicodeDecodeError:
            raise FormUnreadable(name, "файл не читается как текст: сохраните его в кодировке UTF-8") from None


def _parse_yaml(name: str, text: str) -> Any:
    try:
        return yamlload.load(text)
    except yamlload.AliasBomb as exc:
        raise FormUnreadable(name, f"в YAML {exc}") from None
    except ValueError:  # PyYAML builds dates itself: 2026-13-45 fails inside the loader
        raise FormUnreadable(name, "в YAML несуществующая дата (например, 13-й месяц или 31 февраля); "
                             "дата пишется ГГГГ-ММ-ДД, например 2026-11-20") from None
    except yaml.constructor.ConstructorError as exc:
        raise FormUnreadable(name, f"в YAML недопустимая конструкция{_where(exc)}: {exc.problem}. "
                             "В форме допустимы только текст, числа, даты, списки и поля") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise FormUnreadable(name, f"ошибка разметки YAML{_where(exc)}: {problem}. "
                             "Проверьте отступы и двоеточия, сравните с templates/forms/example.yaml") from None


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" в строке {mark.line + 1}, позиция {mark.column + 1}" if mark else ""


def _parse_json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormUnreadable(name, f"ошибка разметки JSON в строке {exc.lineno}, позиция {exc.colno}: {exc.msg}") from None


def _read_zip(name: str, content: bytes, *, max_bytes: int) -> RawForm:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir() and not _ignored(m.filename)]
    except zipfile.BadZipFile:
        raise FormUnreadable(name, "ZIP-архив повреждён или это не ZIP") from None
    if sum(m.file_size for m in members) > max_bytes:
        raise FormUnreadable(name, f"ZIP-архив в распакованном виде больше предела {max_bytes:,} байт".replace(",", " "))
    forms = [m for m in members if PurePosixPath(m.filename).suffix.lower() in FORM_SUFFIXES]
    if len(forms) != 1:
        listed = ", ".join(m.filename for m in forms) or "ни одной"
        raise FormUnreadable(name, f"в ZIP должна быть ровно одна форма (YAML, JSON или XLSX), а найдено: {listed}")
    form = forms[0]
    raw = parse_form(form.filename, archive.read(form), max_bytes=max_bytes)
    for member in members:
        if member is not form:
            raw.attachments[PurePosixPath(member.filename).name] = archive.read(member)
    return raw


def _ignored(filename: str) -> bool:
    base = PurePosixPath(filename).name
    return filename.startswith("__MACOSX/") or base.startswith((".", "~$")) or base == "Thumbs.db"
