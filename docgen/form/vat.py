"""Which VAT rates a contract may carry on its date: the table of lawful rates in [vat] and «без НДС» with its basis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from docgen.errors import Fault
from docgen.form.model import NO_VAT
from docgen.settings import LawfulVatRate, Settings

FIELD = "price.vat_rate"


def lawful_on(settings: Settings, day: dt.date) -> list[LawfulVatRate]:
    return [row for row in settings.vat.lawful if row.in_force(day)]


def percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",") + " %"


def allowed_text(settings: Settings, day: dt.date) -> str:
    """«22 % — основная ставка …; 10 % — …; «без НДС» — …» for the messages."""
    parts = [f"{percent(row.rate)} — {row.applies}" for row in lawful_on(settings, day)]
    if settings.vat.no_vat_basis:
        parts.append(f"«без НДС» — {settings.vat.no_vat_basis}")
    return "; ".join(parts) or "ни одной (таблица [vat] lawful в docgen.toml пуста)"


def vat_findings(rate: object, *, day: dt.date, settings: Settings) -> tuple[list[Fault], list[Fault]]:
    """(faults, warnings) of the form's VAT rate on the contract's date; None takes the standard rate."""
    if rate is None:
        return [], []
    if rate == NO_VAT:
        if settings.vat.no_vat_basis:
            return [], []
        return [Fault(FIELD, "«без НДС» не принимается: в договоре должно быть указано основание освобождения, "
                             "а в настройках его нет. Администратору: задайте [vat] no_vat_basis в docgen.toml "
                             "(например, «в связи с применением Продавцом упрощённой системы налогообложения "
                             "(ст. 346.11 НК РФ)»); или укажите ставку НДС")], []
    assert isinstance(rate, Decimal)
    lawful = lawful_on(settings, day)
    match = next((row for row in lawful if row.rate == rate), None)
    if match is not None:
        standard = settings.vat_rate_on(day)
        if rate == standard:
            return [], []
        return [], [Fault(FIELD, f"ставка НДС {percent(rate)} применяется, когда: {match.applies}. "
                                 "Убедитесь, что это ваш случай; юрист проверит")]
    return [Fault(FIELD, _refusal(rate, day=day, settings=settings, lawful=lawful))], []


def _refusal(rate: Decimal, *, day: dt.date, settings: Settings, lawful: list[LawfulVatRate]) -> str:
    allowed = allowed_text(settings, day)
    when = f"{day:%d.%m.%Y}"
    if 0 < rate < 1 and any(row.rate == rate * 100 for row in lawful):
        return (f"ставка НДС {percent(rate)} — похоже, процент записан долей: {rate.normalize():f} — это "
                f"{percent(rate * 100)}? Укажите ставку в процентах: {(rate * 100).normalize():f}")
    if any(row.rate == rate for row in settings.vat.lawful):
        return f"ставка НДС {percent(rate)} не действует на дату договора {when}. Допустимы: {allowed}"
    return f"ставки НДС {percent(rate)} в законе нет. На дату договора {when} допустимы: {allowed}"
