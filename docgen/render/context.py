"""What templates see: a deal, the seller and the approvals turned into plain values (pure, no IO).

Nested values are `Record`s (attribute access, no dict methods), so a template's
`subject.items` is the list of items and never `dict.items`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parseaddr
from types import SimpleNamespace as Record
from typing import Any

from docgen.form.deal import Deal
from docgen.form.labels import CHOICES
from docgen.form.money import Installment, Line, Totals, money_words
from docgen.render import filters
from docgen.settings import CompanySettings, Settings

__all__ = ["Approval", "Record", "approval_context", "contract_context", "handover_context"]

ROLE_LABELS = {
    "lawyer": "Юрист",
    "finance": "Руководитель Финансового департамента",
    "director": "Директор направления",
}
DECISION_LABELS = {
    "approved": "Согласовано",
    "returned": "Возвращено на доработку",
    "signed": "Подписано",
}
CONTRACT_TITLES = {"supply": "Договор поставки", "works": "Договор подряда"}
PROCEDURE_CLAUSES = {
    "fixed": "Цена является твёрдой и не подлежит изменению в одностороннем порядке "
             "в течение срока действия Договора",
    "price_list": "Цена определена по прайс-листу, действующему на дату подписания Договора, "
                  "и не подлежит изменению после его подписания",
    "calculation": "Цена определена на основании калькуляции, согласованной Сторонами "
                   "и являющейся неотъемлемой частью Договора",
}


@dataclass(frozen=True)
class Approval:
    """One decision on a contract version, as the workflow's journal records it."""

    role: str
    person: str
    decision: str
    at: dt.datetime
    comment: str
    version: int
    sha256: str
    on_behalf_of: str = ""  # a deputy's decision: whom it was taken for («за …»)


def contract_context(deal: Deal, *, settings: Settings, number: str, version: int) -> dict[str, Any]:
    """Every name a contract template may use."""
    form = deal.form
    totals = deal.totals
    installments = [_installment(i) for i in totals.installments]
    return {
        "number": number,
        "version": version,
        "date": deal.contract_date,
        "contract_type": form.contract_type,
        "title": CONTRACT_TITLES.get(form.contract_type, "Договор"),
        "seller": _seller(settings.company),
        "buyer": _buyer(form.buyer),
        "subject": Record(summary=form.subject.summary, items=[_line(ln) for ln in totals.lines]),
        "items": [_line(ln) for ln in totals.lines],
        "totals": _totals(totals),
        "price": _price(form.price.procedure, totals),
        "payments": installments,
        "before_production": [p for p in installments if p.before_production],
        "buyer_liability": _liability(form.buyer_liability),
        "delivery": _delivery(form.delivery),
        "seller_liability": _liability(form.seller_liability),
        "manager": _person(form.manager.name, form.manager.email),
        "division": _division(form.division, settings),
        "attachments": list(form.attachments),
    }


def handover_context(
    deal: Deal, *, settings: Settings, number: str, version: int, approvals: list[Approval],
    prepayment_date: dt.date | None = None,
) -> dict[str, Any]:
    """A contract's context plus what «Ввод в Производство» adds: approvals, the support manager, and the day
    the payments due before production were received in full (None until they are)."""
    context = contract_context(deal, settings=settings, number=number, version=version)
    first = context["before_production"]
    due = sum((p.amount for p in first), Decimal("0.00"))
    context.update(
        approvals=[_approval(a) for a in approvals],
        support=context["division"].support,
        before_production_total=due,
        before_production_words=money_words(due),
        prepayment_date=prepayment_date,
    )
    return context


def approval_context(
    deal: Deal, *, settings: Settings, number: str, version: int, sha256: str, approvals: list[Approval]
) -> dict[str, Any]:
    """A contract's context plus the approvals of the version whose SHA-256 is given."""
    context = contract_context(deal, settings=settings, number=number, version=version)
    context.update(approvals=[_approval(a) for a in approvals], sha256=sha256)
    return context


def signatory(name: str, position: str, basis: str) -> Record:
    """A signatory with the forms contracts need: genitive, initials, gender agreement."""
    female = filters.gender(name) == "female"
    return Record(
        name=name,
        position=position,
        basis=basis,
        name_genitive=filters.genitive_name(name),
        position_genitive=filters.genitive_position(position),
        initials=filters.initials(name),
        female=female,
        acting=filters.acting(name),
        acting_nominative=filters.acting(name, "nomn"),
    )


def _bank(bank: Any) -> Record:
    return Record(name=bank.name, bik=bank.bik, account=bank.account, corr_account=bank.corr_account)


def _seller(company: CompanySettings) -> Record:
    sig = company.signatory
    return Record(
        name=company.name, full_name=company.full_name, inn=company.inn, kpp=company.kpp,
        ogrn=company.ogrn, address=company.address, city=company.city, email=company.email,
        phone=company.phone, bank=_bank(company.bank), is_entrepreneur=len(company.inn) == 12,
        ogrn_label="ОГРНИП" if len(company.inn) == 12 else "ОГРН",
        signatory=signatory(sig.name, sig.position, sig.basis),
        named=filters.named(company.name, sig.name),
    )


def _buyer(buyer: Any) -> Record:
    sig = buyer.signatory
    return Record(
        name=buyer.name, inn=buyer.inn, kpp=buyer.kpp, ogrn=buyer.ogrn, address=buyer.address,
        email=buyer.email, phone=buyer.phone, bank=_bank(buyer.bank),
        is_entrepreneur=buyer.is_entrepreneur,
        ogrn_label="ОГРНИП" if buyer.is_entrepreneur else "ОГРН",
        signatory=signatory(sig.name, sig.position, sig.basis),
        named=filters.named(buyer.name, sig.name),
    )


def _line(line: Line) -> Record:
    return Record(
        number=line.number, name=line.name, unit=line.unit, quantity=line.quantity,
        unit_price=line.unit_price, amount=line.amount,
    )


def _totals(totals: Totals) -> Record:
    return Record(
        subtotal=totals.subtotal, vat=totals.vat, vat_rate=totals.vat_rate, total=totals.total,
        words=totals.total_words, vat_words=totals.vat_words, with_vat=totals.vat_rate is not None,
        vat_text=filters.vat(totals.vat_rate),
    )


def _price(procedure: Any, totals: Totals) -> Record:
    code = str(procedure)
    return Record(
        procedure=code,
        procedure_label=CHOICES["price.procedure"].get(code, code),
        procedure_clause=PROCEDURE_CLAUSES.get(code, ""),
        vat_rate=totals.vat_rate,
    )


def _installment(item: Installment) -> Record:
    kind = CHOICES["price.payments[].kind"].get(item.kind, item.kind)
    after = CHOICES["price.payments[].after"].get(item.after, item.after)
    term = f"в течение {filters.days(item.due_days, 'банковских')} с даты {after}" if item.due_days else f"в день {after}"
    return Record(
        number=item.number, share=item.share, kind=item.kind, kind_label=kind,
        due_days=item.due_days, after=item.after, after_label=after, term=term,
        amount=item.amount, amount_words=money_words(item.amount),
        before_production=item.before_production,
    )


def _liability(liability: Any) -> Record:
    return Record(penalty_rate=liability.penalty_rate, penalty_cap=liability.penalty_cap)


def _delivery(delivery: Any) -> Record:
    method = str(delivery.method)
    after = str(delivery.after)
    after_label = CHOICES["delivery.after"].get(after, after)
    return Record(
        method=method, method_label=CHOICES["delivery.method"].get(method, method),
        is_pickup=method == "pickup", address=delivery.address, due_days=delivery.due_days,
        after=after, after_label=after_label,
        term=f"в течение {filters.days(delivery.due_days, 'рабочих')} с даты {after_label}",
    )


def _person(name: str, email: str | None = None) -> Record:
    return Record(name=name, email=email or "", initials=filters.initials(name))


def _mailbox(text: str) -> Record:
    name, email = parseaddr(text)
    return _person(name or text, email)


def _division(code: str, settings: Settings) -> Record:
    found = settings.divisions.get(code)
    if found is None:  # the form's checks make this unreachable for an accepted deal
        empty = _person("")
        return Record(code=code, title=code, director=empty, support=empty)
    return Record(
        code=code, title=found.title, director=_mailbox(found.director), support=_mailbox(found.support)
    )


def _approval(item: Approval) -> Record:
    return Record(
        role=item.role, role_label=ROLE_LABELS.get(str(item.role), str(item.role)),
        person=item.person, decision=item.decision,
        decision_label=DECISION_LABELS.get(str(item.decision), str(item.decision)),
        at=item.at, comment=item.comment, version=item.version, sha256=item.sha256,
        on_behalf_of=item.on_behalf_of,
    )
