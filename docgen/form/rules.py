"""Checks across fields, against the company's settings and the date: faults that refuse a form, and
warnings that go with it to the lawyer. They run on whatever could be read (see `salvage`), so a rule
whose fields are unreadable is skipped and the others still report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from docgen.errors import Fault
from docgen.form import requisites, vat
from docgen.form.labels import CONTRACT_TYPES
from docgen.form.model import MAX_MONEY, DeliveryAfter, DeliveryMethod, PaymentKind
from docgen.form.money import format_money, kopecks
from docgen.form.salvage import known
from docgen.settings import Settings

FUTURE_LIMIT = dt.timedelta(days=366)


@dataclass(frozen=True)
class Caution(Fault):
    """A warning: the form is accepted, and the manager and the lawyer are told."""


@dataclass(frozen=True)
class Findings:
    faults: list[Fault]
    warnings: list[Fault]


def check_rules(form: Any, settings: Settings, *, today: dt.date) -> Findings:
    """Every cross-field fault and warning of `form` (a DealForm, or what `salvage` read of one)."""
    checks = (_date, _buyer, _bank, _amounts, _payments, _vat, _liabilities, _delivery)
    found = [item for check in checks for item in check(form, settings, today)]
    return Findings(faults=[f for f in found if not isinstance(f, Caution)],
                    warnings=[Fault(f.field, f.message) for f in found if isinstance(f, Caution)])


def contract_day(form: Any, today: dt.date) -> dt.date:
    date = form.contract_date
    return date if known(date) and date is not None else today


def _date(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    date = form.contract_date
    if not known(date) or date is None:
        return
    first = min((row.since for row in settings.vat.rates), default=None)
    if first is not None and date < first:
        yield Fault("contract_date", f"дата договора {date:%d.%m.%Y} раньше {first:%d.%m.%Y} — такой договор "
                                     "docgen не оформляет (для этой даты нет ставки НДС); проверьте год")
    elif date > today + FUTURE_LIMIT:
        yield Fault("contract_date", f"дата договора {date:%d.%m.%Y} больше чем через год — проверьте год")
    elif date < today:
        yield Caution("contract_date", f"дата договора {date:%d.%m.%Y} уже прошла (сегодня {today:%d.%m.%Y}): "
                                       "договор будет датирован задним числом. Если дата не согласована с "
                                       "покупателем, оставьте поле пустым — договор получит дату подписания")


def _buyer(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    buyer = form.buyer
    if not known(buyer) or not known(buyer.inn):
        return
    entity = len(buyer.inn) == 10
    checksum = requisites.inn_fault(buyer.inn)
    if checksum:
        yield Fault("buyer.inn", checksum)
    if entity and known(buyer.kpp) and buyer.kpp is None:
        yield Fault("buyer.kpp", "КПП обязателен для организации (ИНН из 10 цифр); он есть в выписке ЕГРЮЛ "
                                 "и в карточке организации")
    if known(buyer.ogrn):
        yield from _ogrn(buyer.ogrn, entity=entity)
    if known(buyer.signatory) and known(buyer.signatory.basis):
        yield from _entrepreneur_basis(buyer.signatory) if not entity else _basis_case(buyer.signatory.basis)
    if buyer.inn == settings.company.inn:
        yield Fault("buyer.inn", f"ИНН покупателя совпадает с ИНН Продавца ({settings.company.name}): "
                                 "похоже, вписан ИНН нашей компании — нужен ИНН покупателя")


def _ogrn(ogrn: str | None, *, entity: bool) -> Iterator[Fault]:
    if ogrn is None:
        if entity:
            yield Fault("buyer.ogrn", "ОГРН обязателен для организации (ИНН из 10 цифр): 13 цифр из выписки ЕГРЮЛ")
        return
    checksum = requisites.ogrn_fault(ogrn)
    if checksum:
        yield Fault("buyer.ogrn", checksum)
        return
    want = 13 if entity else 15
    if len(ogrn) != want:
        who = "организации (ИНН из 10 цифр) указывается ОГРН из 13 цифр" if entity else \
            "ИП (ИНН из 12 цифр) указывается ОГРНИП из 15 цифр"
        yield Fault("buyer.ogrn", f"для {who}")


def _entrepreneur_basis(signatory: Any) -> Iterator[Fault]:
    if not signatory.basis.casefold().startswith("устав"):
        return
    typed = "basis" in signatory.model_fields_set
    head = ("индивидуальный предприниматель действует не на основании Устава" if typed else
            "укажите основание полномочий: без него в договоре будет «на основании Устава», а у ИП устава нет")
    yield Fault("buyer.signatory.basis", f"{head}: напишите «листа записи ЕГРИП от ДД.ММ.ГГГГ» или "
                                         "«свидетельства о государственной регистрации» (с ОГРНИП)")


_NOMINATIVE = {"устав": "Устава", "доверенность": "доверенности", "положение": "Положения"}


def _basis_case(basis: str) -> Iterator[Fault]:
    """The basis follows «действующего на основании»: «Устав» there would print «на основании Устав»."""
    first = basis.split()[0].casefold().strip(".,")
    if first in _NOMINATIVE:
        right = _NOMINATIVE[first] + basis[len(basis.split()[0]):]
        yield Fault("buyer.signatory.basis", f"основание пишется в родительном падеже, как после слов «действующего "
                                             f"на основании»: «{right}»")


def _reach(node: Any, *names: str) -> Any:
    """node.a.b…, or UNREAD as soon as one link of the way could not be read."""
    for name in names:
        if not known(node):
            return node
        node = getattr(node, name)
    return node


def _bank(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    bank = _reach(form, "buyer", "bank")
    if not known(bank) or not known(bank.bik, bank.account, bank.corr_account):
        return  # already reported by the model
    if not requisites.account_key_ok(bank.bik, bank.account):
        yield Fault("buyer.bank.account", "расчётный счёт не сходится с БИК по контрольному ключу — проверьте счёт и БИК")
    if not bank.corr_account.startswith("301"):
        yield Fault("buyer.bank.corr_account", "корреспондентский счёт банка начинается с 301")
    elif not requisites.account_key_ok(bank.bik, bank.corr_account, correspondent=True):
        yield Fault("buyer.bank.corr_account", "корреспондентский счёт не сходится с БИК по контрольному ключу")


def _amounts(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    items = _reach(form, "subject", "items")
    if not known(items):
        return
    amounts = []
    for i, item in enumerate(items):
        if not known(item) or not known(item.quantity, item.unit_price):
            amounts.append(None)
            continue
        amount = kopecks(item.quantity * item.unit_price)
        amounts.append(amount)
        if amount == 0:
            yield Fault(f"subject.items[{i}]", f"сумма позиции {item.quantity} × {item.unit_price} округляется "
                                               "до 0,00 руб.: проверьте количество и цену")
    if None in amounts:
        return
    total = sum(amounts, Decimal(0)) * (1 + _rate_or_zero(form) / 100)
    if total > MAX_MONEY:
        yield Fault("subject.items", f"сумма договора с НДС — больше {format_money(MAX_MONEY)} руб.: "
                                     "столько документы не печатают; разделите сделку на несколько договоров")


def _rate_or_zero(form: Any) -> Decimal:
    rate = _reach(form, "price", "vat_rate")
    return rate if known(rate) and isinstance(rate, Decimal) else Decimal(22)  # the highest rate: a total that might exceed the limit is caught


def _payments(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    payments = _reach(form, "price", "payments")
    if not known(payments):
        return
    if not all(known(p) and known(p.share) for p in payments):
        return
    total = sum((p.share for p in payments), Decimal(0))
    if total != 100:
        shares = " + ".join(_number(p.share) for p in payments)
        yield Fault("price.payments", f"доли платежей должны составлять ровно 100 %, а сейчас {shares} = "
                                      f"{_number(total)} %")


def _vat(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    rate = _reach(form, "price", "vat_rate")
    if not known(rate):
        return
    faults, warnings = vat.vat_findings(rate, day=contract_day(form, today), settings=settings)
    yield from faults
    yield from (Caution(w.field, w.message) for w in warnings)


def _liabilities(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    limits = (
        ("buyer_liability", form.buyer_liability, settings.limits.buyer_penalty_rate_max, "Покупателя"),
        ("seller_liability", form.seller_liability, settings.limits.seller_penalty_rate_max, "Продавца"),
    )
    for key, liability, limit, whose in limits:
        if known(liability) and known(liability.penalty_rate) and liability.penalty_rate > limit:
            yield Fault(
                f"{key}.penalty_rate",
                f"пеня {whose} {_number(liability.penalty_rate)} % в день выше предела Компании "
                f"{_number(limit)} % в день",
            )


def _delivery(form: Any, settings: Settings, today: dt.date) -> Iterator[Fault]:
    delivery = form.delivery
    if not known(delivery):
        return
    yield from _address(delivery, settings)
    lead = settings.lead_days.get(form.contract_type) if known(form.contract_type) else None
    if lead is not None and known(delivery.due_days) and delivery.due_days < lead:
        kind = CONTRACT_TYPES.get(form.contract_type, f"«{form.contract_type}»")
        yield Fault(
            "delivery.due_days",
            f"срок поставки {delivery.due_days} раб. дн. короче срока производства ({kind}) — {lead} раб. дн.; "
            "согласуйте срок с Производством",
        )
    if known(delivery.after) and delivery.after is DeliveryAfter.PREPAYMENT and _no_prepayment(form):
        yield Fault("delivery.after", "срок поставки отсчитывается от предоплаты, но в графике платежей её нет: "
                                      "добавьте предоплату или считайте срок от подписания договора")


def _address(delivery: Any, settings: Settings) -> Iterator[Fault]:
    if not known(delivery.method, delivery.address) or delivery.address:
        return
    if delivery.method is DeliveryMethod.DELIVERY:
        yield Fault("delivery.address", "укажите адрес поставки: выбран способ «доставка»")
    elif not settings.company.warehouse:
        yield Fault("delivery.address", "при самовывозе укажите адрес склада, откуда покупатель забирает товар: "
                                        "адрес склада Продавца в настройках не задан ([company] warehouse)")


def _number(value: Decimal) -> str:
    """0.5 → «0,5», 30.00 → «30»: a number as a Russian message writes it."""
    return f"{value.normalize():f}".replace(".", ",")


def _no_prepayment(form: Any) -> bool:
    payments = _reach(form, "price", "payments")
    if not known(payments):
        return False
    kinds = [p.kind for p in payments if known(p) and known(p.kind)]
    return len(kinds) == len(payments) and PaymentKind.PREPAYMENT not in kinds

