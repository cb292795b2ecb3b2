"""What templates see: a deal, the seller and the approvals turned into plain values (pure, no IO).

Nested values are `Record`s (attribute access, no dict methods), so a template's
`subject.items` is the list of items and never `dict.items`. The names are listed, with
examples, in docs/templates.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parseaddr
from types import SimpleNamespace as Record
from typing import Any

from docgen.calendar import WorkCalendar
from docgen.form.deal import Deal
from docgen.form.labels import CHOICES
from docgen.form.money import Installment, Line, Totals, money_in_full, money_words
from docgen.render import filters, names
from docgen.settings import CompanySettings, Settings

__all__ = ["Approval", "Record", "approval_context", "contract_context", "handover_context", "signatory"]

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
# The event a payment term counts from, as each kind of contract names it (a clause's «с даты …»).
PAYMENT_EVENTS = {
    "supply": {
        "signing": "подписания Договора",
        "readiness": "получения Покупателем уведомления о готовности Товара к отгрузке",
        "delivery": "поставки Товара",
    },
    "works": {
        "signing": "подписания Договора",
        "readiness": "получения Заказчиком уведомления о готовности результата Работ к сдаче",
        "delivery": "подписания Сторонами акта сдачи-приёмки результата Работ",
    },
    "works_on_site": {
        "delivery": "подписания Сторонами акта о приёмке выполненных работ (КС\u20112) и справки о стоимости "
                    "выполненных работ и затрат (КС\u20113)",
    },
}
DELIVERY_EVENTS = {"prepayment": "поступления предоплаты", "signing": "подписания Договора"}
# Works done at the customer's object, not in the contractor's shop: the site clauses of a works contract.
_SITE_WORK = re.compile(r"монтаж|установк|сборк|строител|строительств|бетонир|возведен|устройств|"
                        r"реконструкц|ремонт|отделк|кладк", re.IGNORECASE)
WORKS_START_DAYS = 5  # «приступает к выполнению Работ не позднее 5 рабочих дней с даты …»


@dataclass(frozen=True)
class Approval:
    """One decision on a contract version, as the workflow's journal records it.

    `result_version` is the version the decision left behind: the same, or the next one when the
    reviewer edited the text (their approval then stands for the edited version).
    """

    role: str
    person: str
    decision: str
    at: dt.datetime
    comment: str
    version: int
    sha256: str
    result_version: int | None = None
    on_behalf_of: str = ""  # a deputy's decision: whom it was taken for («за …»)
    role_code: str = ""  # `role` is the title the route gives it; this, its code («director»)


def contract_context(deal: Deal, *, settings: Settings, number: str, version: int,
                     attachments: list[str] | None = None) -> dict[str, Any]:
    """Every name a contract template may use; `attachments` overrides the technical documents' names."""
    form = deal.form
    kind = form.contract_type
    totals = deal.totals
    works = _works(form)
    events = {**CHOICES["price.payments[].after"], **PAYMENT_EVENTS.get(kind, {}),
              **(PAYMENT_EVENTS["works_on_site"] if works.on_site else {})}
    installments = [_installment(i, events=events) for i in totals.installments]
    items = [_line(ln) for ln in totals.lines]
    return {
        "number": number,
        "version": version,
        "date": None if deal.date_open else deal.contract_date,
        "date_open": deal.date_open,
        "contract_type": kind,
        "title": CONTRACT_TITLES.get(kind, "Договор"),
        "seller": _seller(settings, form.division),
        "buyer": _buyer(form.buyer),
        # the templates put their own full stop after it: «Краткое описание поставки: {{ subject.summary }}.»
        "subject": Record(summary=form.subject.summary.rstrip(" ."), items=items),
        "items": items,
        "totals": _totals(totals, no_vat_basis=no_vat_basis(settings)),
        "price": _price(form.price.procedure, totals),
        "payments": installments,
        "before_production": [p for p in installments if p.before_production],
        "buyer_liability": _liability(form.buyer_liability),
        "delivery": _delivery(form.delivery, warehouse=settings.company.warehouse),
        "seller_liability": _liability(form.seller_liability),
        "works": works,
        "vat_change": vat_change(deal, settings),
        "manager": _person(form.manager.name, form.manager.email),
        "division": _division(form.division, settings),
        "attachments": attachments if attachments is not None else attachment_names(deal),
    }


def attachment_names(deal: Deal) -> list[str]:
    """The technical documents: those the form lists, then any other file the ZIP carried."""
    listed = list(deal.form.attachments)
    return listed + sorted(name for name in deal.attachments if name not in listed)


def handover_context(deal: Deal, *, settings: Settings, number: str, version: int, approvals: list[Approval],
                     files: list[str] | None = None, signed_on: dt.date | None = None,
                     prepayment_date: dt.date | None = None) -> dict[str, Any]:
    """A contract's context plus what «Ввод в Производство» adds: approvals, the support manager,
    the technical documents passed on (`files`), the calendar dates known on `signed_on`, and the day
    the payments due before production were received in full (`prepayment_date`, None until they are)."""
    context = contract_context(deal, settings=settings, number=number, version=version, attachments=files)
    first = context["before_production"]
    due = sum((p.amount for p in first), Decimal("0.00"))
    if signed_on is not None:
        _known_dates(context, signed_on=signed_on, prepayment_date=prepayment_date,
                     calendar=WorkCalendar.from_settings(settings.calendar))
    context.update(
        support=context["division"].support,
        before_production_total=due,
        before_production_words=money_words(due),
        prepayment_date=prepayment_date,
        **approval_lists(approvals, version=version),
    )
    return context


def approval_context(deal: Deal, *, settings: Settings, number: str, version: int, sha256: str,
                     approvals: list[Approval], signed_sha256: str | None = None) -> dict[str, Any]:
    """A contract's context plus the approvals of the version whose SHA-256 is given; `signed_sha256`
    is the signed copy's, when docgen wrote the signing date into it."""
    context = contract_context(deal, settings=settings, number=number, version=version)
    context.update(sha256=sha256, signed_sha256=signed_sha256 or sha256, **approval_lists(approvals, version=version))
    return context


def approval_lists(approvals: list[Approval], *, version: int) -> dict[str, Any]:
    """All decisions, those the signed `version` rests on, the earlier ones that do not apply to it,
    and whether any reviewer's edit made a new version («1 → 2»)."""
    rows = [_approval(a, signed=version) for a in approvals]
    return {
        "approvals": rows,
        "approvals_signed": [a for a in rows if a.applies],
        "approvals_earlier": [a for a in rows if not a.applies],
        "approvals_edited": any(a.result_version != a.version for a in rows),
    }


def no_vat_basis(settings: Settings) -> str:
    """The legal basis printed for a price without VAT (`[vat] no_vat_basis`), or nothing."""
    return str(getattr(settings.vat, "no_vat_basis", "") or "").strip()


def vat_change(deal: Deal, settings: Settings) -> Record | None:
    """The first change of the VAT rate in the settings' table that falls after the contract date and no
    later than the delivery the contract's own terms allow; None when there is none (or no VAT)."""
    rate = deal.totals.vat_rate
    if rate is None:
        return None
    horizon = latest_delivery(deal, calendar=WorkCalendar.from_settings(settings.calendar))
    for row in sorted(settings.vat.rates, key=lambda r: r.since):
        if deal.contract_date < row.since <= horizon and row.rate != rate:
            return Record(since=row.since, rate=row.rate, old_rate=rate)
    return None


def latest_delivery(deal: Deal, *, calendar: WorkCalendar) -> dt.date:
    """The last day of delivery under the contract's terms, the before-production payments made on
    their last day: the horizon of a VAT rate change."""
    delivery = deal.form.delivery
    wait = 0
    if str(delivery.after) == "prepayment":
        wait = max((p.due_days for p in deal.form.price.payments
                    if str(p.kind) == "prepayment" or str(p.after) == "signing"), default=0)
    return calendar.add_workdays(deal.contract_date, wait + delivery.due_days)


def signatory(name: str, position: str, basis: str) -> Record:
    """A signatory with the forms contracts need: cases, initials, gender agreement, a power of attorney."""
    by_proxy = basis.strip().lower().startswith("доверенност")
    return Record(
        name=name,
        position=position,
        basis=basis,
        name_genitive=names.genitive_name(name),
        position_genitive=names.genitive_position(position),
        name_dative=names.inflect_name(name, "datv"),
        position_dative=names.inflect_position(position, "datv"),
        first_names=names.first_names(name),
        initials=names.initials(name),
        initials_dative=names.initials(names.inflect_name(name, "datv")),
        female=names.gender(name) == "female",
        acting=names.acting(name),
        acting_nominative=names.acting(name, "nomn"),
        by_proxy=by_proxy,
        proxy=f"по {basis}" if by_proxy else "",
    )


def _bank(bank: Any) -> Record:
    return Record(name=bank.name, bik=bank.bik, account=bank.account, corr_account=bank.corr_account)


def seller_signatory(settings: Settings, division: str) -> Any:
    """Who signs for the Seller: the division's own signatory (by power of attorney) if set, else the company's."""
    found = settings.divisions.get(division)
    own = getattr(found, "signatory", None) if found is not None else None
    return own or settings.company.signatory


def _seller(settings: Settings, division: str) -> Record:
    company: CompanySettings = settings.company
    sig = seller_signatory(settings, division)
    entrepreneur = len(company.inn) == 12
    return Record(
        name=company.name, full_name=company.full_name, inn=company.inn, kpp=company.kpp,
        ogrn=company.ogrn, address=company.address, city=company.city, email=company.email,
        phone=company.phone, warehouse=company.warehouse or None, bank=_bank(company.bank),
        is_entrepreneur=entrepreneur, ogrn_label="ОГРНИП" if entrepreneur else "ОГРН",
        signatory=signatory(sig.name, sig.position, sig.basis),
        named=names.named(company.name, sig.name),
    )


def _buyer(buyer: Any) -> Record:
    sig = buyer.signatory
    return Record(
        name=buyer.name, inn=buyer.inn, kpp=buyer.kpp, ogrn=buyer.ogrn, address=buyer.address,
        email=buyer.email, phone=buyer.phone, contact=getattr(buyer, "contact", None), bank=_bank(buyer.bank),
        is_entrepreneur=buyer.is_entrepreneur,
        ogrn_label="ОГРНИП" if buyer.is_entrepreneur else "ОГРН",
        signatory=signatory(sig.name, sig.position, sig.basis),
        named=names.named(buyer.name, sig.name),
    )


def _line(line: Line) -> Record:
    return Record(
        number=line.number, name=line.name, unit=line.unit, quantity=line.quantity,
        unit_price=line.unit_price, amount=line.amount,
    )


def _totals(totals: Totals, *, no_vat_basis: str) -> Record:
    with_vat = totals.vat_rate is not None
    if with_vat:
        vat_text = filters.vat(totals.vat_rate, totals.vat)
    else:
        vat_text = f"НДС не облагается ({no_vat_basis})" if no_vat_basis else "НДС не облагается"
    return Record(
        subtotal=totals.subtotal, vat=totals.vat, vat_rate=totals.vat_rate, total=totals.total,
        words=totals.total_words, vat_words=totals.vat_words, with_vat=with_vat,
        in_full=money_in_full(totals.total), vat_text=vat_text, no_vat_basis=no_vat_basis or None,
    )


def _price(procedure: Any, totals: Totals) -> Record:
    code = str(procedure)
    return Record(
        procedure=code,
        procedure_label=CHOICES["price.procedure"].get(code, code),
        procedure_clause=PROCEDURE_CLAUSES.get(code, ""),
        vat_rate=totals.vat_rate,
    )


def _installment(item: Installment, *, events: dict[str, str]) -> Record:
    kind = CHOICES["price.payments[].kind"].get(item.kind, item.kind)
    after = events.get(item.after, item.after)
    term = f"в течение {filters.days(item.due_days, 'банковских')} с даты {after}" if item.due_days \
        else f"в день {after}"
    return Record(
        number=item.number, share=item.share, kind=item.kind, kind_label=kind,
        due_days=item.due_days, after=item.after, after_label=after, term=term,
        amount=item.amount, amount_words=money_words(item.amount), in_full=money_in_full(item.amount),
        before_production=item.before_production, due_date=None, due_date_estimated=False,
    )


def _liability(liability: Any) -> Record:
    return Record(penalty_rate=liability.penalty_rate, penalty_cap=liability.penalty_cap)


def _delivery(delivery: Any, *, warehouse: str) -> Record:
    method = str(delivery.method)
    after = str(delivery.after)
    after_label = DELIVERY_EVENTS.get(after, CHOICES["delivery.after"].get(after, after))
    pickup = method == "pickup"
    address = delivery.address or (warehouse if pickup else None) or None
    return Record(
        method=method, method_label=CHOICES["delivery.method"].get(method, method),
        is_pickup=pickup, address=address, due_days=delivery.due_days,
        after=after, after_label=after_label, due_date=None, due_date_estimated=False,
        term=f"в течение {filters.days(delivery.due_days, 'рабочих')} с даты {after_label}",
    )


def _works(form: Any) -> Record:
    """A works deal done at the customer's object (installation, building) rather than in the shop."""
    text = " ".join([form.subject.summary, *(item.name for item in form.subject.items)])
    on_site = (form.contract_type == "works" and str(form.delivery.method) == "delivery"
               and bool(_SITE_WORK.search(text)))
    return Record(on_site=on_site, start_days=min(WORKS_START_DAYS, form.delivery.due_days))


def _known_dates(context: dict[str, Any], *, signed_on: dt.date, prepayment_date: dt.date | None,
                 calendar: WorkCalendar) -> None:
    """Calendar dates of the payments and the delivery that count from signing (and, once the prepayment
    is in, from it); estimated when the production calendar of their year is not known yet."""
    events = {"signing": signed_on, "prepayment": prepayment_date}
    for term in [*context["payments"], context["delivery"]]:
        event = events.get(term.after)
        if event is not None:
            term.due_date = calendar.add_workdays(event, term.due_days)
            term.due_date_estimated = bool(calendar.unknown_years([event, term.due_date]))


def _person(name: str, email: str | None = None) -> Record:
    return Record(name=name, email=email or "", initials=names.initials(name))


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


def _approval(item: Approval, *, signed: int) -> Record:
    result = item.result_version if item.result_version is not None else item.version
    applies = str(item.decision) in ("approved", "signed") and result == signed
    return Record(
        role=item.role, role_label=ROLE_LABELS.get(str(item.role), str(item.role)),
        person=item.person, decision=item.decision,
        decision_label=DECISION_LABELS.get(str(item.decision), str(item.decision)),
        at=item.at, comment=item.comment, version=item.version, result_version=result,
        version_label=str(item.version) if result == item.version else f"{item.version} → {result}",
        applies=applies, sha256=item.sha256, on_behalf_of=item.on_behalf_of,
    )
