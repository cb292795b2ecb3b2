"""The form's checks: the example is accepted with its totals; each rule names its field in Russian."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from conftest import EXAMPLE, SHARED_FORM, SHARED_ORIGINAL, TODAY
from docgen.errors import FormInvalid
from docgen.form.deal import accept
from docgen.form.readers import RawForm, read_form
from docgen.form.report import line_of, render_report
from docgen.form.versions import KnownDeal

TYPES = {"supply", "works"}


def _accept(data, settings, **kw):
    return accept(RawForm(data, kw.pop("attachments", {})), source="form.yaml", settings=settings,
                  contract_types=TYPES, today=TODAY)


def _faults(data, settings) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        _accept(data, settings)
    return {f.field: f.message for f in caught.value.faults}


@pytest.mark.parametrize("path", [EXAMPLE, SHARED_FORM], ids=["repo-example", "shared-form"])
def test_the_shared_form_is_accepted_with_its_totals(path, settings):
    deal = accept(read_form(path, max_bytes=10**6), source=path.name, settings=settings,
                  contract_types=TYPES, today=TODAY)
    t = deal.totals
    assert (t.subtotal, t.vat_rate, t.vat, t.total) == (
        Decimal("1659000.00"), Decimal("22"), Decimal("364980.00"), Decimal("2023980.00"))
    assert t.total_words == "два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек"
    assert [i.amount for i in t.installments] == [Decimal("607194.00"), Decimal("1416786.00")]
    assert sum(i.amount for i in t.installments) == t.total


def test_the_russian_example_holds_exactly_the_data_of_the_shared_form():
    import yaml

    shared = yaml.safe_load(SHARED_FORM.read_text(encoding="utf-8"))
    assert yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) == shared
    if SHARED_ORIGINAL is not None:  # the copy in tests/data is the product's form, byte for byte
        assert SHARED_FORM.read_bytes() == SHARED_ORIGINAL.read_bytes()
    comments = [line.split("#", 1)[1] for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if "#" in line]
    english = [c for c in comments if re.search(r"\b(the|of|optional|default|without|days)\b", c)]
    assert not english, english


def test_vat_rate_comes_from_the_dated_table(example_data, settings):
    example_data["contract_date"] = "2025-12-31"
    assert _accept(example_data, settings).totals.vat_rate == Decimal("20")
    example_data["contract_date"] = None
    deal = _accept(example_data, settings)
    assert deal.contract_date == TODAY and deal.totals.vat_rate == Decimal("22")


def test_form_vat_rate_overrides_and_no_vat_needs_its_basis(example_data, settings, tmp_path):
    from docgen.settings import load_settings

    example_data["price"]["vat_rate"] = "10"
    deal = _accept(example_data, settings)
    assert deal.totals.vat == Decimal("165900.00")
    assert "п. 2 ст. 164" in " ".join(w.message for w in deal.warnings)  # a reduced rate: the lawyer looks
    example_data["price"]["vat_rate"] = "без НДС"
    assert "[vat] no_vat_basis" in _faults(example_data, settings)["price.vat_rate"]
    basis = load_settings(tmp_path, {"DOCGEN_VAT__NO_VAT_BASIS": "в связи с применением УСН (ст. 346.11 НК РФ)"})
    totals = _accept(example_data, basis).totals
    assert totals.vat_rate is None and totals.total == Decimal("1659000.00")


def test_money_in_russian_spelling_is_read(example_data, settings):
    example_data["subject"]["items"][0]["unit_price"] = "85 000,00"
    assert _accept(example_data, settings).totals.subtotal == Decimal("1659000.00")


@pytest.mark.parametrize(
    ("spoil", "field", "words"),
    [
        (lambda d: d.pop("subject"), "subject", "раздела нет"),
        (lambda d: d["subject"].__setitem__("items", []), "subject.items", "хотя бы один"),
        (lambda d: d["subject"]["items"][1].__setitem__("quantity", "0"), "subject.items[1].quantity", "больше нуля"),
        (lambda d: d["subject"]["items"][0].__setitem__("unit_price", "-5"), "subject.items[0].unit_price", "больше нуля"),
        (lambda d: d["subject"]["items"][0].__setitem__("quantity", "двенадцать"), "subject.items[0].quantity", "ожидается количество"),
        (lambda d: d["price"]["payments"][1].__setitem__("share", "60"), "price.payments", "ровно 100"),
        (lambda d: d["price"].__setitem__("procedure", "barter"), "price.procedure", "price_list"),
        (lambda d: d["buyer_liability"].__setitem__("penalty_rate", "0"), "buyer_liability.penalty_rate", "больше нуля"),
        (lambda d: d["buyer_liability"].__setitem__("penalty_rate", "1"), "buyer_liability.penalty_rate", "предела"),
        (lambda d: d["seller_liability"].__setitem__("penalty_rate", "0.2"), "seller_liability.penalty_rate", "предела"),
        (lambda d: d["seller_liability"].__setitem__("penalty_cap", "120"), "seller_liability.penalty_cap", "от 0 до 100"),
        (lambda d: d["buyer_liability"].__setitem__("penalty_cap", "0"), "buyer_liability.penalty_cap", "от 0 до 100"),
        (lambda d: d["delivery"].__setitem__("address", None), "delivery.address", "доставка"),
        (lambda d: d["delivery"].__setitem__("due_days", 10), "delivery.due_days", "срока производства"),
        (lambda d: d["price"]["payments"][0].__setitem__("kind", "interim"), "delivery.after", "предоплат"),
        (lambda d: d["buyer"].__setitem__("inn", "5027012349"), "buyer.inn", "контрольное число"),
        (lambda d: d["buyer"].__setitem__("inn", "50270123"), "buyer.inn", "10 цифр"),
        (lambda d: d["buyer"].__setitem__("ogrn", "1025001234566"), "buyer.ogrn", "контрольное число"),
        (lambda d: d["buyer"].__setitem__("kpp", None), "buyer.kpp", "обязателен"),
        (lambda d: d["buyer"].__setitem__("kpp", "5027"), "buyer.kpp", "9 цифр"),
        (lambda d: d["buyer"]["bank"].__setitem__("bik", "04452522"), "buyer.bank.bik", "9 цифр"),
        (lambda d: d["buyer"]["bank"].__setitem__("account", "40702810640000012346"), "buyer.bank.account", "ключ"),
        (lambda d: d["buyer"]["bank"].__setitem__("corr_account", "30101810400000000226"), "buyer.bank.corr_account", "ключ"),
        (lambda d: d["buyer"]["bank"].__setitem__("account", "4070281064"), "buyer.bank.account", "20"),
        (lambda d: d["manager"].__setitem__("email", "petrov@"), "manager.email", "не адрес"),
        (lambda d: d["buyer"].__setitem__("email", "zakupki at romashka"), "buyer.email", "не адрес"),
        (lambda d: d.__setitem__("contract_type", "lease"), "contract_type", "нет шаблона"),
        (lambda d: d.__setitem__("division", "concrete"), "division", "нет в настройках"),
        (lambda d: d.__setitem__("contract_date", "2026.11.20"), "contract_date", "ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"),
        (lambda d: d["delivery"].__setitem__("adress", "x"), "delivery.adress", "возможно, имелось в виду «address»"),
        (lambda d: d.__setitem__("colour", "red"), "colour", "неизвестное поле"),
        (lambda d: d["subject"].__setitem__("items", "Колонна"), "subject.items", "список"),
        (lambda d: d["buyer"].__setitem__("signatory", "Иванов"), "buyer.signatory", "раздел"),
        (lambda d: d["delivery"].__setitem__("due_days", "сорок"), "delivery.due_days", "целое число"),
        (lambda d: d.__setitem__("attachments", ["КМ.pdf"]), "attachments[0]", "нет в ZIP"),
    ],
)
def test_each_rule_names_its_field(spoil, field, words, example_data, settings):
    spoil(example_data)
    faults = _faults(example_data, settings)
    assert field in faults, faults
    assert words in faults[field]


def test_every_fault_is_reported_in_one_pass(example_data, settings):
    example_data["buyer"]["inn"] = "123"
    example_data["subject"]["items"][0]["quantity"] = "-1"
    example_data["seller_liability"]["penalty_cap"] = "500"
    example_data["manager"]["email"] = "nobody"
    assert set(_faults(example_data, settings)) == {
        "buyer.inn", "subject.items[0].quantity", "seller_liability.penalty_cap", "manager.email"}


def test_entrepreneur_needs_no_kpp_but_an_ogrnip(example_data, settings):
    example_data["buyer"].update(inn="500100732259", kpp=None, ogrn="304500116000157")
    example_data["buyer"]["signatory"]["basis"] = "листа записи ЕГРИП"
    assert _accept(example_data, settings).form.buyer.is_entrepreneur
    example_data["buyer"]["ogrn"] = "1025001234565"
    assert "ОГРНИП" in _faults(example_data, settings)["buyer.ogrn"]


def test_unquoted_digits_from_yaml_are_taken_when_whole(example_data, settings):
    example_data["buyer"]["inn"] = 5027012348
    assert _accept(example_data, settings).form.buyer.inn == "5027012348"


def test_report_names_the_essential_and_the_field(example_data, settings):
    example_data["delivery"]["address"] = ""
    with pytest.raises(FormInvalid) as caught:
        _accept(example_data, settings)
    report = render_report("сделка.yaml", caught.value.faults)
    assert "4. Поставка, адрес поставки (delivery.address): укажите адрес поставки" in report
    assert report.startswith("Форма «сделка.yaml» не принята")


def test_positions_in_lists_are_counted_from_one(example_data, settings):
    example_data["subject"]["items"][1]["unit"] = ""
    with pytest.raises(FormInvalid) as caught:
        _accept(example_data, settings)
    line = line_of(caught.value.faults[0])
    assert line.startswith("1. Предмет договора, позиция спецификации 2, единица измерения (subject.items[1].unit)")


def test_limits_come_from_the_settings(example_data, tmp_path):
    from docgen.settings import load_settings

    strict = load_settings(tmp_path, {"DOCGEN_LIMITS__SELLER_PENALTY_RATE_MAX": "0.05",
                                      "DOCGEN_LEAD_DAYS": '{"supply": 60}'})
    faults = _faults(example_data, strict)
    assert "0,05 % в день" in faults["seller_liability.penalty_rate"]
    assert "60" in faults["delivery.due_days"]


# Every fault in one report (issue 17): structure and rules together, in the order of the form


def test_faults_that_used_to_come_in_layers_come_in_one_report(example_data, settings):
    example_data["buyer"]["inn"] = "5027012349"  # a wrong digit
    example_data["buyer"]["kpp"] = None
    example_data["price"]["payments"][1]["share"] = "60"
    faults = _faults(example_data, settings)
    assert "контрольное число" in faults["buyer.inn"]
    assert "обязателен" in faults["buyer.kpp"]
    assert "30 + 60 = 90" in faults["price.payments"]


def test_structural_and_rule_faults_of_every_essential_at_once(example_data, settings):
    example_data["contract_date"] = "31.11.2026"
    example_data["manager"]["email"] = "petrov@"
    example_data["buyer"]["ogrn"] = None
    example_data["subject"]["items"][0]["unit_price"] = "0.015"
    example_data["subject"]["items"][1]["quantity"] = "много"
    example_data["price"]["vat_rate"] = "13"
    example_data["price"]["payments"][0]["share"] = "31"
    example_data["buyer_liability"]["penalty_rate"] = "5"
    example_data["delivery"]["address"] = ""
    example_data["delivery"]["due_days"] = 10
    example_data.pop("seller_liability")
    with pytest.raises(FormInvalid) as caught:
        _accept(example_data, settings)
    fields = [f.field for f in caught.value.faults]
    assert fields == ["contract_date", "manager.email", "buyer.ogrn", "subject.items[0].unit_price",
                      "subject.items[1].quantity", "price.vat_rate", "price.payments",
                      "buyer_liability.penalty_rate", "delivery.address", "delivery.due_days", "seller_liability"]
    report = render_report("сделка.yaml", caught.value.faults)
    assert "Ошибок: 11 — здесь все, что нашлись" in report
    assert "раздела нет — заполните его: пеня, % в день, предел пени, % суммы" in report


def test_a_rule_whose_fields_cannot_be_read_is_skipped_not_guessed(example_data, settings):
    example_data["price"]["payments"][0]["share"] = "тридцать"  # the sum of shares cannot be known
    example_data["price"]["payments"][0]["kind"] = "аванс"
    faults = _faults(example_data, settings)
    assert set(faults) == {"price.payments[0].share", "price.payments[0].kind"}


# Hostile values (issue 10): every text has a limit, no hidden characters, no absurd numbers or dates


@pytest.mark.parametrize("field", ["buyer.name", "buyer.address", "subject.summary", "manager.name",
                                   "buyer.signatory.basis", "subject.items[0].name", "delivery.address"])
def test_a_huge_text_is_refused_by_its_length(example_data, settings, field):
    _set(example_data, field, "Я" * 3_000_000)
    assert "слишком длинно: 3000000 знаков при пределе" in _faults(example_data, settings)[field]


@pytest.mark.parametrize(("char", "words"), [
    ("\u0007", "невидимый служебный знак (U+0007"), ("\u202e", "знак направления текста (U+202E"),
    ("\u200b", "пробел нулевой ширины"), ("\ufeff", "BOM"), ("\n", "одну строку"), ("\u2067", "направления"),
])
@pytest.mark.parametrize("field", ["buyer.name", "buyer.signatory.name", "subject.items[1].unit", "buyer.phone"])
def test_hidden_characters_are_a_fault_naming_the_field(example_data, settings, char, words, field):
    _set(example_data, field, f"ООО{char}Ромашка")
    assert words in _faults(example_data, settings)[field]


@pytest.mark.parametrize(("value", "words"), [
    ("0001-01-01", "раньше 01.01.2019"), ("1900-05-05", "проверьте год"), ("2031-01-01", "больше чем через год"),
    ("31.11.2026", "такой даты нет: 31 ноября не бывает: в ноябре 30 дней"),
    ("2026-02-29", "2026 — не високосный год"), ("2026-13-01", "месяца 13 не бывает"),
])
def test_absurd_and_nonexistent_dates(example_data, settings, value, words):
    example_data["contract_date"] = value
    assert words in _faults(example_data, settings)["contract_date"]


def test_a_date_in_the_past_is_a_warning_not_a_fault(example_data, settings):
    example_data["contract_date"] = "20.11.2026"
    deal = _accept(example_data, settings)
    [warning] = deal.warnings
    assert warning.field == "contract_date" and "уже прошла" in warning.message
    example_data["contract_date"] = None
    assert _accept(example_data, settings).warnings == ()


@pytest.mark.parametrize("value", [[1, 2], {"n": 1}, True, "2026\u202e-0001", "x" * 41])
def test_a_deal_number_is_one_short_line(example_data, settings, value):
    example_data["deal"] = value
    assert "deal" in _faults(example_data, settings)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("subject.items[0].unit_price", "1e400", "слишком большая цена"),
    ("subject.items[0].unit_price", float("inf"), "число слишком большое"),
    ("subject.items[0].unit_price", "1" * 100, "слишком длинное число"),
    ("subject.items[0].quantity", "1e29", "слишком большое количество"),
    ("subject.items[0].quantity", "0.0000001", "не больше 6 знаков"),
    ("price.payments[0].share", "30.555", "не больше 2 знаков"),
    ("price.payments[0].share", "1e29", "не больше 100"),
    ("subject.items[0].unit_price", "0.015", "не больше чем с двумя знаками после запятой"),
])
def test_numbers_no_one_types_get_a_russian_fault(example_data, settings, field, value, words):
    _set(example_data, field, value)
    assert words in _faults(example_data, settings)[field]


def test_a_line_that_rounds_to_nothing_and_a_total_too_big_to_print(example_data, settings):
    example_data["subject"]["items"][1].update(quantity="0.001", unit_price="0.01")
    assert "округляется до 0,00" in _faults(example_data, settings)["subject.items[1]"]
    example_data["subject"]["items"][1].update(quantity="1000000000", unit_price="999999999.00")
    assert "разделите сделку" in _faults(example_data, settings)["subject.items"]


@pytest.mark.parametrize("typed", ["85 000,00", "85000,00 руб.", "85\u00a0000", "85000 ₽"])
def test_money_as_russians_type_it(example_data, settings, typed):
    example_data["subject"]["items"][0]["unit_price"] = typed
    assert _accept(example_data, settings).totals.subtotal == Decimal("1659000.00")


@pytest.mark.parametrize("typed", ["30 %", "30%", 30, "30,0"])
def test_percentages_as_russians_type_them(example_data, settings, typed):
    example_data["price"]["payments"][0]["share"] = typed
    assert _accept(example_data, settings).totals.installments[0].share == Decimal(30)


# VAT (issue 12): only lawful rates, said which on the contract's date


@pytest.mark.parametrize(("rate", "words"), [
    ("13", "ставки НДС 13 % в законе нет"),
    ("0.22", "похоже, процент записан долей: 0.22 — это 22 %"),
    ("0,1", "это 10 %"),
    ("20", "не действует на дату договора 20.11.2026"),
])
def test_unlawful_vat_rates_are_refused_with_the_allowed_ones(example_data, settings, rate, words):
    example_data["price"]["vat_rate"] = rate
    message = _faults(example_data, settings)["price.vat_rate"]
    assert words in message
    if "процент записан долей" not in message:
        assert "22 % — основная ставка с 1 января 2026 г." in message and "10 % — товары" in message


def test_a_rate_is_judged_on_the_contract_date(example_data, settings):
    example_data.update(contract_date="2025-12-20")
    example_data["price"]["vat_rate"] = "20"
    assert _accept(example_data, settings).totals.vat_rate == Decimal(20)
    example_data["price"]["vat_rate"] = "22 %"
    assert "не действует на дату договора 20.12.2025" in _faults(example_data, settings)["price.vat_rate"]


# The parties (issue 12)


def test_an_organisation_without_ogrn(example_data, settings):
    example_data["buyer"]["ogrn"] = ""
    assert "ОГРН обязателен для организации" in _faults(example_data, settings)["buyer.ogrn"]


@pytest.mark.parametrize(("basis", "words"), [("Устава", "не на основании Устава"), (None, "у ИП устава нет")])
def test_an_entrepreneur_does_not_act_on_a_charter(example_data, settings, basis, words):
    example_data["buyer"].update(inn="500100732259", kpp=None, ogrn="304500116000157")
    if basis is None:
        example_data["buyer"]["signatory"].pop("basis")
    else:
        example_data["buyer"]["signatory"]["basis"] = basis
    message = _faults(example_data, settings)["buyer.signatory.basis"]
    assert words in message and "листа записи ЕГРИП" in message


def test_the_buyer_cannot_be_the_seller(example_data, settings):
    example_data["buyer"].update(inn=settings.company.inn, kpp=settings.company.kpp, ogrn=settings.company.ogrn)
    assert "совпадает с ИНН Продавца" in _faults(example_data, settings)["buyer.inn"]


def test_pickup_without_an_address_needs_the_warehouse_in_the_settings(example_data, settings, tmp_path):
    from docgen.settings import load_settings

    example_data["delivery"].update(method="pickup", address=None)
    assert "[company] warehouse" in _faults(example_data, settings)["delivery.address"]
    stocked = load_settings(tmp_path, {"DOCGEN_COMPANY__WAREHOUSE": "г. Москва, ул. Складская, д. 1"})
    assert _accept(example_data, stocked).form.delivery.address is None


@pytest.mark.parametrize(("field", "value"), [
    ("manager.email", "petrov@аms.example"),  # a Russian «а»
    ("manager.email", "petrov@ams.еxample"),  # a Russian «е» in the top-level domain
    ("buyer.email", "zakupki@romashkа.example"),
])
def test_an_address_mixing_latin_and_cyrillic_letters(example_data, settings, field, value):
    _set(example_data, field, value)
    assert "смешаны латинские и русские буквы" in _faults(example_data, settings)[field]


def test_an_address_docgen_cannot_send_to_is_refused_and_a_russian_domain_is_not(example_data, settings):
    _set(example_data, "manager.email", "пётр@ams.example")
    assert "только латиница" in _faults(example_data, settings)["manager.email"]
    _set(example_data, "manager.email", "petrov@почта.рф")
    assert _accept(example_data, settings).form.manager.email == "petrov@почта.рф"


def test_a_division_and_a_contract_type_by_their_russian_names(example_data, settings):
    example_data.update(division="направление металлоконструкций", contract_type="Договор поставки")
    deal = accept(RawForm(example_data), source="f.yaml", settings=settings,
                  contract_types={"supply": "договор поставки", "works": "договор подряда"}, today=TODAY)
    assert (deal.form.division, deal.form.contract_type) == ("metal", "supply")


# A corrected version (issue 11): the same verdict wherever it is checked


@pytest.mark.parametrize(("known", "field", "words"), [
    (None, "deal", "сделки «2026-0007» нет"),
    (KnownDeal("2026-0007", returned=False, where="подписана", buyer_inn="5027012348"), "deal", "сейчас подписана"),
    (KnownDeal("2026-0007", returned=True, where="возвращена", buyer_inn="7707083893"), "buyer.inn", "не совпадает"),
])
def test_a_corrected_form_against_its_deal(example_data, settings, known, field, words):
    example_data["deal"] = "2026-0007"
    with pytest.raises(FormInvalid) as caught:
        accept(RawForm(example_data), source="f.yaml", settings=settings, contract_types=TYPES, today=TODAY,
               deals=lambda number: known)
    assert words in {f.field: f.message for f in caught.value.faults}[field]


def test_a_corrected_form_of_a_returned_deal_is_accepted(example_data, settings):
    example_data["deal"] = "2026-0007"
    known = KnownDeal("2026-0007", returned=True, where="возвращена менеджеру", buyer_inn="5027012348")
    deal = accept(RawForm(example_data), source="f.yaml", settings=settings, contract_types=TYPES, today=TODAY,
                  deals=lambda number: known)
    assert deal.form.deal == "2026-0007"


def test_a_stored_form_stays_readable_when_checks_grow_stricter(example_data, settings):
    from docgen.form.deal import freeze, thaw

    frozen = json.loads(freeze(_accept(example_data, settings)))
    frozen["subject"]["items"][0]["unit_price"] = "0.015"  # accepted by an older docgen
    frozen["buyer"]["name"] = "ООО\u200bРомашка"
    assert thaw(json.dumps(frozen, ensure_ascii=False)).form.buyer.name == "ООО\u200bРомашка"


def _set(data: dict, dotted: str, value) -> None:
    node = data
    parts = [p for p in re.split(r"\.|\[|\]", dotted) if p]
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value


@pytest.mark.parametrize(("basis", "right"), [("Устав", "«Устава»"), ("доверенность № 5 от 01.02.2026",
                                                                       "«доверенности № 5 от 01.02.2026»")])
def test_the_basis_is_written_as_the_contract_reads_it(example_data, settings, basis, right):
    example_data["buyer"]["signatory"]["basis"] = basis
    assert right in _faults(example_data, settings)["buyer.signatory.basis"]
