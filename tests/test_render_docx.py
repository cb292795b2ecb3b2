"""Rendering the shipped templates: the example deal, hostile values, empty optional fields, 200 rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import types
import zipfile

import docx
import pytest
from render_fixtures import docx_text, example_data, hostile_data, make_deal, plain, workspace

from docgen.errors import TemplateError
from docgen.files import write_atomic
from docgen.render.context import Approval, contract_context
from docgen.render.docx import read_identity, render_approval_sheet, render_contract, render_document, render_handover
from docgen.settings import load_settings

FIGURES = ["2 023 980,00", "1 659 000,00", "364 980,00"]
WORDS = "два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек"
APPROVALS = [
    Approval("lawyer", "Юрист Компании", "approved", dt.datetime(2026, 11, 26, 10, 15), "Без замечаний", 2, "a" * 64),
    Approval("finance", "Кравцова Елена Олеговна", "approved", dt.datetime(2026, 11, 26, 14, 5), "", 2, "a" * 64),
]


@pytest.fixture
def ws(tmp_path):
    return workspace(tmp_path)


def test_supply_contract_carries_the_deal(ws):
    data = render_contract(make_deal(ws), ws=ws, number="2026-0001", version=1)
    text = docx_text(data)
    assert "ДОГОВОР ПОСТАВКИ № 2026-0001" in text
    assert "«20» ноября 2026 г." in text
    for figure in FIGURES:
        assert figure in text
    assert WORDS in text
    assert "в т.ч. НДС 22 %" in text
    assert ("ООО «Ромашка & Ко», именуемое в дальнейшем «Покупатель», в лице Генерального директора "
            "Иванова Ивана Ивановича, действующего на основании Устава") in text
    assert "в лице Генерального директора Сидорова Алексея Николаевича, действующего" in text
    assert "/ И. И. Иванов /" in text and "/ А. Н. Сидоров /" in text
    for requisite in ("ИНН 5027012348, КПП 502701001", "ОГРН 1025001234565", "Р/с 40702810640000012345",
                      "К/с 30101810400000000225, БИК 044525225", "E-mail: zakupki@romashka.example"):
        assert requisite in text
    assert "607 194,00 руб. (шестьсот семь тысяч сто девяносто четыре рубля 00 копеек) — в течение 5 банковских " \
           "дней с даты подписания Договора" in text
    assert "пеню в размере 0,1 % от не уплаченной в срок суммы" in text
    assert "в течение 45 рабочих дней с даты поступления предоплаты" in text
    assert "Арбитражный суд по месту нахождения Поставщика" in text
    assert "None" not in text and "{{" not in text and "{%" not in text


def test_properties_name_the_deal_and_version(ws, tmp_path):
    data = render_contract(make_deal(ws), ws=ws, number="2026-0007", version=3)
    props = docx.Document(io.BytesIO(data)).core_properties
    assert (props.identifier, props.version) == ("2026-0007", "3")
    assert props.title == "Договор поставки № 2026-0007"
    renamed = tmp_path / "что-то от юриста.docx"
    renamed.write_bytes(data)
    assert read_identity(renamed) == ("2026-0007", 3)
    resaved = io.BytesIO()
    docx.Document(io.BytesIO(data)).save(resaved)
    assert read_identity(resaved.getvalue()) == ("2026-0007", 3)


def test_identity_of_files_docgen_did_not_make(ws, tmp_path):
    plain_docx = io.BytesIO()
    docx.Document().save(plain_docx)
    assert read_identity(plain_docx.getvalue()) is None
    assert read_identity(b"not a zip") is None
    assert read_identity(tmp_path / "missing.docx") is None


def test_identity_survives_losing_the_custom_part(ws):
    data = render_contract(make_deal(ws), ws=ws, number="2026-0002", version=2)
    stripped = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.infolist():
            if item.filename != "docProps/custom.xml":
                dst.writestr(item, src.read(item))
    assert read_identity(stripped.getvalue()) == ("2026-0002", 2)


def test_works_contract(ws):
    data = example_data()
    data["contract_type"] = "works"
    data["subject"]["summary"] = "Изготовление и монтаж металлоконструкций каркаса склада"
    text = docx_text(render_contract(make_deal(ws, data), ws=ws, number="2026-0003", version=1))
    assert "ДОГОВОР ПОДРЯДА № 2026-0003" in text
    assert "именуемое в дальнейшем «Подрядчик»" in text and "«Заказчик»" in text
    assert "КС-2" in text and WORDS in text
    assert "Подрядчик завершает Работы и передаёт Заказчику их результат в течение 45 рабочих дней" in text


def test_hostile_values_render_as_written(ws):
    deal = make_deal(ws, hostile_data())
    data = render_contract(deal, ws=ws, number="2026-0004", version=1)
    text = docx_text(data)
    assert 'ООО "Рога & Копыта" <Север>' in text
    assert "Адрес: {{ 7*7 }} очень длинный адрес" in text and "49 очень" not in text
    assert "{% for x in range(3) %}{{ x }}{% endfor %} <b>&amp;</b> ]]>" in text
    assert "Ж" * 400 in text
    assert "в лице Генерального директора Петровой Анны Сергеевны, действующей на основании Устава" in text
    assert "/ А. С. Петрова /" in text


def test_control_characters_do_not_break_the_document(ws):
    data = example_data()
    data["subject"]["summary"] = "Каркас\x01 склада\x0b\x07"
    text = docx_text(render_contract(make_deal(ws, data), ws=ws, number="2026-0005", version=1))
    assert "Каркас склада" in text


def test_entrepreneur_without_optional_fields(ws):
    data = example_data()
    buyer = data["buyer"]
    buyer.update(name="ИП Петрова Анна Сергеевна", inn="500100732259", kpp=None, ogrn=None, email=None, phone=None)
    buyer["signatory"] = {"name": "Петрова Анна Сергеевна", "position": "Индивидуальный предприниматель",
                          "basis": "листа записи ЕГРИП"}
    data["price"]["vat_rate"] = "без НДС"
    data["delivery"].update(method="pickup", address=None)
    text = docx_text(render_contract(make_deal(ws, data), ws=ws, number="2026-0006", version=1))
    assert ("ИП Петрова Анна Сергеевна, именуемая в дальнейшем «Покупатель», действующая на основании "
            "листа записи ЕГРИП") in text
    assert "ИНН 500100732259 Р/с" in text  # no КПП, no ОГРН line for the buyer
    assert "E-mail: zakupki" not in text and "Тел.: +7 495 000-00-00" not in text
    assert "НДС не облагается" in text and "1 659 000,00" in text
    assert "Товар передаётся Покупателю на складе Поставщика (выборка Товара)" in text
    assert "None" not in text


def test_two_hundred_rows(ws):
    data = example_data()
    data["subject"]["items"] = [
        {"name": f"Балка Б-{i}", "unit": "шт", "quantity": "2", "unit_price": "1000.00"} for i in range(1, 201)
    ]
    rendered = render_contract(make_deal(ws, data), ws=ws, number="2026-0008", version=1)
    spec = docx.Document(io.BytesIO(rendered)).tables[0]
    assert len(spec.rows) == 1 + 200 + 3
    assert spec.rows[200].cells[1].text == "Балка Б-200"
    text = docx_text(rendered)
    assert "400 000,00" in text and "488 000,00" in text  # 200 × 2 000,00 plus 22 % VAT


def test_handover_and_approval_sheet(ws):
    deal = make_deal(ws)
    handover = docx_text(render_handover(deal, ws=ws, number="2026-0001", version=2, approvals=APPROVALS))
    assert "ВВОД В ПРОИЗВОДСТВО" in handover
    assert "До запуска в производство должно поступить 607 194,00 руб." in handover
    assert "Менеджер по сопровождению" in handover and "support.metal@localhost" in handover
    assert "Кравцова Елена Олеговна" in handover and "26.11.2026 14:05" in handover
    assert "5027012348 / 502701001" in handover and "Технический отдел" not in handover
    sheet_bytes = render_approval_sheet(deal, ws=ws, number="2026-0001", version=2, sha256="a" * 64,
                                        approvals=APPROVALS)
    sheet = docx_text(sheet_bytes)
    assert "ЛИСТ СОГЛАСОВАНИЯ" in sheet and "к договору № 2026-0001" in sheet
    assert "Юрист" in sheet and "Руководитель Финансового департамента" not in sheet.split("Юрист")[0]
    assert "Согласовано" in sheet and "Без замечаний" in sheet and "a" * 64 in sheet
    assert read_identity(sheet_bytes) == ("2026-0001", 2)


def test_handover_lists_attachments(ws):
    data = example_data()
    data["attachments"] = ["КМ.pdf", "Геология.pdf"]
    deal = make_deal(ws, data, **{"КМ.pdf": b"%PDF", "Геология.pdf": b"%PDF"})
    text = docx_text(render_handover(deal, ws=ws, number="2026-0001", version=1, approvals=[]))
    assert "Передана в Технический отдел (папка outbox/technical/2026-0001/): — КМ.pdf — Геология.pdf" in text


def _template(tmp_path, *paragraphs: str):
    path = tmp_path / "свой.docx"
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(path)
    return path


def test_unknown_name_is_refused_naming_template_and_variable(ws, tmp_path):
    context = contract_context(make_deal(ws), settings=ws.settings, number="2026-0001", version=1)
    path = _template(tmp_path, "Покупатель {{ buyer.name }}", "КПП {{ buyer.kppp }}")
    with pytest.raises(TemplateError) as caught:
        render_document(path, context, number="2026-0001", version=1, title="т")
    assert caught.value.template == "свой.docx" and caught.value.variable == "buyer.kppp"
    assert "неизвестное имя «buyer.kppp»" in str(caught.value) and "свой.docx" in str(caught.value)
    path = _template(tmp_path, "{{ seller_name }}")
    with pytest.raises(TemplateError, match="неизвестное имя «seller_name»"):
        render_document(path, context, number="2026-0001", version=1, title="т")


def test_syntax_error_and_sandbox(ws, tmp_path):
    context = contract_context(make_deal(ws), settings=ws.settings, number="2026-0001", version=1)
    path = _template(tmp_path, "Начало", "{% if buyer.kpp %} КПП {{ buyer.kpp }}")
    with pytest.raises(TemplateError, match="блок «if» не закрыт") as caught:
        render_document(path, context, number="2026-0001", version=1, title="т")
    assert "КПП" in str(caught.value)  # the paragraph is quoted
    path = _template(tmp_path, "{{ buyer.__class__.__mro__ }}")
    with pytest.raises(TemplateError):
        render_document(path, context, number="2026-0001", version=1, title="т")


def test_a_changed_template_is_read_again(ws, tmp_path):
    path = _template(tmp_path, "первый {{ number }}")
    first = render_document(path, {"number": "1"}, number="1", version=1, title="т")
    path = _template(tmp_path, "второй вариант {{ number }}")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second = render_document(path, {"number": "1"}, number="1", version=1, title="т")
    assert "первый 1" in docx_text(first) and "второй вариант 1" in docx_text(second)


def test_missing_or_broken_template(ws, tmp_path):
    with pytest.raises(TemplateError, match="нет"):
        render_document(tmp_path / "нет.docx", {}, number="1", version=1, title="т")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"plain text")
    with pytest.raises(TemplateError, match="не читается как документ Word"):
        render_document(broken, {}, number="1", version=1, title="т")


def test_contract_type_template_missing(ws):
    deal = make_deal(ws)
    deal = dataclasses.replace(deal, form=deal.form.model_copy(update={"contract_type": "lease"}))
    with pytest.raises(TemplateError, match="lease.docx"):
        render_contract(deal, ws=ws, number="2026-0001", version=1)


def test_write_atomic_leaves_only_the_file(tmp_path):
    target = tmp_path / "out" / "Договор 2026-0001.docx"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_plain_helper_keeps_words():
    assert plain("2\u00a0023\u00a0980,00\n руб.") == "2 023 980,00 руб."


@pytest.mark.parametrize(("summary", "method", "on_site"), [
    ("Монтаж лестницы", "delivery", True),
    ("Изготовление и монтаж металлоконструкций", "delivery", True),
    ("Монтаж лестницы", "pickup", False),  # picked up at the contractor's: nothing is built at the customer's
    ("Изготовление металлоконструкций", "delivery", False),  # made in the shop, delivered
])
def test_works_on_site_only_when_work_is_done_there(ws, summary, method, on_site):
    data = example_data()
    data["contract_type"] = "works"
    data["subject"]["summary"] = summary
    data["delivery"]["method"] = method
    context = contract_context(make_deal(ws, data), settings=ws.settings, number="2026-0001", version=1)
    assert context["works"].on_site is on_site
    text = docx_text(render_contract(make_deal(ws, data), ws=ws, number="2026-0001", version=1))
    assert ("КС-2" in text) is on_site and "изготовлению и монтажу" not in text


@pytest.mark.parametrize(("date", "due_days", "change"), [
    ("2025-12-10", 45, dt.date(2026, 1, 1)),  # signed at 20 %, delivered after the change to 22 %
    ("2025-09-01", 40, None),  # delivered long before it
    ("2026-11-20", 45, None),  # after it
])
def test_the_vat_change_clause_when_delivery_may_fall_after_it(ws, date, due_days, change):
    data = example_data()
    data["contract_date"] = date
    data["delivery"].update(due_days=due_days, after="signing")
    context = contract_context(make_deal(ws, data), settings=ws.settings, number="2026-0001", version=1)
    assert (context["vat_change"].since if context["vat_change"] else None) == change


def test_a_division_signs_by_power_of_attorney(tmp_path):
    ws = workspace(tmp_path)
    (ws.root / "docgen.toml").write_text(
        '[divisions.metal]\ntitle = "Металл"\ndirector = "Д <d@localhost>"\nsupport = "С <s@localhost>"\n'
        'signatory = { name = "Кузнецова Ольга Викторовна", position = "Директор направления", '
        'basis = "доверенности № 17 от 12.01.2026" }\n', encoding="utf-8")
    ws = dataclasses.replace(ws, settings=load_settings(ws.root, {}))
    text = docx_text(render_contract(make_deal(ws), ws=ws, number="2026-0001", version=1))
    assert ("в лице Директора направления Кузнецовой Ольги Викторовны, действующей на основании доверенности "
            "№ 17 от 12.01.2026") in text
    assert "по доверенности № 17 от 12.01.2026" in text and "/ О. В. Кузнецова /" in text


def test_no_vat_prints_the_legal_basis_from_the_settings(ws):
    """`[vat] no_vat_basis` (added by the form's VAT table) is printed after «НДС не облагается»."""
    data = example_data()
    data["price"]["vat_rate"] = "без НДС"
    vat = types.SimpleNamespace(rates=ws.settings.vat.rates,
                                no_vat_basis="п. 2 ст. 346.11 НК РФ, упрощённая система налогообложения")
    ws = dataclasses.replace(ws, settings=ws.settings.model_copy(update={"vat": vat}))
    text = docx_text(render_contract(make_deal(ws, data), ws=ws, number="2026-0001", version=1))
    assert "НДС не облагается (п. 2 ст. 346.11 НК РФ, упрощённая система налогообложения)" in text
