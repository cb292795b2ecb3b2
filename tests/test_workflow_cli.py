"""The service and the decisions from a terminal: SIGTERM, approve/return/status, notices over real SMTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from conftest import REPO
from service_kit import drop, make_workspace, one, service, wait_for
from docgen.workspace import Role


def docgen(ws, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


def test_sigterm_stops_the_service_cleanly(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    proc = subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(ws.root), "watch"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = ws.state / "docgen.log"
    wait_for(lambda: log.exists() and "следит за" in log.read_text(encoding="utf-8"), what="service started")
    drop(ws, "deal.yaml")
    wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"), what="the draft")
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "docgen остановлен" in log.read_text(encoding="utf-8")
    assert "Traceback" not in err


def test_approve_return_and_status_from_the_terminal(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    drop(ws, "deal.yaml")
    assert docgen(ws, "watch", "--once").returncode == 0
    run = docgen(ws, "approve", "2026-0001", "--role", "lawyer", "--comment", "Согласовано без замечаний")
    assert run.returncode == 0, run.stderr
    assert "у руководителя Финансового департамента" in run.stdout
    assert one(ws.review(Role.FINANCE), "2026-0001 v1 *.docx")
    assert not one(ws.review(Role.LAWYER), "*.docx")
    wrong = docgen(ws, "approve", "2026-0001", "--role", "director")
    assert wrong.returncode == 1 and "у руководителя Финансового департамента" in wrong.stderr
    assert docgen(ws, "return", "2026-0001", "--role", "finance").returncode == 2  # comments are required
    run = docgen(ws, "return", "2026-0001", "--role", "finance", "--comment", "Уточнить график платежей")
    assert run.returncode == 0, run.stderr
    items = json.loads(docgen(ws, "status", "--json").stdout)
    assert items[0] | {"journal": None} == items[0] | {
        "deal": "2026-0001", "stage": "returned", "version": 1, "buyer_inn": "5027012348", "total": "2023980.00",
        "journal": None}
    one_deal = docgen(ws, "status", "2026-0001")
    assert "Уточнить график платежей" in one_deal.stdout and "возвращено на доработку" in one_deal.stdout
    unknown = docgen(ws, "status", "2026-9999")
    assert unknown.returncode == 1 and "Сделка 2026-9999 не найдена" in unknown.stderr
    assert "Traceback" not in unknown.stderr


class _Collector:
    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.received.append((tuple(envelope.rcpt_tos),
                                  BytesParser(policy=policy.default).parsebytes(envelope.content)))
        return "250 OK"


def test_every_step_is_told_by_mail_through_a_real_smtp_server(tmp_path):
    handler = _Collector()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ws = make_workspace(tmp_path / "ws", extra=f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n')
        with service(ws):
            drop(ws, "deal.yaml")
            for role in Role:
                draft = wait_for(lambda: one(ws.review(role), "*.docx"), what=f"draft at {role}")
                draft.replace(ws.review(role) / "approved" / draft.name)
            wait_for(lambda: len(handler.received) >= 6, what="six letters")
    finally:
        controller.stop()
    by_subject = {m["Subject"]: rcpt for rcpt, m in handler.received}
    assert len(set(str(m["Message-ID"]) for _, m in handler.received)) == len(handler.received)
    review = [rcpt for rcpt, m in handler.received if m["Subject"].startswith("На согласование")]
    assert sorted(review) == [("finance@localhost",), ("lawyer@localhost",)]
    signature = next(s for s in by_subject if s.startswith("На подпись"))
    assert by_subject[signature] == ("director.metal@localhost",)
    handover = next(s for s in by_subject if s.startswith("Ввод в Производство"))
    assert set(by_subject[handover]) == {"economics@localhost", "support.metal@localhost"}
    letter = next(m for _, m in handler.received if m["Subject"].startswith("На согласование"))
    names = [part.get_filename() for part in letter.iter_attachments()]
    assert any(name.startswith("2026-0001 v1 Договор") and name.endswith(".docx") for name in names)
    assert "ООО «Ромашка & Ко»" in letter["Subject"]


def test_status_at_80_columns_keeps_the_deal_number_whole_and_lists_what_was_set_aside(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws", extra='[numbering]\npattern = "{year}-ДОГ-{seq:06d}"\n')
    example_data["buyer"]["name"] = "ООО «Научно-производственное объединение «Ромашка & Ко» и партнёры»"
    drop(ws, "deal.yaml", example_data)
    stranger = ws.review(Role.LAWYER) / "approved" / "письмо клиенту.docx"
    stranger.parent.mkdir(parents=True, exist_ok=True)
    stranger.write_bytes(b"not a contract")
    assert docgen(ws, "watch", "--once").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")} | {"COLUMNS": "80"}
    run = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), "status"], capture_output=True,
                         text=True, cwd=REPO, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), run.stdout
    assert any("2026-ДОГ-000001" in line for line in lines), run.stdout  # on one line, never cut or folded
    assert "2 023 980,00" in run.stdout and "у юриста" in run.stdout
    assert "Нераспознанные файлы (1)" in run.stdout
    assert any("письмо клиенту.docx" in line and "outbox/lawyer/unrecognized" in line for line in lines), run.stdout
