"""The commercial proposal (коммерческое предложение): a deal form's items, prices and terms, with a validity date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docgen.form.deal import Deal
from docgen.render.context import Record, contract_context
from docgen.render.docx import render_document
from docgen.settings import Settings
from docgen.workspace import Workspace

TEMPLATE = "offer.docx"


def offer_context(deal: Deal, *, settings: Settings, number: str, today: dt.date) -> dict[str, Any]:
    """A contract's context (the deal is not numbered yet) plus `offer`: number, date, validity."""
    context = contract_context(deal, settings=settings, number="", version=0)
    days = settings.offers.valid_days
    context["offer"] = Record(number=number, date=today, valid_days=days,
                              valid_until=today + dt.timedelta(days=days))
    return context


def render_offer(deal: Deal, *, ws: Workspace, number: str, today: dt.date) -> bytes:
    """The proposal as DOCX bytes, from templates/offers/offer.docx."""
    context = offer_context(deal, settings=ws.settings, number=number, today=today)
    return render_document(ws.offer_templates / TEMPLATE, context, number=f"КП {number}", version=1,
                           title=f"Коммерческое предложение № {number}")
