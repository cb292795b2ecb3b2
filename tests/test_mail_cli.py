"""`docgen mail`: the table of notices, and --retry sending what waits."""

from __future__ import annotations

import pytest

from docgen.cli import main
from docgen.mail import MailOutbox, NoticeKind, build_notice
from docgen.mail.outbox import DB_NAME, connect
from docgen.settings import load_settings
from docgen.workspace import Workspace

CONTEXT = {"deal": "2026-0007", "version": 1, "client": "ООО «Ромашка & Ко»", "inn": "5027012348",
           "total": "1\u00a0000,00", "manager": "Петров", "folder": "outbox/director/"}


def run(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    return exited.value.code, capsys.readouterr().out


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("DOCGEN_SMTP__HOST", "DOCGEN_ROOT"):
        monkeypatch.delenv(name, raising=False)
    ws = Workspace(tmp_path, load_settings(tmp_path, {}))
    conn = connect(ws.state / DB_NAME)
    outbox = MailOutbox(conn)
    outbox.ensure_schema()
    conn.execute("BEGIN")
    outbox.enqueue(build_notice(NoticeKind.SIGNATURE, ws=ws, event_id="2026-0007/v1/signature", to=["d@x.ru"],
                                context=CONTEXT, deal="2026-0007"))
    outbox.enqueue(build_notice(NoticeKind.SIGNATURE, ws=ws, event_id="2026-0008/v1/signature", to=["[не адрес]"],
                                context=CONTEXT, deal="2026-0008"))
    conn.execute("COMMIT")
    conn.close()
    return tmp_path


def test_listing_shows_what_is_queued(root, capsys):
    code, out = run(capsys, "--root", str(root), "mail")
    assert code == 0
    assert "Сделка" in out and "Состояние" in out and "на подпись" in out
    assert out.count("в очереди") == 2 and "В очереди: 2, отправлено: 0, с ошибкой: 0." in out


def test_retry_sends_now_and_reports_what_did_not_go(root, capsys):
    code, out = run(capsys, "--root", str(root), "mail", "--retry")
    assert code == 1  # one notice has no valid address
    assert "Отправлено писем: 1 из 2." in out
    assert "Не будут отправлены, пока причину не исправят: 1" in out
    assert "2026-0008, на подпись, кому: [не адрес]: Нет ни одного верного адреса" in out
    assert "Новых писем в очереди: 1 (администратору: 1)" in out
    assert "В очереди: 1, отправлено: 1, с ошибкой: 1." in out  # queued: the administrator's letter about it
    assert "Состояние" not in out and "2026-0007" not in out  # a summary, not the table
    assert len(list((root / "outbox" / "mail").glob("*-signature-2026-0007.eml"))) == 1
    code, out = run(capsys, "--root", str(root), "mail", "--deal", "2026-0007")
    assert code == 0 and "2026-0008" not in out and "отправлено" in out


def test_an_empty_workspace_has_no_letters(tmp_path, capsys):
    (tmp_path / "docgen.toml").write_text("", encoding="utf-8")
    code, out = run(capsys, "--root", str(tmp_path), "mail")
    assert code == 0 and "Писем пока нет." in out
    assert not (tmp_path / ".docgen" / DB_NAME).exists()  # a look creates nothing


def test_a_folder_that_is_no_workspace_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--root", str(tmp_path / "mistyped"), "mail"])
    assert exited.value.code == 1 and "docgen init" in capsys.readouterr().err
    assert not (tmp_path / "mistyped").exists()


def test_retry_with_the_server_down_says_the_letters_wait(root, capsys, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on: the server is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for key, value in {"HOST": "127.0.0.1", "PORT": str(port), "STARTTLS": "false", "TIMEOUT": "2"}.items():
        monkeypatch.setenv(f"DOCGEN_SMTP__{key}", value)
    code, out = run(capsys, "--root", str(root), "mail", "--retry")
    assert code == 1
    assert "Отправлено писем: 0 из 2." in out
    assert "Ждут следующей попытки: 2 — SMTP 127.0.0.1" in out and "нет соединения" in out  # both: it is the server
    assert "Не будут отправлены" not in out
