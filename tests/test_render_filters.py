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


@pytest.mark.parametrize(("name", "genitive", "initials"), [
    ("ИВАНОВ Иван Иванович", "ИВАНОВА Ивана Ивановича", "И. И. Иванов"),
    ("ИВАНОВ ИВАН ИВАНОВИЧ", "ИВАНОВА ИВАНА ИВАНОВИЧА", "И. И. Иванов"),
    ("Петрова-Водкина Анна Сергеевна", "Петровой-Водкиной Анны Сергеевны", "А. С. Петрова-Водкина"),
    ("ПЕТРОВА-ВОДКИНА Анна Сергеевна", "ПЕТРОВОЙ-ВОДКИНОЙ Анны Сергеевны", "А. С. Петрова-Водкина"),
    ("Мамедов Эльчин Рашид оглы", "Мамедова Эльчина Рашид оглы", "Э. Р. Мамедов"),
])
def test_names_in_capitals_and_with_hyphens(name, genitive, initials):
    assert filters.genitive(name) == genitive
    assert filters.initials(name).replace(NBSP, " ") == initials


@pytest.mark.parametrize(("position", "genitive", "dative"), [
    ("Генеральный директор — главный инженер", "Генерального директора — главного инженера",
     "Генеральному директору — главному инженеру"),
    ("Исполнительный директор-главный бухгалтер", "Исполнительного директора-главного бухгалтера",
     "Исполнительному директору-главному бухгалтеру"),
    ("Заместитель генерального директора по коммерческим вопросам",
     "Заместителя генерального директора по коммерческим вопросам",
     "Заместителю генерального директора по коммерческим вопросам"),
])
def test_compound_positions(position, genitive, dative):
    assert filters.genitive(position) == genitive
    assert filters.dative(position) == dative


def test_first_names_and_dative_names():
    assert filters.first_names("ИВАНОВ Иван Иванович") == "Иван Иванович"
    assert filters.dative("Петрова Анна Сергеевна") == "Петровой Анне Сергеевне"


@pytest.mark.parametrize(("value", "expected"), [
    ("0.61", f"0,61{NBSP}руб. (шестьдесят одна копейка)"),
    ("0.02", f"0,02{NBSP}руб. (две копейки)"),
    ("1.01", f"1,01{NBSP}руб. (один рубль 01 копейка)"),
    ("27.66", f"27,66{NBSP}руб. (двадцать семь рублей 66 копеек)"),
    ("999999999999.99", f"999{NBSP}999{NBSP}999{NBSP}999,99{NBSP}руб. (девятьсот девяносто девять миллиардов "
                        "девятьсот девяносто девять миллионов девятьсот девяносто девять тысяч девятьсот девяносто "
                        "девять рублей 99 копеек)"),
])
def test_rubles_figures_then_words(value, expected):
    assert filters.rubles(Decimal(value)) == expected


def test_an_unknown_date_is_a_blank_to_fill():
    assert filters.date_ru(None) == f"«____»{NBSP}____________ 20___{NBSP}г."
    assert filters.date_short(None) == "__.__.20__"
