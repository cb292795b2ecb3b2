"""The deal form as pydantic models: the five essentials, the buyer, and per-value checks.

Checks that concern one value (a checksum, a sign, a name in the settings) live here, so one
validation pass reports them all; checks across fields live in `rules`. Every custom error
carries its Russian message; `report` translates pydantic's own error types.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from docgen.form import numbers, requisites


def _fail(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _decimal(value: object) -> Decimal:
    try:
        return numbers.parse_decimal(value)
    except ValueError:
        raise _fail("number", "ожидается число, например 1500.50 или «1 500,50»") from None


def _digits(value: object) -> str:
    try:
        return numbers.parse_digits(value)
    except ValueError:
        raise _fail("digits", "ожидаются только цифры") from None


def _date(value: object) -> dt.date:
    try:
        return numbers.parse_date(value)
    except ValueError:
        raise _fail("date", "дата должна быть в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ, например 2026-11-20") from None


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _fail("email", f"«{value}» — не адрес электронной почты") from None


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise _fail("positive", "должно быть больше нуля")
    return value


def _percent_cap(value: Decimal) -> Decimal:
    if not 0 < value <= 100:
        raise _fail("cap", "предел неустойки — от 0 до 100 % суммы (больше нуля)")
    return value


def _checked(check: Any) -> AfterValidator:
    def run(value: str) -> str:
        fault = check(value)
        if fault:
            raise _fail("requisite", fault)
        return value

    return AfterValidator(run)


Text = Annotated[str, Field(min_length=1)]
Number = Annotated[Decimal, BeforeValidator(_decimal)]
Positive = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_positive)]
Cap = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_percent_cap)]
Digits = Annotated[str, BeforeValidator(_digits)]
Email = Annotated[str, AfterValidator(_email)]
FormDate = Annotated[dt.date, BeforeValidator(_date)]
Days = Annotated[int, Field(ge=0, le=3650)]


class Procedure(StrEnum):
    FIXED = "fixed"
    PRICE_LIST = "price_list"
    CALCULATION = "calculation"


class PaymentKind(StrEnum):
    PREPAYMENT = "prepayment"
    INTERIM = "interim"
    FINAL = "final"


class PaymentAfter(StrEnum):
    SIGNING = "signing"
    READINESS = "readiness"
    DELIVERY = "delivery"


class DeliveryMethod(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"


class DeliveryAfter(StrEnum):
    PREPAYMENT = "prepayment"
    SIGNING = "signing"


NO_VAT = "без НДС"


class Part(BaseModel):
    """A part of the form: unknown keys are reported, surrounding spaces trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Person(Part):
    name: Text
    email: Email


class Signatory(Part):
    name: Text
    position: Text
    basis: Text = "Устава"


class Bank(Part):
    name: Text
    bik: Annotated[Digits, _checked(requisites.bik_fault)]
    account: Annotated[Digits, _checked(requisites.account_fault)]
    corr_account: Annotated[Digits, _checked(requisites.account_fault)]


class Buyer(Part):
    name: Text
    inn: Annotated[Digits, _checked(requisites.inn_fault)]
    kpp: Annotated[Digits, _checked(requisites.kpp_fault)] | None = None
    ogrn: Annotated[Digits, _checked(requisites.ogrn_fault)] | None = None
    address: Text
    signatory: Signatory
    bank: Bank
    email: Email | None = None
    phone: str | None = None
    contact: str | None = None  # who to call: «Смирнов Олег, +7 916 000-00-00» (for «Ввод в Производство»)

    @property
    def is_entrepreneur(self) -> bool:
        return len(self.inn) == 12


class Item(Part):
    name: Text
    unit: Text
    quantity: Positive
    unit_price: Positive


class Subject(Part):
    summary: Text
    items: Annotated[list[Item], Field(min_length=1)]


class Payment(Part):
    share: Positive
    kind: PaymentKind
    due_days: Days
    after: PaymentAfter


class Price(Part):
    procedure: Procedure
    vat_rate: Literal["без НДС"] | Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)] | None = None
    payments: Annotated[list[Payment], Field(min_length=1)]

    @field_validator("vat_rate", mode="before")
    @classmethod
    def _no_vat_spellings(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"без ндс", "без ндс.", "none", "exempt"}:
            return NO_VAT
        return value


class Liability(Part):
    penalty_rate: Positive
    penalty_cap: Cap


class Delivery(Part):
    method: DeliveryMethod
    address: str | None = None
    due_days: Annotated[int, Field(gt=0, le=3650)]
    after: DeliveryAfter


class DealForm(Part):
    """A deal form exactly as `shared/docs/deal-form.yaml` shows it."""

    deal: str | None = None
    contract_type: Text
    contract_date: FormDate | None = None
    division: Text
    manager: Person
    buyer: Buyer
    subject: Subject
    price: Price
    buyer_liability: Liability
    delivery: Delivery
    seller_liability: Liability
    attachments: list[Text] = []

    @field_validator("contract_type")
    @classmethod
    def _known_contract_type(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("contract_types")
        if known is not None and value not in known:
            listed = ", ".join(sorted(known)) or "шаблонов нет"
            raise _fail("template", f"нет шаблона договора «{value}» в templates/contracts/ (есть: {listed})")
        return value

    @field_validator("division")
    @classmethod
    def _known_division(cls, value: str, info: ValidationInfo) -> str:
        divisions = (info.context or {}).get("divisions")
        if divisions is not None and value not in divisions:
            listed = ", ".join(sorted(divisions)) or "нет ни одного"
            raise _fail("division", f"направления «{value}» нет в настройках docgen.toml (есть: {listed})")
        return value

    @field_validator("deal", mode="before")
    @classmethod
    def _deal_number(cls, value: object) -> object:
        return None if value in ("", None) else str(value).strip()
