"""The deal form as pydantic models: the five essentials, the buyer, and per-value checks.

Checks that concern one value (a checksum, a sign, a length, a name in the settings) live here, in the
field's type, so one validation pass reports them all and `salvage` can check a field alone; checks
across fields live in `rules`. Every custom error carries its Russian message; `report` translates
pydantic's own error types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from docgen.form import numbers, requisites, text
from docgen.form.labels import CONTRACT_TYPES

MAX_MONEY = Decimal("999999999999.99")  # the largest sum the documents print on one line
MAX_QUANTITY = Decimal("1000000000")
MAX_ITEMS = 1000
MAX_PAYMENTS = 50
NO_VAT = "без НДС"
_NO_VAT_SPELLINGS = {"без ндс", "без ндс.", "без н.д.с.", "ндс не облагается", "none", "exempt", "no vat"}


def _fail(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _checking(info: ValidationInfo) -> bool:
    """False for a form docgen stored itself (`thaw`): it passed the checks of the docgen that accepted it,
    and a stricter check added since must not make an accepted deal unreadable."""
    return not (info.context or {}).get("trusted")


def _visible(value: str, info: ValidationInfo) -> str:
    fault = text.hidden_fault(value) if _checking(info) else None
    if fault:
        raise _fail("hidden_character", fault)
    return value


def _within(limit: int) -> Callable[[str, ValidationInfo], str]:
    def check(value: str, info: ValidationInfo) -> str:
        if len(value) > limit and _checking(info):
            raise _fail("too_long", f"слишком длинно: {len(value)} знаков при пределе {limit} — сократите")
        return _visible(value, info)

    return check


def _text(limit: int) -> Any:
    return Annotated[str, Field(min_length=1), AfterValidator(_within(limit))]


Short = _text(100)
Unit = _text(30)
Name = _text(500)  # «Федеральное государственное бюджетное учреждение … имени …» fits with room to spare
Address = _text(1000)
Long = _text(2000)
Text = Name  # the general text field of other forms (the client transfer)


def _number(value: object, *, what: str, example: str, percent: bool = False, money: bool = False) -> Decimal:
    try:
        return numbers.parse_decimal(value, percent=percent, money=money)
    except numbers.TooLong:
        raise _fail("number_too_long", f"слишком длинное число (больше {numbers.MAX_NUMBER_CHARS} знаков)") from None
    except ValueError:
        if isinstance(value, float):  # JSON's 1e400 arrives as infinity
            raise _fail("number_too_big", "число слишком большое") from None
        raise _fail("number", f"ожидается {what}, например {example}") from None


def _bounded(number: Decimal, info: ValidationInfo, *, high: Decimal, places: int, too_big: str,
             what: str) -> Decimal:
    """`number` in (0, high] with at most `places` digits after the point."""
    if not _checking(info):
        return number
    if number <= 0:
        raise _fail("positive", "должно быть больше нуля")
    if number > high:
        raise _fail("number_too_big", too_big)
    if numbers.decimals(number) > places:
        raise _fail("decimals", f"{what} — не больше {places} знаков после запятой")
    return number


def _money(value: object, info: ValidationInfo) -> Decimal:
    number = _number(value, what="сумма в рублях", example="85000.50 или «85 000,50»", money=True)
    if number > 0 and numbers.decimals(number) > 2 and _checking(info):
        raise _fail("kopecks", f"цена в рублях пишется не больше чем с двумя знаками после запятой (копейки), "
                               f"а здесь {text.shown(value)}; округлите до копеек")
    return _bounded(number, info, high=MAX_MONEY, places=2, what="цена",
                    too_big="слишком большая цена: не больше 999 999 999 999,99 руб.")


def _quantity(value: object, info: ValidationInfo) -> Decimal:
    number = _number(value, what="количество числом", example="12 или 4,5 (единица измерения — в своём поле)")
    return _bounded(number, info, high=MAX_QUANTITY, places=6, what="количество",
                    too_big="слишком большое количество: не больше 1 000 000 000")


def _share(value: object, info: ValidationInfo) -> Decimal:
    number = _number(value, what="доля в процентах", example="30 или «30 %»", percent=True)
    return _bounded(number, info, high=Decimal(100), places=2, what="доля платежа",
                    too_big="доля платежа — не больше 100 %")


def _penalty_rate(value: object, info: ValidationInfo) -> Decimal:
    number = _number(value, what="пеня в процентах за день", example="0.1 или «0,1 %»", percent=True)
    return _bounded(number, info, high=Decimal(100), places=4, what="пеня",
                    too_big="пеня — не больше 100 % в день")


def _penalty_cap(value: object, info: ValidationInfo) -> Decimal:
    number = _number(value, what="предел пени в процентах", example="10 или «10 %»", percent=True)
    if not 0 < number <= 100 and _checking(info):
        raise _fail("cap", "предел неустойки — от 0 до 100 % суммы (больше нуля)")
    return _bounded(number, info, high=Decimal(100), places=2, what="предел пени", too_big="")


def _vat_rate(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().lower() in _NO_VAT_SPELLINGS:
        return NO_VAT
    number = _number(value, what="ставка НДС в процентах или «без НДС»", example="22 или «22 %»", percent=True)
    if not 0 <= number <= 100:
        raise _fail("vat_range", "ставка НДС — от 0 до 100 %")
    return number


def _blank_is_none(value: object) -> object:
    """An optional field left empty («kpp: ""», an empty card cell) is not given at all."""
    return None if isinstance(value, str) and not value.strip() else value


def _optional(kind: Any) -> Any:
    return Annotated[kind | None, BeforeValidator(_blank_is_none)]


def _digits(value: object) -> str:
    try:
        return numbers.parse_digits(value)
    except ValueError:
        raise _fail("digits", "ожидаются только цифры, без букв и других знаков (пробелы между цифрами можно)") from None


def _date(value: object) -> dt.date:
    try:
        return numbers.parse_date(value)
    except numbers.NoSuchDate as exc:
        raise _fail("no_such_date", f"такой даты нет: {exc.reason}") from None
    except ValueError:
        raise _fail("date", "дата пишется как ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, например 20.11.2026") from None


def _email(value: str, info: ValidationInfo) -> str:
    try:
        normalized = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _fail("email", f"«{text.shown(value)}» — не адрес электронной почты; пример: petrov@ams.example") from None
    word = text.mixed_alphabet_word(value) if _checking(info) else None
    local = normalized.rpartition("@")[0]
    if _checking(info) and not word and not local.isascii():  # SMTPUTF8 is rare: docgen sends to ASCII names only
        raise _fail("email_local", f"«{text.shown(value)}»: имя ящика до «@» — только латиница, цифры и знаки "
                                   ". _ - +; письмо на такой адрес docgen отправить не сможет")
    if word:
        raise _fail("email_alphabets", f"в адресе смешаны латинские и русские буквы: в «{word}» русские — "
                                       f"«{text.cyrillic_letters(word)}»; наберите адрес в английской раскладке")
    return normalized


def _checked(check: Callable[[str], str | None]) -> AfterValidator:
    def run(value: str) -> str:
        fault = check(value)
        if fault:
            raise _fail("requisite", fault)
        return value

    return AfterValidator(run)


def _deal_number(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise _fail("deal_number", "номер сделки пишется одной строкой, например 2026-0001; "
                               "для новой сделки оставьте поле пустым")


def _code_of(value: str, known: Mapping[str, str] | Collection[str]) -> str | None:
    """The code `value` names: the code itself or its Russian label, in any letter case."""
    labels = known if isinstance(known, Mapping) else {code: code for code in known}
    wanted = value.casefold()
    for code, label in labels.items():
        if wanted in (code.casefold(), str(label).casefold()):
            return code
    return None


def _known(kind: str, *, message: str, labels: Mapping[str, str], none: str) -> Callable[..., str]:
    """A validator taking a code (or its Russian label) the workspace knows, from the validation context;
    `message` names the value as {value} and the known codes as {listed}."""
    def check(value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get(kind)
        if known is None:
            return value
        code = _code_of(value, known)
        if code is None:
            raise _fail(kind, message.format(value=text.shown(value), listed=_listed(known, labels) or none))
        return code

    return check


def _listed(known: Mapping[str, str] | Collection[str], labels: Mapping[str, str]) -> str:
    """«supply — договор поставки, works — договор подряда»: the codes with their Russian names."""
    named = known if isinstance(known, Mapping) else {code: labels.get(code, code) for code in known}
    return ", ".join(code if label == code else f"{code} — {label}" for code, label in sorted(named.items()))


Money = Annotated[Decimal, BeforeValidator(_money)]
Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
Share = Annotated[Decimal, BeforeValidator(_share)]
PenaltyRate = Annotated[Decimal, BeforeValidator(_penalty_rate)]
Cap = Annotated[Decimal, BeforeValidator(_penalty_cap)]
VatRate = Annotated[Decimal | Literal["без НДС"] | None, BeforeValidator(_vat_rate)]
Number = Annotated[Decimal, BeforeValidator(lambda v: _number(v, what="число", example="1500.50 или «1 500,50»"))]
Digits = Annotated[str, BeforeValidator(_digits)]
Email = Annotated[str, Field(min_length=1), AfterValidator(_within(254)), AfterValidator(_email)]
FormDate = Annotated[dt.date, BeforeValidator(_date)]
Days = Annotated[int, Field(ge=0, le=3650)]
DealNumber = Annotated[str | None, BeforeValidator(_deal_number),
                       AfterValidator(lambda v, info: v if v is None else _within(40)(v, info))]
ContractType = Annotated[Short, AfterValidator(_known(
    "contract_types", message="нет шаблона договора «{value}» в templates/contracts/ (есть: {listed})",
    labels=CONTRACT_TYPES, none="шаблонов нет"))]
Division = Annotated[Short, AfterValidator(_known(
    "divisions", message="направления «{value}» нет в настройках docgen.toml (есть: {listed})",
    labels={}, none="нет ни одного"))]


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


class Part(BaseModel):
    """A part of the form: unknown keys are reported, surrounding spaces trimmed, numbers taken as text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, coerce_numbers_to_str=True)


class Person(Part):
    name: Name
    email: Email


class Signatory(Part):
    name: Name
    position: Name
    basis: Name = "Устава"


class Bank(Part):
    name: Name
    bik: Annotated[Digits, _checked(requisites.bik_fault)]
    account: Annotated[Digits, _checked(requisites.account_fault)]
    corr_account: Annotated[Digits, _checked(requisites.account_fault)]


class Buyer(Part):
    name: Name
    # the length here, the control numbers in `rules`: an ИНН with a wrong digit still tells an organisation
    # (10 digits) from an ИП (12), so the checks that depend on it still run
    inn: Annotated[Digits, _checked(requisites.inn_shape_fault)]
    kpp: _optional(Annotated[Digits, _checked(requisites.kpp_fault)]) = None
    ogrn: _optional(Annotated[Digits, _checked(requisites.ogrn_shape_fault)]) = None
    address: Address
    signatory: Signatory
    bank: Bank
    email: _optional(Email) = None
    phone: _optional(Short) = None
    contact: _optional(Name) = None  # who to call: «Смирнов Олег, +7 916 000-00-00» (for «Ввод в Производство»)

    @property
    def is_entrepreneur(self) -> bool:
        return len(self.inn) == 12


class Item(Part):
    name: Long
    unit: Unit
    quantity: Quantity
    unit_price: Money


class Subject(Part):
    summary: Long
    items: Annotated[list[Item], Field(min_length=1, max_length=MAX_ITEMS)]


class Payment(Part):
    share: Share
    kind: PaymentKind
    due_days: Days
    after: PaymentAfter


class Price(Part):
    procedure: Procedure
    vat_rate: VatRate = None
    payments: Annotated[list[Payment], Field(min_length=1, max_length=MAX_PAYMENTS)]


class Liability(Part):
    penalty_rate: PenaltyRate
    penalty_cap: Cap


class Delivery(Part):
    method: DeliveryMethod
    address: _optional(Address) = None
    due_days: Annotated[int, Field(gt=0, le=3650)]
    after: DeliveryAfter


class DealForm(Part):
    """A deal form exactly as `shared/docs/deal-form.yaml` shows it."""

    deal: DealNumber = None
    contract_type: ContractType
    contract_date: _optional(FormDate) = None
    division: Division
    manager: Person
    buyer: Buyer
    subject: Subject
    price: Price
    buyer_liability: Liability
    delivery: Delivery
    seller_liability: Liability
    attachments: Annotated[list[Name], Field(max_length=100)] = []
