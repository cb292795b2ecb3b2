"""Recipients from "Имя <addr>" strings and header-safe text: parsed, never concatenated."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import getaddresses

# An entry ending in its only "<addr>" is one recipient, whatever commas or colons its unquoted
# display name holds: «Иванов, Иван <ivanov@x.ru>» must not become two recipients.
_SINGLE = re.compile(r"^(?P<name>[^<>]*)<(?P<addr>[^<>]*)>$")
_SPACES = re.compile(r" {2,}")
# Control, format, private-use and line/paragraph separators: nothing a header may carry.
_BREAKING = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@dataclass(frozen=True)
class Recipients:
    """What a list of recipient strings parsed to: the good addresses and the entries that are not."""

    valid: tuple[Address, ...]
    invalid: tuple[str, ...]


def header_text(value: object) -> str:
    """`value` fit for a header: control characters (CR, LF, TAB, NUL…) become spaces, runs collapse."""
    text = "".join(" " if unicodedata.category(ch) in _BREAKING else ch for ch in str(value))
    # Only plain spaces collapse: the no-break spaces of «2 023 980,00» stay as the sum was written.
    return _SPACES.sub(" ", text).strip(" ")


def mailbox(name: str, addr: str) -> str:
    """The "Имя <addr>" string for a name and an address from a form, quoted where the name needs it."""
    address = _address(name, addr)
    return str(address) if address else header_text(addr)


_PATRONYMIC = ("вич", "вна", "чна", "ична", "оглы", "кызы", "улы", "уулу")


def greeting_name(entry: str) -> str:
    """How a letter addresses the person of «Петров Пётр Сергеевич <petrov@…>»: «Пётр Сергеевич» (the first
    name and patronymic of a full Russian name, as [people] and the form write it); '' for a name that is
    not a person's full name («Юрист Компании», «Технический отдел») or a bare address."""
    address = parse_address(entry)
    words = (address.display_name if address else "").split()
    if len(words) == 3 and words[2].lower().endswith(_PATRONYMIC) and words[1][:1].isupper():
        return f"{words[1]} {words[2]}"
    if len(words) == 4 and words[3].lower() in ("оглы", "кызы", "улы", "уулу"):
        return " ".join(words[1:])
    return ""


def greeting(recipients: Iterable[str]) -> str:
    """The first line of a letter: «Елена Викторовна, здравствуйте.» — each recipient by name when every
    one has a full name; «Здравствуйте.» when any of them is a department or a bare address."""
    names = [greeting_name(r) for r in recipients]
    if not names or not all(names):
        return "Здравствуйте."
    return f"{', '.join(dict.fromkeys(names))}, здравствуйте."


def parse_recipients(entries: Iterable[str]) -> Recipients:
    """Each entry may hold one or several addresses; invalid ones are reported, not dropped silently."""
    valid: list[Address] = []
    invalid: list[str] = []
    for entry in entries:
        good, bad = _parse_entry(header_text(entry))
        valid.extend(a for a in good if a not in valid)
        invalid.extend(bad)
    return Recipients(tuple(valid), tuple(invalid))


def parse_address(text: str) -> Address | None:
    """One address from "Имя <addr>", or None when it is not exactly one valid address."""
    good, bad = _parse_entry(header_text(text))
    return good[0] if len(good) == 1 and not bad else None


def _parse_entry(entry: str) -> tuple[list[Address], list[str]]:
    if not entry:
        return [], []
    pairs = getaddresses([entry])
    single = _SINGLE.match(entry)
    if single and len(pairs) != 1:
        pairs = [(single["name"].strip().strip('"').strip(), single["addr"])]
    parsed = [_address(name, addr) for name, addr in pairs]
    good = [a for a in parsed if a is not None]
    return good, ([] if good and len(good) == len(parsed) else [entry])


def _address(name: str, addr: str) -> Address | None:
    """An Address when `addr` is a plain ASCII user@domain (IDN domains punycoded); else None."""
    try:
        parsed = Address(addr_spec=addr.strip())
        if not parsed.username or not parsed.domain or not parsed.username.isascii():
            return None
        domain = parsed.domain.encode("idna").decode("ascii")
        return Address(display_name=header_text(name), username=parsed.username, domain=domain)
    except (ValueError, IndexError, UnicodeError, HeaderParseError):
        return None
