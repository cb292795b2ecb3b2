"""The obligations in the terminal: a cell of the status table, the lines of `status DEAL` (from status items)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rich.text import Text

from docgen.form.money import format_money
from docgen.obligations.events import EVENT_TITLES, EventKind


def _money(value: str) -> str:
    return format_money(Decimal(value)).replace("\u00a0", " ")


def _day(value: str | None) -> str:
    return f"{dt.date.fromisoformat(value):%d.%m.%Y}" if value else "—"


def obligations_cell(item: dict[str, Any]) -> Text:
    """«ПРОСРОЧКА: платёж 1, 6 дн.» in red; else the next due date; '' before signing."""
    late = [o for o in item.get("obligations", []) if o["overdue"]]
    if late:
        parts = [("поставка" if o["kind"] == "delivery" else f"платёж {o['number']}") + f", {o['overdue_days']} дн."
                 for o in late]
        return Text("ПРОСРОЧКА: " + "; ".join(parts), style="bold red")
    if item.get("next_due"):
        return Text(f"срок {_day(item['next_due'])}")
    waiting = [o for o in item.get("obligations", []) if o["waits_for_title"] and Decimal(o["outstanding"]) > 0]
    return Text(f"ждёт {waiting[0]['waits_for_title']}" if waiting else "")


def deal_lines(item: dict[str, Any]) -> list[str]:
    """The obligations and the events of one deal, for `docgen status DEAL`."""
    if not item.get("obligations"):
        return []
    lines = ["Обязательства после подписания:"]
    for o in item["obligations"]:
        due = _day(o["due"]) if o["due"] else f"ждёт {o['waits_for_title']}"
        done = "поставлено" if o["kind"] == "delivery" else "оплачено"
        line = f"  {o['title']}: {_money(o['amount'])} руб., срок {due}, {done} {_money(o['paid'])}"
        if o["overdue"]:
            line += f" — ПРОСРОЧКА {o['overdue_days']} дн., пеня {_money(o['penalty'])}"
        elif Decimal(o["penalty"]):
            line += f" (с опозданием {o['overdue_days']} дн., пеня {_money(o['penalty'])})"
        lines.append(line)
    if item.get("events"):
        lines.append("Записи (номер — для исправления: docgen record СДЕЛКА correction --event N):")
        cancelled = {e["reverses"] for e in item["events"] if e["reverses"]}
        for e in item["events"]:
            lines.append("  " + _event_line(e, cancelled=e["id"] in cancelled))
    return lines


def _event_line(e: dict[str, Any], *, cancelled: bool) -> str:
    kind = EventKind(e["kind"])
    if kind is EventKind.CORRECTION:
        what = f"исправление: отменена запись № {e['reverses']}"
    else:
        money = f" {_money(e['amount'])} руб." if e["amount"] else ""
        what = f"{EVENT_TITLES[kind]}{money} от {_day(e['day'])}" + (f", {e['doc']}" if e["doc"] else "")
    note = f" — {e['comment']}" if e["comment"] and kind is EventKind.CORRECTION else ""
    mark = " [отменена]" if cancelled else ""
    when = e["recorded_at"][:16].replace("T", " ")
    return f"№ {e['id']}: {what}{mark}{note} (записал {e['who']}, {e['source']}, {when})"
