"""The pure core of intake: raw form data → an accepted Deal with its totals, or FormInvalid naming every fault."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from docgen.errors import Fault, FormInvalid
from docgen.form import labels
from docgen.form.model import NO_VAT, DealForm
from docgen.form.money import Totals, compute_totals, vat_rate_for
from docgen.form.readers import RawForm, attachment_fault, attachment_path
from docgen.form.report import faults_from
from docgen.form.rules import check_rules
from docgen.form.salvage import known, salvage
from docgen.form.versions import DealLookup, version_faults
from docgen.settings import Settings


@dataclass(frozen=True)
class Deal:
    """A form that passed every check, with what docgen computes from it."""

    form: DealForm
    contract_date: dt.date  # the form's date; else, until signing, the day the form was accepted
    totals: Totals
    attachments: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    date_open: bool = False  # no date in the form: the contract is dated on signing
    warnings: tuple[Fault, ...] = field(default=(), compare=False)


def accept(
    raw: RawForm,
    *,
    source: str,
    settings: Settings,
    contract_types: Collection[str] | Mapping[str, str] | None,
    today: dt.date,
    deals: DealLookup | None = None,
) -> Deal:
    """Check `raw` completely; FormInvalid lists every fault by field, structural and cross-field together.

    `deals` answers for the deal a corrected form names (the store, read-only in `validate`); without it
    that check is left to the step that records the version.
    """
    context = {"contract_types": contract_types,
               "divisions": {code: division.title for code, division in settings.divisions.items()}}
    form, faults = _read(raw.data, context)
    findings = check_rules(form, settings, today=today)
    faults += findings.faults + _attachment_faults(form, raw) + _version_faults(form, deals)
    if faults:
        raise FormInvalid(source, labels.in_form_order(faults), warnings=findings.warnings)
    date = form.contract_date or today
    rate = vat_rate_for(form.price.vat_rate, table_rate=settings.vat_rate_on(date))
    totals = compute_totals(form.subject.items, form.price.payments, vat_rate=rate)
    form = form.model_copy(update={"attachments": [attachment_path(raw.attachments, n) for n in form.attachments]})
    return Deal(form=form, contract_date=date, totals=totals, attachments=dict(raw.attachments),
                date_open=form.contract_date is None, warnings=tuple(findings.warnings))


def _read(data: dict[str, Any], context: dict[str, Any]) -> tuple[Any, list[Fault]]:
    """The form, or — when its structure fails — what could be read of it, with the structural faults."""
    try:
        return DealForm.model_validate(data, context=context), []
    except ValidationError as exc:
        return salvage(DealForm, data, context), faults_from(exc)


def _attachment_faults(form: Any, raw: RawForm) -> list[Fault]:
    if not known(form.attachments):
        return []
    faults = []
    for i, name in enumerate(form.attachments):
        why = attachment_fault(raw.attachments, name) if known(name) else None
        if why:
            faults.append(Fault(f"attachments[{i}]", why))
    return faults


def _version_faults(form: Any, deals: DealLookup | None) -> list[Fault]:
    if deals is None or not known(form.deal) or not form.deal:
        return []
    buyer = form.buyer
    inn = buyer.inn if known(buyer) and known(buyer.inn) else None
    return version_faults(form.deal, buyer_inn=inn, known=deals(form.deal))


def freeze(deal: Deal) -> str:
    """The accepted form as JSON with its VAT rate resolved, so `thaw` gives the same totals later,
    whatever happens to the VAT table in the settings meanwhile. An open date stays open (null)."""
    data = deal.form.model_dump(mode="json")
    rate = deal.totals.vat_rate
    data["price"]["vat_rate"] = NO_VAT if rate is None else str(rate)
    data["contract_date"] = None if deal.date_open else deal.contract_date.isoformat()
    return json.dumps(data, ensure_ascii=False)


def thaw(text: str, *, attachments: dict[str, bytes] | None = None, contract_date: dt.date | None = None,
         signed: bool = False) -> Deal:
    """The Deal `freeze` stored. A form without a date takes `contract_date` (the deal's record: the
    day it was accepted, or the day it was signed) and stays open until the deal is `signed`. Trusted:
    a check added since the deal was accepted does not make it unreadable."""
    form = DealForm.model_validate_json(text, context={"trusted": True})
    date = form.contract_date or contract_date
    if date is None:
        raise ValueError("a deal with an open date needs the date of its record")
    rate = vat_rate_for(form.price.vat_rate, table_rate=Decimal(0))
    totals = compute_totals(form.subject.items, form.price.payments, vat_rate=rate)
    return Deal(form=form, contract_date=date, totals=totals, attachments=attachments or {},
                date_open=form.contract_date is None and not signed)
