"""Template filters: money, sums in words, Russian dates, genitive case, initials, VAT, gender agreement."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from docgen.form.money import format_money, money_words

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
_PATRONYMIC_TAILS = ("оглы", "кызы", "улы", "уулу")


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
    """2026-11-26 → «26» ноября 2026 г."""
    if value is None:
        return DASH
    return f"«{value.day:02d}» {MONTHS_GENITIVE[value.month - 1]} {value.year}{NBSP}г."


def date_short(value: dt.date | dt.datetime | None) -> str:
    """2026-11-26 → 26.11.2026."""
    return DASH if value is None else value.strftime("%d.%m.%Y")


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
    """«в т.ч. НДС 22 %» (with the amount when given), or «НДС не облагается» when the rate is None."""
    if rate is None or rate == "":
        return "НДС не облагается"
    text = f"в т.ч. НДС {percent(rate)}{NBSP}%"
    if amount is not None:
        text += f" — {money(amount)} рублей"
    return text


def _name_parts(name: str) -> list[str]:
    return str(name).split()


def initials(name: Any) -> str:
    """«Иванов Иван Иванович» → «И. И. Иванов»; what is not a full name («Отдел продаж») is left as it is."""
    parts = [p for p in _name_parts(name) if p.lower() not in _PATRONYMIC_TAILS]
    if len(parts) < 2 or not looks_like_person(name):
        return str(name).strip()
    letters = NBSP.join(f"{p[0].upper()}." for p in parts[1:3])
    return f"{letters}{NBSP}{parts[0]}"


@functools.cache
def _petrovich() -> tuple[Any, Any]:
    from pytrovich.detector import PetrovichGenderDetector
    from pytrovich.maker import PetrovichDeclinationMaker

    return PetrovichDeclinationMaker(), PetrovichGenderDetector()


@functools.cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=4096)  # names repeat on every document; inflecting them is not free
def gender(name: Any) -> str:
    """«male» or «female» by the patronymic and first name (pytrovich's detector); male when unsure."""
    from pytrovich.enums import Gender

    parts = _name_parts(name)
    if len(parts) < 2:
        return "male"
    _, detector = _petrovich()
    found = detector.detect(
        lastname=parts[0], firstname=parts[1], middlename=parts[2] if len(parts) > 2 else None
    )
    return "female" if found == Gender.FEMALE else "male"


def acting(name: Any, case: str = "gent") -> str:
    """«действующего»/«действующей» for the signatory (case='nomn': «действующий»/«действующая»)."""
    female = gender(name) == "female"
    if case == "nomn":
        return "действующая" if female else "действующий"
    return "действующей" if female else "действующего"


def named(party_name: Any, signatory: Any = None) -> str:
    """«именуемое» for an ООО/АО, «именуемый»/«именуемая» for an entrepreneur by the signatory's gender."""
    text = str(party_name).strip().lower()
    if text.startswith(("ип ", "индивидуальный предприниматель")):
        return "именуемая" if signatory and gender(signatory) == "female" else "именуемый"
    if text.startswith(("компания", "корпорация", "фирма", "ассоциация")):
        return "именуемая"
    if text.startswith(("фонд", "кооператив", "союз", "концерн")):
        return "именуемый"
    return "именуемое"


@functools.lru_cache(maxsize=4096)  # names repeat on every document; inflecting them is not free
def genitive_name(name: Any) -> str:
    """«Иванов Иван Иванович» → «Иванова Ивана Ивановича» (gender detected from the name itself)."""
    from pytrovich.enums import Case, Gender, NamePart

    parts = _name_parts(name)
    if not parts:
        return ""
    maker, _ = _petrovich()
    sex = Gender.FEMALE if gender(name) == "female" else Gender.MALE
    order = (NamePart.LASTNAME, NamePart.FIRSTNAME, NamePart.MIDDLENAME)
    out = []
    for i, part in enumerate(parts):
        if i < 3 and part.lower() not in _PATRONYMIC_TAILS:
            part = maker.make(order[i], sex, Case.GENITIVE, part)
        out.append(part)
    return " ".join(out)


@functools.lru_cache(maxsize=4096)  # names repeat on every document; inflecting them is not free
def genitive_position(position: Any) -> str:
    """«Генеральный директор» → «Генерального директора»: the leading adjectives and the head noun
    are inflected, the rest («по развитию», «филиала») is kept; unknown words stay as written."""
    out: list[str] = []
    done = False
    for word in str(position).split(" "):
        parse = None if done else _nominative_parse(word)
        if parse is None:
            done = done or bool(word)
            out.append(word)
            continue
        out.append(_inflected(word, parse))
        done = parse.tag.POS == "NOUN"
    return " ".join(out)


def _nominative_parse(word: str) -> Any:
    bare = word.rstrip(",.")
    if not bare:
        return None
    for parse in _morph().parse(bare):
        if parse.tag.case == "nomn" and parse.tag.POS in {"ADJF", "PRTF", "NOUN"}:
            return parse
    return None


def _inflected(word: str, parse: Any) -> str:
    bare = word.rstrip(",.")
    new = parse.inflect({"gent"})
    return word if new is None else _same_case(bare, new.word) + word[len(bare):]


def _same_case(original: str, new: str) -> str:
    if len(original) > 1 and original.isupper():
        return new.upper()
    pieces = new.split("-")
    originals = original.split("-")
    if len(pieces) == len(originals):
        return "-".join(_cap_like(o, p) for o, p in zip(originals, pieces))
    return _cap_like(original, new)


def _cap_like(original: str, new: str) -> str:
    return new[:1].upper() + new[1:] if original[:1].isupper() else new


@functools.lru_cache(maxsize=4096)  # names repeat on every document; inflecting them is not free
def looks_like_person(value: Any) -> bool:
    """A full name rather than a position: capitalised words, one of them a first name or patronymic."""
    parts = _name_parts(value)
    if not 2 <= len(parts) <= 4 or not all(p[:1].isupper() for p in parts[:2]):
        return False
    tags = {"Name", "Patr", "Surn"}
    return any(tags & set(str(p.tag).replace(" ", ",").split(",")) for w in parts for p in _morph().parse(w)[:2])


def genitive(value: Any, kind: str | None = None) -> str:
    """A full name (pytrovich) or a position (pymorphy3) in the genitive; kind='name'|'position' to force."""
    if value is None:
        return ""
    if kind == "name" or (kind is None and looks_like_person(value)):
        return genitive_name(value)
    return genitive_position(value)


def capfirst(value: Any) -> str:
    """«предоплата» → «Предоплата», leaving the rest of the text alone (unlike Jinja's capitalize)."""
    text = str(value)
    return text[:1].upper() + text[1:]


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "words": words,
    "number": number,
    "percent": percent,
    "date_ru": date_ru,
    "date_short": date_short,
    "datetime_ru": datetime_ru,
    "days": days,
    "vat": vat,
    "initials": initials,
    "genitive": genitive,
    "acting": acting,
    "named": named,
    "capfirst": capfirst,
}
