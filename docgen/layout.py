"""Laying out a new workspace: folders, a commented docgen.toml and the default templates."""

from __future__ import annotations

import datetime as dt
import shutil
import typing
from pathlib import Path

from pydantic import BaseModel

from docgen.settings import SETTINGS_FILE, Settings, load_settings
from docgen.workspace import Workspace

# The templates, mail texts and forms shipped inside the package (the repository's templates/ links here).
DEFAULT_TEMPLATES = Path(__file__).parent / "defaults"


def lay_out(root: Path) -> list[str]:
    """Create what is missing under `root`; never overwrite. Returns what was created, relative to root."""
    root.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    config = root / SETTINGS_FILE
    if not config.exists():
        config.write_text(commented_toml(), encoding="utf-8")
        created.append(SETTINGS_FILE)
    ws = Workspace(root, load_settings(root, {}))
    for folder in folders(ws):
        if not folder.exists():
            folder.mkdir(parents=True)
            created.append(str(folder.relative_to(root)) + "/")
    created += _copy_missing(DEFAULT_TEMPLATES, ws.templates, root)
    return created


def folders(ws: Workspace) -> list[Path]:
    reviews = [ws.review(r) / sub for r in ws.roles for sub in ("", "approved", "returned")]
    # where Finance, Economics and Technical acknowledge what they received (docgen.workflow.acks)
    accepted = [ws.review("finance") / "accepted", ws.economics / "accepted", ws.technical / "accepted"]
    return [ws.inbox, ws.rejected, ws.bank_inbox, ws.cancel_inbox, *reviews, ws.economics, ws.technical, *accepted,
            ws.mail_spool, ws.clients, ws.registers, ws.archive]


def _copy_missing(source: Path, target: Path, root: Path) -> list[str]:
    created = []
    for src in sorted(source.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts or src.name.startswith(("~$", ".")):
            continue
        dst = target / src.relative_to(source)
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            created.append(str(dst.relative_to(root)))
    return created


def commented_toml(model: type[BaseModel] = Settings) -> str:
    """docgen.toml with every setting commented out at its default, each with its description:
    every section and nested table ([company.bank], [divisions.<код>], [[vat.rates]]) with an example."""
    lines = ["# Настройки docgen. Каждый ключ необязателен: раскомментируйте и измените нужные.",
             "# Любой ключ можно переопределить переменной окружения DOCGEN_<РАЗДЕЛ>__<КЛЮЧ>,",
             "# например DOCGEN_SMTP__PORT=2525.",
             "#",
             "# ОБЯЗАТЕЛЬНО заполните [company], [company.signatory] и [company.bank] — реквизиты Продавца:",
             "# пока они не заданы, в договорах печатается образец «реквизиты Продавца не заданы».",
             "# Проверить настройки и всё рабочее пространство: docgen doctor.", ""]
    defaults = model.model_construct()
    for section, field in model.model_fields.items():
        lines.append(f"# {field.description}")
        value = getattr(defaults, section)
        if isinstance(value, list):  # a top-level array of tables, such as [[absences]]: an example of one
            lines += _example_lines(section, field.annotation)
        else:
            lines += _table_lines(section, value)
        lines.append("")
    return "\n".join(lines)


def _table_lines(header: str, value: object) -> list[str]:
    """`# [header]` and its keys, then its nested tables; a dict of models is one table per key."""
    if isinstance(value, dict):
        scalars = {k: v for k, v in value.items() if not isinstance(v, BaseModel)}
        out = [f"# [{header}]", *(f"# {k} = {_toml(v)}" for k, v in scalars.items())] if scalars else []
        for key, item in value.items():
            if isinstance(item, BaseModel):
                out += _table_lines(f"{header}.{key}", item)
        return out
    assert isinstance(value, BaseModel)
    out, nested = [f"# [{header}]"], []
    for name, field in type(value).model_fields.items():
        item = getattr(value, name)
        if field.exclude or item is None:
            continue  # None: an optional table ([divisions.<код>] signatory), described in docs/admin.md
        if isinstance(item, BaseModel):
            nested += [f"# {field.description}", *_table_lines(f"{header}.{name}", item)]
        elif isinstance(item, list) and item and isinstance(item[0], BaseModel):
            nested.append(f"# {field.description}")
            for row in item:
                nested += [f"# [[{header}.{name}]]", *_keys(row)]
        else:
            out.append(f"# {name} = {_toml(item)}    # {field.description}")
    return out + nested


def _example_lines(section: str, annotation: object) -> list[str]:
    """An example row, marked `## ` so that uncommenting the defaults (`# `) leaves the list empty."""
    example = getattr(typing.get_args(annotation)[0], "EXAMPLE", {})
    return (["# по умолчанию пусто; пример — уберите «## »:", f"## [[{section}]]"]
            + [f"## {key} = {_toml(value)}" for key, value in example.items()])


def _keys(model: BaseModel) -> list[str]:
    return [f"# {name} = {_toml(getattr(model, name))}    # {field.description}"
            for name, field in type(model).model_fields.items()
            if not field.exclude and getattr(model, name) is not None]  # TOML has no null: an unset key


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()  # a TOML date or time, unquoted
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
