"""Bad input of every kind gets a Russian reason, never a traceback; the XLSX card round-trips."""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from conftest import EXAMPLE, TODAY
from docgen.errors import FormInvalid, FormUnreadable
from docgen.form.card import write_card
from docgen.form.deal import accept
from docgen.form.model import DealForm
from docgen.form.readers import read_form

LIMIT = 1_000_000


def _unreadable(path: Path, limit: int = LIMIT) -> str:
    with pytest.raises(FormUnreadable) as caught:
        read_form(path, max_bytes=limit)
    return caught.value.faults[0].message


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("broken.yaml", b"buyer:\n  name: [unclosed\n", "ошибка разметки YAML в строке"),
        ("tabs.yaml", b"buyer:\n\tname: x\n", "ошибка разметки YAML"),
        ("broken.json", b'{"buyer": {"name": "x",}}', "ошибка разметки JSON в строке 1"),
        ("evil.yaml", b"buyer: !!python/object/apply:os.system ['echo pwned']\n", "недопустимая конструкция"),
        ("evil2.yaml", b"!!python/name:os.system\n", "недопустимая конструкция"),
        ("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "двоичные данные"),
        ("empty.yaml", b"", "пуст"),
        ("blank.json", b"  \n\n ", "пуст"),
        ("comments.yaml", b"# only a comment\n", "пуст"),
        ("list.yaml", b"- a\n- b\n", "ключ: значение"),
        ("scalar.json", b"42", "ключ: значение"),
        ("notes.docx", b"hello", "не принимаются"),
        ("tabbed.yaml", b"a: 1\n\tb: 2\n", "отступы делаются пробелами"),
        ("colon.yaml", "buyer:\n  name: ООО: Ромашка: и Ко\n  inn: 1\n".encode(), "двоеточие в неожиданном месте"),
        ("quote.yaml", b'buyer: "unclosed\n', "не закрыта кавычка"),
        ("twice.yaml", b"buyer:\n  name: A\n  name: B\n", "поле «name» указано дважды в одном разделе (строка 3)"),
        ("twice.json", b'{"deal": null, "deal": "2026-0001"}', "поле «deal» указано дважды"),
        ("self.yaml", b"a: &a [*a]\n", "ссылка «*» указывает на раздел, внутри которого стоит сама"),
        ("selfmap.yaml", b"a: &a {b: *a}\n", "такая форма бесконечна"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "слишком глубокая вложенность"),
        ("deepmap.json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "слишком глубокая вложенность"),
        ("deep.yaml", b"a: " + b"[" * 5000 + b"]" * 5000, "слишком глубокая вложенность"),
        ("bigint.json", b'{"deal": ' + b"9" * 5000 + b"}", "тысячи цифр"),
        ("nan.json", b'{"deal": NaN}', "NaN"),
        ("comma.json", b'{"deal": 1 "x": 2}', "пропущена запятая"),
        ("office.zip", b"\xd0\xcf\x11\xe0" + b"\0" * 600, "похоже на документ Office"),
        ("locked.xlsx", b"\xd0\xcf\x11\xe0" + b"\0" * 600, "защищена паролем или сохранена в старом формате"),
        ("card.xlsx", b"this is no workbook", "повреждён"),
        ("bundle.zip", b"PK\x03\x04garbage", "повреждён"),
    ],
)
def test_unreadable_files_are_explained(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    assert words in _unreadable(path)


def test_a_file_above_the_size_limit(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# x\n" * 1000)
    assert "слишком большой" in _unreadable(path, limit=1000)


def test_an_xlsx_that_is_not_a_card(tmp_path):
    wb = Workbook()
    wb.active.title = "Лист1"
    wb.active["A1"] = "Бюджет"
    path = tmp_path / "budget.xlsx"
    wb.save(path)
    assert "не является карточкой сделки" in _unreadable(path)


def test_a_blank_card_is_reported_empty(tmp_path):
    path = tmp_path / "blank.xlsx"
    write_card(path, None)
    assert "пуста" in _unreadable(path)


def test_json_form_is_read(tmp_path, example_data, settings):
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(example_data, default=str, ensure_ascii=False), encoding="utf-8")
    deal = accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings,
                  contract_types={"supply"}, today=TODAY)
    assert str(deal.totals.total) == "2023980.00"


def test_windows_1251_text_is_read(tmp_path):
    path = tmp_path / "cp.yaml"
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").replace("─", "-").replace("²", "2").encode("cp1251"))
    assert read_form(path, max_bytes=LIMIT).data["buyer"]["name"] == "ООО «Ромашка & Ко»"


def test_the_xlsx_card_round_trips(tmp_path, example_data):
    path = tmp_path / "card.xlsx"
    write_card(path, example_data)
    back = read_form(path, max_bytes=LIMIT).data
    assert DealForm.model_validate(back) == DealForm.model_validate(example_data)


def test_a_card_filled_by_hand_with_russian_choices(tmp_path, example_data, settings):
    from openpyxl import load_workbook

    path = tmp_path / "card.xlsx"
    write_card(path, example_data)
    wb = load_workbook(path)
    sheet = wb["Сделка"]
    for row in sheet.iter_rows(min_row=2):
        if row[2].value == "delivery.method":
            assert row[1].value == "доставка"
            row[1].value = "самовывоз"
        if row[2].value == "buyer.bank.bik":
            assert row[1].number_format == "@"
    wb.save(path)
    deal = accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings,
                  contract_types={"supply"}, today=TODAY)
    assert deal.form.delivery.method == "pickup"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_with_one_form_and_attachments(tmp_path, example_data, settings):
    example_data["attachments"] = ["КМ-1.pdf"]
    form = yaml.safe_dump(example_data, allow_unicode=True).encode()
    path = tmp_path / "deal.zip"
    path.write_bytes(_zip({"deal.yaml": form, "docs/КМ-1.pdf": b"%PDF-1.4 km", "docs/Геология.pdf": b"%PDF geo",
                           "__MACOSX/._deal.yaml": b"x"}))
    raw = read_form(path, max_bytes=LIMIT)
    assert set(raw.attachments) == {"docs/КМ-1.pdf", "docs/Геология.pdf"}
    deal = accept(raw, source=path.name, settings=settings, contract_types={"supply"}, today=TODAY)
    assert deal.attachments["docs/КМ-1.pdf"] == b"%PDF-1.4 km"


@pytest.mark.parametrize("entries", [{"a.pdf": b"x"}, {"a.yaml": b"x: 1", "b.json": b"{}"}])
def test_a_zip_needs_exactly_one_form(tmp_path, entries):
    path = tmp_path / "deal.zip"
    path.write_bytes(_zip(entries))
    assert "ровно одна форма" in _unreadable(path)


def test_a_zip_bomb_stops_at_the_limit(tmp_path):
    path = tmp_path / "bomb.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("deal.yaml", b"x: 1")
        archive.writestr("zeros.bin", b"\0" * 5_000_000)
    path.write_bytes(buffer.getvalue())
    assert "больше предела" in _unreadable(path)


def test_a_yaml_alias_bomb_is_refused(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "ссылок YAML" in _unreadable(path)


def test_yaml_anchors_and_merge_keys_still_work(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text("base: &b {unit: шт, quantity: '1'}\nitems:\n  - <<: *b\n    name: К-1\n  - *b\n")
    data = read_form(path, max_bytes=LIMIT).data
    assert data["items"][0] == {"unit": "шт", "quantity": "1", "name": "К-1"}
    assert data["items"][1] == {"unit": "шт", "quantity": "1"}


def _zip_entries(entries: list[tuple[zipfile.ZipInfo | str, bytes]], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _form_bytes(example_data) -> bytes:
    return yaml.safe_dump(example_data, allow_unicode=True).encode()


def test_windows_explorer_zip_names_in_cp866_are_read_as_meant(tmp_path, example_data):
    """Explorer writes names in the OEM code page without the UTF-8 flag; zipfile would read them as cp437."""
    example_data["attachments"] = ["КМ лист 1.pdf"]
    content = bytearray(_zip_entries([("deal.yaml", _form_bytes(example_data)), ("XXXXXXXXXXXXX", b"%PDF km")],
                                     method=zipfile.ZIP_STORED))
    oem = "КМ лист 1.pdf".encode("cp866")
    assert len(oem) == 13
    content = bytes(content).replace(b"XXXXXXXXXXXXX", oem)  # the local header and the central directory
    path = tmp_path / "from-explorer.zip"
    path.write_bytes(content)
    raw = read_form(path, max_bytes=LIMIT)
    assert list(raw.attachments) == ["КМ лист 1.pdf"]


def test_utf8_names_without_the_flag_are_read_too(tmp_path, example_data):
    info = zipfile.ZipInfo("Геология.pdf")
    content = _zip_entries([("deal.yaml", _form_bytes(example_data)), (info, b"%PDF geo")])
    # Python sets the UTF-8 flag for non-ASCII names; clear it as Info-ZIP on Linux leaves it
    content = content.replace(b"\x00\x08\x08\x00", b"\x00\x00\x08\x00")
    path = tmp_path / "infozip.zip"
    path.write_bytes(content)
    assert list(read_form(path, max_bytes=LIMIT).attachments) == ["Геология.pdf"]


def test_same_names_in_different_folders_stay_apart(tmp_path, example_data, settings):
    example_data["attachments"] = ["КМ/Лист 1.pdf", "КЖ/Лист 1.pdf"]
    path = tmp_path / "deal.zip"
    path.write_bytes(_zip_entries([("Сделка/deal.yaml", _form_bytes(example_data)),
                                   ("Сделка/КМ/Лист 1.pdf", b"%PDF km"), ("Сделка/КЖ/Лист 1.pdf", b"%PDF kzh"),
                                   ("Сделка/../../etc/evil.pdf", b"%PDF x")]))
    raw = read_form(path, max_bytes=LIMIT)
    assert raw.attachments == {"КМ/Лист 1.pdf": b"%PDF km", "КЖ/Лист 1.pdf": b"%PDF kzh", "etc/evil.pdf": b"%PDF x"}
    accept(raw, source=path.name, settings=settings, contract_types={"supply"}, today=TODAY)
    example_data["attachments"] = ["Лист 1.pdf"]  # which one?
    path.write_bytes(_zip_entries([("deal.yaml", _form_bytes(example_data)),
                                   ("КМ/Лист 1.pdf", b"%PDF km"), ("КЖ/Лист 1.pdf", b"%PDF kzh")]))
    with pytest.raises(FormInvalid) as caught:
        accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings, contract_types={"supply"},
               today=TODAY)
    assert "несколько файлов «Лист 1.pdf»" in caught.value.faults[0].message


def test_a_zip_with_a_bad_crc(tmp_path, example_data):
    content = _zip_entries([("deal.yaml", _form_bytes(example_data)), ("КМ.pdf", b"%PDF " + b"k" * 100)],
                           method=zipfile.ZIP_STORED)
    path = tmp_path / "crc.zip"
    path.write_bytes(content.replace(b"k" * 100, b"j" + b"k" * 99))
    assert "не сходится с контрольной суммой" in _unreadable(path)


def test_a_zip_that_lies_about_its_sizes(tmp_path, example_data):
    """The directory says 10 bytes, the data inflates to megabytes: reading stops at the declared size."""
    big = b"\0" * 3_000_000
    content = bytearray(_zip_entries([("deal.yaml", _form_bytes(example_data)), ("zeros.bin", big)]))
    declared = (3_000_000).to_bytes(4, "little")
    assert content.count(declared) == 2  # local header and central directory
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(content).replace(declared, (10).to_bytes(4, "little")))
    assert "не сходится" in _unreadable(path, limit=100_000)


def test_a_zip_with_a_password(tmp_path, example_data):
    content = bytearray(_zip_entries([("deal.yaml", _form_bytes(example_data))], method=zipfile.ZIP_STORED))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the encryption bit in both headers
        at = content.index(signature) + flag_at
        content[at] |= 0x01
    path = tmp_path / "locked.zip"
    path.write_bytes(bytes(content))
    assert "защищён паролем" in _unreadable(path)


def test_a_zip_packed_with_a_method_docgen_cannot_read(tmp_path, example_data):
    content = bytearray(_zip_entries([("deal.yaml", _form_bytes(example_data))], method=zipfile.ZIP_STORED))
    for signature, method_at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = content.index(signature) + method_at
        content[at:at + 2] = (9).to_bytes(2, "little")  # Deflate64, which Explorer uses for big files
    path = tmp_path / "deflate64.zip"
    path.write_bytes(bytes(content))
    assert "сжат способом, который docgen не читает" in _unreadable(path)


def _card_parts(tmp_path, example_data) -> dict[str, bytes]:
    path = tmp_path / "source.xlsx"
    write_card(path, example_data)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _repack(parts: dict[str, bytes]) -> bytes:
    return _zip_entries(list(parts.items()))


def test_an_xlsx_with_broken_sheet_xml(tmp_path, example_data):
    parts = _card_parts(tmp_path, example_data)
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-40] + b"<row><c"
    path = tmp_path / "broken.xlsx"
    path.write_bytes(_repack(parts))
    assert "файл XLSX повреждён" in _unreadable(path)


def test_an_xlsx_with_a_stale_dimension_yields_every_row(tmp_path, example_data, settings):
    """Some programs leave <dimension ref="A1:D4"/> after rows were added: rows 3–5 of the items must not vanish."""
    example_data["subject"]["items"] = [
        {"name": f"Позиция {n}", "unit": "шт", "quantity": "1", "unit_price": "1220.00"} for n in range(1, 6)]
    parts = _card_parts(tmp_path, example_data)
    items_sheet = next(name for name in parts if name.startswith("xl/worksheets/")
                       and b"subject.items" not in parts[name] and b"unit_price" in parts[name])
    xml = parts[items_sheet].decode()
    stale = re.sub(r'<dimension ref="[^"]+"/>', '<dimension ref="A1:D4"/>', xml)
    assert stale != xml
    parts[items_sheet] = stale.encode()
    path = tmp_path / "stale.xlsx"
    path.write_bytes(_repack(parts))
    deal = accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings,
                  contract_types={"supply"}, today=TODAY)
    assert len(deal.form.subject.items) == 5 and deal.totals.subtotal == Decimal("6100.00")


def test_a_card_with_a_huge_name_fails_fast_on_its_size(tmp_path, example_data):
    """Millions of characters pack into a few kilobytes; the unpacked size is refused before parsing."""
    parts = _card_parts(tmp_path, example_data)
    main = parts["xl/worksheets/sheet1.xml"].decode()
    name_cell = re.compile(r'(<c r="B\d+"[^>]*><is><t>)[^<]*(</t></is></c><c r="C\d+"[^>]*><is><t>buyer\.name<)')
    huge = name_cell.sub(lambda m: m.group(1) + "Я" * 3_000_000 + m.group(2), main)
    assert len(huge) > 3_000_000
    parts["xl/worksheets/sheet1.xml"] = huge.encode()
    path = tmp_path / "huge.xlsx"
    path.write_bytes(_repack(parts))
    assert path.stat().st_size < 100_000
    assert "в распакованном виде больше предела" in _unreadable(path, limit=1_000_000)
    # within the size limit, the length limit of the field names it
    assert "слишком длинно" in str(_faults_of(path, example_data, limit=10_000_000)["buyer.name"])


def test_yaml_numbers_are_not_guessed(tmp_path):
    path = tmp_path / "zeros.yaml"
    path.write_text("inn: 0502701234\nkpp: 012345678\nshare: 4.50\ndue: 1_000\nodd: 0x1F\ntime: 12:30\n")
    data = read_form(path, max_bytes=LIMIT).data
    assert data == {"inn": "0502701234", "kpp": "012345678", "share": "4.50", "due": 1000, "odd": "0x1F",
                    "time": "12:30"}


def test_a_yaml_date_that_does_not_exist_is_named_by_its_field(tmp_path, example_data, settings):
    text = EXAMPLE.read_text(encoding="utf-8").replace("contract_date: 2026-11-20", "contract_date: 2026-02-30")
    path = tmp_path / "feb30.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormInvalid) as caught:
        accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings, contract_types={"supply"},
               today=TODAY)
    assert [(f.field, f.message) for f in caught.value.faults] == [
        ("contract_date", "такой даты нет: 30 февраля не бывает: в феврале 28 дней")]


def _faults_of(path: Path, example_data, *, limit: int) -> dict[str, str]:
    from docgen.settings import load_settings

    with pytest.raises(FormInvalid) as caught:
        accept(read_form(path, max_bytes=limit), source=path.name, settings=load_settings(path.parent, {}),
               contract_types={"supply"}, today=TODAY)
    return {f.field: f.message for f in caught.value.faults}


def test_a_row_numbered_a_billion_does_not_fill_the_memory(tmp_path, example_data, settings):
    """openpyxl fills the gap before a row with empty rows; the card stops reading at a long empty stretch."""
    parts = _card_parts(tmp_path, example_data)
    far = b'<row r="1000000000"><c r="A1000000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    for sheet in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        parts[sheet] = parts[sheet].replace(b"</sheetData>", far)
    path = tmp_path / "far.xlsx"
    path.write_bytes(_repack(parts))
    deal = accept(read_form(path, max_bytes=LIMIT), source=path.name, settings=settings,
                  contract_types={"supply"}, today=TODAY)
    assert deal.totals.total == Decimal("2023980.00")
