"""Signing through the real service: an undated contract dated on signing with the reviewers' edits kept,
the approval sheet and «Ввод в Производство» telling which decisions and files belong to the signed version."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import docx as python_docx
from render_fixtures import docx_text
from service_kit import drop, make_workspace, one, service, stage_of, wait_for

from docgen.render.clauses import find_clause
from docgen.store import open_store
from docgen.workspace import Role

DIVISION = """
[divisions.metal]
title = "Направление металлоконструкций"
director = "Кузнецова-Смирнова Ольга Викторовна <director.metal@localhost>"
support = "Менеджер по сопровождению <support.metal@localhost>"
signatory = { name = "Кузнецова-Смирнова Ольга Викторовна", position = "Директор направления металлоконструкций", basis = "доверенности № 17 от 12.01.2026" }
"""


def _move(ws, role: Role, *, edit: str | None = None) -> None:
    draft = wait_for(lambda: one(ws.review(role), "*.docx"), what=f"a draft in {role}")
    target = ws.review(role) / "approved" / draft.name
    if edit is None:
        draft.replace(target)
        return
    document = python_docx.Document(draft)
    clause = next(p for p in document.paragraphs if p.text.startswith("Поставщик гарантирует"))
    clause.insert_paragraph_before(edit, style=clause.style)
    document.save(target)
    draft.unlink()


def test_an_undated_contract_is_dated_on_signing_with_the_edits_kept(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws", extra=DIVISION)
    example_data["contract_date"] = None
    example_data["attachments"] = ["КМ-1.pdf"]
    bundle = tmp_path / "deal.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("deal.json", json.dumps(example_data, default=str, ensure_ascii=False))
        for name in ("КМ-1.pdf", "КЖ-2.pdf", "Геология.pdf"):  # two of them not named in the form
            archive.writestr(name, b"%PDF-1.4 " + name.encode())
    with service(ws):
        drop(ws, "deal.zip", source=bundle)
        draft = wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"), what="the draft")
        text = docx_text(draft.read_bytes())
        assert "«____» ____________ 20___ г." in text and "от __.__.20__" in text
        assert "Приложение № 1 «Техническая документация»: КМ-1.pdf; Геология.pdf; КЖ-2.pdf" in text
        _move(ws, Role.LAWYER, edit="Поставщик передаёт Покупателю сертификат на сталь по каждой партии.")
        wait_for(lambda: stage_of(ws, "2026-0001") == "finance", what="finance")
        _move(ws, Role.FINANCE)
        wait_for(lambda: stage_of(ws, "2026-0001") == "director", what="director")
        _move(ws, Role.DIRECTOR)
        wait_for(lambda: stage_of(ws, "2026-0001") == "signed", what="signed")
        dossier = next(ws.clients.glob("*/2026-0001"))
        handover = wait_for(lambda: one(dossier, "Ввод в Производство *.docx"), what="«Ввод в Производство»")
    store = open_store(ws.state)
    try:
        signed_on = dt.date.fromisoformat(store.deal("2026-0001").contract_date)
        decided = [e for e in store.journal("2026-0001") if e["role"] == "director"][-1]
    finally:
        store.close()
    assert signed_on == dt.datetime.fromisoformat(decided["at"]).date()
    day = signed_on.strftime("%d.%m.%Y")
    contract = (dossier / "Договор 2026-0001.docx").read_bytes()
    text = docx_text(contract)
    assert "сертификат на сталь по каждой партии" in text  # the lawyer's edit is in the signed contract
    assert f"«{signed_on.day:02d}»" in text and f"от {day}" in text and "«____»" not in text
    clause = find_clause(contract)
    assert clause is not None and clause.number == "10.2" and (clause.days, clause.day_kind) == (10, "рабочих")
    sheet = docx_text((dossier / "Лист согласования 2026-0001.docx").read_bytes())
    assert "Подписанная версия договора 2" in sheet and "1 → 2" in sheet and "Подписано" in sheet
    assert "(согласованная версия с датой договора, внесённой при подписании)" in sheet
    assert "Директор направления металлоконструкций Кузнецова-Смирнова Ольга Викторовна, на основании " \
           "доверенности № 17 от 12.01.2026" in sheet
    launch = docx_text(handover.read_bytes())
    assert f"от «{signed_on.day:02d}»" in launch
    assert "— КМ-1.pdf — Геология.pdf — КЖ-2.pdf" in launch
    assert sorted(p.name for p in (ws.technical / "2026-0001").iterdir()) == ["Геология.pdf", "КЖ-2.pdf", "КМ-1.pdf"]
