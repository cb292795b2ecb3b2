"""`docgen doctor` on real workspaces broken one way at a time, and SMTP through a real server."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from test_mail_smtp import AUTH_WITHOUT_TLS, Auth, Collector, free_port, self_signed, start_server
from test_seller import SELLER

from docgen import doctor
from docgen.calendar import last_decree_year
from docgen.cli import main
from docgen.layout import lay_out
from docgen.store import DB_NAME, open_store

TODAY = dt.date(2026, 11, 26)
QUIET = "[pdf]\nenabled = false\n"


def workspace(root: Path, extra: str = "") -> Path:
    lay_out(root)
    (root / "docgen.toml").write_text(SELLER + QUIET + extra, encoding="utf-8")
    return root


def results(root: Path, *checks, environ: dict[str, str] | None = None, **edges) -> dict[str, doctor.Result]:
    found = doctor.run_doctor(root, today=edges.pop("today", TODAY), environ=environ or {},
                              checks=checks or None, **edges)
    return {r.name: r for r in found}


def fault(root: Path, check, name: str, **kwargs) -> doctor.Result:
    result = results(root, check, **kwargs)[name]
    assert not result.ok and result.level is doctor.Level.ERROR and result.fix, result
    return result


def test_a_ready_workspace_passes_every_check(tmp_path, capsys):
    root = workspace(tmp_path)
    found = results(root)
    assert all(r.ok or r.name == "folders_user" for r in found.values()), found
    assert {"settings", "company", "folders", "templates", "mail_templates", "libreoffice", "fonts", "mail",
            "store", "dossiers", "disk", "network_filesystem", "calendar"} <= set(found)
    with pytest.raises(SystemExit) as done:
        main(["--root", str(root), "doctor"])
    out = capsys.readouterr().out
    assert done.value.code in (0, None) and "✗" not in out and "ошибок: 0" in out
    assert "✔ реквизиты Продавца: ООО «Вектор», ИНН 7701012342" in out


def test_json_lists_every_check_and_a_fault_exits_1(tmp_path, capsys):
    lay_out(tmp_path)
    (tmp_path / "docgen.toml").write_text(QUIET, encoding="utf-8")  # the example Seller: a fault
    with pytest.raises(SystemExit) as done:
        main(["--root", str(tmp_path), "doctor", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert done.value.code == 1
    assert all(set(item) == {"name", "ok", "level", "message", "fix"} for item in listed)
    [company] = [item for item in listed if item["name"] == "company"]
    assert (company["ok"], company["level"]) == (False, "error") and "[company]" in company["fix"]


def test_broken_settings_are_the_one_result(tmp_path, capsys):
    (tmp_path / "docgen.toml").write_text("[company]\ninn = \"123\"\n", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["--root", str(tmp_path), "doctor"])
    out = capsys.readouterr().out
    assert done.value.code == 1
    assert out.startswith("✗ настройки: в docgen.toml или переменных окружения DOCGEN_* есть ошибки:") and "company.inn: ИНН должен состоять" in out
    assert "что сделать: исправьте" in out and out.count("✗") == 1


def test_missing_and_blocked_folders(tmp_path):
    root = workspace(tmp_path)
    (root / "outbox" / "lawyer" / "approved").rmdir()
    for sub in ("approved", "returned", "accepted"):
        (root / "outbox" / "finance" / sub).rmdir()
    (root / "outbox" / "finance").rmdir()
    (root / "outbox" / "finance").write_text("not a folder", encoding="utf-8")
    result = fault(root, doctor.check_folders, "folders")
    assert "outbox/lawyer/approved: нет такой папки" in result.message
    assert "outbox/finance: это файл, а не папка" in result.message


def test_a_broken_contract_template(tmp_path):
    root = workspace(tmp_path)
    (root / "templates" / "contracts" / "works.docx").write_bytes(b"not a docx")
    assert "works.docx" in fault(root, doctor.check_templates, "templates").message


def test_a_typo_in_a_mail_template(tmp_path):
    root = workspace(tmp_path)
    review = root / "templates" / "mail" / "review.txt"
    review.write_text(review.read_text(encoding="utf-8").replace("{{ client }}", "{{ clientt }}", 1), encoding="utf-8")
    assert "неизвестное имя «clientt»" in fault(root, doctor.check_mail_templates, "mail_templates").message


def test_a_font_the_machine_lacks(tmp_path):
    root = workspace(tmp_path)
    document = docx.Document()
    document.styles["Normal"].font.name = "Docgen Missing Serif"
    document.add_paragraph("Договор аренды № {{ number }}")
    document.save(root / "templates" / "contracts" / "lease.docx")
    result = fault(root, doctor.check_fonts, "fonts")
    assert "«Docgen Missing Serif» (будет заменён на" in result.message
    assert "Times New Roman" not in result.message  # replaced by Liberation Serif, of the same metrics


def test_libreoffice_converts_a_probe_and_its_absence_is_a_fault(tmp_path):
    root = workspace(tmp_path, extra="")
    (root / "docgen.toml").write_text(SELLER, encoding="utf-8")  # PDF renditions on
    assert results(root, doctor.check_libreoffice)["libreoffice"].ok
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")},
           "PATH": str(Path(sys.executable).parent)}  # docgen's own bin/: no soffice on the way
    done = subprocess.run([sys.executable, "-m", "docgen", "--root", str(root), "doctor", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    listed = {item["name"]: item for item in json.loads(done.stdout)}
    assert done.returncode == 1
    assert listed["libreoffice"]["message"] == "не найден: PDF-версии не создаются"
    assert "apt-get install libreoffice-writer-nogui" in listed["libreoffice"]["fix"]


def test_a_damaged_store(tmp_path):
    root = workspace(tmp_path)
    (root / ".docgen").mkdir(exist_ok=True)
    (root / ".docgen" / DB_NAME).write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    assert "не открывается" in fault(root, doctor.check_store, "store").message


def test_the_store_schema_newer_and_older(tmp_path):
    root = workspace(tmp_path)
    open_store(root / ".docgen").close()
    assert results(root, doctor.check_store)["store"].ok
    db = root / ".docgen" / DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    assert "более новой версией docgen" in fault(root, doctor.check_store, "store").message
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE meta")  # a store made before versions were kept: schema 1
    from docgen.migrations import LATEST

    result = results(root, doctor.check_store)["store"]
    assert result.ok if LATEST == 1 else result.level is doctor.Level.WARNING


def test_little_free_space(tmp_path):
    root = workspace(tmp_path)
    assert "свободно" in fault(root, doctor.check_disk, "disk", free_error=1 << 62).message
    warning = results(root, doctor.check_disk, free_warning=1 << 62)["disk"]
    assert warning.level is doctor.Level.WARNING


def test_a_store_on_a_network_share_is_warned(tmp_path):
    root = workspace(tmp_path)
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nfiler:/export {root} nfs4 rw,relatime 0 0\n", encoding="utf-8")
    result = results(root, doctor.check_network_filesystem, mounts=mounts)["network_filesystem"]
    assert result.level is doctor.Level.WARNING and "nfs4" in result.message and "[folders] state" in result.fix
    with_space = tmp_path / "share dir"
    workspace(with_space)
    mounts.write_text(f"//srv/docs {str(with_space).replace(' ', chr(92) + '040')} cifs rw 0 0\n", encoding="utf-8")
    assert not results(with_space, doctor.check_network_filesystem, mounts=mounts)["network_filesystem"].ok
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n", encoding="utf-8")
    assert results(root, doctor.check_network_filesystem, mounts=mounts)["network_filesystem"].ok


def test_the_calendar_must_know_this_year_and_should_know_the_next(tmp_path):
    root = workspace(tmp_path)
    assert "2100 года неизвестен" in fault(root, doctor.check_calendar, "calendar", today=dt.date(2100, 3, 1)).message
    last = last_decree_year()
    result = results(root, doctor.check_calendar, today=dt.date(last, 6, 1))["calendar"]
    assert result.level is doctor.Level.WARNING and f"{last + 1} года ещё неизвестен" in result.message
    (root / "docgen.toml").write_text(SELLER + QUIET + f"[calendar]\nconfirmed_years = [{last + 1}]\n", encoding="utf-8")
    assert results(root, doctor.check_calendar, today=dt.date(last, 6, 1))["calendar"].ok


# --- SMTP through a real server: connect, STARTTLS, login; nothing is sent ----------------------------

def smtp_env(port: int, **extra: str) -> dict[str, str]:
    return {"DOCGEN_SMTP__HOST": "127.0.0.1", "DOCGEN_SMTP__PORT": str(port), "DOCGEN_SMTP__TIMEOUT": "5",
            "DOCGEN_SMTP__USERNAME": "docgen", **extra}


@AUTH_WITHOUT_TLS
def test_smtp_starttls_and_login_succeed_without_sending(tmp_path, monkeypatch):
    import ssl

    root = workspace(tmp_path)
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this test's certificate
    handler, port = Collector(), free_port()
    controller = start_server(handler, port, tls_context=context, require_starttls=True,
                              authenticator=Auth("s3cret"), auth_required=True)
    try:
        result = results(root, doctor.check_mail, environ=smtp_env(port, DOCGEN_SMTP_PASSWORD="s3cret"))["mail"]
        assert result.ok, result
        assert "подключение, TLS, вход — успешно" in result.message and handler.received == []
        refused = results(root, doctor.check_mail, environ=smtp_env(port, DOCGEN_SMTP_PASSWORD="wrong"))["mail"]
        assert not refused.ok and "535" in refused.message and "wrong" not in refused.message
        assert "DOCGEN_SMTP_PASSWORD" in refused.fix
    finally:
        controller.stop()


def test_smtp_without_starttls_on_offer_and_a_dead_server(tmp_path):
    root = workspace(tmp_path)
    handler, port = Collector(), free_port()
    controller = start_server(handler, port)  # no TLS at all, but starttls = true by default
    try:
        plain = results(root, doctor.check_mail, environ=smtp_env(port, DOCGEN_SMTP__USERNAME=""))["mail"]
        assert not plain.ok and "STARTTLS" in plain.message
    finally:
        controller.stop()
    dead = results(root, doctor.check_mail, environ=smtp_env(free_port()))["mail"]
    assert not dead.ok and "нет соединения" in dead.message


def test_without_smtp_the_spool_must_be_writable(tmp_path):
    root = workspace(tmp_path)
    assert "пишутся .eml-файлами" in results(root, doctor.check_mail)["mail"].message
    spool = root / "outbox" / "mail"
    spool.rmdir()
    spool.write_text("not a folder", encoding="utf-8")
    assert "это файл, а не папка" in fault(root, doctor.check_mail, "mail").message
