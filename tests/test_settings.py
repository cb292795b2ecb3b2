"""Settings: docgen.toml, DOCGEN_* overrides, and the settings table of docs/admin.md held to the code."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

from conftest import REPO
from docgen.errors import SettingsError
from docgen.layout import commented_toml
from docgen.settings import load_settings, settings_markdown, settings_table


def test_readme_documents_every_setting_as_the_code_has_it():
    readme = (REPO / "docs" / "admin.md").read_text(encoding="utf-8")
    table = readme.split("<!-- settings-table:start -->\n", 1)[1].split("\n<!-- settings-table:end -->", 1)[0]
    assert table == settings_markdown(), "docs/admin.md settings table is stale: paste settings_markdown()"
    for key, _default, description in settings_table():
        assert description, f"setting {key} has no description"


def test_the_toml_then_the_environment(tmp_path):
    (tmp_path / "docgen.toml").write_text(
        '[smtp]\nhost = "mail.example.ru"\nport = 465\n\n'
        '[divisions.concrete]\ntitle = "Бетон"\ndirector = "Д <d@x.ru>"\nsupport = "С <s@x.ru>"\n\n'
        '[[vat.rates]]\nsince = 2019-01-01\nrate = "20"\n', encoding="utf-8")
    s = load_settings(tmp_path, {"DOCGEN_SMTP__PORT": "2525", "DOCGEN_SMTP_PASSWORD": "секрет"})
    assert (s.smtp.host, s.smtp.port, s.smtp.password) == ("mail.example.ru", 2525, "секрет")
    assert set(s.divisions) == {"concrete"}
    assert s.vat_rate_on(dt.date(2026, 6, 1)) == Decimal("20")
    assert "секрет" not in s.model_dump_json()


def _error(tmp_path, toml: str, environ: dict[str, str] | None = None) -> str:
    (tmp_path / "docgen.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ or {})
    return str(caught.value)


@pytest.mark.parametrize(("toml", "expected"), [
    ("[smpt]\nhost = \"x\"\n", "smpt: неизвестный ключ «smpt» — возможно, имелось в виду «smtp»"),
    ("[smtp]\nprot = 1\n", "smtp.prot: неизвестный ключ «prot» — возможно, имелось в виду «port»"),
    ("[divisions.beton]\ntitle = \"Бетон\"\ndirectr = \"Д <d@x.ru>\"\nsupport = \"С <s@x.ru>\"\n",
     "divisions.beton.directr: неизвестный ключ «directr» — возможно, имелось в виду «director»"),
    ("[[vat.rates]]\nsince = 2026-01-01\nrait = 22\n", "vat.rates[0].rait: неизвестный ключ «rait» — возможно, имелось в виду «rate»"),
    ("[smtp]\nport = \"abc\"\n", "smtp.port: ожидается целое число; указано: 'abc'"),
    ("[watch]\npolling = \"да\"\n", "watch.polling: ожидается true или false"),
    ("[smtp]\nretry_delays = 5\n", "smtp.retry_delays: ожидается список в квадратных скобках"),
    ("[calendar]\nextra_holidays = [\"2026-13-01\"]\n", "calendar.extra_holidays[0]: ожидается дата ГГГГ-ММ-ДД"),
    ("[divisions.beton]\ntitle = \"Бетон\"\n", "divisions.beton.director: обязательный ключ не задан"),
    ("[smtp\n", "docgen.toml: файл настроек не читается: ошибка синтаксиса TOML в строке 1, столбец 6"),
])
def test_settings_errors_name_the_key_and_what_is_expected_in_russian(tmp_path, toml, expected):
    message = _error(tmp_path, toml)
    assert expected in message
    assert not any(english in message for english in ("Input should", "Extra inputs", "Field required"))


def test_an_unparsable_environment_value_is_a_settings_error(tmp_path):
    message = _error(tmp_path, "", {"DOCGEN_SMTP__RETRY_DELAYS": "[10,"})
    assert "переменной окружения раздела «smtp» не разбирается" in message


@pytest.mark.parametrize(("toml", "expected"), [
    ('[company]\ninn = "123"\n', "company.inn: ИНН должен состоять из 10 цифр"),
    ('[company]\ninn = "7707083894"\n', "company.inn: неверное контрольное число ИНН"),
    ('[company]\nkpp = "77070100A"\n', "company.kpp: ожидаются только цифры"),
    ('[company]\nogrn = "1027700132194"\n', "company.ogrn: неверное контрольное число ОГРН"),
    ('[company]\ninn = "500100732259"\nkpp = ""\n', "company.ogrn: у ИП (ИНН из 12 цифр) указывается ОГРНИП"),
    ('[company.bank]\nbik = "04452522"\n', "company.bank.bik: БИК должен состоять из 9 цифр"),
    ('[company.bank]\naccount = "40702810500000000002"\n', "company.bank.account: расчётный счёт не сходится с БИК"),
    ('[company.bank]\ncorr_account = "40101810500000000567"\n', "company.bank.corr_account: корреспондентский счёт"),
])
def test_the_sellers_requisites_are_checked_like_the_buyers(tmp_path, toml, expected):
    assert expected in _error(tmp_path, toml)


def test_an_entrepreneur_seller_needs_no_kpp(tmp_path):
    (tmp_path / "docgen.toml").write_text('[company]\ninn = "500100732259"\nkpp = ""\nogrn = "304500116000157"\n',
                                          encoding="utf-8")
    assert load_settings(tmp_path, {}).company.kpp == ""


def test_the_default_seller_is_an_obvious_example_and_says_so(tmp_path):
    company = load_settings(tmp_path, {}).company
    assert "реквизиты Продавца не заданы" in company.name and "реквизиты Продавца не заданы" in company.full_name
    assert "company.inn" in company.example_keys() and "company.bank.account" in company.example_keys()
    (tmp_path / "docgen.toml").write_text(
        '[company]\nname = "ООО «Вектор»"\ninn = "5027012348"\nkpp = "502701001"\nogrn = "1025001234565"\n',
        encoding="utf-8")
    left = load_settings(tmp_path, {}).company.example_keys()
    assert "company.inn" not in left and "company.name" not in left and "company.address" in left


def _uncommented(text: str) -> str:
    return "\n".join(line[2:].split("    # ")[0] for line in text.splitlines()
                     if line.startswith("# [") or (line.startswith("# ") and " = " in line))


def test_the_commented_toml_documents_every_table_and_holds_the_defaults(tmp_path):
    uncommented = _uncommented(commented_toml())
    tomllib.loads(uncommented)
    for table in ("[company]", "[company.signatory]", "[company.bank]", "[[vat.rates]]", "[divisions.metal]",
                  "[lead_days]", "[calendar]"):
        assert f"\n{table}\n" in f"\n{uncommented}\n", table
    (tmp_path / "docgen.toml").write_text(uncommented, encoding="utf-8")
    assert load_settings(tmp_path, {}) == load_settings(tmp_path / "empty", {})


@pytest.mark.parametrize(("toml", "expected"), [
    ('[people]\nlawyer = "Смирнова Елена Викторовна <lawyer@аms.example>"\n', "ключ lawyer: в адресе «lawyer@аms.example»"),
    ('[people]\nceo = "Генеральный директор <ceo@ams.exаmple>"\n', "ключ ceo: в адресе «ceo@ams.exаmple»"),
    ('[divisions.beton]\ntitle = "Бетон"\ndirector = "Д <d@bеton.ru>"\nsupport = "С <s@x.ru>"\n',
     "divisions.beton.director: в адресе «d@bеton.ru»"),
    ('[[absences]]\nwho = "lawyer"\nfrom = 2026-12-01\nto = 2026-12-02\ndeputy = "З <z@xа.ru>"\n',
     "absences[0].deputy: в адресе «z@xа.ru»"),
])
def test_an_address_mixing_latin_and_cyrillic_letters_is_refused(tmp_path, toml, expected):
    message = _error(tmp_path, toml)
    assert expected in message and "смешаны латинские и русские буквы" in message


def test_a_cyrillic_domain_of_its_own_is_an_address(tmp_path):
    (tmp_path / "docgen.toml").write_text('[people]\nlawyer = "Юрист <lawyer@почта.рф>"\n', encoding="utf-8")
    assert load_settings(tmp_path, {}).people.lawyer == "Юрист <lawyer@почта.рф>"
