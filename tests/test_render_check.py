"""`docgen templates check` on the shipped set and on templates broken the ways Word breaks them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from render_fixtures import REPO, TODAY, docx_text, make_deal, workspace

from docgen.render.check import check_workspace
from docgen.render.docx import render_contract


@pytest.fixture
def ws(tmp_path):
    return workspace(tmp_path)


def docgen(*args: str, root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(root), *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def save(path: Path, *paragraphs: list[str]) -> Path:
    """A DOCX whose paragraphs are made of the given runs, exactly as split here."""
    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for run in runs:
            paragraph.add_run(run)
    document.save(path)
    return path


def fatal(problems):
    return [p for p in problems if p.fatal]


def test_shipped_templates_pass(ws):
    checked, problems = check_workspace(ws, today=TODAY)
    assert {p.name for p in checked} == {"supply.docx", "works.docx", "approval-sheet.docx",
                                         "client-transfer.docx", "production-launch.docx", "offer.docx",
                                         "claim.docx"}
    assert problems == []


def test_unknown_names_in_every_branch(ws):
    save(ws.contract_templates / "lease.docx",
         ["Арендатор {{ buyer.name }}, КПП {{ buyer.kppp }}"],
         ["{% if buyer.is_entrepreneur %}{{ buyer.ogrnip }}{% endif %}"],  # a branch the example never takes
         ["{% for it in items %}{{ it.nme }}{% endfor %}"],
         ["{{ rent_amount | money }}"])
    _, problems = check_workspace(ws, today=TODAY)
    variables = {p.variable for p in fatal(problems) if p.template == "lease.docx"}
    assert variables == {"buyer.kppp", "buyer.ogrnip", "it.nme", "rent_amount"}
    assert all("неизвестное имя" in p.message for p in fatal(problems))


def test_syntax_errors_are_reported_with_their_paragraph(ws):
    save(ws.contract_templates / "broken.docx", ["Начало"], ["{% if buyer.kpp %}КПП без конца блока"])
    save(ws.handover_templates / "filters.docx", ["{{ totals.total | roubles }}"])
    _, problems = check_workspace(ws, today=TODAY)
    messages = {p.template: p.message for p in fatal(problems)}
    assert "блок «if» не закрыт" in messages["broken.docx"] and "КПП без конца блока" in messages["broken.docx"]
    assert "нет фильтра «roubles»" in messages["filters.docx"]


def test_split_runs_and_curly_quotes_are_mended(ws):
    # Word splits a tag wherever spell-checking or an edit touched it, and curls the quotes as you type.
    save(ws.contract_templates / "word.docx",
         ["Покупатель: {{ buy", "er.na", "me }}", " ИНН {", "{ buyer.inn }", "}"],
         ["E-mail: {{ buyer.email or «не указан» }}; тел. {{ buyer.phone or “—” }}"],
         ["{% if delivery.method == ‘pickup’ %}самовывоз{% else %}доставка{% endif %}"])
    _, problems = check_workspace(ws, today=TODAY)
    mine = [p for p in problems if p.template == "word.docx"]
    assert not fatal(mine)
    assert any("кавычки заменены" in p.message for p in mine)
    deal = make_deal(ws)
    deal = deal.__class__(form=deal.form.model_copy(update={"contract_type": "word"}),
                          contract_date=deal.contract_date, totals=deal.totals)
    text = docx_text(render_contract(deal, ws=ws, number="2026-0001", version=1))
    assert "Покупатель: ООО «Ромашка & Ко» ИНН 5027012348" in text
    assert "E-mail: zakupki@romashka.example; тел. +7 495 000-00-00" in text
    assert "доставка" in text


def test_what_cannot_be_mended_is_reported(ws):
    # docxtpl joins even a tag cut by a paragraph break, but not a brace Word's autocorrect ate.
    save(ws.contract_templates / "cut.docx", ["Покупатель {{ buyer."], ["name }"])
    (ws.contract_templates / "notdocx.docx").write_text("не документ", encoding="utf-8")
    _, problems = check_workspace(ws, today=TODAY)
    templates = {p.template for p in fatal(problems)}
    assert {"cut.docx", "notdocx.docx"} <= templates


def test_cli_exit_codes(ws):
    good = docgen("templates", "check", root=ws.root)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Проверено шаблонов: 7; все в порядке" in good.stdout  # contracts, sheet, transfer, handover, offer, claim
    save(ws.contract_templates / "lease.docx", ["{{ buyer.kppp }}"])
    bad = docgen("templates", "check", root=ws.root)
    assert bad.returncode == 1
    assert "Шаблон «lease.docx»: неизвестное имя «buyer.kppp»" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
