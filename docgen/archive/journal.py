"""A deal's journal for the archive: as JSON for machines and as a Russian account for people."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from docgen.form.money import format_money
from docgen.store import DealRow
from docgen.workflow.stages import ACTION_TITLES, ROLE_TITLES, Decision, decision_title, stage_title
from docgen.workspace import Stage

OTHER_ROLES = {"manager": "менеджер", "system": "служба"}


def journal_json(row: DealRow, *, versions: list[sqlite3.Row], entries: list[dict[str, Any]]) -> bytes:
    """The deal, its recorded versions (with the SHA-256 of each contract) and every journal entry."""
    data = {
        "deal": row.number, "client": row.buyer_name, "inn": row.buyer_inn, "stage": row.stage,
        "version": row.version, "created_at": row.created_at, "contract_date": row.contract_date,
        "versions": [dict(v) for v in versions], "journal": entries,
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def journal_text(row: DealRow, *, versions: list[sqlite3.Row], entries: list[dict[str, Any]]) -> str:
    """Who did what and when, in which version, with its SHA-256 and comments — readable without docgen."""
    lines = _heading(row, versions) + ["", "Версии договора:"]
    lines += [_version_line(v) for v in versions] or ["  (нет)"]
    lines += ["", "События:"]
    for entry in entries:
        lines += _entry_lines(entry)
    return "\n".join(lines) + "\n"


def _heading(row: DealRow, versions: list[sqlite3.Row]) -> list[str]:
    lines = [
        f"Журнал сделки {row.number}",
        f"Клиент: {row.buyer_name}, ИНН {row.buyer_inn}",
        f"Предмет: {row.subject}",
        f"Сумма с НДС: {_money(row.total)}",
        f"Менеджер: {row.manager}",
        f"Дата договора: {_date(row.contract_date)}; принята в docgen: {_when(row.created_at)}",
        f"Этап: {_stage(row.stage)}, текущая версия v{row.version}",
    ]
    signed = signed_version(row, versions)
    if signed is not None:
        lines.append(f"Подписанная версия: v{signed['version']}, SHA-256 {signed['sha256']}")
    return lines


def signed_version(row: DealRow, versions: list[sqlite3.Row]) -> sqlite3.Row | None:
    """The version a signed deal was signed in, with its recorded SHA-256; None before signing."""
    if row.stage != Stage.SIGNED:
        return None
    return next((v for v in versions if v["version"] == row.version and v["sha256"]), None)


def _version_line(v: sqlite3.Row) -> str:
    origin = str(v["origin"])
    if origin == "form":
        what = "из формы"
    elif origin.startswith("edit:"):
        what = f"правка: {_role(origin[5:])}"
    else:
        what = origin
    sha = v["sha256"] or "—"
    return f"  v{v['version']} — {what}, {_when(v['created_at'])}, SHA-256 {sha}"


def _entry_lines(entry: dict[str, Any]) -> list[str]:
    detail = entry.get("detail") or {}
    role = detail.get("role_title") or _role(entry["role"])
    deputy = f", за {detail['on_behalf_of']}" if detail.get("on_behalf_of") else ""
    who = entry["actor"] if entry["actor"] == role else f"{entry['actor']} ({role}{deputy})"
    head = (f"{_when(entry['at'])}  {who} — {_action(entry)}"
            + (f"; версия {entry['version']}" if entry.get("version") is not None else ""))
    lines = [head]
    if detail.get("file"):
        lines.append(f"    файл: {detail['file']}")
    if entry.get("sha256"):
        lines.append(f"    SHA-256: {entry['sha256']}")
    for comment in detail.get("comments") or []:
        lines.append(f"    замечание: {comment}")
    for fault in detail.get("faults") or []:
        lines.append(f"    ошибка формы: {fault}")
    if detail.get("edited"):
        lines.append(f"    внесены правки: новая версия v{detail.get('new_version')}")
    if isinstance(detail.get("to"), list):  # a reminder, an escalation: who got it
        lines.append(f"    кому: {', '.join(detail['to'])}")
    if detail.get("via"):
        lines.append(f"    как: {_via(str(detail['via']))}")
    return lines


def _action(entry: dict[str, Any]) -> str:
    role, action = entry["role"], entry["action"]
    if action in set(Decision) and role not in OTHER_ROLES:
        return decision_title(role, Decision(action))
    return ACTION_TITLES.get(action, action)


def _role(role: str) -> str:
    return ROLE_TITLES.get(role) or OTHER_ROLES.get(role, role)  # type: ignore[call-overload]


def _stage(stage: str) -> str:
    return stage_title(stage)


def _via(via: str) -> str:
    return "перемещением файла в папку решения" if via == "folder" else via.replace("command", "командой docgen")


def _when(text: str) -> str:
    try:
        return dt.datetime.fromisoformat(text).strftime("%d.%m.%Y %H:%M:%S")
    except (TypeError, ValueError):
        return str(text)


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).strftime("%d.%m.%Y")
    except (TypeError, ValueError):
        return str(text)


def _money(text: str) -> str:
    try:
        return format_money(Decimal(text))
    except (InvalidOperation, ValueError):
        return text
