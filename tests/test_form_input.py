"""Bad input of every kind gets a Russian reason, never a traceback; the XLSX card round-trips."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from conftest import EXAMPLE, TODAY
from docgen.errors import FormUnreadable
from docgen.form.card import read_card, write_card
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
        ("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "не текстовый"),
        ("empty.yaml", b"", "пуст"),
        ("blank.json", b"  \n\n ", "пуст"),
        ("comments.yaml", b"# only a comment\n", "пуст"),
        ("list.yaml", b"- a\n- b\n", "ключ: значение"),
        ("scalar.json", b"42", "ключ: значение"),
        ("notes.docx", b"hello", "не принимаются"),
        ("baddate.yaml", b"contract_date: 2026-13-45\n", "несуществующая дата"),
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
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("cp1251"))
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
    assert set(raw.attachments) == {"КМ-1.pdf", "Геология.pdf"}
    deal = accept(raw, source=path.name, settings=settings, contract_types={"supply"}, today=TODAY)
    assert deal.attachments["КМ-1.pdf"] == b"%PDF-1.4 km"


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
