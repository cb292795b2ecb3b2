"""The service end to end, as its users work: files dropped and moved between folders, the real watcher."""

from __future__ import annotations

import email
import io
import json
import zipfile
from email import policy
from pathlib import Path

import docx as python_docx
import pytest
from openpyxl import load_workbook

from pg_kit import store_toml
from service_kit import drop, files, make_workspace, one, service, wait_for, stage_of
from docgen.workflow.register import REGISTER_NAME
from docgen.workspace import Role


def _mails(ws) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files(ws.mail_spool, "*.eml")]


def _approve(ws, role: Role) -> Path:
    draft = wait_for(lambda: one(ws.review(role), "*.docx"), what=f"a draft in {role}")
    target = ws.review(role) / "approved" / draft.name
    draft.replace(target)
    return target


@pytest.mark.parametrize("polling, engine", [(False, "sqlite"), (True, "sqlite"), (False, "postgres")],
                         ids=["native", "polling", "postgres"])
def test_a_deal_from_the_inbox_to_production(tmp_path, polling, engine, example_data, request):
    url = request.getfixturevalue("pg_url") if engine == "postgres" else ""
    ws = make_workspace(tmp_path / "ws", extra=store_toml(url))
    example_data["attachments"] = ["КМ-1.pdf"]
    example_data["contract_date"] = None  # dated on acceptance: no warning letter, whatever day the test runs
    bundle = tmp_path / "deal.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("deal.yaml", json.dumps(example_data, default=str, ensure_ascii=False))
        archive.writestr("КМ-1.pdf", b"%PDF-1.4 KM drawings")
    with service(ws, polling=polling):
        drop(ws, "deal.zip", source=bundle)
        _approve(ws, Role.LAWYER)
        wait_for(lambda: stage_of(ws, "2026-0001") == "finance", what="finance stage")
        _approve(ws, Role.FINANCE)
        _approve(ws, Role.DIRECTOR)
        wait_for(lambda: stage_of(ws, "2026-0001") == "signed", what="signed")
        dossier = wait_for(lambda: one(ws.clients, "*/2026-0001") or next(ws.clients.glob("*/2026-0001"), None))
        wait_for(lambda: len(_mails(ws)) >= 7, what="seven notices")
        wait_for(lambda: (ws.registers / REGISTER_NAME).exists())
    assert dossier.parent.name == "5027012348 ООО «Ромашка & Ко»"
    assert (dossier / "Договор 2026-0001.docx").is_file()
    assert (dossier / "Лист согласования 2026-0001.docx").is_file()
    assert (dossier / "Формы" / "v1 deal.zip").is_file()
    assert (dossier / "Техническая документация" / "v1" / "КМ-1.pdf").read_bytes() == b"%PDF-1.4 KM drawings"
    assert (ws.technical / "2026-0001" / "КМ-1.pdf").is_file()
    assert one(ws.economics, "Ввод в Производство 2026-0001*.docx")
    assert not files(ws.inbox) and not files(ws.review(Role.DIRECTOR) / "approved")
    kinds = sorted(m["Subject"].split(":")[0] for m in _mails(ws))
    assert kinds == sorted(["На согласование (Юрист)", "На согласование (Руководитель Финансового департамента)",
                            "На подпись", "Договор 2026-0001 подписан",
                            "Ввод в Производство", "Ожидаются оригиналы", "Техническая документация"])
    to = {m["Subject"].split(":")[0]: str(m["To"]) for m in _mails(ws)}
    assert "support.metal@localhost" in to["Ввод в Производство"] and "economics@localhost" in to["Ввод в Производство"]
    assert "tech@localhost" in to["Техническая документация"]
    assert "petrov@ams.example" in to["Договор 2026-0001 подписан"]
    assert len(files(dossier / "Письма", "*.eml")) == len(_mails(ws))
    sheet = load_workbook(ws.registers / REGISTER_NAME).active
    row = dict(zip((c.value for c in sheet[1]), (c.value for c in sheet[2])))
    assert (row["Сделка"], row["ИНН"], row["Сумма с НДС, руб."], row["Этап"]) == (
        "2026-0001", "5027012348", 2023980.0, "подписана")
    assert row["Подписана"] == row["Директор"] and row["Подписана"] >= row["Принята"]  # Excel dates


def test_a_return_with_comments_and_a_corrected_resubmission(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"))
        document = python_docx.Document(draft)
        document.add_comment(document.paragraphs[0].runs[0], text="Уточните адрес поставки", author="Юрист")
        returned = ws.review(Role.LAWYER) / "returned" / draft.name
        returned.with_suffix(".txt").write_text("Пеня покупателя завышена", encoding="utf-8")
        document.save(returned)
        wait_for(lambda: stage_of(ws, "2026-0001") == "returned", what="returned")
        letter = wait_for(lambda: [m for m in _mails(ws) if "Возвращён" in m["Subject"]])[0]
        body = letter.get_body(("plain",)).get_content()
        assert "Уточните адрес поставки" in body and "Пеня покупателя завышена" in body
        assert "petrov@ams.example" in str(letter["To"])
        example_data["deal"] = "2026-0001"
        example_data["delivery"]["address"] = "142100, Московская обл., г. Подольск, ул. Складская, д. 7"
        drop(ws, "deal-fixed.yaml", example_data)
        wait_for(lambda: one(ws.review(Role.LAWYER), "2026-0001 v2 *.docx"), what="version 2 at the lawyer")
    dossier = next(ws.clients.glob("*/2026-0001"))
    assert {p.name for p in files(dossier / "Формы")} == {"v1 deal.yaml", "v2 deal-fixed.yaml"}
    assert any("Пеня" in p.read_text(encoding="utf-8") for p in files(dossier / "Замечания"))
    assert stage_of(ws, "2026-0001") == "lawyer"


def test_an_edited_draft_becomes_the_next_version_and_both_are_kept(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"))
        document = python_docx.Document(draft)
        document.add_paragraph("9.9. Стороны договорились о дополнительной гарантии 24 месяца.")
        document.save(ws.review(Role.LAWYER) / "approved" / draft.name)
        draft.unlink()
        finance = wait_for(lambda: one(ws.review(Role.FINANCE), "2026-0001 v2 *.docx"), what="v2 at finance")
    assert "гарантии 24 месяца" in "\n".join(p.text for p in python_docx.Document(finance).paragraphs)
    versions = next(ws.clients.glob("*/2026-0001")) / "Версии"
    assert {p.name[:12] for p in files(versions, "*.docx")} == {"2026-0001 v1", "2026-0001 v2"}


def test_files_that_match_nothing_are_set_aside_with_a_reason(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"))
        stranger = ws.review(Role.LAWYER) / "approved" / "письмо клиенту.docx"
        python_docx.Document().save(stranger)
        wrong_stage = ws.review(Role.FINANCE) / "approved" / draft.name
        draft.replace(wrong_stage)
        aside = ws.review(Role.LAWYER) / "unrecognized"
        wait_for(lambda: (aside / "письмо клиенту.docx.why.txt").exists(), what="stranger set aside")
        wait_for(lambda: (ws.review(Role.FINANCE) / "unrecognized" / f"{draft.name}.why.txt").exists())
    assert "не удалось определить сделку" in (aside / "письмо клиенту.docx.why.txt").read_text(encoding="utf-8")
    why = (ws.review(Role.FINANCE) / "unrecognized" / f"{draft.name}.why.txt").read_text(encoding="utf-8")
    assert "сейчас у юриста" in why
    assert stage_of(ws, "2026-0001") == "lawyer"


def test_the_same_form_twice_makes_one_deal(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"))
        drop(ws, "deal-again.yaml")
        report = wait_for(lambda: one(ws.rejected, "deal-again.yaml.errors.txt"), what="duplicate reported")
        letter = wait_for(lambda: [m for m in _mails(ws) if "deal-again.yaml" in m.get_body(("plain",)).get_content()])
        assert "petrov@ams.example" in str(letter[0]["To"])
    assert "уже принята: сделка 2026-0001" in report.read_text(encoding="utf-8")
    assert (ws.rejected / "deal-again.yaml").is_file()
    assert stage_of(ws, "2026-0002") == ""


def test_an_invalid_form_is_rejected_with_a_report_and_the_manager_told(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    example_data["delivery"]["address"] = None
    example_data["price"]["payments"][0]["share"] = "20"
    with service(ws):
        drop(ws, "bad.yaml", example_data)
        (ws.inbox / "~$bad.docx").write_bytes(b"word lock")
        (ws.inbox / "scan.part").write_bytes(b"partial")
        report = wait_for(lambda: one(ws.rejected, "bad.yaml.errors.txt"))
        letter = wait_for(lambda: [m for m in _mails(ws) if "petrov@ams.example" in str(m["To"])])[0]
    text = report.read_text(encoding="utf-8")
    assert "4. Поставка, адрес поставки (delivery.address)" in text
    assert "2. Цена и условия оплаты, график платежей (price.payments)" in text
    assert "delivery.address" in letter.get_body(("plain",)).get_content()
    assert (ws.inbox / "~$bad.docx").exists() and (ws.inbox / "scan.part").exists()


def test_once_takes_what_waits_and_exits(tmp_path):
    from docgen.service import run_service, service_log
    import threading

    ws = make_workspace(tmp_path / "ws")
    drop(ws, "a.yaml")
    (ws.inbox / "notes.pdf").write_bytes(b"%PDF-1.4")
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
    assert one(ws.review(Role.LAWYER), "2026-0001 v1 *.docx")
    assert (ws.rejected / "notes.pdf.errors.txt").is_file()
    assert "не принимаются" in (ws.rejected / "notes.pdf.errors.txt").read_text(encoding="utf-8")
    log = (ws.state / "docgen.log").read_text(encoding="utf-8")
    assert "inbox/a.yaml: принята: сделка 2026-0001" in log
