"""Bank statements in the 1CClientBankExchange format, as Russian bank clients export them (pure).

Text lines `Key=Value`, Windows-1251 (sometimes UTF-8, rarely DOS/cp866), CRLF. The file opens
with `1CClientBankExchange` and ends with `КонецФайла`; header keys come first, account sections
`СекцияРасчСчет … КонецРасчСчет` give balances, each payment is `СекцияДокумент=<kind> …
КонецДокумента`. An incoming payment carries `ДатаПоступило` (some exports write `Поступило`),
an outgoing one `ДатаСписано`. A statement that breaks these rules is refused as a whole, naming the
line, so a half-exported file never records half its payments.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from docgen.errors import StatementInvalid
from docgen.form.money import kopecks

MAGIC = "1CClientBankExchange"
END_OF_FILE = "КонецФайла"
ACCOUNT_START, ACCOUNT_END = "СекцияРасчСчет", "КонецРасчСчет"
DOCUMENT_START, DOCUMENT_END = "СекцияДокумент", "КонецДокумента"
_LINES = re.compile(r"\r\n|\n|\r")
_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")


@dataclass(frozen=True)
class Document:
    """One payment document of a statement; `lines` maps each key to the line it stands on.
    (Its derived values are cached: a statement of thousands of payments asks each several times.)"""

    line: int                  # СекцияДокумент=…
    end: int                   # КонецДокумента
    kind: str
    fields: dict[str, str]
    lines: dict[str, int] = field(repr=False, compare=False)
    number: str
    date: dt.date
    amount: Decimal
    received: dt.date | None   # ДатаПоступило: money came in on this day
    written_off: dt.date | None

    def get(self, *keys: str) -> str:
        """The first non-empty value among `keys`."""
        return next((self.fields[k].strip() for k in keys if self.fields.get(k, "").strip()), "")

    @functools.cached_property
    def payer_inn(self) -> str:
        return self.get("ПлательщикИНН")

    @functools.cached_property
    def payer(self) -> str:
        return self.get("Плательщик1", "Плательщик")

    @functools.cached_property
    def payer_account(self) -> str:
        return self.get("ПлательщикСчет", "ПлательщикРасчСчет")

    @functools.cached_property
    def recipient_account(self) -> str:
        return self.get("ПолучательСчет", "ПолучательРасчСчет")

    @functools.cached_property
    def recipient_inn(self) -> str:
        return self.get("ПолучательИНН")

    @functools.cached_property
    def purpose(self) -> str:
        return self.get("НазначениеПлатежа")

    @functools.cached_property
    def day(self) -> dt.date:
        """The day the money arrived (the document's own date when the bank did not say)."""
        return self.received or self.date

    @functools.cached_property
    def identity(self) -> str:
        """The same payment in two statements (overlapping periods, the same file twice) has one identity."""
        parts = (self.payer_account or self.payer_inn, self.number, self.date.isoformat(), f"{self.amount:f}",
                 self.recipient_account)
        return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Statement:
    header: dict[str, str]
    accounts: tuple[str, ...]   # every РасчСчет the statement is for
    documents: tuple[Document, ...]
    encoding: str
    head_lines: int             # the header and account sections: the lines before the first document


class Excerpts:
    """A statement cut down to some of its documents: its header, their sections and КонецФайла — the bank's
    lines unchanged, in its encoding. What a deal's dossier keeps of a statement that may touch thousands of
    deals; the file is decoded once for all of them."""

    def __init__(self, data: bytes, *, head_lines: int):
        text, self.encoding = decode(data)
        self.lines = _LINES.split(text)
        self.head = self.lines[:head_lines]

    def of(self, spans: list[tuple[int, int]]) -> bytes:
        """The excerpt with the documents whose first and last lines are `spans`."""
        kept = list(self.head)
        for first, last in spans:
            kept += self.lines[first - 1:last]
        kept.append(END_OF_FILE)
        return ("\r\n".join(kept) + "\r\n").encode(self.encoding)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when it is valid UTF-8, else Windows-1251 (DOS/cp866 if the header says so)."""
    if b"\x00" in data:
        raise StatementInvalid("это не текстовый файл (двоичные данные), а не выписка 1CClientBankExchange")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if "Кодировка=DOS".encode("cp866") in data:
        return data.decode("cp866"), "cp866"
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        raise StatementInvalid("файл не читается ни в кодировке Windows-1251, ни в UTF-8") from None


def parse(data: bytes) -> Statement:
    """The statement in `data`; StatementInvalid names the first line that breaks the format."""
    text, encoding = decode(data)
    return _Parser(_LINES.split(text), encoding).run()


class _Parser:
    def __init__(self, lines: list[str], encoding: str):
        self.lines = lines
        self.encoding = encoding
        self.header: dict[str, str] = {}
        self.accounts: list[str] = []
        self.documents: list[Document] = []
        self.head_lines = 0

    def run(self) -> Statement:
        numbered = [(n, stripped) for n, line in enumerate(self.lines, start=1) if (stripped := line.strip())]
        if not numbered or numbered[0][1].lstrip("\ufeff") != MAGIC:
            where = numbered[0][0] if numbered else 1
            raise StatementInvalid(f"файл должен начинаться строкой «{MAGIC}»: это не выписка в формате 1С",
                                   line=where)
        rest = iter(numbered[1:])
        for n, line in rest:
            if line == END_OF_FILE:
                return self._finish(n, rest)
            if line == ACCOUNT_START:
                fields, _ = self._section(n, rest, end=ACCOUNT_END, title="раздел счёта СекцияРасчСчет")
                if fields.get("РасчСчет"):
                    self.accounts.append(fields["РасчСчет"])
            elif line.split("=", 1)[0] == DOCUMENT_START:
                self.head_lines = self.head_lines or n - 1
                kind = line.split("=", 1)[1].strip() if "=" in line else ""
                fields, where = self._section(n, rest, end=DOCUMENT_END, title=f"документ «{kind or '—'}»")
                self.documents.append(_document(n, kind, fields, where))
            else:
                key, value = _pair(n, line, *line.partition("="))
                self.header[key] = value
                if key == "РасчСчет" and value:
                    self.accounts.append(value)
        last = numbered[-1][0]
        raise StatementInvalid(f"файл обрывается: нет завершающей строки «{END_OF_FILE}» "
                               "(выписка выгружена не полностью?)", line=last)

    def _section(self, start: int, rest, *, end: str, title: str) -> tuple[dict[str, str], dict[str, int]]:
        fields: dict[str, str] = {}
        where: dict[str, int] = {}
        for n, line in rest:  # the hot loop of a statement of thousands of payments: one partition a line
            key, sep, value = line.partition("=")
            if not sep:
                if line == end:
                    where[end] = n
                    return fields, where
                if line in (END_OF_FILE, ACCOUNT_START, DOCUMENT_START):
                    raise StatementInvalid(f"{title} со строки {start} не закрыт строкой «{end}»", line=n)
            elif key == DOCUMENT_START:
                raise StatementInvalid(f"{title} со строки {start} не закрыт строкой «{end}»", line=n)
            key, value = _pair(n, line, key, sep, value)
            fields[key], where[key] = value, n
        raise StatementInvalid(f"{title} со строки {start} не закрыт строкой «{end}»: файл обрывается",
                               line=start)

    def _finish(self, n: int, rest) -> Statement:
        for later, line in rest:
            raise StatementInvalid(f"после «{END_OF_FILE}» (строка {n}) ещё есть строки: «{line[:60]}»",
                                   line=later)
        return Statement(header=self.header, accounts=tuple(dict.fromkeys(self.accounts)),
                         documents=tuple(self.documents), encoding=self.encoding, head_lines=self.head_lines or n - 1)


def _pair(n: int, line: str, key: str, sep: str, value: str) -> tuple[str, str]:
    """The key and value of a line already partitioned at its first «=»."""
    key = key.rstrip()
    if not sep or not key or " " in key:
        raise StatementInvalid(f"строка не вида «Ключ=Значение»: «{line[:80]}»", line=n)
    return key, value.lstrip()


def _document(n: int, kind: str, fields: dict[str, str], where: dict[str, int]) -> Document:
    for key in ("Номер", "Дата", "Сумма"):
        if not fields.get(key):
            raise StatementInvalid(f"в документе со строки {n} нет обязательного поля «{key}»", line=n)
    return Document(
        line=n, end=where[DOCUMENT_END], kind=kind, fields=fields, lines=where, number=fields["Номер"],
        date=_date(fields, "Дата", where), amount=_amount(fields, "Сумма", where),
        received=_date(fields, "ДатаПоступило", where) or _date(fields, "Поступило", where),
        written_off=_date(fields, "ДатаСписано", where) or _date(fields, "Списано", where))


def _date(fields: dict[str, str], key: str, where: dict[str, int]) -> dt.date | None:
    value = fields.get(key, "")
    if not value:
        return None
    found = _DATE.fullmatch(value)
    try:
        if found is None:
            raise ValueError(value)
        return dt.date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        raise StatementInvalid(f"«{key}={value}»: дата должна быть вида ДД.ММ.ГГГГ", line=where[key]) from None


def _amount(fields: dict[str, str], key: str, where: dict[str, int]) -> Decimal:
    value = fields[key]
    try:
        amount = Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0:
        raise StatementInvalid(f"«{key}={value}»: сумма должна быть положительным числом с точкой, "
                               "например 15000.00", line=where[key])
    return kopecks(amount)
