"""Parsing of the values managers type: decimals with spaces or commas, percentages, digit strings, dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u00a0\u202f']+")  # ' is the Swiss thousands separator Excel may paste
_PERCENT = re.compile(r"\s*%\s*$")
_ROUBLES = re.compile(r"\s*(руб\.?|р\.|₽)\s*$", re.IGNORECASE)
MAX_NUMBER_CHARS = 40  # «1 000 000 000 000,00» has 20; anything far longer is not a typed amount
# Excel's day 0 is 1899-12-30 (it counts the non-existent 29 February 1900)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_SHAPES = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), ("d", "m", "y")),
)
_MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                    "сентября", "октября", "ноября", "декабря")
_MONTHS_PREPOSITIONAL = ("январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе",
                         "сентябре", "октябре", "ноябре", "декабре")


class TooLong(ValueError):
    """A number written with more characters than any amount a person types."""


class NoSuchDate(ValueError):
    """A date of the right shape that is not in the calendar: 31.11.2026, 2026-02-30."""

    def __init__(self, text: str, reason: str):
        super().__init__(text)
        self.reason = reason


def parse_decimal(value: object, *, percent: bool = False, money: bool = False) -> Decimal:
    """A Decimal from 1500, 1500.5, "1500.50", "1 500,50" (and "30 %" for a percentage,
    "1 500 руб." for money); ValueError otherwise, TooLong for a string no one types."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = _decimal_text(str(value))
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        result = _decimal_text(_strip_unit(value, percent=percent, money=money))
    else:
        raise ValueError(value)
    if not result.is_finite():
        raise ValueError(value)
    return result


def _strip_unit(text: str, *, percent: bool, money: bool) -> str:
    if percent:
        text = _PERCENT.sub("", text)
    if money:
        text = _ROUBLES.sub("", text)
    return text


def _decimal_text(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise TooLong(text[:MAX_NUMBER_CHARS])
    text = _SPACES.sub("", text).replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


def decimals(value: Decimal) -> int:
    """How many digits after the point the value really has: 85000.00 → 0, 0.015 → 3 (no context needed,
    so 1E+999999999 costs nothing)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return 0
    significant = "".join(map(str, digits)).rstrip("0")
    return max(0, -(exponent + len(digits) - len(significant)))


def parse_digits(value: object) -> str:
    """A digit string from "5027 012348" or an unquoted YAML/JSON number; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # a number cell of an old card: 5027012348.0
    if isinstance(value, str) and len(value) <= MAX_NUMBER_CHARS:
        text = _SPACES.sub("", value)
        if text.isascii() and text.isdigit():
            return text
    raise ValueError(value)


def parse_date(value: object) -> dt.date:
    """A date from a YAML date, "2026-11-20", "20.11.2026" or an Excel day number;
    NoSuchDate for a well-shaped date the calendar lacks, ValueError for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _excel_day(value)
    if isinstance(value, str) and len(value) <= MAX_NUMBER_CHARS:
        text = value.strip().rstrip("г. ").strip()
        for shape, order in _DATE_SHAPES:
            match = shape.fullmatch(text)
            if match:
                parts = dict(zip(order, (int(g) for g in match.groups())))
                return _calendar_date(text, parts["y"], parts["m"], parts["d"])
    raise ValueError(value)


def _excel_day(number: float) -> dt.date:
    """An Excel date typed into a cell that is not formatted as a date: 46346 → 2026-11-20."""
    if not 1 <= number <= 2_958_465 or number != int(number):  # 9999-12-31 is Excel's last day
        raise ValueError(number)
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


def _calendar_date(text: str, year: int, month: int, day: int) -> dt.date:
    if not 1 <= month <= 12:
        raise NoSuchDate(text, f"месяца {month} не бывает (месяцы — от 1 до 12)")
    try:
        return dt.date(year, month, day)
    except ValueError:
        pass
    if year < 1:
        raise NoSuchDate(text, "года 0 не бывает")
    last = calendar.monthrange(year, month)[1]
    if day == 0 or day > 31:
        raise NoSuchDate(text, f"дня {day} не бывает")
    if month == 2 and day == 29:
        raise NoSuchDate(text, f"{year} — не високосный год, в феврале {last} дней")
    raise NoSuchDate(text, f"{day} {_MONTHS_GENITIVE[month - 1]} не бывает: "
                           f"в {_MONTHS_PREPOSITIONAL[month - 1]} {last} дней")
