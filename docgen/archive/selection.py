"""Which deals an export takes: one deal, one client's deals, or the deals accepted within a period."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from docgen.errors import ArchiveError
from docgen.store import DealRow, Store

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
_INN = re.compile(r"\d{10}|\d{12}")


class By(StrEnum):
    DEAL = "deal"
    CLIENT = "client"
    PERIOD = "period"


@dataclass(frozen=True)
class Selector:
    """Exactly one of: a deal number, a client's ИНН, or a period of acceptance dates (both ends included)."""

    by: By
    deal: str = ""
    inn: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    def describe(self) -> str:
        if self.by is By.DEAL:
            return f"сделка {self.deal}"
        if self.by is By.CLIENT:
            return f"клиент ИНН {self.inn}"
        return f"сделки, принятые с {self.start:%d.%m.%Y} по {self.end:%d.%m.%Y}"

    def as_json(self) -> dict[str, Any]:
        if self.by is By.DEAL:
            return {"by": str(self.by), "deal": self.deal}
        if self.by is By.CLIENT:
            return {"by": str(self.by), "inn": self.inn}
        return {"by": str(self.by), "from": self.start.isoformat(), "to": self.end.isoformat(),
                "date": "created_at"}


def parse_date(text: str) -> dt.date:
    """YYYY-MM-DD or DD.MM.YYYY; ValueError with a Russian message otherwise."""
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"дата «{text}» не распознана: нужна ГГГГ-ММ-ДД или ДД.ММ.ГГГГ")


def valid_inn(text: str) -> bool:
    return bool(_INN.fullmatch(text))


def select(store: Store, selector: Selector) -> list[DealRow]:
    """The deals the selector names, by number; a selection with nothing in it is an error, not an empty archive."""
    if selector.by is By.DEAL:
        return [store.deal(selector.deal)]
    if selector.by is By.CLIENT:
        rows = store.deals(where="buyer_inn = ?", params=(selector.inn,))
        if not rows:
            raise ArchiveError(f"у клиента с ИНН {selector.inn} нет сделок в docgen: выгружать нечего")
        return rows
    # The acceptance date (deals.created_at) never changes, unlike the contract date of a later version.
    rows = store.deals(where="substr(created_at, 1, 10) BETWEEN ? AND ?",
                       params=(selector.start.isoformat(), selector.end.isoformat()))
    if not rows:
        raise ArchiveError(f"нет сделок, принятых с {selector.start:%d.%m.%Y} по {selector.end:%d.%m.%Y}: "
                           "выгружать нечего")
    return rows

