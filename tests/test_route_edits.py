"""The route with reviewers who edit: drafts edited in place with python-docx and moved between folders, the real
watcher. Every file docgen places carries its own version; a decision is matched by properties, name and bytes;
tracked changes are accepted on approval; what is not a version is set aside and its reviewer told."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import logging
import os
import subprocess
import sys
import threading
from email import policy
from pathlib import Path

import docx as python_docx
import pytest

from conftest import REPO
from service_kit import drop, files, make_workspace, one, service, stage_of, wait_for
from docgen.render.docx import read_identity, restamp
from docgen.service import run_service, service_log
from docgen.store import open_store, read_snapshot
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workspace import Role, Workspace

DEAL = "2026-0001"


def letters(ws: Workspace) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files(ws.mail_spool, "*.eml")]


def letters_to(ws: Workspace, address: str, subject: str = "") -> list[email.message.EmailMessage]:
    return [m for m in letters(ws) if address in str(m["To"]) and subject in str(m["Subject"])]


def body(letter: email.message.EmailMessage) -> str:
    return letter.get_body(("plain",)).get_content()


def draft_at(ws: Workspace, role: Role, version: int) -> Path:
    def found() -> Path | None:
        drafts = [p for p in files(ws.review(role), f"{DEAL} v{version} *.docx") if "изменения против" not in p.name]
        return drafts[0] if len(drafts) == 1 else None

    return wait_for(found, what=f"v{version} at {role}")


def edit_in_place(draft: Path, text: str) -> None:
    """What a reviewer does in Word: open the draft where it lies, add a clause, save it over itself."""
    document = python_docx.Document(draft)
    document.add_paragraph(text)
    document.save(draft)


def move(draft: Path, folder: str) -> Path:
    target = draft.parent / folder / draft.name
    draft.replace(target)
    return target


def unrecognized(ws: Workspace) -> list[Path]:
    return [p for role in Role for p in files(ws.review(role) / "unrecognized")]


def journal(ws: Workspace) -> list[dict]:
    with read_snapshot(ws.state) as store:
        return store.journal(DEAL)


@pytest.mark.parametrize("decision", ["approved", "returned"])
def test_after_the_lawyer_edits_finance_decides_by_moving_the_file(tmp_path, decision):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        edit_in_place(draft, "9.9. Стороны договорились о дополнительной гарантии 24 месяца.")
        move(draft, "approved")
        passed_on = draft_at(ws, Role.FINANCE, 2)
        assert read_identity(passed_on) == (DEAL, 2)  # the file finance holds says what it is
        if decision == "returned":  # a return carries its comments (a return without them is refused)
            (passed_on.parent / "returned" / f"{passed_on.stem}.txt").write_text("Уточнить график платежей",
                                                                                 encoding="utf-8")
        move(passed_on, decision)
        wait_for(lambda: stage_of(ws, DEAL) == ("director" if decision == "approved" else "returned"),
                 what=f"finance's {decision} taken")
    assert unrecognized(ws) == []
    versions = next(ws.clients.glob(f"*/{DEAL}")) / "Версии"
    kept = one(versions, f"{DEAL} v2 *.docx")
    assert read_identity(kept) == (DEAL, 2)
    assert "гарантии 24 месяца" in "\n".join(p.text for p in python_docx.Document(kept).paragraphs)
    if decision == "approved":
        assert read_identity(draft_at(ws, Role.DIRECTOR, 2)) == (DEAL, 2)


def test_a_file_passed_on_before_restamping_is_still_the_version_docgen_placed(tmp_path):
    """An older docgen passed edited versions on with the properties of the version they were made from, and
    recorded those very bytes: a reviewer who moves such a file, even renamed, decides on it."""
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        edit_in_place(draft, "9.9. Гарантия 24 месяца.")
        move(draft, "approved")
        passed_on = draft_at(ws, Role.FINANCE, 2)
    stale = restamp(passed_on.read_bytes(), number=DEAL, version=1)  # as the older docgen left it
    passed_on.write_bytes(stale)
    store = open_store(ws.state)
    with store.transaction():
        file = store.version(DEAL, 2)["file"]
        store.set_version_file(DEAL, 2, sha256=hashlib.sha256(stale).hexdigest(), file=file)
    store.close()
    (ws.root / file).write_bytes(stale)
    with service(ws):
        passed_on.replace(ws.review(Role.FINANCE) / "approved" / "договор Ромашка.docx")  # renamed, too
        wait_for(lambda: stage_of(ws, DEAL) == "director", what="the stale file taken as v2")
    assert unrecognized(ws) == []
    decided = [e for e in journal(ws) if e["role"] == "finance" and e["action"] == "approved"]
    assert [(e["version"], e["detail"]["edited"]) for e in decided] == [(2, False)]


def test_an_old_version_moved_by_the_next_reviewer_is_set_aside_and_they_are_told(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        first = draft.read_bytes()  # the lawyer's letter carried v1: finance has it too
        edit_in_place(draft, "9.9. Гарантия 24 месяца.")
        move(draft, "approved")
        draft_at(ws, Role.FINANCE, 2)
        (ws.review(Role.FINANCE) / "approved" / "из письма.docx").write_bytes(first)
        why = wait_for(lambda: one(ws.review(Role.FINANCE) / "unrecognized", "*.why.txt"), what="set aside")
        told = wait_for(lambda: letters_to(ws, "finance@", "Решение не принято"), what="finance told")
    assert "это версия v1 договора 2026-0001, а на согласовании версия v2" in why.read_text(encoding="utf-8")
    text = body(told[0])
    assert "из письма.docx" in text and "версия v1" in text and "outbox/finance/unrecognized/" in text
    assert f"outbox/finance/{DEAL} v2" in text  # where the draft waiting for them is
    assert stage_of(ws, DEAL) == "finance"
    assert [e["action"] for e in journal(ws)][-1] == "unrecognized"


def test_a_decision_repeated_after_a_crash_writes_the_same_version_file(tmp_path):
    """The edited version is written re-stamped: a repeat of the step (a crash before it was marked done)
    must find the very bytes it wrote, not take them for someone else's file."""
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        edit_in_place(draft, "9.9. Гарантия 24 месяца.")
        edited = draft.read_bytes()
        move(draft, "approved")
        draft_at(ws, Role.FINANCE, 2)
    kept = one(next(ws.clients.glob(f"*/{DEAL}")) / "Версии", f"{DEAL} v2 *.docx")
    before = kept.read_bytes()
    store = open_store(ws.state)
    with store.transaction():
        # as a crash leaves it: planned, with the reviewer's bytes (finishing a step drops them)
        store.conn.execute("UPDATE steps SET state = 'planned', done_at = NULL, content = ? WHERE kind = 'decision'",
                           (edited,))
    store.close()
    workflow = open_workflow(ws, clock=lambda: dt.datetime.now().astimezone(), log=logging.getLogger("test"))
    try:
        accounts = workflow.recover()
    finally:
        close_workflow(workflow)
    assert len(accounts) == 1 and accounts[0].startswith("Юрист: согласовано"), accounts
    assert kept.read_bytes() == before
    assert stage_of(ws, DEAL) == "finance"


# ---------------------------------------------------------------- tracked changes and comments

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _run(text: str, *, deleted: bool = False):
    from docx.oxml import OxmlElement

    run = OxmlElement("w:r")
    t = OxmlElement("w:delText" if deleted else "w:t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(t)
    return run


def _change(kind: str, *runs, number: int):
    from docx.oxml import OxmlElement

    mark = OxmlElement(f"w:{kind}")
    mark.set(f"{W}id", str(number))
    mark.set(f"{W}author", "Юрист Компании")
    mark.set(f"{W}date", "2026-11-26T10:00:00Z")
    for run in runs:
        mark.append(run)
    return mark


def review_with_tracked_changes(draft: Path) -> None:
    """What a lawyer does in Word with «Исправления» on: 12 months struck out for 24, a sentence inserted,
    a word struck; a Word comment on the price clause; saved over the draft."""
    document = python_docx.Document(draft)
    warranty = next(p for p in document.paragraphs if "Гарантийный срок — 12 (двенадцать) месяцев" in p.text)
    before, after = warranty.text.split("12 (двенадцать)")
    for run in list(warranty.runs):
        run._r.getparent().remove(run._r)
    p = warranty._p
    p.append(_run(before))
    p.append(_change("del", _run("12 (двенадцать)", deleted=True), number=901))
    p.append(_change("ins", _run("24 (двадцать четыре)"), number=902))
    p.append(_run(after))
    p.append(_change("ins", _run(" Гарантия распространяется на сварные швы."), number=903))
    price = next(p for p in document.paragraphs if p.text.startswith("Порядок определения цены"))
    document.add_comment(price.runs[0], text="Проверьте формулировку о твёрдой цене", author="Юрист Компании")
    document.save(draft)


def test_tracked_changes_are_accepted_on_approval_and_the_signed_contract_is_clean(tmp_path):
    ws = make_workspace(tmp_path / "ws", pdf=True)
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        review_with_tracked_changes(draft)
        move(draft, "approved")
        move(draft_at(ws, Role.FINANCE, 2), "approved")
        move(draft_at(ws, Role.DIRECTOR, 2), "approved")
        wait_for(lambda: stage_of(ws, DEAL) == "signed", timeout=120, what="signed")
    dossier = next(ws.clients.glob(f"*/{DEAL}"))
    version = one(dossier / "Версии", f"{DEAL} v2 *.docx")
    xml = _part(version, "word/document.xml")
    assert b"<w:ins " not in xml and b"<w:del " not in xml and b"delText" not in xml
    assert b"commentReference" in xml and _part(version, "word/comments.xml")  # the dossier's copy keeps them
    signed = dossier / f"Договор {DEAL}.docx"
    xml = _part(signed, "word/document.xml")
    assert b"comment" not in xml and _part(signed, "word/comments.xml") is None
    text = subprocess.run(["pdftotext", "-layout", str(signed.with_suffix(".pdf")), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat, sheet = " ".join(text.split()).split("ЛИСТ СОГЛАСОВАНИЯ")
    assert "Гарантийный срок — 24 (двадцать четыре) месяцев" in flat
    assert "Гарантия распространяется на сварные швы." in flat
    assert "12 (двенадцать)" not in flat and "Проверьте формулировку" not in flat
    assert sheet.count("Проверьте формулировку") == 1  # the lawyer's comment on their decision, not the others'
    # the director's decision is «Подписано» on the sheet, in the journal and in status, capitalised as on the sheet
    assert "Подписано" in sheet and sheet.count("Согласовано") == 2
    status = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), "status", DEAL],
                            capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "Директор Направления: Подписано (версия 2)" in status
    assert "Руководитель Финансового департамента: Согласовано (версия 2)" in status
    accepted = [e for e in journal(ws) if e["action"] == "revisions_accepted"]
    assert [(e["role"], e["version"], e["detail"]["insertions"], e["detail"]["deletions"]) for e in accepted] == [
        ("lawyer", 2, 2, 1)]


def _part(docx: Path, name: str) -> bytes | None:
    import zipfile

    with zipfile.ZipFile(docx) as archive:
        return archive.read(name) if name in archive.namelist() else None


# ---------------------------------------------------------------- what is not a version


def test_a_file_in_approved_that_is_not_this_contract_is_set_aside_and_the_reviewer_told(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        approved = ws.review(Role.LAWYER) / "approved"
        letter = python_docx.Document()
        letter.add_paragraph(f"Письмо клиенту о договоре {DEAL}: просим подписать до пятницы.")
        letter.save(approved / draft.name)  # another document, under the draft's own name
        wait_for(lambda: one(ws.review(Role.LAWYER) / "unrecognized", "*.why.txt"), what="the letter set aside")
        (approved / "пустой.docx").write_bytes(b"")
        wait_for(lambda: len(letters_to(ws, "lawyer@", "Решение не принято")) == 2, what="the lawyer told twice")
        assert stage_of(ws, DEAL) == "lawyer" and draft.exists()
        move(draft, "approved")  # the real draft still counts
        wait_for(lambda: stage_of(ws, DEAL) == "finance", what="the real draft taken")
    aside = ws.review(Role.LAWYER) / "unrecognized"
    reasons = {p.name: p.read_text(encoding="utf-8") for p in files(aside, "*.why.txt")}
    assert "общих абзацев" in reasons[f"{draft.name}.why.txt"] and "пуст (0 байт)" in reasons["пустой.docx.why.txt"]
    told = {body(m) for m in letters_to(ws, "lawyer@", "Решение не принято")}
    assert any("общих абзацев" in t and f"outbox/lawyer/{draft.name}" in t for t in told)
    assert any("пуст (0 байт)" in t for t in told)
    with read_snapshot(ws.state) as store:
        assert [v["version"] for v in store.versions(DEAL)] == [1]


# ---------------------------------------------------------------- an approved edit and a form rendered afresh


def test_a_version_rendered_after_a_return_shows_what_differs_from_the_approved_one(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        edit_in_place(draft, "Поставщик дополнительно гарантирует сварные швы в течение 36 месяцев.")
        move(draft, "approved")
        at_finance = draft_at(ws, Role.FINANCE, 2)
        (at_finance.parent / "returned" / f"{at_finance.stem}.txt").write_text("Уточните адрес поставки",
                                                                               encoding="utf-8")
        move(at_finance, "returned")
        wait_for(lambda: stage_of(ws, DEAL) == "returned", what="returned")
        example_data["deal"] = DEAL
        example_data["delivery"]["address"] = "142100, Московская обл., г. Подольск, ул. Складская, д. 7"
        drop(ws, "deal-fixed.yaml", example_data)
        draft = draft_at(ws, Role.LAWYER, 3)
        comparison = wait_for(lambda: one(ws.review(Role.LAWYER), "* изменения против v2.docx"), what="comparison")
        told = wait_for(lambda: letters_to(ws, "lawyer@", "версия 3"), what="the lawyer's letter on v3")[0]
        move(draft, "approved")
        finance_told = wait_for(lambda: letters_to(ws, "finance@", "версия 3"), what="finance's letter on v3")[0]
        draft_at(ws, Role.FINANCE, 3)
        wait_for(lambda: one(ws.review(Role.FINANCE), "* изменения против v2.docx"), what="comparison at finance")
    text = body(told)
    assert "отличается от версии 2, которую уже согласовывали" in text
    assert "удалено «Поставщик дополнительно гарантирует сварные швы" in text  # the lost edit is named
    assert "«5» → «7»" in text  # the manager's correction, in its clause
    names = [part.get_filename() for part in told.iter_attachments()]
    assert any(n and n.endswith("изменения против v2.docx") for n in names), names
    assert "отличается от версии 2" in body(finance_told)
    dossier = next(ws.clients.glob(f"*/{DEAL}"))
    kept = one(dossier / "Версии", f"{DEAL} v3 * изменения против v2.docx")
    xml = _part(kept, "word/document.xml").decode()
    assert "<w:del " in xml and "сварные швы в течение 36 месяцев" in xml and "<w:ins " in xml
    assert not comparison.exists()  # it left the lawyer's folder with their decision, for the dossier
    compared = [(e["version"], e["detail"]["to"], e["detail"]["with"]) for e in journal(ws) if e["action"] == "compared"]
    assert compared == [(3, "lawyer", 2), (3, "finance", 2)]
    assert unrecognized(ws) == []


def test_the_comparison_moved_to_approved_is_no_decision(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        move(draft_at(ws, Role.LAWYER, 1), "approved")
        at_finance = draft_at(ws, Role.FINANCE, 1)
        (at_finance.parent / "returned" / f"{at_finance.stem}.txt").write_text("Уточните адрес поставки",
                                                                               encoding="utf-8")
        move(at_finance, "returned")
        wait_for(lambda: stage_of(ws, DEAL) == "returned", what="returned")
        example_data["deal"] = DEAL
        example_data["delivery"]["address"] = "142100, Московская обл., г. Подольск, ул. Складская, д. 7"
        drop(ws, "deal-fixed.yaml", example_data)
        comparison = wait_for(lambda: one(ws.review(Role.LAWYER), "* изменения против v1.docx"), what="comparison")
        move(comparison, "approved")
        why = wait_for(lambda: one(ws.review(Role.LAWYER) / "unrecognized", "*.why.txt"), what="set aside")
    assert "файл сравнения версий" in why.read_text(encoding="utf-8")
    assert stage_of(ws, DEAL) == "lawyer"


def test_the_pdf_moved_together_with_the_draft_is_no_second_decision(tmp_path):
    """Explorer selects the draft and its PDF together: one decision, the PDF filed with it, no one told off."""
    ws = make_workspace(tmp_path / "ws", pdf=True)
    with service(ws):
        drop(ws, "deal.yaml")
        draft = draft_at(ws, Role.LAWYER, 1)
        edit_in_place(draft, "9.9. Гарантия 24 месяца.")
        for item in files(ws.review(Role.LAWYER)):
            move(item, "approved")
        passed_on = draft_at(ws, Role.FINANCE, 2)
        wait_for(lambda: one(ws.review(Role.FINANCE), "*.pdf"), what="v2's PDF at finance")
        passed_on.with_suffix(".txt").write_text("Уточнить график платежей", encoding="utf-8")
        for item in files(ws.review(Role.FINANCE)):
            move(item, "returned")
        wait_for(lambda: stage_of(ws, DEAL) == "returned", what="returned")
        wait_for(lambda: not files(ws.review(Role.FINANCE) / "returned"), what="finance's returned/ emptied")
    assert unrecognized(ws) == [] and not letters_to(ws, "@", "Решение не принято")
    assert not files(ws.review(Role.LAWYER) / "approved")
    decisions = [(e["role"], e["action"]) for e in journal(ws) if e["action"] in ("approved", "returned")]
    assert decisions == [("lawyer", "approved"), ("finance", "returned")]
    versions = next(ws.clients.glob(f"*/{DEAL}")) / "Версии"
    assert {p.name[:12] for p in files(versions, "*.pdf")} == {"2026-0001 v1", "2026-0001 v2"}


def test_the_approve_command_on_a_draft_with_tracked_changes_accepts_them_too(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    drop(ws, "deal.yaml")
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
    draft = draft_at(ws, Role.LAWYER, 1)
    review_with_tracked_changes(draft)  # edited in place, decided from the terminal
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    run = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), "approve", DEAL, "--role", "lawyer"],
                         capture_output=True, text=True, cwd=REPO, env=env)
    assert run.returncode == 0, run.stderr
    passed_on = draft_at(ws, Role.FINANCE, 2)
    xml = _part(passed_on, "word/document.xml")
    assert b"<w:ins " not in xml and b"<w:del " not in xml and "24 (двадцать четыре)".encode() in xml
    assert read_identity(passed_on) == (DEAL, 2) and not files(ws.review(Role.LAWYER), "*.docx")
    assert [e["action"] for e in journal(ws)][-2:] == ["approved", "revisions_accepted"]
