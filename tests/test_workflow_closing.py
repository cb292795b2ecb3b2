"""Ending and handing over, as people do it: a deal cancelled from the terminal or through inbox/cancelled/,
the downstream departments acknowledging what they received, a client handed to another manager."""

from __future__ import annotations

import copy
import datetime as dt
import email
import json
import os
import shutil
import subprocess
import zipfile
import sys
from email import policy
from decimal import Decimal
from pathlib import Path

import yaml
from openpyxl import load_workbook

from conftest import REPO
from service_kit import drop, files, make_workspace, one, service, stage_of, wait_for
from docgen.form.money import format_money
from docgen.store import open_store
from docgen.workflow.register import REGISTER_NAME
from docgen.workspace import Role


def docgen(ws, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


def mails(ws) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files(ws.mail_spool, "*.eml")]


def letters(ws, start: str) -> list[email.message.EmailMessage]:
    return [m for m in mails(ws) if m["Subject"].startswith(start)]


def body(letter) -> str:
    return letter.get_body(("plain",)).get_content()


def register_row(ws, number: str) -> dict:
    sheet = load_workbook(ws.registers / REGISTER_NAME).active
    heads = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] == number:
            return dict(zip(heads, row))
    raise AssertionError(f"{number} is not in the register")


def journal(ws, number: str, action: str) -> list[dict]:
    store = open_store(ws.state)
    try:
        return [e for e in store.journal(number) if e["action"] == action]
    finally:
        store.close()


def dossier(ws, number: str) -> Path:
    return next(ws.clients.glob(f"*/{number}"))


# cancel


def test_a_deal_cancelled_from_the_terminal_leaves_the_route_and_everyone_who_held_it_is_told(tmp_path,
                                                                                              example_data):
    ws = make_workspace(tmp_path / "ws")
    drop(ws, "deal.yaml")
    assert docgen(ws, "watch", "--once").returncode == 0
    assert docgen(ws, "approve", "2026-0001", "--role", "lawyer").returncode == 0
    assert one(ws.review(Role.FINANCE), "2026-0001 v1 *.docx")
    assert docgen(ws, "cancel", "2026-0001").returncode == 2  # the reason is required
    run = docgen(ws, "cancel", "2026-0001", "--comment", "Клиент отказался от заказа")
    assert run.returncode == 0, run.stderr
    assert "сделка 2026-0001 отменена (была у руководителя Финансового департамента)" in run.stdout
    assert not files(ws.review(Role.FINANCE)) and not files(ws.review(Role.LAWYER))
    assert {p.name[:12] for p in files(dossier(ws, "2026-0001") / "Версии", "*.docx")} == {"2026-0001 v1"}
    [entry] = journal(ws, "2026-0001", "cancelled")
    assert entry["actor"] == "Петров Пётр Сергеевич" and entry["detail"]["comments"] == ["Клиент отказался от заказа"]
    assert entry["detail"]["stage"] == "finance" and entry["detail"]["via"].startswith("command")
    again = docgen(ws, "cancel", "2026-0001", "--comment", "ещё раз")
    assert again.returncode == 1 and "сделка 2026-0001 уже отменена" in again.stderr
    wrong = docgen(ws, "approve", "2026-0001", "--role", "finance")
    assert wrong.returncode == 1 and "отменена" in wrong.stderr

    example_data["deal"] = "2026-0001"  # the manager tries to go on with the cancelled deal
    (tmp_path / "fixed.yaml").write_text(yaml.safe_dump(example_data, allow_unicode=True), encoding="utf-8")
    check = docgen(ws, "validate", str(tmp_path / "fixed.yaml"))
    assert check.returncode == 1 and "сделка 2026-0001 отменена" in check.stdout + check.stderr
    drop(ws, "deal-fixed.yaml", example_data)
    assert docgen(ws, "watch", "--once").returncode == 0  # also sends the letters queued by `cancel`
    report = (ws.rejected / "deal-fixed.yaml.errors.txt").read_text(encoding="utf-8")
    assert "сделка 2026-0001 отменена: исправленная форма к отменённой сделке не принимается" in report
    [told] = letters(ws, "Сделка 2026-0001 отменена")
    to = str(told["To"])
    assert all(a in to for a in ("petrov@ams.example", "lawyer@localhost", "finance@localhost")), to
    text = body(told)
    assert "Клиент отказался от заказа" in text and "Отменил(а): Петров Пётр Сергеевич" in text
    assert "Где была сделка: у руководителя Финансового департамента" in text
    assert "Юрист, Руководитель Финансового департамента" in text

    [item] = json.loads(docgen(ws, "status", "--json").stdout)
    assert (item["stage"], item["stage_title"], item["due"], item["holder"]) == ("cancelled", "отменена", None, None)
    assert [r["state"] for r in item["route"]] == ["passed", "cancelled", "ahead"]
    shown = docgen(ws, "status", "2026-0001").stdout
    assert "отменена" in shown and "Клиент отказался от заказа" in shown
    assert "Юрист ✓ → [Руководитель Финансового департамента — здесь сделка отменена]" in shown
    row = register_row(ws, "2026-0001")
    assert row["Этап"] == "отменена" and row["Причина отмены"] == "Клиент отказался от заказа"
    assert isinstance(row["Отменена"], dt.datetime)


def test_a_signed_deal_is_not_cancelled(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    drop(ws, "deal.yaml")
    assert docgen(ws, "watch", "--once").returncode == 0
    for role in Role:
        assert docgen(ws, "approve", "2026-0001", "--role", role).returncode == 0
    run = docgen(ws, "cancel", "2026-0001", "--comment", "передумали")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "сделка 2026-0001 подписана: подписанный договор не отменяют в docgen" in run.stderr
    assert stage_of(ws, "2026-0001") == "signed" and not journal(ws, "2026-0001", "cancelled")
    unknown = docgen(ws, "cancel", "2026-9999", "--comment", "нет такой")
    assert unknown.returncode == 1 and "2026-9999" in unknown.stderr


def test_the_manager_cancels_by_dropping_the_draft_with_the_reason_into_inbox_cancelled(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        draft = wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"), what="the draft at the lawyer")
        note = ws.cancel_inbox / draft.with_suffix(".txt").name
        note.write_text("Клиент выбрал другого поставщика", encoding="utf-8")  # the reason first, then the draft
        shutil.copyfile(draft, ws.root / ".copy.tmp")
        (ws.root / ".copy.tmp").replace(ws.cancel_inbox / draft.name)
        wait_for(lambda: stage_of(ws, "2026-0001") == "cancelled", what="cancelled")
        wait_for(lambda: letters(ws, "Сделка 2026-0001 отменена"), what="the letter")
        wait_for(lambda: not files(ws.cancel_inbox), what="inbox/cancelled/ emptied")
    assert not files(ws.review(Role.LAWYER))
    kept = dossier(ws, "2026-0001") / "Отмена"
    assert {p.suffix for p in files(kept)} == {".docx", ".txt"}
    [entry] = journal(ws, "2026-0001", "cancelled")
    assert entry["detail"]["comments"] == ["Клиент выбрал другого поставщика"]
    assert entry["detail"]["via"] == "папка inbox/cancelled/"
    [told] = letters(ws, "Сделка 2026-0001 отменена")
    assert "petrov@ams.example" in str(told["To"]) and "lawyer@localhost" in str(told["To"])


def test_a_cancellation_that_cannot_be_taken_goes_to_rejected_with_the_reason(tmp_path):
    later = dt.datetime.now().astimezone() + dt.timedelta(minutes=5)  # past the wait for a reason .txt
    ws = make_workspace(tmp_path / "ws")
    with service(ws, clock=lambda: later):
        drop(ws, "deal.yaml")
        draft = wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"), what="the draft at the lawyer")
        (ws.cancel_inbox / "2026-9999 отмена.txt").write_text("не нужна", encoding="utf-8")
        shutil.copyfile(draft, ws.cancel_inbox / draft.name)  # no reason anywhere
        wait_for(lambda: (ws.rejected / f"{draft.name}.errors.txt").exists(), what="the draft refused")
        wait_for(lambda: (ws.rejected / "2026-9999 отмена.txt.errors.txt").exists(), what="the unknown deal")
    assert "не указана причина отмены" in (ws.rejected / f"{draft.name}.errors.txt").read_text(encoding="utf-8")
    assert "сделки 2026-9999 нет в docgen" in (ws.rejected / "2026-9999 отмена.txt.errors.txt").read_text(
        encoding="utf-8")
    assert (ws.rejected / draft.name).is_file() and stage_of(ws, "2026-0001") == "lawyer"
    assert one(ws.review(Role.LAWYER), "*.docx")


def test_the_board_shows_a_cancelled_deal(tmp_path):
    from test_web_http import World
    from web_kit import board_app, board_workspace, make_deals, served, set_passwords

    ws = board_workspace(tmp_path / "ws")
    make_deals(ws)
    assert docgen(ws, "cancel", "2026-0001", "--comment", "Клиент отказался").returncode == 0
    set_passwords(ws)
    with served(board_app(ws)) as url:
        client = World(ws, url).login("lawyer@ams.example")
        board = client.get("/")
        page = client.get("/deals/2026-0001")
        api = World(ws, url).api("lawyer@ams.example").get("/api/deals")
    assert board.status_code == 200 and "отменена" in board.text
    assert page.status_code == 200 and "отменена" in page.text and "Клиент отказался" in page.text
    assert {d["deal"]: d["stage"] for d in api.json()}["2026-0001"] == "cancelled"


# ack


def signed_with_drawings(tmp_path, example_data):
    """A workspace with deal 2026-0001 signed from the terminal, its technical documents handed over."""
    ws = make_workspace(tmp_path / "ws")
    example_data["attachments"] = ["КМ-1.pdf"]
    bundle = tmp_path / "deal.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("deal.yaml", json.dumps(example_data, default=str, ensure_ascii=False))
        archive.writestr("КМ-1.pdf", b"%PDF-1.4 KM drawings")
    drop(ws, "deal.zip", source=bundle)
    assert docgen(ws, "watch", "--once").returncode == 0
    for role in Role:
        assert docgen(ws, "approve", "2026-0001", "--role", role).returncode == 0
    return ws


def test_the_departments_acknowledge_by_command_and_by_moving_into_accepted(tmp_path, example_data):
    ws = signed_with_drawings(tmp_path, example_data)
    [item] = json.loads(docgen(ws, "status", "--json").stdout)
    assert item["unacknowledged"] == ["originals", "production", "technical"] and item["acknowledged"] == []
    assert "Не подтверждено: оригиналы, Ввод в Производство, техническая документация" in docgen(
        ws, "status", "2026-0001").stdout
    assert docgen(ws, "ack", "2026-0001", "drawings").returncode == 2

    run = docgen(ws, "ack", "2026-0001", "originals")
    assert run.returncode == 0, run.stderr
    assert "сделка 2026-0001: оригиналы — получение подтверждено" in run.stdout
    again = docgen(ws, "ack", "2026-0001", "originals")
    assert again.returncode == 0 and "уже подтверждено (Руководитель Финансового департамента" in again.stdout
    handover = one(ws.economics, "Ввод в Производство 2026-0001*.docx")
    with service(ws):
        wait_for(lambda: (ws.registers / REGISTER_NAME).exists(), what="the register")
        handover.replace(ws.economics / "accepted" / handover.name)  # Economics accepts the launch
        (ws.technical / "2026-0001").replace(ws.technical / "accepted" / "2026-0001")  # Technical, the folder
        wait_for(lambda: len(journal(ws, "2026-0001", "acknowledged")) == 3, what="three acknowledgments")
        wait_for(lambda: register_row(ws, "2026-0001")["Не подтверждено"] in (None, ""), what="register")
    assert not files(ws.economics) and (ws.economics / "accepted" / handover.name).is_file()
    assert (ws.technical / "accepted" / "2026-0001" / "КМ-1.pdf").is_file()
    acks = {e["detail"]["what"]: e for e in journal(ws, "2026-0001", "acknowledged")}
    assert (acks["originals"]["actor"], acks["originals"]["role"]) == ("Руководитель Финансового департамента",
                                                                       "finance")
    assert acks["originals"]["detail"]["via"].startswith("command")
    assert acks["production"]["role"] == "economics" and acks["production"]["detail"]["file"] == handover.name
    assert acks["production"]["detail"]["via"] == "папка outbox/economics/accepted/"
    assert acks["technical"]["role"] == "technical" and acks["technical"]["detail"]["file"] == "2026-0001"
    [item] = json.loads(docgen(ws, "status", "--json").stdout)
    assert item["unacknowledged"] == []
    assert [a["what"] for a in item["acknowledged"]] == ["originals", "production", "technical"]
    assert "Подтверждено: оригиналы — Руководитель Финансового департамента" in docgen(ws, "status", "2026-0001").stdout


def test_the_production_ack_by_command_moves_the_file_into_accepted(tmp_path, example_data):
    ws = signed_with_drawings(tmp_path, example_data)
    handover = one(ws.economics, "Ввод в Производство 2026-0001*.docx")
    run = docgen(ws, "ack", "2026-0001", "production", "--by", "Экономист Орлова")
    assert run.returncode == 0, run.stderr
    assert not handover.exists() and (ws.economics / "accepted" / handover.name).is_file()
    assert docgen(ws, "ack", "2026-0001", "technical").returncode == 0
    assert (ws.technical / "accepted" / "2026-0001" / "КМ-1.pdf").is_file() and not (ws.technical / "2026-0001").exists()
    [entry, _technical] = journal(ws, "2026-0001", "acknowledged")
    assert entry["actor"] == "Экономист Орлова"
    assert register_row(ws, "2026-0001")["Не подтверждено"] == "оригиналы"


def test_nothing_to_acknowledge_before_signing_or_without_drawings(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    drop(ws, "deal.yaml")
    assert docgen(ws, "watch", "--once").returncode == 0
    early = docgen(ws, "ack", "2026-0001", "originals")
    assert early.returncode == 1 and "сделка 2026-0001 не подписана: подтверждать по ней нечего" in early.stderr
    for role in Role:
        assert docgen(ws, "approve", "2026-0001", "--role", role).returncode == 0
    none = docgen(ws, "ack", "2026-0001", "technical")
    assert none.returncode == 1 and "техническая документация не передавались" in none.stderr
    [item] = json.loads(docgen(ws, "status", "--json").stdout)
    assert item["unacknowledged"] == ["originals", "production"]


# transfer-client


TRANSFER = REPO / "templates" / "forms" / "client-transfer.yaml"


def transfer_form(tmp_path, name: str, deals: list) -> Path:
    data = yaml.safe_load(TRANSFER.read_text(encoding="utf-8")) | {"deals": deals}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_client_handed_to_another_manager_takes_its_open_deals_and_their_letters(tmp_path, example_data):
    from docx import Document
    from test_archive_kit import client

    ws = make_workspace(tmp_path / "ws", pdf=True)
    drop(ws, "first.yaml", example_data)
    second = copy.deepcopy(example_data)
    second["subject"]["items"][0]["quantity"] = "3"
    drop(ws, "second.yaml", second)
    drop(ws, "other.yaml", client(example_data, inn_prefix="770812345", name="АО «Другой клиент»"))
    assert docgen(ws, "watch", "--once").returncode == 0
    assert docgen(ws, "return", "2026-0002", "--role", "lawyer", "--comment", "уточнить объём").returncode == 0
    store = open_store(ws.state)
    try:
        totals = {r.number: r.total for r in store.deals()}
        subject = store.deal("2026-0002").subject
    finally:
        store.close()

    refused = docgen(ws, "transfer-client", str(transfer_form(tmp_path, "a.yaml", [
        {"number": "2026-0001", "summary": "x"}, {"number": "2026-0003"}, {"number": "2026-0099"}])))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "сделка 2026-0003 — клиента АО «Другой клиент» (ИНН 7708123450" in refused.stderr
    assert "сделки 2026-0099 нет в docgen" in refused.stderr
    assert "открытые сделки, не названные в соглашении: 2026-0002" in refused.stderr
    assert not (ws.clients / "5027012348 ООО «Ромашка & Ко»" / "Передача клиента").exists()

    form = transfer_form(tmp_path, "b.yaml", [{"number": "2026-0001", "summary": "x", "amount": "1.00"},
                                             {"number": "2026-0002"}])
    run = docgen(ws, "transfer-client", str(form))
    assert run.returncode == 0, run.stderr
    assert "Сделка 2026-0001 передана: Петров Пётр Сергеевич → Смирнова Ольга Петровна" in run.stdout
    filed = ws.clients / "5027012348 ООО «Ромашка & Ко»" / "Передача клиента"
    stem = "Соглашение ПК-5027012348-20261126 о передаче клиента"
    assert sorted(p.name for p in filed.iterdir()) == [f"{stem}.docx", f"{stem}.pdf"]
    assert (filed / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
    text = "\n".join(c.text for t in Document(filed / f"{stem}.docx").tables for r in t.rows
                     for c in r.cells).replace("\u00a0", " ")
    assert "2 023 980,00" in text and "1,00" not in text and subject in text  # the store's amounts and subjects
    assert format_money(Decimal(totals["2026-0002"])).replace("\u00a0", " ") in text
    again = docgen(ws, "transfer-client", str(form))
    assert again.returncode == 1 and "повторите команду с --force" in again.stderr
    assert docgen(ws, "transfer-client", str(form), "--force").returncode == 0

    store = open_store(ws.state)
    try:
        managers = {r.number: (r.manager, r.manager_email) for r in store.deals()}
    finally:
        store.close()
    assert managers == {"2026-0001": ("Смирнова Ольга Петровна", "smirnova@ams.example"),
                        "2026-0002": ("Смирнова Ольга Петровна", "smirnova@ams.example"),
                        "2026-0003": ("Петров Пётр Сергеевич", "petrov@ams.example")}
    [entry, _forced] = journal(ws, "2026-0002", "client_transferred")
    assert (entry["detail"]["from"], entry["detail"]["to"]) == ("Петров Пётр Сергеевич", "Смирнова Ольга Петровна")

    assert docgen(ws, "cancel", "2026-0001", "--comment", "Клиент отказался").returncode == 0
    assert docgen(ws, "watch", "--once").returncode == 0  # sends what the commands queued
    [told, replaced] = letters(ws, "Клиент передан: ООО «Ромашка & Ко» — Смирнова Ольга Петровна")  # --force: anew
    assert told["To"] == replaced["To"]
    to = str(told["To"])
    assert all(a in to for a in ("petrov@ams.example", "smirnova@ams.example", "director.metal@localhost")), to
    assert "2026-0001" in body(told) and "2026-0002" in body(told)
    assert [p.get_filename() for p in told.iter_attachments()] == [f"{stem}.pdf"]
    [cancelled] = letters(ws, "Сделка 2026-0001 отменена")
    assert "smirnova@ams.example" in str(cancelled["To"]) and "petrov@ams.example" not in str(cancelled["To"])
