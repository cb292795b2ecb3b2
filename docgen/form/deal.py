"""The pure core of intake: raw form data → an accepted Deal with its totals, or FormInvalid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import ValidationError

from docgen.errors import Fault, FormInvalid
from docgen.form.model import NO_VAT, DealForm
from docgen.form.money import Totals, compute_totals, vat_rate_for
from docgen.form.readers import RawForm
from docgen.form.report import faults_from
from docgen.form.rules import check_rules
from docgen.settings import Settings


@dataclass(frozen=True)
class Deal:
    """A form that passed every check, with what docgen computes from it."""

    form: DealForm
    contract_date: dt.date  # the form's date; else, until signing, the day the form was accepted
    totals: Totals
    attachments: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    date_open: bool = False  # no date in the form: the contract is dated on signing


def accept(
    raw: RawForm,
    *,
    source: str,
    settings: Settings,
    contract_types: Collection[str] | None,
    today: dt.date,
) -> Deal:
    """Check `raw` completely; FormInvalid lists every fault by field."""
    form = validate_form(raw.data, source=source, settings=settings, contract_types=contract_types)
    faults = check_rules(form, settings) + _attachment_faults(form, raw)
    if faults:
        raise FormInvalid(source, faults)
    date = form.contract_date or today
    rate = vat_rate_for(form.price.vat_rate, table_rate=settings.vat_rate_on(date))
    totals = compute_totals(form.subject.items, form.price.payments, vat_rate=rate)
    return Deal(form=form, contract_date=date, totals=totals, attachments=dict(raw.attachments),
                date_open=form.contract_date is None)


def validate_form(
    data: dict, *, source: str, settings: Settings, contract_types: Collection[str] | None
) -> DealForm:
    context = {"contract_types": contract_types, "divisions": settings.divisions.keys()}
    try:
        return DealForm.model_validate(data, context=context)
    except ValidationError as exc:
        raise FormInvalid(source, faults_from(exc)) from None


def _attachment_faults(form: DealForm, raw: RawForm) -> list[Fault]:
    return [
        Fault(f"attachments[{i}]", f"вложения «{name}» нет в ZIP-архиве вместе с формой")
        for i, name in enumerate(form.attachments)
        if name not in raw.attachments
    ]


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
    day it was accepted, or the day it was signed) and stays open until the deal is `signed`."""
    form = DealForm.model_validate_json(text)
    date = form.contract_date or contract_date
    if date is None:
        raise ValueError("a deal with an open date needs the date of its record")
    rate = vat_rate_for(form.price.vat_rate, table_rate=Decimal(0))
    totals = compute_totals(form.subject.items, form.price.payments, vat_rate=rate)
    return Deal(form=form, contract_date=date, totals=totals, attachments=attachments or {},
                date_open=form.contract_date is None and not signed)
