"""What a text of the form may hold: no control or invisible characters, one alphabet per word of an address;
and how a value a person typed is shown back in a report (visible, short)."""

from __future__ import annotations

import unicodedata

# Categories no typed value needs: controls, invisible formatting (bidi, zero-width, BOM, soft hyphen),
# private use, lone surrogates, line and paragraph separators.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
_NAMES = {
    "\t": "табуляция",
    "\n": "перевод строки",
    "\r": "возврат каретки",
    "\u00ad": "мягкий перенос",
    "\u200b": "пробел нулевой ширины",
    "\u200c": "невидимый разделитель",
    "\u200d": "невидимый соединитель",
    "\u2060": "невидимый соединитель",
    "\ufeff": "невидимая метка BOM",
}
_BIDI = set("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def hidden_fault(value: str) -> str | None:
    """Why `value` cannot be taken as typed text (a control or invisible character), or None."""
    if value.isprintable():  # C speed for the usual case; it is False for no-break spaces too, hence the loop
        return None
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            what = "знак направления текста" if char in _BIDI else _NAMES.get(char, "невидимый служебный знак")
            if char in "\n\r":
                return (f"значение занимает несколько строк ({what} после {position - 1}-го знака): "
                        "запишите его в одну строку")
            return (f"в значении спрятан {what} (U+{ord(char):04X}, {position}-й знак) — "
                    "наберите значение заново вручную, не копируя его из другого документа")
    return None


def mixed_alphabet_word(text: str) -> str | None:
    """The first word of `text` mixing Latin and Cyrillic letters («аms» with a Russian «а»), or None."""
    for word in text.replace("@", ".").split("."):
        scripts = {_script(c) for c in word if c.isalpha()}
        if {"latin", "cyrillic"} <= scripts:
            return word
    return None


def cyrillic_letters(word: str) -> str:
    return "".join(dict.fromkeys(c for c in word if _script(c) == "cyrillic"))


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    if name.startswith("LATIN"):
        return "latin"
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    return "other"


def shown(value: object, *, limit: int = 60) -> str:
    """A value as a report quotes it: invisible characters made visible, long text cut."""
    text = value if isinstance(value, str) else _short_repr(value)
    visible = "".join(
        f"<U+{ord(c):04X}>" if unicodedata.category(c) in _HIDDEN_CATEGORIES else c for c in text[: limit * 2]
    )
    if len(visible) > limit or len(text) > limit * 2:
        return visible[:limit] + f"… (всего {len(text)} знаков)"
    return visible


def _short_repr(value: object) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, dict):
        return "{раздел}"
    if isinstance(value, list):
        return "[список]"
    if value is None:
        return "пусто"
    text = str(value)
    return text if len(text) < 200 else text[:200]
