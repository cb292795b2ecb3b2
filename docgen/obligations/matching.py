"""Incoming payments of a bank statement matched to deals: the payer's ИНН and the deal number (pure).

A payment is ours when it comes to the Company's account from someone else. It belongs to the
deal whose number its purpose names («№ 2026-0001», «N2026-0001», «дог. 2026-0001») when that
deal is the payer's; with no number, to the payer's only signed deal that still owes money.
Anything else stays unmatched, with the reason finance reads in its letter.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from docgen.obligations.statement import Document, Statement


@dataclass
class Candidate:
    """A deal as matching sees it; `owed` goes down as the statement's payments are matched to it."""

    number: str
    inn: str
    signed: bool
    owed: Decimal


@dataclass(frozen=True)
class Match:
    document: Document
    deal: str | None
    how: str      # why it matched, or why not (the reason finance reads)

    @property
    def matched(self) -> bool:
        return self.deal is not None


def incoming(statement: Statement, *, account: str, company_inn: str) -> list[Document]:
    """Money that came to the Company's `account` from someone else (not a transfer between its own accounts)."""
    return [d for d in statement.documents
            if d.recipient_account == account and d.written_off is None and d.payer_inn != company_inn]


def number_pattern(pattern: str) -> re.Pattern[str]:
    """A regular expression for deal numbers made by the numbering pattern, e.g. '{year}-{seq:04d}'."""
    parts = []
    for literal, name, spec, _conv in string.Formatter().parse(pattern):
        chars = [re.escape(ch) for ch in literal if not ch.isspace()]
        if chars:
            parts.append(r"\s*" + r"\s*".join(chars) + r"\s*")
        if name:
            width = int(m.group(1)) if (m := re.search(r"(\d+)d$", spec or "")) else 1
            parts.append(rf"(?P<{name}>\d{{4}})" if name == "year" else rf"(?P<{name}>\d{{{width},9}})")
    return re.compile(r"(?<!\d)" + "".join(parts) + r"(?!\d)")


class DealIndex:
    """The deals by number and by the buyer's ИНН, and the numbers a purpose of payment names."""

    def __init__(self, candidates: Iterable[Candidate], *, pattern: str):
        self.regex = number_pattern(pattern)
        self.by_number = {c.number: c for c in candidates}
        self._spaceless = {_spaceless(n): n for n in self.by_number}
        self.by_inn: dict[str, list[Candidate]] = {}
        for c in self.by_number.values():
            self.by_inn.setdefault(c.inn, []).append(c)

    def numbers_in(self, text: str) -> list[str]:
        """Deal numbers `text` names, known deals only, in order («2026 - 0001» is «2026-0001»)."""
        found: list[str] = []
        for m in self.regex.finditer(text):
            number = self._spaceless.get(_spaceless(m.group(0)))
            if number is not None and number not in found:
                found.append(number)
        return found


def _spaceless(text: str) -> str:
    return "".join(text.split())


def match(document: Document, index: DealIndex) -> Match:
    """The deal of one incoming payment, or why there is none; a match lowers what that deal owes."""
    found = _choose(document, index)
    if found.deal is not None:
        index.by_number[found.deal].owed -= document.amount
    return found


def _choose(doc: Document, index: DealIndex) -> Match:
    inn = doc.payer_inn
    if not inn:
        return Match(doc, None, "в платеже нет ИНН плательщика")
    named = index.numbers_in(doc.purpose)
    own = [n for n in named if index.by_number[n].inn == inn]
    if len(own) == 1:
        return Match(doc, own[0], f"номер сделки {own[0]} в назначении платежа")
    if own:
        return Match(doc, None, f"в назначении платежа несколько сделок ({', '.join(own)}): "
                                "разнесите сумму по сделкам вручную")
    if named:
        other = index.by_number[named[0]]
        return Match(doc, None, f"в назначении платежа сделка {other.number}, но её покупатель — ИНН {other.inn}, "
                                f"а платит ИНН {inn}")
    deals = index.by_inn.get(inn, [])
    if not deals:
        return Match(doc, None, f"нет сделок с покупателем ИНН {inn}")
    open_ = [c for c in deals if c.signed and c.owed > 0]
    if len(open_) == 1:
        return Match(doc, open_[0].number, f"номера сделки в назначении нет; у покупателя одна подписанная "
                                           f"неоплаченная сделка {open_[0].number}")
    if not open_:
        return Match(doc, None, f"номера сделки в назначении нет, а у покупателя ИНН {inn} нет подписанных "
                                "сделок с неоплаченными платежами")
    listed = ", ".join(c.number for c in open_)
    return Match(doc, None, f"номера сделки в назначении нет, а у покупателя ИНН {inn} несколько "
                            f"неоплаченных сделок ({listed})")
