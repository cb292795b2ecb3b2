"""Parsing of the values managers type: decimals with spaces or commas, digit strings, dates."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_decimal(value: object) -> Decimal:
    """A Decimal from 1500, 1500.5, "1500.50", "1 500,50"; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = _SPACES.sub("", value).replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(value) from None
    else:
        raise ValueError(value)
    if not result.is_finite():
        raise ValueError(value)
    return result


def parse_digits(value: object) -> str:
    """A digit string from "5027 012348" or an unquoted YAML/JSON number; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = _SPACES.sub("", value)
        if text.isascii() and text.isdigit():
            return text
    raise ValueError(value)


def parse_date(value: object) -> dt.date:
    """A date from a YAML date, "2026-11-20" or "20.11.2026"; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise ValueError(value)
