"""Comments that come apart from their document: a note waits for it, a late note joins the decision."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

from service_kit import drop, make_workspace, one
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workspace import Role


def _workflow(ws):
    return open_workflow(ws, clock=lambda: dt.datetime.now().astimezone(), log=logging.getLogger("test"))


def test_a_note_waits_for_its_document_then_a_late_one_joins_the_return(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    wf = _workflow(ws)
    try:
        wf.take(drop(ws, "deal.yaml"))
        draft = one(ws.review(Role.LAWYER), "*.docx")
        early = ws.review(Role.LAWYER) / "returned" / "2026-0001 v1 замечания.txt"
        early.write_text("Проверьте реквизиты банка", encoding="utf-8")
        assert "ждут документ" in wf.take(early) and early.exists()

        returned = ws.review(Role.LAWYER) / "returned" / draft.name
        draft.replace(returned)
        assert "возвращено" in wf.take(returned)  # the note names the same deal and version: its comments
        assert not early.exists()

        late = ws.review(Role.LAWYER) / "returned" / "2026-0001 v1 ещё.txt"
        late.write_text("И срок поставки", encoding="utf-8")
        old = time.time() - 120
        os.utime(late, (old, old))
        account = wf.take(late)
        assert "добавлены в досье" in account and not late.exists()
        dossier = next(ws.clients.glob("*/2026-0001"))
        kept = sorted(p.read_text(encoding="utf-8") for p in (dossier / "Замечания").glob("*.txt"))
        assert kept == ["И срок поставки", "Проверьте реквизиты банка"]
        journal = [e["action"] for e in wf.svc.store.journal("2026-0001")]
        assert journal[-1] == "comments_added"
        queued = [q.notice for q in wf.svc.outbox.listing(deal="2026-0001")]
        assert any("Проверьте реквизиты банка" in n.body for n in queued)
        assert any("И срок поставки" in n.body for n in queued)
    finally:
        close_workflow(wf)


def test_an_old_note_for_no_decision_is_set_aside(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    wf = _workflow(ws)
    try:
        note = ws.review(Role.FINANCE) / "approved" / "просто заметка.txt"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text("что-то", encoding="utf-8")
        old = time.time() - 120
        os.utime(note, (old, old))
        assert "не распознан" in wf.take(note)
        why = ws.review(Role.FINANCE) / "unrecognized" / "просто заметка.txt.why.txt"
        assert "без документа" in why.read_text(encoding="utf-8")
    finally:
        close_workflow(wf)


def test_a_form_above_the_size_limit_is_rejected_and_kept(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra="\n[limits]\nmax_form_bytes = 1000\n")
    wf = _workflow(ws)
    try:
        big = ws.inbox / "big.yaml"
        big.write_bytes(b"# padding\n" * 500)
        assert "не принята" in wf.take(big)
        assert (ws.rejected / "big.yaml").stat().st_size == 5000
        assert "слишком большой: 5 000 байт при пределе 1 000" in (ws.rejected / "big.yaml.errors.txt").read_text(
            encoding="utf-8")
    finally:
        close_workflow(wf)
