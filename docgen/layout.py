"""Laying out a new workspace: folders, a commented docgen.toml and the default templates."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydantic import BaseModel

from docgen.settings import SETTINGS_FILE, Settings, load_settings
from docgen.workspace import Role, Workspace

# The repository's own templates/ folder, shipped inside the package through the symlink docgen/defaults.
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
    reviews = [ws.review(r) / sub for r in Role for sub in ("", "approved", "returned")]
    return [ws.inbox, ws.rejected, ws.bank_inbox, *reviews, ws.economics, ws.technical, ws.mail_spool,
            ws.clients, ws.registers, ws.archive]


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
    """docgen.toml with every setting commented out at its default, each with its description."""
    lines = ["# Настройки docgen. Каждый ключ необязателен: раскомментируйте и измените нужные.",
             "# Любой ключ можно переопределить переменной окружения DOCGEN_<РАЗДЕЛ>__<КЛЮЧ>,",
             "# например DOCGEN_SMTP__PORT=2525.", ""]
    defaults = Settings.model_construct()
    for section, field in model.model_fields.items():
        value = getattr(defaults, section)
        lines.append(f"# {field.description}")
        lines += _section_lines(section, value)
        lines.append("")
    return "\n".join(lines)


def _section_lines(section: str, value: object) -> list[str]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, BaseModel):
                out.append(f"# [{section}.{key}]")
                out += _fields(item)
            else:
                if not out:
                    out.append(f"# [{section}]")
                out.append(f"# {key} = {_toml(item)}")
        return out
    assert isinstance(value, BaseModel)
    out = [f"# [{section}]"]
    out += _fields(value)
    return out


def _fields(model: BaseModel) -> list[str]:
    out = []
    for name, field in type(model).model_fields.items():
        if field.exclude:
            continue
        item = getattr(model, name)
        if isinstance(item, BaseModel) or (isinstance(item, list) and item and isinstance(item[0], BaseModel)):
            continue  # nested tables are documented in the README; defaults apply
        out.append(f"# {name} = {_toml(item)}    # {field.description}")
    return out


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
