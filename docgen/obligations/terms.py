"""What a signed contract promises after signing: each payment of its schedule and the delivery (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from docgen.form.deal import Deal
from docgen.form.labels import CHOICES
from docgen.form.money import Installment


class ObligationKind(StrEnum):
    PAYMENT = "payment"    # the buyer's
    DELIVERY = "delivery"  # the seller's


class Trigger(StrEnum):
    """The event a term is counted from (the form's `after`)."""

    SIGNING = "signing"
    PREPAYMENT = "prepayment"
    READINESS = "readiness"
    DELIVERY = "delivery"


# «срок ждёт …»: what a due date that is not known yet waits for, in the genitive.
WAITS_FOR_TITLES = {
    Trigger.SIGNING: "подписания договора",
    Trigger.PREPAYMENT: "поступления предоплаты",
    Trigger.READINESS: "уведомления о готовности",
    Trigger.DELIVERY: "поставки",
}


@dataclass(frozen=True)
class Term:
    """One obligation as the contract states it: pay or deliver `amount` within `days` after `after`."""

    kind: ObligationKind
    number: int
    title: str
    amount: Decimal
    days: int
    after: Trigger
    banking_days: bool          # payments: banking days; the delivery: working days (one calendar for both)
    before_production: bool     # a payment due before production starts
    penalty_rate: Decimal       # % of the overdue sum per day
    penalty_cap: Decimal        # % of the overdue sum at most

    @property
    def key(self) -> str:
        """'payment-1', 'delivery-1': stable names for notices and calendar entries."""
        return f"{self.kind}-{self.number}"


@dataclass(frozen=True)
class Contract:
    """The terms of one signed deal."""

    number: str
    total: Decimal
    payments: tuple[Term, ...]
    delivery: Term

    @property
    def terms(self) -> tuple[Term, ...]:
        return (*self.payments, self.delivery)


def before_production(item: Installment) -> bool:
    """A payment due before production may start: a prepayment, or anything due after signing.
    (The same rule «Ввод в Производство» prints.)"""
    return item.kind == "prepayment" or item.after == "signing"


def contract_of(deal: Deal, *, number: str) -> Contract:
    form = deal.form
    buyer, seller = form.buyer_liability, form.seller_liability
    payments = tuple(
        Term(kind=ObligationKind.PAYMENT, number=item.number, title=_payment_title(item), amount=item.amount,
             days=item.due_days, after=Trigger(item.after), banking_days=True,
             before_production=before_production(item), penalty_rate=buyer.penalty_rate,
             penalty_cap=buyer.penalty_cap)
        for item in deal.totals.installments)
    delivery = Term(kind=ObligationKind.DELIVERY, number=1, title="Поставка", amount=deal.totals.total,
                    days=form.delivery.due_days, after=Trigger(str(form.delivery.after)), banking_days=False,
                    before_production=False, penalty_rate=seller.penalty_rate, penalty_cap=seller.penalty_cap)
    return Contract(number=number, total=deal.totals.total, payments=payments, delivery=delivery)


def _payment_title(item: Installment) -> str:
    kind = CHOICES["price.payments[].kind"].get(item.kind, item.kind)
    share = f"{item.share.normalize():f}".replace(".", ",")
    return f"Платёж {item.number}: {kind} {share}\u00a0%"
