"""The form through the real workflow: one verdict in `validate` and the inbox, the rejection letter, warnings
carried to the lawyer and the manager, and technical documents filed per version without collisions."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from service_kit import drop
from test_archive_kit import Clock, new_deal, open_wf, workspace
from docgen.workflow.engine import close_workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Role


def _validate(form: Path, root: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(root), "validate", str(form), *extra],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def _letters(wf, kind: str) -> list:
    return [n for n in wf.svc.outbox.listing() if str(n.notice.kind) == kind]


@pytest.fixture
def wf(tmp_path):
    flow = open_wf(workspace(tmp_path), Clock())
    yield flow
    close_workflow(flow)


def _corrected(example_data: dict, number: str, **buyer) -> dict:
    data = copy.deepcopy(example_data)
    data["deal"] = number
    data["buyer"].update(buyer)
    data["subject"]["summary"] += " (исправлено)"
    return data


def test_validate_gives_the_inbox_verdict_on_corrected_versions(wf, example_data, tmp_path):
    at_lawyer = new_deal(wf, example_data)
    returned = new_deal(wf, example_data)
    wf.decide(returned, role=Role.LAWYER, decision=Decision.RETURNED, comment="уточнить срок")
    signed = new_deal(wf, example_data)
    for role in Role:
        wf.decide(signed, role=role, decision=Decision.APPROVED)
    cases = {
        "signed.yaml": (_corrected(example_data, signed), f"сделка {signed} сейчас подписана"),
        "missing.yaml": (_corrected(example_data, "2026-0099"), "сделки «2026-0099» нет"),
        "busy.yaml": (_corrected(example_data, at_lawyer), f"сделка {at_lawyer} сейчас у юриста"),
        "other-buyer.yaml": (_corrected(example_data, returned, inn="7701012342"), "не совпадает с ИНН покупателя"),
    }
    ws = wf.svc.ws
    for name, (data, words) in cases.items():
        aside = tmp_path / name
        aside.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        run = _validate(aside, ws.root, "--json")
        assert run.returncode == 1, run.stdout + run.stderr
        said = " ".join(e["message"] for e in json.loads(run.stdout)["errors"])
        assert words in said, (name, said)
        account = wf.take(drop(ws, name, data))
        assert account.startswith("не принята"), account
        assert words in (ws.rejected / f"{name}.errors.txt").read_text(encoding="utf-8")
    fitting = _corrected(example_data, returned)
    (tmp_path / "fitting.yaml").write_text(yaml.safe_dump(fitting, allow_unicode=True), encoding="utf-8")
    assert _validate(tmp_path / "fitting.yaml", ws.root).returncode == 0
    assert wf.take(drop(ws, "fitting.yaml", fitting)).startswith(f"принята: сделка {returned}, версия 2")


def test_validate_reads_no_store_into_being(tmp_path, example_data):
    ws = workspace(tmp_path)
    form = tmp_path / "v2.yaml"
    form.write_text(yaml.safe_dump(_corrected(example_data, "2026-0001"), allow_unicode=True), encoding="utf-8")
    run = _validate(form, ws.root)
    assert run.returncode == 1 and "сделки «2026-0001» нет" in run.stdout
    assert not ws.state.exists() or not any(ws.state.iterdir())


def test_the_rejection_letter_carries_the_report_and_the_form(wf, example_data):
    data = copy.deepcopy(example_data)
    data["buyer"]["kpp"] = None
    data["price"]["payments"][1]["share"] = "60"
    path = drop(wf.svc.ws, "ромашка.yaml", data)
    form_bytes = path.read_bytes()
    assert wf.take(path).startswith("не принята")
    [letter] = _letters(wf, "rejected")
    notice = letter.notice
    assert [p.name for p in notice.attachments] == ["ромашка.yaml.errors.txt", "ромашка.yaml"]
    assert notice.attachments[1].read_bytes() == form_bytes
    assert "Пётр Сергеевич, здравствуйте" in notice.body
    assert "Клиент: ООО «Ромашка & Ко», ИНН 5027012348" in notice.body
    assert "ошибок: 2 — здесь все, что нашлись" in notice.body
    assert "КПП обязателен" in notice.body and "30 + 60 = 90" in notice.body


def test_warnings_go_to_the_journal_the_lawyer_and_the_manager(wf, example_data):
    data = copy.deepcopy(example_data)
    data["contract_date"] = "2026-11-20"  # the test clock says 26.11.2026: in the past
    data["price"]["vat_rate"] = "10"
    number = wf.take(drop(wf.svc.ws, "past.yaml", data)).split("сделка ")[1].split(",")[0]
    [accepted] = [e for e in wf.svc.store.journal(number) if e["action"] == "accepted"]
    warnings = accepted["detail"]["warnings"]
    assert any("уже прошла" in w for w in warnings) and any("ставка НДС 10 %" in w for w in warnings)
    [review] = _letters(wf, "review")
    assert "Проверка формы предупреждает" in review.notice.body and "уже прошла" in review.notice.body
    [told] = _letters(wf, "warnings")
    assert told.notice.to == ("Петров Пётр Сергеевич <petrov@ams.example>",)
    assert "уже прошла" in told.notice.body and number in told.notice.subject


def _bundle(tmp_path: Path, name: str, form: dict, files: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deal.yaml", yaml.safe_dump(form, allow_unicode=True))
        for path, data in files.items():
            archive.writestr(path, data)
    target = tmp_path / name
    target.write_bytes(buffer.getvalue())
    return target


def test_technical_documents_of_each_version_are_kept_apart(wf, example_data, tmp_path):
    ws = wf.svc.ws
    first = copy.deepcopy(example_data) | {"attachments": ["КМ/Лист 1.pdf", "КЖ/Лист 1.pdf"]}
    bundle = _bundle(tmp_path, "v1.zip", first, {"КМ/Лист 1.pdf": b"%PDF km v1", "КЖ/Лист 1.pdf": b"%PDF kzh v1"})
    number = wf.take(drop(ws, "v1.zip", source=bundle)).split("сделка ")[1].split(",")[0]
    wf.decide(number, role=Role.LAWYER, decision=Decision.RETURNED, comment="новый лист КМ")
    second = _corrected(example_data, number) | {"attachments": ["КМ/Лист 1.pdf"]}
    bundle = _bundle(tmp_path, "v2.zip", second, {"КМ/Лист 1.pdf": b"%PDF km v2"})
    assert wf.take(drop(ws, "v2.zip", source=bundle)).startswith(f"принята: сделка {number}, версия 2")
    technical = ws.root / wf.svc.store.deal(number).dossier / "Техническая документация"
    filed = {p.relative_to(technical).as_posix(): p.read_bytes() for p in technical.rglob("*") if p.is_file()}
    assert filed == {"v1/КМ/Лист 1.pdf": b"%PDF km v1", "v1/КЖ/Лист 1.pdf": b"%PDF kzh v1",
                     "v2/КМ/Лист 1.pdf": b"%PDF km v2"}
    for role in Role:
        wf.decide(number, role=role, decision=Decision.APPROVED)
    sent = {p.relative_to(ws.technical / number).as_posix(): p.read_bytes()
            for p in (ws.technical / number).rglob("*") if p.is_file()}
    assert sent == {"КМ/Лист 1.pdf": b"%PDF km v2"}  # the signed version's documents, not version 1's


def test_a_card_from_the_inbox_becomes_a_deal(wf, example_data, tmp_path):
    """A card unpacks to several times its size: taking it and finishing its step both read it whole."""
    from docgen.form.card import write_card

    card = tmp_path / "карточка.xlsx"
    write_card(card, example_data)
    assert card.stat().st_size * 2 < sum(i.file_size for i in zipfile.ZipFile(card).infolist())
    account = wf.take(drop(wf.svc.ws, "карточка.xlsx", source=card))
    assert account.startswith("принята: сделка"), account
