"""Checks across fields of a structurally valid form, against the company's limits in the settings."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from docgen.errors import Fault
from docgen.form import requisites
from docgen.form.model import DealForm, DeliveryAfter, DeliveryMethod, PaymentKind
from docgen.settings import Settings


def check_rules(form: DealForm, settings: Settings) -> list[Fault]:
    """Every cross-field fault of `form`, in the order of the form."""
    checks = (_buyer, _bank, _payments, _liabilities, _delivery)
    return [fault for check in checks for fault in check(form, settings)]


def _buyer(form: DealForm, settings: Settings) -> Iterator[Fault]:
    buyer = form.buyer
    if not buyer.is_entrepreneur and not buyer.kpp:
        yield Fault("buyer.kpp", "КПП обязателен для организации (ИНН из 10 цифр)")
    if buyer.ogrn:
        want = 15 if buyer.is_entrepreneur else 13
        if len(buyer.ogrn) != want:
            who = "ИП (ИНН из 12 цифр) указывается ОГРНИП из 15 цифр" if want == 15 else \
                "организации (ИНН из 10 цифр) указывается ОГРН из 13 цифр"
            yield Fault("buyer.ogrn", f"для {who}")


def _bank(form: DealForm, settings: Settings) -> Iterator[Fault]:
    bank = form.buyer.bank
    if len(bank.bik) != 9:
        return  # already reported by the model
    if not requisites.account_key_ok(bank.bik, bank.account):
        yield Fault("buyer.bank.account", "расчётный счёт не сходится с БИК по контрольному ключу — проверьте счёт и БИК")
    if not bank.corr_account.startswith("301"):
        yield Fault("buyer.bank.corr_account", "корреспондентский счёт банка начинается с 301")
    elif not requisites.account_key_ok(bank.bik, bank.corr_account, correspondent=True):
        yield Fault("buyer.bank.corr_account", "корреспондентский счёт не сходится с БИК по контрольному ключу")


def _payments(form: DealForm, settings: Settings) -> Iterator[Fault]:
    total = sum((p.share for p in form.price.payments), Decimal(0))
    if total != 100:
        shares = " + ".join(f"{p.share}" for p in form.price.payments)
        yield Fault("price.payments", f"доли платежей должны составлять ровно 100 %, а сейчас {shares} = {total} %")


def _liabilities(form: DealForm, settings: Settings) -> Iterator[Fault]:
    limits = (
        ("buyer_liability", form.buyer_liability, settings.limits.buyer_penalty_rate_max, "Покупателя"),
        ("seller_liability", form.seller_liability, settings.limits.seller_penalty_rate_max, "Продавца"),
    )
    for key, liability, limit, whose in limits:
        if liability.penalty_rate > limit:
            yield Fault(
                f"{key}.penalty_rate",
                f"пеня {whose} {liability.penalty_rate} % в день выше предела Компании {limit} % в день",
            )


def _delivery(form: DealForm, settings: Settings) -> Iterator[Fault]:
    delivery = form.delivery
    if delivery.method is DeliveryMethod.DELIVERY and not delivery.address:
        yield Fault("delivery.address", "укажите адрес поставки: выбран способ «доставка»")
    lead = settings.lead_days.get(form.contract_type)
    if lead is not None and delivery.due_days < lead:
        yield Fault(
            "delivery.due_days",
            f"срок поставки {delivery.due_days} раб. дн. короче срока производства по договору "
            f"«{form.contract_type}» — {lead} раб. дн.; согласуйте срок с Производством",
        )
    has_prepayment = any(p.kind is PaymentKind.PREPAYMENT for p in form.price.payments)
    if delivery.after is DeliveryAfter.PREPAYMENT and not has_prepayment:
        yield Fault("delivery.after", "срок поставки отсчитывается от предоплаты, но в графике платежей её нет")
