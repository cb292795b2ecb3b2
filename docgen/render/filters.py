"""Template filters: money, sums in words, Russian dates, days, VAT; names and positions from `names`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from docgen.form.money import format_money, money_in_full, money_words
from docgen.render.names import acting, dative, first_names, genitive, initials, named

NBSP = "\u00a0"
DASH = "—"

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)
# «в течение N … дней» needs the genitive: 1, 21, 31 … take the singular.
_DAY_KINDS = {
    "рабочих": ("рабочего", "рабочих"),
    "банковских": ("банковского", "банковских"),
    "календарных": ("календарного", "календарных"),
}
# A date not known yet (a contract dated on signing): the blank a hand fills in.
BLANK_DATE_RU = f"«____»{NBSP}____________ 20___{NBSP}г."
BLANK_DATE_SHORT = "__.__.20__"


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).replace(NBSP, "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"не число: {value!r}") from None


def money(value: Any) -> str:
    """2023980 → «2 023 980,00» (thousands split by a no-break space)."""
    if value is None or value == "":
        return DASH
    return format_money(_decimal(value))


def rubles(value: Any) -> str:
    """2023980 → «2 023 980,00 руб. (два миллиона … рублей 00 копеек)»: a sum inside a clause."""
    if value is None or value == "":
        return DASH
    return money_in_full(_decimal(value))


def words(value: Any) -> str:
    """2023980 → «два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек»."""
    if value is None or value == "":
        return DASH
    return money_words(_decimal(value))


def number(value: Any) -> str:
    """Decimal("4.50") → «4,5», 1200 → «1 200»: no trailing zeros, a comma for the decimal point."""
    if value is None or value == "":
        return DASH
    amount = _decimal(value)
    text = f"{amount:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", NBSP).replace(".", ",")


def percent(value: Any) -> str:
    """A rate as written in a contract: 0.1 → «0,1», 22 → «22» (the «%» sign is the template's)."""
    return number(value)


def date_ru(value: dt.date | dt.datetime | None) -> str:
    """2026-11-26 → «26» ноября 2026 г.; None (not known yet) → «____» ____________ 20___ г."""
    if value is None:
        return BLANK_DATE_RU
    return f"«{value.day:02d}» {MONTHS_GENITIVE[value.month - 1]} {value.year}{NBSP}г."


def date_short(value: dt.date | dt.datetime | None) -> str:
    """2026-11-26 → 26.11.2026; None (not known yet) → __.__.20__."""
    return BLANK_DATE_SHORT if value is None else value.strftime("%d.%m.%Y")


def datetime_ru(value: dt.datetime | None) -> str:
    """A moment of a decision: 26.11.2026 14:05."""
    return DASH if value is None else value.strftime("%d.%m.%Y %H:%M")


def days(value: int, kind: str = "рабочих") -> str:
    """45 → «45 рабочих дней», 21 → «21 рабочего дня» (the genitive after «в течение»)."""
    singular, plural = _DAY_KINDS.get(kind, (kind, kind))
    n = int(value)
    if n % 10 == 1 and n % 100 != 11:
        return f"{n}{NBSP}{singular} дня"
    return f"{n}{NBSP}{plural} дней"


def vat(rate: Any, amount: Any = None) -> str:
    """«в т.ч. НДС 22 %», with the amount when given: «в т.ч. НДС 22 % — 364 980,00 руб. (…)»;
    «НДС не облагается» when there is no rate."""
    if rate is None or rate == "":
        return "НДС не облагается"
    text = f"в т.ч. НДС {percent(rate)}{NBSP}%"
    if amount is not None:
        text += f" — {rubles(amount)}"
    return text


def capfirst(value: Any) -> str:
    """«предоплата» → «Предоплата», leaving the rest of the text alone (unlike Jinja's capitalize)."""
    text = str(value)
    return text[:1].upper() + text[1:]


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "words": words,
    "rubles": rubles,
    "number": number,
    "percent": percent,
    "date_ru": date_ru,
    "date_short": date_short,
    "datetime_ru": datetime_ru,
    "days": days,
    "vat": vat,
    "initials": initials,
    "genitive": genitive,
    "dative": dative,
    "first_names": first_names,
    "acting": acting,
    "named": named,
    "capfirst": capfirst,
}
