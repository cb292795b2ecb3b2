"""Template filters: money, words, dates, genitive, initials, VAT, gender agreement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from docgen.render import filters

NBSP = "\u00a0"


def test_money_and_words():
    assert filters.money(Decimal("2023980")) == f"2{NBSP}023{NBSP}980,00"
    assert filters.money("364980") == f"364{NBSP}980,00"
    assert filters.money(None) == "—"
    assert filters.words(Decimal("2023980")) == "два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек"


def test_numbers_and_percent():
    assert filters.percent(Decimal("0.1")) == "0,1"
    assert filters.percent(Decimal("22")) == "22"
    assert filters.number(Decimal("4.500")) == "4,5"
    assert filters.number(Decimal("12000")) == f"12{NBSP}000"


def test_dates():
    assert filters.date_ru(dt.date(2026, 11, 26)) == f"«26» ноября 2026{NBSP}г."
    assert filters.date_ru(dt.date(2026, 3, 1)) == f"«01» марта 2026{NBSP}г."
    assert filters.date_short(dt.date(2026, 11, 26)) == "26.11.2026"
    assert filters.datetime_ru(dt.datetime(2026, 11, 26, 9, 5)) == "26.11.2026 09:05"


@pytest.mark.parametrize(("n", "kind", "expected"), [
    (45, "рабочих", "45 рабочих дней"), (21, "банковских", "21 банковского дня"),
    (1, "рабочих", "1 рабочего дня"), (11, "рабочих", "11 рабочих дней"), (3, "календарных", "3 календарных дней"),
])
def test_days(n, kind, expected):
    assert filters.days(n, kind).replace(NBSP, " ") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("Иванов Иван Иванович", "Иванова Ивана Ивановича"),
    ("Петрова Анна Сергеевна", "Петровой Анны Сергеевны"),
    ("Генеральный директор", "Генерального директора"),
    ("ГЕНЕРАЛЬНЫЙ ДИРЕКТОР", "ГЕНЕРАЛЬНОГО ДИРЕКТОРА"),
    ("Директор по развитию", "Директора по развитию"),
    ("Заместитель генерального директора", "Заместителя генерального директора"),
    ("Индивидуальный предприниматель", "Индивидуального предпринимателя"),
    ("CEO", "CEO"),
])
def test_genitive(value, expected):
    assert filters.genitive(value) == expected


def test_initials_and_gender():
    assert filters.initials("Иванов Иван Иванович") == f"И.{NBSP}И.{NBSP}Иванов"
    assert filters.initials("Менеджер по сопровождению") == "Менеджер по сопровождению"
    assert filters.acting("Иванов Иван Иванович") == "действующего"
    assert filters.acting("Петрова Анна Сергеевна") == "действующей"
    assert filters.acting("Петрова Анна Сергеевна", "nomn") == "действующая"


def test_vat_and_named():
    assert filters.vat(Decimal("22")) == f"в т.ч. НДС 22{NBSP}%"
    assert filters.vat(Decimal("22"), Decimal("364980")) == (
        f"в т.ч. НДС 22{NBSP}% — 364{NBSP}980,00{NBSP}руб. (триста шестьдесят четыре тысячи девятьсот восемьдесят "
        "рублей 00 копеек)")
    assert filters.vat(None) == "НДС не облагается"
    assert filters.named("ООО «Ромашка»") == "именуемое"
    assert filters.named("ИП Петрова Анна Сергеевна", "Петрова Анна Сергеевна") == "именуемая"
