"""The form's checks: the example is accepted with its totals; each rule names its field in Russian."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import EXAMPLE, SHARED_FORM, TODAY
from docgen.errors import FormInvalid
from docgen.form.deal import accept
from docgen.form.readers import RawForm, read_form
from docgen.form.report import line_of, render_report

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
    if not path.exists():
        pytest.skip("shared/ is not beside this checkout")
    deal = accept(read_form(path, max_bytes=10**6), source=path.name, settings=settings,
                  contract_types=TYPES, today=TODAY)
    t = deal.totals
    assert (t.subtotal, t.vat_rate, t.vat, t.total) == (
        Decimal("1659000.00"), Decimal("22"), Decimal("364980.00"), Decimal("2023980.00"))
    assert t.total_words == "два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек"
    assert [i.amount for i in t.installments] == [Decimal("607194.00"), Decimal("1416786.00")]
    assert sum(i.amount for i in t.installments) == t.total


def test_vat_rate_comes_from_the_dated_table(example_data, settings):
    example_data["contract_date"] = "2025-12-31"
    assert _accept(example_data, settings).totals.vat_rate == Decimal("20")
    example_data["contract_date"] = None
    deal = _accept(example_data, settings)
    assert deal.contract_date == TODAY and deal.totals.vat_rate == Decimal("22")


def test_form_vat_rate_overrides_and_no_vat_is_valid(example_data, settings):
    example_data["price"]["vat_rate"] = "10"
    assert _accept(example_data, settings).totals.vat == Decimal("165900.00")
    example_data["price"]["vat_rate"] = "без НДС"
    totals = _accept(example_data, settings).totals
    assert totals.vat_rate is None and totals.total == Decimal("1659000.00")


def test_money_in_russian_spelling_is_read(example_data, settings):
    example_data["subject"]["items"][0]["unit_price"] = "85 000,00"
    assert _accept(example_data, settings).totals.subtotal == Decimal("1659000.00")


@pytest.mark.parametrize(
    ("spoil", "field", "words"),
    [
        (lambda d: d.pop("subject"), "subject", "обязательное"),
        (lambda d: d["subject"].__setitem__("items", []), "subject.items", "хотя бы один"),
        (lambda d: d["subject"]["items"][1].__setitem__("quantity", "0"), "subject.items[1].quantity", "больше нуля"),
        (lambda d: d["subject"]["items"][0].__setitem__("unit_price", "-5"), "subject.items[0].unit_price", "больше нуля"),
        (lambda d: d["subject"]["items"][0].__setitem__("quantity", "двенадцать"), "subject.items[0].quantity", "число"),
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
        (lambda d: d.__setitem__("contract_date", "20/11/2026"), "contract_date", "ГГГГ-ММ-ДД"),
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
    assert "0.05" in faults["seller_liability.penalty_rate"]
    assert "60" in faults["delivery.due_days"]
