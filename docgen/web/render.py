"""How values look on the board's pages: money, dates and times, sizes, digests (Jinja filters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import jinja2

from docgen.form.money import format_money
from docgen.render.filters import number


def money(value: object) -> str:
    try:
        return format_money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def when(value: object) -> str:
    """'2026-11-26T14:05:09+03:00' → '26.11.2026 14:05'."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return moment.strftime("%d.%m.%Y %H:%M")


def day(value: object) -> str:
    """'2026-11-26' (or a moment) → '26.11.2026'."""
    try:
        return dt.date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value or "")


def size(value: int) -> str:
    if value < 1024:
        return f"{value} Б"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} КБ"
    return f"{value / 1024 / 1024:.1f} МБ".replace(".", ",")


def short(value: object, length: int = 12) -> str:
    return str(value or "")[:length]


def cell(value: object) -> str:
    """A register cell: a moment, a date, a sum, or text; nothing for an empty one."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return money(value)
    return str(value)


def add_filters(env: jinja2.Environment) -> None:
    env.filters.update(money=money, when=when, day=day, size=size, short=short, number=number, cell=cell)
    env.tests["float"] = lambda value: isinstance(value, float)
    env.autoescape = True
