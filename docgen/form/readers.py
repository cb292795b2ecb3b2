"""Reading a dropped file into the raw data of a form: YAML, JSON, the XLSX card, or a ZIP with attachments.

Whatever the file holds, the answer is the form's data or FormUnreadable with a Russian reason: a broken,
encrypted or oversized archive, markup errors, duplicate keys, self-referencing YAML, nesting no form has.
"""

from __future__ import annotations

import io
import json
from collections import Counter
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from docgen.errors import FormUnreadable
from docgen.files import fit_name
from docgen.form import yamlload
from docgen.form.text import shown

FORM_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
ACCEPTED_SUFFIXES = FORM_SUFFIXES + (".zip",)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted Office file or an old .xls
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


@dataclass
class RawForm:
    """What a dropped file held: the form's data and, from a ZIP, its attachments by their path in it."""

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
        raise FormUnreadable(name, f"файлы «{shown(suffix) or 'без расширения'}» не принимаются; "
                             "нужна форма YAML, JSON, карточка XLSX или ZIP с формой и вложениями")
    if not content.strip():
        raise FormUnreadable(name, "файл пуст")
    if suffix == ".zip":
        return _read_zip(name, content, max_bytes=max_bytes)
    if suffix == ".xlsx":
        from docgen.form.card import read_card  # openpyxl is only imported when a card arrives

        _open_zip(name, content, max_bytes=max_bytes, excel=True)  # sizes and passwords first
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
        raise FormUnreadable(name, "внутри не текст, а двоичные данные — похоже, это документ или картинка, "
                                   "переименованные в форму; сохраните форму как текст (YAML или JSON)")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("cp1251")  # Windows Notepad's default for Russian text
        except UnicodeDecodeError:
            raise FormUnreadable(name, "файл не читается как текст: сохраните его в кодировке UTF-8") from None


# PyYAML's problems, as a manager would understand them.
_YAML_PROBLEMS = (
    ("mapping values are not allowed", "двоеточие в неожиданном месте: значение с двоеточием возьмите в кавычки "
                                       "или проверьте отступ"),
    ("cannot start any token", "табуляция или недопустимый знак в начале значения: отступы делаются пробелами"),
    ("tab character", "табуляция в отступе: отступы делаются пробелами"),
    ("could not find expected ':'", "после имени поля нет двоеточия"),
    ("expected <block end>", "неверный отступ: поля одного раздела пишутся с одинаковым отступом"),
    ("expected ',' or ']'", "не закрыта квадратная скобка «]»"),
    ("expected ',' or '}'", "не закрыта фигурная скобка «}»"),
    ("found unexpected end of stream", "не закрыта кавычка"),
    ("found undefined alias", "ссылка «*» на метку «&», которой нет"),
    ("maximum nesting depth", "слишком глубокая вложенность"),
    ("unknown escape character", "недопустимый знак после «\\» в кавычках: напишите «\\\\» или возьмите "
                                 "значение в одинарные кавычки"),
    ("expected alphabetic or numeric character", "после «&» или «*» должно идти имя метки"),
    ("expected a comment or a line break", "лишний текст после значения в кавычках"),
    ("special characters are not allowed", "недопустимый знак в тексте"),
    ("unacceptable character", "недопустимый служебный знак в тексте"),
)


def _parse_yaml(name: str, text: str) -> Any:
    try:
        return yamlload.load(text)
    except (yamlload.AliasBomb, yamlload.SelfReference, yamlload.DuplicateKey) as exc:
        raise FormUnreadable(name, f"в YAML {exc}") from None
    except RecursionError:
        raise FormUnreadable(name, "в YAML слишком глубокая вложенность разделов — такой формы не бывает") from None
    except yaml.constructor.ConstructorError as exc:
        raise FormUnreadable(name, f"в YAML недопустимая конструкция{_where(exc)}: {_yaml_problem(exc)}. "
                             "В форме допустимы только текст, числа, даты, списки и поля") from None
    except yaml.YAMLError as exc:
        raise FormUnreadable(name, f"ошибка разметки YAML{_where(exc)}: {_yaml_problem(exc)}. "
                             "Сравните с templates/forms/example.yaml") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = str(getattr(exc, "problem", None) or exc)
    if re.search("[а-яё]", problem, re.IGNORECASE):
        return problem  # ours (yamlload)
    for english, russian in _YAML_PROBLEMS:
        if english in problem:
            return russian
    if "tag" in problem:
        return "тег «!…» (команда YAML), в форме они не нужны"
    return "проверьте отступы, двоеточия и кавычки"


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" в строке {mark.line + 1}, позиция {mark.column + 1}" if mark else ""


_JSON_PROBLEMS = (
    ("Expecting property name", "имя поля пишется в двойных кавычках (или лишняя запятая перед «}»)"),
    ("Expecting ',' delimiter", "пропущена запятая между значениями"),
    ("Expecting ':' delimiter", "после имени поля нет двоеточия"),
    ("Expecting value", "ожидается значение (или лишняя запятая перед «]»/«}»)"),
    ("Unterminated string", "не закрыта кавычка"),
    ("Extra data", "лишний текст после конца формы"),
    ("Invalid control character", "перевод строки или служебный знак внутри кавычек"),
    ("Invalid \\escape", "недопустимый знак после «\\»: напишите «\\\\»"),
)


def _parse_json(name: str, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        problem = next((ru for en, ru in _JSON_PROBLEMS if exc.msg.startswith(en)), "проверьте скобки, запятые и кавычки")
        raise FormUnreadable(name, f"ошибка разметки JSON в строке {exc.lineno}, позиция {exc.colno}: {problem}") from None
    except _DuplicateJsonKey as exc:
        raise FormUnreadable(name, f"в JSON поле «{shown(exc.key, limit=40)}» указано дважды в одном разделе — "
                                   "оставьте одно значение") from None
    except RecursionError:
        raise FormUnreadable(name, "в JSON слишком глубокая вложенность — такой формы не бывает") from None
    except ValueError:  # an integer of thousands of digits (Python's int_max_str_digits), NaN, Infinity
        raise FormUnreadable(name, "в JSON число, которое не может быть значением формы (тысячи цифр, "
                                   "NaN или Infinity)") from None


class _DuplicateJsonKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateJsonKey(key)
        data[key] = value
    return data


def _no_constant(constant: str) -> Any:
    raise ValueError(constant)


def _open_zip(name: str, content: bytes, *, max_bytes: int, excel: bool = False) -> zipfile.ZipFile:
    """The archive, once its declared sizes fit the limit and nothing in it is encrypted (an XLSX is a ZIP too)."""
    what = "книга Excel" if excel else "ZIP-архив"
    if content.startswith(_OLE_MAGIC):
        raise FormUnreadable(name, f"{what} защищена паролем или сохранена в старом формате (.xls): "
                                   "сохраните её как «Книга Excel (.xlsx)» без пароля" if excel else
                             "это не ZIP-архив (похоже на документ Office): упакуйте форму и вложения в ZIP")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, NotImplementedError):
        raise FormUnreadable(name, "файл XLSX повреждён или это не книга Excel" if excel else
                             "ZIP-архив повреждён или это не ZIP") from None
    if any(m.flag_bits & _ENCRYPTED_FLAG for m in members):
        raise FormUnreadable(name, "ZIP-архив защищён паролем: docgen не может его открыть — упакуйте без пароля")
    if sum(m.file_size for m in members) > max_bytes:
        raise FormUnreadable(name, f"{what} в распакованном виде больше предела {max_bytes:,} байт".replace(",", " "))
    return archive


def _read_member(name: str, archive: zipfile.ZipFile, *, member: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError):
        raise FormUnreadable(name, f"ZIP-архив повреждён: файл «{shown(_member_name(member))}» не сходится с "
                                   "контрольной суммой или размером — упакуйте архив заново") from None
    except (NotImplementedError, RuntimeError):
        raise FormUnreadable(name, f"файл «{shown(_member_name(member))}» сжат способом, который docgen не "
                                   "читает (или защищён паролем): упакуйте архив средствами Windows без пароля") from None


def _read_zip(name: str, content: bytes, *, max_bytes: int) -> RawForm:
    archive = _open_zip(name, content, max_bytes=max_bytes)
    members = {m: _clean_path(_member_name(m)) for m in archive.infolist() if not m.is_dir()}
    members = {m: path for m, path in members.items() if path and not _ignored(path)}
    twice = sorted(path for path, count in Counter(members.values()).items() if count > 1)
    if twice:
        raise FormUnreadable(name, f"в ZIP-архиве несколько файлов с одним именем «{shown(twice[0])}»: "
                                   "оставьте один или переименуйте")
    forms = [m for m, path in members.items() if PurePosixPath(path).suffix.lower() in FORM_SUFFIXES]
    if len(forms) != 1:
        listed = ", ".join(shown(members[m]) for m in forms) or "ни одной"
        raise FormUnreadable(name, f"в ZIP должна быть ровно одна форма (YAML, JSON или XLSX), а найдено: {listed}")
    form = forms[0]
    raw = parse_form(PurePosixPath(members[form]).name, _read_member(name, archive, member=form), max_bytes=max_bytes)
    top = _common_folder(list(members.values()))
    for member, path in members.items():
        if member is not form:
            raw.attachments[path[len(top):]] = _read_member(name, archive, member=member)
    return raw


def _member_name(member: zipfile.ZipInfo) -> str:
    """The member's name as its maker meant it: zipfile reads names without the UTF-8 flag as cp437, while
    Windows Explorer writes them in the OEM code page (cp866 in Russia) and Info-ZIP and macOS in UTF-8."""
    if member.flag_bits & _UTF8_FLAG:
        return member.filename
    try:
        raw = member.filename.encode("cp437")
    except UnicodeEncodeError:
        return member.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp866")


def _clean_path(name: str) -> str:
    """A member's path made safe to file: «/» and «\\» both separate, «..», drives and odd characters go."""
    parts = [p for p in re.split(r"[\\/]+", name) if p not in ("", ".", "..") and not re.fullmatch(r"[A-Za-z]:", p)]
    return "/".join(fit_name(p, max_bytes=120) for p in parts)


def _common_folder(paths: list[str]) -> str:
    """«Сделка/» when every file sits in that one folder (Explorer's «Send to → Compressed folder»)."""
    tops = {p.split("/", 1)[0] + "/" if "/" in p else "" for p in paths}
    return tops.pop() if len(tops) == 1 else ""


def _ignored(path: str) -> bool:
    base = PurePosixPath(path).name
    return path.startswith("__MACOSX/") or base.startswith((".", "~$")) or base == "Thumbs.db"


def _candidates(attachments: dict[str, bytes], name: str) -> list[str]:
    """The attachments the form's `name` may mean: its path in the ZIP (cleaned as the entries are, so
    «КМ\\Лист 1.pdf» is «КМ/Лист 1.pdf»), else every file of that name in any folder."""
    path = _clean_path(name)
    if path in attachments:
        return [path]
    return [p for p in attachments if PurePosixPath(p).name == PurePosixPath(path).name]


def attachment_path(attachments: dict[str, bytes], name: str) -> str:
    """The path in the ZIP of the form's attachment `name` (given as its path, or as a file name found once)."""
    found = _candidates(attachments, name)
    return found[0] if len(found) == 1 else name


def attachment_fault(attachments: dict[str, bytes], name: str) -> str | None:
    """Why the form's attachment `name` (a path in the ZIP, or a file name found once) is not there, or None."""
    same = _candidates(attachments, name)
    if len(same) == 1:
        return None
    if not same:
        return f"вложения «{shown(name)}» нет в ZIP-архиве вместе с формой"
    return (f"в архиве несколько файлов «{shown(name)}» ({', '.join(same)}): укажите путь к нужному, "
            f"например «{same[0]}»")
