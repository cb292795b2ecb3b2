"""Russian names and positions in documents: gender, cases, initials, «именуемое», «действующего».

Full names are declined by pytrovich (rules for surnames, first names and patronymics), positions
by pymorphy3 (a dictionary). A word typed in capitals («ИВАНОВ») is declined as a name and given
back in capitals («ИВАНОВА»); initials are always written «И. И. Иванов».
"""

from __future__ import annotations

import functools
import re
from typing import Any

NBSP = "\u00a0"
# Turkic patronymic tails: «Рашид оглы» keeps the tail and the father's name as they are.
_PATRONYMIC_TAILS = ("оглы", "кызы", "улы", "уулу")
CASES = {"gent": "GENITIVE", "datv": "DATIVE"}
# A compound position: «Генеральный директор — главный инженер», «Директор - главный бухгалтер».
_POSITION_JOINS = re.compile(r"(\s+[—–-]\s+|\s*[—–]\s*)")


def _parts(name: Any) -> list[str]:
    return str(name).split()


def _titled(word: str) -> str:
    """«ИВАНОВ» → «Иванов», «ПЕТРОВА-ВОДКИНА» → «Петрова-Водкина»; other words as they are."""
    if len(word) > 1 and word.isupper():
        return "-".join(piece.capitalize() for piece in word.split("-"))
    return word


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

    parts = [_titled(p) for p in _parts(name)]
    if len(parts) < 2:
        return "male"
    _, detector = _petrovich()
    found = detector.detect(
        lastname=parts[0], firstname=parts[1], middlename=parts[2] if len(parts) > 2 else None
    )
    return "female" if found == Gender.FEMALE else "male"


@functools.lru_cache(maxsize=4096)
def inflect_name(name: Any, case: str = "gent") -> str:
    """«Иванов Иван Иванович» → «Иванова Ивана Ивановича» (case 'gent') or «Иванову Ивану Ивановичу» ('datv')."""
    from pytrovich.enums import Case, Gender, NamePart

    parts = _parts(name)
    if not parts:
        return ""
    maker, _ = _petrovich()
    sex = Gender.FEMALE if gender(name) == "female" else Gender.MALE
    order = (NamePart.LASTNAME, NamePart.FIRSTNAME, NamePart.MIDDLENAME)
    out = []
    for i, part in enumerate(parts):
        if i < 3 and part.lower() not in _PATRONYMIC_TAILS:
            declined = maker.make(order[i], sex, getattr(Case, CASES[case]), _titled(part))
            part = declined.upper() if _titled(part) != part else declined
        out.append(part)
    return " ".join(out)


def genitive_name(name: Any) -> str:
    """«Иванов Иван Иванович» → «Иванова Ивана Ивановича» (gender detected from the name itself)."""
    return inflect_name(name, "gent")


def initials(name: Any) -> str:
    """«Иванов Иван Иванович» (or «ИВАНОВ Иван Иванович») → «И. И. Иванов»; what is not a full name
    («Отдел продаж») is left as it is."""
    parts = [p for p in _parts(name) if p.lower() not in _PATRONYMIC_TAILS]
    if len(parts) < 2 or not looks_like_person(name):
        return str(name).strip()
    letters = NBSP.join(f"{p[0].upper()}." for p in parts[1:3])
    return f"{letters}{NBSP}{_titled(parts[0])}"


def first_names(name: Any) -> str:
    """«Иванов Иван Иванович» → «Иван Иванович», for «Уважаемый Иван Иванович!»."""
    parts = _parts(name)
    return " ".join(_titled(p) for p in parts[1:]) if len(parts) > 1 else str(name).strip()


@functools.lru_cache(maxsize=4096)
def inflect_position(position: Any, case: str = "gent") -> str:
    """«Генеральный директор» → «Генерального директора»: the leading adjectives and the head noun of each
    part of a compound («… — главный инженер») are inflected, the rest («по развитию», «филиала») kept;
    unknown words stay as written."""
    pieces = _POSITION_JOINS.split(str(position))
    return "".join(piece if i % 2 else _inflect_phrase(piece, case) for i, piece in enumerate(pieces))


def genitive_position(position: Any) -> str:
    return inflect_position(position, "gent")


def _inflect_phrase(phrase: str, case: str) -> str:
    out: list[str] = []
    done = False
    words = phrase.split(" ")
    for i, word in enumerate(words):
        if not done and "-" in word.strip("-"):
            head, _, rest = word.partition("-")
            parse = _nominative_parse(head)
            if parse is not None and parse.tag.POS == "NOUN" and _nominative_parse(rest) is not None:
                # «директор-главный бухгалтер»: two positions joined by a hyphen
                tail = _inflect_phrase(" ".join([rest, *words[i + 1:]]), case)
                return " ".join([*out, f"{_inflected(head, parse, case)}-{tail}"])
        parse = None if done else _nominative_parse(word)
        if parse is None:
            done = done or bool(word)
            out.append(word)
            continue
        out.append(_inflected(word, parse, case))
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


def _inflected(word: str, parse: Any, case: str) -> str:
    bare = word.rstrip(",.")
    new = parse.inflect({case})
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


@functools.lru_cache(maxsize=4096)
def looks_like_person(value: Any) -> bool:
    """A full name rather than a position: capitalised words, one of them a first name or patronymic."""
    parts = [_titled(p) for p in _parts(value)]
    if not 2 <= len(parts) <= 4 or not all(p[:1].isupper() for p in parts[:2]):
        return False
    tags = {"Name", "Patr", "Surn"}
    return any(tags & set(str(p.tag).replace(" ", ",").split(",")) for w in parts for p in _morph().parse(w)[:2])


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


def genitive(value: Any, kind: str | None = None) -> str:
    """A full name (pytrovich) or a position (pymorphy3) in the genitive; kind='name'|'position' to force."""
    return _inflect(value, "gent", kind)


def dative(value: Any, kind: str | None = None) -> str:
    """The same in the dative: «Генеральному директору», «Иванову Ивану Ивановичу»."""
    return _inflect(value, "datv", kind)


def _inflect(value: Any, case: str, kind: str | None) -> str:
    if value is None:
        return ""
    if kind == "name" or (kind is None and looks_like_person(value)):
        return inflect_name(value, case)
    return inflect_position(value, case)
