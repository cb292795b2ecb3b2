"""Money of a deal: line amounts, VAT by date, totals, payment amounts and sums in words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

KOPECK = Decimal("0.01")


def kopecks(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    """2023980 -> '2 023 980,00' (thousands separated by a no-break space)."""
    text = f"{kopecks(value):,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def money_words(value: Decimal) -> str:
    """'два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек'; under a rouble,
    the kopecks alone, in words: 'шестьдесят одна копейка' (never «ноль рублей 61 копейка»)."""
    value = kopecks(value)
    rubles = int(value)
    cents = int((value - rubles) * 100)
    if rubles == 0 and cents:
        return f"{num2words(cents, lang='ru', gender='f')} {_kopeck_word(cents)}"
    # num2words wants a Decimal for exactness; kopecks are written as figures, as accounts do.
    words = num2words(Decimal(rubles), lang="ru", to="currency", currency="RUB", cents=False)
    words = words.rsplit(",", 1)[0]
    return f"{words} {cents:02d} {_kopeck_word(cents)}"


def money_in_full(value: Decimal) -> str:
    """'2 023 980,00 руб. (два миллиона … рублей 00 копеек)': a sum in a clause, figures then words."""
    return f"{format_money(value)}\u00a0руб. ({money_words(value)})"


def _kopeck_word(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "копейка"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "копейки"
    return "копеек"


@dataclass(frozen=True)
class Line:
    number: int
    name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Installment:
    number: int
    share: Decimal
    kind: str
    due_days: int
    after: str
    amount: Decimal

    @property
    def before_production(self) -> bool:
        """Due before production starts: a prepayment, or any payment counted from signing."""
        return self.kind == "prepayment" or self.after == "signing"


@dataclass(frozen=True)
class Totals:
    lines: tuple[Line, ...]
    vat_rate: Decimal | None  # None: «без НДС»
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    installments: tuple[Installment, ...]

    @property
    def total_words(self) -> str:
        return money_words(self.total)

    @property
    def vat_words(self) -> str:
        return money_words(self.vat)


def compute_totals(items, payments, *, vat_rate: Decimal | None) -> Totals:
    """Totals of a specification and the amount of each payment; the last payment takes the remainder."""
    lines = tuple(
        Line(i, it.name, it.unit, it.quantity, it.unit_price, kopecks(it.quantity * it.unit_price))
        for i, it in enumerate(items, start=1)
    )
    subtotal = sum((ln.amount for ln in lines), Decimal("0.00"))
    vat = kopecks(subtotal * vat_rate / 100) if vat_rate is not None else Decimal("0.00")
    total = subtotal + vat
    installments: list[Installment] = []
    paid = Decimal("0.00")
    for i, p in enumerate(payments, start=1):
        amount = total - paid if i == len(payments) else kopecks(total * p.share / 100)
        paid += amount
        installments.append(Installment(i, p.share, str(p.kind), p.due_days, str(p.after), amount))
    return Totals(lines, vat_rate, subtotal, vat, total, tuple(installments))


def vat_rate_for(form_rate, *, table_rate: Decimal) -> Decimal | None:
    """The form's rate if given («без НДС» → None), else the rate in force."""
    if form_rate is None:
        return table_rate
    if isinstance(form_rate, str):
        return None
    return form_rate
