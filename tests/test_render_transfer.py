"""`docgen transfer-client`: the agreement on the transfer of a client, from its small form."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from render_fixtures import REPO, docx_text, workspace
from service_kit import make_workspace

from docgen.errors import FormInvalid, FormUnreadable
from docgen.render.docx import read_identity
from docgen.render.transfer import read_transfer_form, render_transfer

FORM = REPO / "templates" / "forms" / "client-transfer.yaml"


def docgen(*args: str, root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(root), *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def test_agreement_from_the_example(tmp_path):
    ws = workspace(tmp_path)
    data = render_transfer(read_transfer_form(FORM, max_bytes=10**6), ws=ws)
    text = docx_text(data)
    assert "СОГЛАШЕНИЕ № ПК-5027012348-20261126" in text and "о передаче клиента" in text
    assert "«26» ноября 2026 г." in text and "С «01» декабря 2026 г. Принимающий ведёт клиента" in text
    assert "Кузнецов Андрей Викторович, инженер-конструктор, далее — «Передающий»" in text
    assert "Смирнова Ольга Петровна, Клиент-менеджер, далее — «Принимающий»" in text
    assert "ООО «Ромашка & Ко» ИНН 5027012348" in text and "2026-0001" in text and "2 023 980,00" in text
    assert "/ А. В. Кузнецов /" in text and "/ О. П. Смирнова /" in text and "/ А. Н. Сидоров /" in text
    assert read_identity(data) == ("ПК-5027012348-20261126", 1)


def test_no_deals_and_no_approver(tmp_path):
    ws = workspace(tmp_path)
    data = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    data.update(deals=[], approver=None)
    form = tmp_path / "form.yaml"
    form.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    text = docx_text(render_transfer(read_transfer_form(form, max_bytes=10**6), ws=ws))
    assert "Открытых сделок нет." in text and "Согласовано" not in text


def test_bad_form_is_reported_by_field(tmp_path):
    data = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    data["client"]["inn"] = "5027012349"
    del data["manager"]
    data["employe"] = {"name": "x"}
    form = tmp_path / "bad.yaml"
    form.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormInvalid) as caught:
        read_transfer_form(form, max_bytes=10**6)
    faults = {f.field: f.message for f in caught.value.faults}
    assert set(faults) == {"client.inn", "manager", "employe"}
    assert "возможно, имелось в виду «employee»" in faults["employe"]


def test_a_deal_form_key_is_not_suggested_for_itself(tmp_path):
    """The hint comes from the transfer form's own fields, never «attachments» for «attachments»."""
    data = yaml.safe_load(FORM.read_text(encoding="utf-8")) | {"attachments": []}
    form = tmp_path / "form.yaml"
    form.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormInvalid) as caught:
        read_transfer_form(form, max_bytes=10**6)
    [fault] = caught.value.faults
    assert fault.message == "неизвестное поле «attachments» — уберите его или проверьте написание"


def test_a_self_referencing_yaml_is_a_message(tmp_path):
    form = tmp_path / "loop.yaml"
    form.write_text("date: 2026-11-26\nclient: &c {name: x, inn: *c}\n", encoding="utf-8")
    run = docgen("transfer-client", str(form), "-o", str(tmp_path / "x.docx"), root=make_workspace(tmp_path / "ws").root)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "ссылка «*» указывает на раздел, внутри которого стоит сама" in run.stderr


def test_cli(tmp_path):
    """Without deals in the store: the agreement of the example (which names 2026-0001) is refused by deal;
    one without deals is filed in the client's dossier. Deals in the store: tests/test_workflow_closing.py."""
    ws = make_workspace(tmp_path / "ws")
    out = tmp_path / "Соглашение.docx"
    run = docgen("transfer-client", str(FORM), "-o", str(out), root=ws.root)
    assert run.returncode == 1 and "номер сделки (deals[0].number): сделки 2026-0001 нет в docgen" in run.stderr
    assert not out.exists()
    data = yaml.safe_load(FORM.read_text(encoding="utf-8")) | {"deals": []}
    empty = tmp_path / "empty.yaml"
    empty.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run = docgen("transfer-client", str(empty), "-o", str(out), root=ws.root)
    assert run.returncode == 0, run.stderr
    assert out.is_file() and "Смирнова Ольга Петровна" in docx_text(out.read_bytes())
    filed = ws.clients / "5027012348 ООО «Ромашка & Ко»" / "Передача клиента"
    assert [p.name for p in filed.iterdir()] == ["Соглашение ПК-5027012348-20261126 о передаче клиента.docx"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("date: 26.13.2026\nclient: {name: ООО, inn: '123'}\n", encoding="utf-8")
    run = docgen("transfer-client", str(bad), "-o", str(tmp_path / "x.docx"), root=ws.root)
    assert run.returncode == 1
    assert "Форма «bad.yaml» не принята" in run.stderr
    assert "ИНН клиента (client.inn)" in run.stderr and "кто передаёт клиента (employee)" in run.stderr
    assert "дата соглашения (date)" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "x.docx").exists()


def test_impossible_yaml_date(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("date: 2026-13-45\n", encoding="utf-8")
    with pytest.raises(FormInvalid) as caught:
        read_transfer_form(bad, max_bytes=10**6)
    assert {f.field: f.message for f in caught.value.faults}["date"] == \
        "такой даты нет: месяца 13 не бывает (месяцы — от 1 до 12)"
