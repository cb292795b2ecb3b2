"""Hostile and broken input, each attack as it was made: nothing escapes the workspace, nothing is lost
or taken twice, the service stays up, and no one sees a traceback.

Form validation (length limits, control characters in values, YAML bombs…) is held by the form's
own tests; here are the files, names, folders, the store, the mail and the command line.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import json
import logging
import os
import resource
import shutil
import signal
import socket
import socketserver
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import zipfile
from email import policy
from pathlib import Path

import docx as python_docx
import pytest
import yaml
from openpyxl import load_workbook

from conftest import EXAMPLE, REPO, ManualClock
from service_kit import drop, files, make_workspace, one, service, stage_of, wait_for
from docgen.errors import ConversionError, ConverterUnavailable, Postponed, StoreError, UnsafePath, WorkspaceBusy
from docgen.mail import MailOutbox, MailSender, MailStatus, NoticeKind, build_notice, transport_for
from docgen.mail.errors import login_secrets
from docgen.mail.outbox import DB_NAME, connect
from docgen.service import run_service, service_log
from docgen.settings import load_settings
from docgen.store import open_store, read_snapshot
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workflow.register import REGISTER_NAME
from docgen.workspace import Role, Workspace

SECRET = b"root:$6$TOP-SECRET-HASH:19000:0:99999:7:::\n"


# ---------------------------------------------------------------- helpers


def once(ws: Workspace, **kw) -> None:
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True, **kw)


def deal_at_lawyer(ws: Workspace) -> Path:
    drop(ws, "deal.yaml")
    once(ws)
    return one(ws.review(Role.LAWYER), "2026-0001 v1 *.docx")


def logged(ws: Workspace, text: str) -> int:
    """How many times the service's log says `text`."""
    log = ws.state / "docgen.log"
    return log.read_text(encoding="utf-8").count(text) if log.exists() else 0


def wait_started(ws: Workspace, *, runs: int = 1) -> None:
    """Until the service (the `runs`-th start in this workspace's log) watches its folders."""
    wait_for(lambda: logged(ws, "следит за") >= runs, what="the service started")


def journal(ws: Workspace) -> list[dict]:
    with read_snapshot(ws.state) as store:
        return store.journal()


def letters(ws: Workspace) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files(ws.mail_spool, "*.eml")]


def to_admin(ws: Workspace) -> list[email.message.EmailMessage]:
    return [m for m in letters(ws) if "admin@localhost" in str(m["To"])]


def plain_files(root: Path) -> list[Path]:
    """Every regular file under `root`, never through a link."""
    out = []
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                out.append(path)
    return out


def holds_secret(root: Path) -> list[Path]:
    return [p for p in plain_files(root) if b"TOP-SECRET-HASH" in p.read_bytes()]


def cli(*argv: str, root: Path | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")} | {"COLUMNS": "250"}
    where = ("--root", str(root)) if root is not None else ()
    return subprocess.run([*prefix, sys.executable, "-m", "docgen", *where, *argv], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """The command line in this process (quicker than a subprocess): exit code, stdout, stderr."""
    from docgen.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    printed = capsys.readouterr()
    return exited.value.code or 0, printed.out, printed.err


def unprivileged() -> tuple[str, ...]:
    """A command prefix under which file permissions hold: as root, without the capabilities that skip them."""
    if os.geteuid() != 0:
        return ()
    assert shutil.which("setpriv"), "setpriv (util-linux) is needed to test permissions as root"
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner")


def example(**changes) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["subject"]["items"][0]["quantity"] = str(changes.pop("quantity", 1))
    return data


# ---------------------------------------------------------------- 1. links are never read through


def test_links_dropped_into_the_inbox_are_set_aside_unread_and_the_admin_told(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    secret = tmp_path / "shadow"
    secret.write_bytes(SECRET)
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(SECRET)
    os.symlink(secret, ws.inbox / "shadow.yaml")
    os.symlink(tmp_path / "nowhere", ws.inbox / "dangling.yaml")
    os.link(outside, ws.inbox / "hardlink.yaml")
    os.mkfifo(ws.inbox / "pipe.yaml")
    once(ws)
    assert not files(ws.inbox) and not [p for p in ws.inbox.iterdir() if not p.is_dir()]
    assert (ws.rejected / "shadow.yaml").is_symlink() and (ws.rejected / "dangling.yaml").is_symlink()
    assert stat.S_ISFIFO(os.lstat(ws.rejected / "pipe.yaml").st_mode)
    reasons = {p.name: p.read_text(encoding="utf-8") for p in files(ws.rejected, "*.errors.txt")}
    assert "символическая ссылка" in reasons["shadow.yaml.errors.txt"] and str(secret) in reasons["shadow.yaml.errors.txt"]
    assert "жёсткая ссылка" in reasons["hardlink.yaml.errors.txt"]
    assert "не обычный файл" in reasons["pipe.yaml.errors.txt"]
    assert holds_secret(ws.root) == [ws.rejected / "hardlink.yaml"]  # moved by rename, never copied or read
    assert len(to_admin(ws)) == 4
    assert [e["action"] for e in journal(ws)].count("set_aside") == 4


def test_a_link_moved_to_approved_is_no_decision_and_reaches_no_letter(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    draft = deal_at_lawyer(ws)
    secret = tmp_path / "shadow"
    secret.write_bytes(SECRET)
    os.symlink(secret, ws.review(Role.LAWYER) / "approved" / draft.name)
    once(ws)
    aside = ws.review(Role.LAWYER) / "unrecognized" / draft.name
    assert aside.is_symlink()
    assert "символическая ссылка" in aside.with_name(aside.name + ".why.txt").read_text(encoding="utf-8")
    assert stage_of(ws, "2026-0001") == "lawyer"
    assert not holds_secret(ws.root) and not any(b"TOP-SECRET" in p.read_bytes() for p in files(ws.mail_spool))
    assert len(to_admin(ws)) == 1


# ---------------------------------------------------------------- 2. a decision file must be this contract


def test_empty_truncated_or_foreign_files_in_approved_are_no_version(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    draft = deal_at_lawyer(ws)
    approved = ws.review(Role.LAWYER) / "approved" / draft.name
    stranger = tmp_path / "stranger.docx"
    python_docx.Document().save(stranger)
    attacks = {
        "пуст (0 байт)": b"",
        "повреждён или обрезан": draft.read_bytes()[: len(draft.read_bytes()) // 2],
        "не проект договора 2026-0001": stranger.read_bytes(),
    }
    for why, content in attacks.items():
        approved.write_bytes(content)
        once(ws)
        assert not approved.exists()
        assert stage_of(ws, "2026-0001") == "lawyer", why
        reasons = [p.read_text(encoding="utf-8") for p in files(ws.review(Role.LAWYER) / "unrecognized", "*.why.txt")]
        assert any(why in r for r in reasons), (why, reasons)
    with read_snapshot(ws.state) as store:
        assert [v["version"] for v in store.versions("2026-0001")] == [1]
    assert not one(ws.review(Role.FINANCE), "*.docx")
    draft.replace(approved)  # the real draft still counts
    once(ws)
    assert stage_of(ws, "2026-0001") == "finance"


# ---------------------------------------------------------------- 3. a re-saved form after an interrupted step


class _Fails:
    """A converter (docgen's Converter interface) that fails as a LibreOffice that is down, while `down` is set."""

    def __init__(self, *, down: bool = True, broken: bool = False):
        self.down = down
        self.broken = broken
        self.names: list[str] = []

    def convert(self, docx: Path, pdf: Path) -> None:
        self.names.append(docx.name)
        if self.down:
            raise ConverterUnavailable("LibreOffice не запускается")
        if self.broken:
            raise ConversionError(f"LibreOffice не смог открыть «{docx.name}»: файл повреждён или это не DOCX")
        pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")

    def close(self) -> None:
        pass


def _workflow(ws: Workspace, converter) -> object:
    return open_workflow(ws, clock=lambda: dt.datetime.now().astimezone(), log=logging.getLogger("test"),
                         converter=converter)


def test_a_form_resaved_under_the_same_name_after_an_interrupted_step_is_a_new_input(tmp_path):
    ws = make_workspace(tmp_path / "ws", pdf=True)
    first = drop(ws, "deal.yaml", example(quantity=1))
    recorded = first.read_bytes()
    converter = _Fails()
    workflow = _workflow(ws, converter)
    try:
        with pytest.raises(Postponed, match="шаг записан"):  # LibreOffice down: the step stays planned
            workflow.take(first)
        assert [s.kind for s in workflow.svc.store.planned_steps()] == ["intake"]
        resaved = drop(ws, "deal.yaml", example(quantity=2))  # the manager saves a changed form, same name
        converter.down = False
        workflow.recover()
        assert resaved.exists() and resaved.read_bytes() != recorded  # not swallowed by the old step
        workflow.take(resaved)
    finally:
        close_workflow(workflow)
    forms = sorted(plain_files(ws.clients), key=str)
    kept = {p.parent.parent.name: p.read_bytes() for p in forms if p.parent.name == "Формы"}
    assert kept["2026-0001"] == recorded and kept["2026-0002"] != recorded
    assert not files(ws.inbox) and not files(ws.rejected)


# ---------------------------------------------------------------- 4. a lost store never overwrites a deal


def _sums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in plain_files(folder)}


def test_a_lost_store_is_refused_and_the_dossiers_stay_as_they_were(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    deal_at_lawyer(ws)
    before = _sums(ws.clients)
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(ws.state / DB_NAME, backup)
    drop(ws, "second.yaml", example(quantity=2))
    once(ws)  # 2026-0002 exists now; the backup does not know it
    before = _sums(ws.clients)
    for path in ws.state.glob(f"{DB_NAME}*"):
        path.unlink()
    drop(ws, "third.yaml", example(quantity=3))
    with pytest.raises(StoreError, match="не соответствует рабочему пространству") as refused:
        once(ws)
    assert "2026-0001" in str(refused.value) and "база пуста" in str(refused.value)
    shutil.copyfile(backup, ws.state / DB_NAME)  # an older copy: one deal short
    with pytest.raises(StoreError, match="2026-0002"):
        once(ws)
    run = cli("status", root=ws.root)
    assert run.returncode == 1 and "не соответствует" in run.stderr and "Traceback" not in run.stderr
    assert _sums(ws.clients) == before and (ws.inbox / "third.yaml").exists()


def test_a_mistyped_root_creates_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DOCGEN_ROOT", raising=False)
    for argv in (["status"], ["watch", "--once"], ["approve", "2026-0001", "--role", "lawyer"], ["mail"],
                 ["export", "--deal", "2026-0001", "-o", str(tmp_path / "a.zip")]):
        code, _out, err = run(capsys, "--root", str(tmp_path / "mistyped"), *argv)
        assert code == 1 and "папки" in err and "docgen init" in err, (argv, err)
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _out, err = run(capsys, "--root", str(empty), "status")
    assert code == 1 and "не рабочее пространство" in err
    assert not (tmp_path / "mistyped").exists() and list(empty.iterdir()) == []


def test_a_number_whose_dossier_exists_is_not_given_out(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra="[store]\nlock_timeout = 1\n")
    deal_at_lawyer(ws)
    with service(ws):
        wait_started(ws, runs=2)
        stray = ws.clients / "7701234567 ООО «Другое»" / "2026-0002" / "Формы"
        stray.mkdir(parents=True)  # a dossier copied in by hand while the store counted one deal
        drop(ws, "next.yaml", example(quantity=5))
        wait_for(lambda: logged(ws, "уже занят досье"), what="the refusal in the log")
        assert (ws.inbox / "next.yaml").exists() and not files(ws.rejected)
    assert stage_of(ws, "2026-0002") == ""


# ---------------------------------------------------------------- 5. one watcher per workspace


def test_a_second_watcher_refuses_and_names_the_first(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        wait_started(ws)
        with pytest.raises(WorkspaceBusy) as busy:
            once(ws)
        assert f"процесс {os.getpid()}" in str(busy.value) and socket.gethostname() in str(busy.value)
    once(ws)  # a stopped watcher frees the workspace


def test_two_watch_processes_one_refused_and_a_killed_holder_frees_the_lock(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    first = subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(ws.root), "watch"], cwd=REPO, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_started(ws)
        second = cli("watch", root=ws.root)
        assert second.returncode == 1 and f"процесс {first.pid}" in second.stderr, second.stderr
        assert "уже работает" in second.stderr and "Traceback" not in second.stderr
        drop(ws, "deal.yaml")
        wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"), what="the draft from the first watcher")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # a crash: the lock must not outlive it
        first.wait(timeout=30)
    assert cli("watch", "--once", root=ws.root).returncode == 0
    assert [e["action"] for e in journal(ws)].count("accepted") == 1


# ---------------------------------------------------------------- 6. leftovers of a crash


def test_scratch_folders_of_dead_processes_are_cleaned_on_start(tmp_path):
    from docgen.workflow import documents

    ws = make_workspace(tmp_path / "ws")
    scratch = ws.state / documents.SCRATCH
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = scratch / f"{documents._HOST}-{dead.stdout.strip()}-abc"
    alive = scratch / f"{documents._HOST}-{os.getppid()}-def"  # pytest's parent: alive
    for folder in (left, alive):
        folder.mkdir(parents=True)
        (folder / "Проект договора 2026-0001.docx").write_bytes(b"PK")
    once(ws)
    assert not left.exists() and alive.exists()


# ---------------------------------------------------------------- 7. every path stays inside the workspace


def test_a_pattern_or_folder_that_leads_out_is_a_settings_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DOCGEN_ROOT", raising=False)
    for n, bad in enumerate(('[numbering]\npattern = "../../ESC{seq}"', '[numbering]\npattern = "{year}/{seq}"',
                             '[folders]\nclients = "../clients"', '[folders]\ninbox = "/tmp/inbox"')):
        root = tmp_path / f"ws{n}"
        root.mkdir()
        (root / "docgen.toml").write_text(bad, encoding="utf-8")
        code, _out, err = run(capsys, "--root", str(root), "watch", "--once")
        assert code == 1 and "docgen.toml" in err and ("numbering.pattern" in err or "folders." in err), (bad, err)
        assert "Value error" not in err
    assert not list(tmp_path.glob("ESC*")) and not (tmp_path / "clients").exists()


def test_stored_paths_and_attachment_names_cannot_lead_out(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    example_data["attachments"] = ["C:\\win\\evil.pdf", "КМ.pdf"]
    bundle = tmp_path / "deal.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("deal.yaml", json.dumps(example_data, default=str, ensure_ascii=False))
        archive.writestr("C:\\win\\evil.pdf", b"%PDF-1.4 evil")
        archive.writestr("КМ.pdf", b"%PDF-1.4 KM")
    drop(ws, "deal.zip", source=bundle)
    once(ws)
    filed = next(ws.clients.glob("*/2026-0001")) / "Техническая документация"
    assert sorted(p.name for p in files(filed)) == ["C_win_evil.pdf", "КМ.pdf"]
    store = open_store(ws.state)
    try:
        store.update_deal("2026-0001", dossier="../../outside")  # a tampered store
    finally:
        store.close()
    workflow = _workflow(ws, None)
    try:
        with pytest.raises(UnsafePath, match="за пределы рабочего пространства"):
            workflow.svc.dossier(workflow.svc.store.deal("2026-0001"))
    finally:
        close_workflow(workflow)


# ---------------------------------------------------------------- 8. a dossier deleted by hand


def test_a_deal_whose_dossier_was_deleted_is_not_moved_on(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    draft = deal_at_lawyer(ws)
    shutil.rmtree(next(ws.clients.glob("*/2026-0001")))
    shutil.copyfile(draft, ws.review(Role.LAWYER) / "approved" / draft.name)  # unchanged: not an edit
    once(ws)
    assert stage_of(ws, "2026-0001") == "lawyer"
    why = one(ws.review(Role.LAWYER) / "unrecognized", "*.why.txt").read_text(encoding="utf-8")
    assert "досье сделки 2026-0001 повреждено" in why
    assert [e["action"] for e in journal(ws)].count("dossier_damaged") == 1
    assert "повреждено" in str(to_admin(ws)[0]["Subject"])
    run = cli("approve", "2026-0001", "--role", "lawyer", root=ws.root)
    assert run.returncode == 1 and "досье сделки 2026-0001 повреждено" in run.stderr
    assert stage_of(ws, "2026-0001") == "lawyer"


# ---------------------------------------------------------------- 9. one deal's stored name cannot stop the service


def test_control_characters_already_stored_never_reach_the_register_status_or_log(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    deal_at_lawyer(ws)
    evil = "ООО «Ромашка»\x07\x1b[31m\nПОДДЕЛКА 2026-01-01 INFO\u202eexe.doc\x00"
    store = open_store(ws.state)
    try:
        store.update_deal("2026-0001", buyer_name=evil)  # stored before forms were checked for it
    finally:
        store.close()
    drop(ws, "next.yaml", example(quantity=4))
    once(ws)  # every register write used to die here with IllegalCharacterError
    assert stage_of(ws, "2026-0002") == "lawyer"
    cell = load_workbook(ws.registers / REGISTER_NAME).active["E2"].value
    assert cell.startswith("ООО «Ромашка»") and not any(ord(c) < 32 or c == "\u202e" for c in cell)
    run = cli("status", root=ws.root)
    assert run.returncode == 0 and "ООО «Ромашка»" in run.stdout
    assert not any(c in run.stdout for c in "\x07\x1b\x00\u202e") and "\nПОДДЕЛКА" not in run.stdout
    log = (ws.state / "docgen.log").read_text(encoding="utf-8")
    assert not any(c in log for c in "\x07\x1b\x00\u202e")


# ---------------------------------------------------------------- 10. the machine's trouble is transient


def test_a_full_disk_keeps_the_form_and_the_service_up(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    proc = subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(ws.root), "watch"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        wait_started(ws)
        # No byte more fits: every write that grows a file fails (EFBIG), the store's with SQLITE_FULL.
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        drop(ws, "deal.yaml")
        wait_for(lambda: any("отложено" in line and "не записывается" in line for line in said),
                 what="the full disk said")
        time.sleep(1.0)  # a rescan or two with the disk still full
        assert proc.poll() is None, "the service died"
        assert (ws.inbox / "deal.yaml").exists() and not files(ws.rejected)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        wait_for(lambda: one(ws.review(Role.LAWYER), "2026-0001 v1 *.docx"), timeout=60, what="taken once space is back")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert not files(ws.rejected)
    assert not any("Traceback" in line or "Logging error" in line for line in said), "".join(said)
    assert any("docgen.log не пишется" in line for line in said)


def test_a_locked_store_postpones_the_form_instead_of_rejecting_it(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra="[store]\nlock_timeout = 0.3\n")
    once(ws)
    with service(ws):
        wait_started(ws, runs=2)
        holder = sqlite3.connect(ws.state / DB_NAME, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # a backup tool, a second program: holds the store
        try:
            drop(ws, "deal.yaml")
            wait_for(lambda: logged(ws, "база docgen занята"), what="the lock said")
            assert (ws.inbox / "deal.yaml").exists() and not files(ws.rejected)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_for(lambda: one(ws.review(Role.LAWYER), "*.docx"), what="taken once the store is free")
    assert not files(ws.rejected)


def test_libreoffice_down_postpones_the_step_and_a_broken_document_goes_on_without_pdf(tmp_path, caplog):
    ws = make_workspace(tmp_path / "ws", pdf=True)
    converter = _Fails(down=True)
    workflow = _workflow(ws, converter)
    try:
        path = drop(ws, "deal.yaml")
        with pytest.raises(Postponed):
            workflow.take(path)
        assert not files(ws.rejected) and stage_of(ws, "2026-0001") == "lawyer"
        converter.down, converter.broken = False, True  # back, but this document will not convert
        with caplog.at_level(logging.ERROR, logger="test"):
            workflow.recover()
    finally:
        close_workflow(workflow)
    assert one(ws.review(Role.LAWYER), "2026-0001 v1 *.docx") and not one(ws.review(Role.LAWYER), "*.pdf")
    assert "Сделка 2026-0001, версия 1" in caplog.text and "Проект договора 2026-0001.docx" in caplog.text
    assert "document.docx" not in caplog.text and set(converter.names) == {"Проект договора 2026-0001.docx"}


# ---------------------------------------------------------------- 11. names


def test_long_foreign_and_crafted_names_are_cleaned_and_the_original_kept(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    long_name = ("Договор поставки металлоконструкций для склада в Подольске " * 3)[:120] + ".yaml"
    assert len(long_name.encode()) > 200  # fits on the disk; «~$…part» or «v1 …» around it did not
    (ws.inbox / long_name).write_text(yaml.safe_dump(example(quantity=1), allow_unicode=True), encoding="utf-8")
    drop(ws, "line\nC:\\win\\system32.yaml", example(quantity=2))
    drop(ws, "plain.yaml", example(quantity=3))
    os.rename(ws.inbox / "plain.yaml", os.fsencode(ws.inbox) + b"/\xcf\xf0\xe8\xea\xe0\xe7.yaml")  # cp1251
    (ws.inbox / ("Б" * 120 + ".txt")).write_text("не форма", encoding="utf-8")  # rejected under a name that fits
    once(ws)
    assert not [p for p in ws.inbox.iterdir() if not p.is_dir()]
    with read_snapshot(ws.state) as store:
        deals = store.deals()
        assert len(deals) == 3 and all(d.stage == "lawyer" for d in deals)
    for deal in deals:  # no number burnt, no deal «у юриста» without its draft
        assert one(ws.review(Role.LAWYER), f"{deal.number} v1 *.docx"), deal.number
    for path in plain_files(ws.root):
        assert len(path.name.encode()) <= 255 and "\n" not in path.name and "\\" not in path.name
    originals = [e["detail"].get("original") for e in journal(ws)]
    assert long_name in originals and "line\nC:\\win\\system32.yaml" in originals
    assert "\\xcf\\xf0\\xe8\\xea\\xe0\\xe7.yaml" in originals
    log = (ws.state / "docgen.log").read_text(encoding="utf-8")
    assert "Logging error" not in log and "переименован" in log


# ---------------------------------------------------------------- 12. every dropped file ends somewhere, once


def test_the_same_invalid_file_dropped_again_with_the_same_time_is_reported_again(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    bad = example()
    bad["delivery"]["address"] = None
    stamp = 1_790_000_000_000_000_000
    for _ in range(2):
        path = drop(ws, "bad.yaml", bad)
        os.utime(path, ns=(stamp, stamp))  # an Explorer copy keeps the time
        once(ws)
        assert not path.exists()
    assert sorted(p.name for p in files(ws.rejected)) == [
        "bad (2).yaml", "bad (2).yaml.errors.txt", "bad.yaml", "bad.yaml.errors.txt"]
    assert [e["action"] for e in journal(ws)].count("rejected") == 2
    assert len([m for m in letters(ws) if "petrov@ams.example" in str(m["To"])]) == 2


def test_an_unreadable_file_is_set_aside_after_a_few_tries_and_the_admin_told(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    (ws.root / "docgen.toml").write_text("[watch]\nsettle_seconds = 0.1\nrescan_seconds = 0.3\n"
                                         "[documents]\npdf = false\n", encoding="utf-8")
    locked = drop(ws, "locked.yaml")
    locked.chmod(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    proc = subprocess.Popen([*unprivileged(), sys.executable, "-m", "docgen", "--root", str(ws.root), "watch"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (ws.rejected / "locked.yaml.errors.txt").exists(), what="the unreadable file set aside")
        wait_for(lambda: to_admin(ws), what="the administrator told")
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert (ws.rejected / "locked.yaml").exists() and not (ws.inbox / "locked.yaml").exists()
    assert "не читается" in (ws.rejected / "locked.yaml.errors.txt").read_text(encoding="utf-8")
    assert "Traceback" not in err and "Traceback" not in (ws.state / "docgen.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- 13. mail beside intake, never in its way


class ScriptedSmtp:
    """A real SMTP server on a socket, scripted to misbehave as servers were seen to: `drop_after_data`
    takes the whole message and hangs up without answering; `echo_auth` refuses AUTH PLAIN repeating
    the line it was sent; `hang` accepts the connection and never says a word."""

    def __init__(self, *, drop_after_data: bool = False, echo_auth: bool = False, hang: bool = False,
                 refuse: bytes = b""):
        self.received: list[bytes] = []
        script = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if hang:
                    time.sleep(30)
                    return
                self.wfile.write(b"220 test ESMTP\r\n")
                while line := self.rfile.readline():
                    verb = line.split(b" ", 1)[0].strip().upper()
                    if verb == b"EHLO":
                        self.wfile.write(b"250-test\r\n250 AUTH PLAIN\r\n" if echo_auth else b"250 test\r\n")
                    elif verb == b"RCPT" and refuse and refuse in line:
                        self.wfile.write(b"550 5.1.1 No such user\r\n")
                    elif verb == b"AUTH":
                        self.wfile.write(b"535 5.7.8 Authentication failed: " + line.split()[-1] + b"\r\n")
                    elif verb == b"DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        body = b"".join(iter(self.rfile.readline, b".\r\n"))
                        script.received.append(body)
                        if drop_after_data:
                            return  # the connection closes without the 250
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _smtp_ws(root: Path, port: int, **extra: str) -> Workspace:
    environ = {"DOCGEN_SMTP__HOST": "127.0.0.1", "DOCGEN_SMTP__PORT": str(port), "DOCGEN_SMTP__STARTTLS": "false",
               "DOCGEN_SMTP__TIMEOUT": "2", "DOCGEN_SMTP__RETRY_DELAYS": "[10, 60]", **extra}
    root.mkdir(parents=True, exist_ok=True)
    return Workspace(root, load_settings(root, environ))


def _sender(ws: Workspace) -> tuple[MailSender, ManualClock, object]:
    clock = ManualClock(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    conn = connect(ws.state / DB_NAME)
    outbox = MailOutbox(conn, clock=clock)
    outbox.ensure_schema()
    return MailSender(outbox, transport_for(ws), ws=ws, clock=clock, log=logging.getLogger("test")), clock, conn


def _queue(sender: MailSender, ws: Workspace, event: str = "2026-0001/v1/signature") -> None:
    notice = build_notice(NoticeKind.SIGNATURE, ws=ws, event_id=event, to=["Директор <d@x.ru>"], deal="2026-0001",
                          context={"deal": "2026-0001", "version": 1, "client": "ООО «Ромашка»", "inn": "5027012348",
                                   "total": "1 000,00", "manager": "Петров", "folder": "outbox/director/"})
    with sender.outbox.transaction():
        sender.outbox.enqueue(notice)


def test_a_server_that_takes_data_then_hangs_up_gets_two_copies_at_most(tmp_path):
    server = ScriptedSmtp(drop_after_data=True)
    ws = _smtp_ws(tmp_path / "ws", server.port)
    sender, clock, conn = _sender(ws)
    try:
        _queue(sender, ws)
        for _ in range(6):  # the service would go on retrying for hours
            sender.deliver_due()
            clock.advance(3600)
        rows = {r.event_id: r for r in sender.outbox.listing()}
    finally:
        conn.close()
        server.close()
    assert len([m for m in server.received if b"X-Docgen-Event: 2026-0001/v1/signature" in m]) == 2
    letter = rows["2026-0001/v1/signature"]
    assert letter.status is MailStatus.FAILED and "мог" in letter.last_error
    told = rows["admin/mail-failed/2026-0001/v1/signature"]
    assert told.notice.to == ("Администратор docgen <admin@localhost>",)


def test_a_refused_letter_fails_for_good_and_the_admin_is_told(tmp_path):
    server = ScriptedSmtp(refuse=b"d@x.ru")
    ws = _smtp_ws(tmp_path / "ws", server.port)
    sender, _clock, conn = _sender(ws)
    try:
        _queue(sender, ws)
        sender.deliver_due()  # 550: failed for good, the administrator's letter queued
        sender.deliver_due()
        rows = {r.event_id: r for r in sender.outbox.listing()}
    finally:
        conn.close()
        server.close()
    assert rows["2026-0001/v1/signature"].status is MailStatus.FAILED
    told = rows["admin/mail-failed/2026-0001/v1/signature"]
    assert told.status is MailStatus.SENT and "550" in told.notice.body and "docgen mail --retry" in told.notice.body
    assert len(server.received) == 1  # the administrator's letter, and nothing sent twice


def test_an_auth_plain_echo_never_reaches_the_store_or_the_log(tmp_path, caplog):
    server = ScriptedSmtp(echo_auth=True)
    password = "Zebra-7781-secret-PW"
    ws = _smtp_ws(tmp_path / "ws", server.port, DOCGEN_SMTP__USERNAME="docgen", DOCGEN_SMTP_PASSWORD=password)
    sender, _clock, conn = _sender(ws)
    plain = base64.b64encode(f"\0docgen\0{password}".encode()).decode()
    try:
        with sender.outbox.transaction():  # an echo stored by a docgen that did not know to hide it
            _queue(sender, ws, event="old")
            conn.execute("UPDATE mail_notices SET status = 'failed', last_error = ? WHERE event_id = 'old'",
                         (f"535 failed: {plain}",))
        _queue(sender, ws)
        with caplog.at_level(logging.DEBUG):
            sender.deliver_due()
        assert sender.outbox.scrub_stored(login_secrets("docgen", password)) == 1
    finally:
        conn.close()
        server.close()
    stored = b"".join(p.read_bytes() for p in ws.state.glob(f"{DB_NAME}*"))
    assert plain.encode() not in stored and password.encode() not in stored
    assert plain not in caplog.text and password not in caplog.text and "535" in caplog.text


def test_an_unreachable_server_is_said_in_russian(tmp_path):
    ws = _smtp_ws(tmp_path / "ws", 1)  # nothing listens on port 1
    sender, _clock, conn = _sender(ws)
    try:
        _queue(sender, ws)
        sender.deliver_due()
        [row] = sender.outbox.listing()
    finally:
        conn.close()
    assert "не удаётся подключиться" in row.last_error and "Error connecting" not in row.last_error


def test_a_hanging_mail_server_does_not_hold_up_intake(tmp_path):
    server = ScriptedSmtp(hang=True)
    ws = make_workspace(tmp_path / "ws", extra=f"[smtp]\nhost = \"127.0.0.1\"\nport = {server.port}\n"
                                             "starttls = false\ntimeout = 8\n")
    try:
        with service(ws):
            wait_started(ws)
            started = time.monotonic()
            for n in range(3):
                drop(ws, f"deal-{n}.yaml", example(quantity=n + 1))
            wait_for(lambda: len(files(ws.review(Role.LAWYER), "*.docx")) == 3, timeout=7, what="three drafts")
            assert time.monotonic() - started < 7  # the first letter hangs 8 s; the drafts did not wait for it
    finally:
        server.close()


# ---------------------------------------------------------------- 14. PDF renditions


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice не установлен")
def test_a_crash_at_libreoffice_start_does_not_leave_one_soffice_per_document(tmp_path):
    from docgen.render.pdf import KeptConverter, find_soffice, find_uno_python

    soffice = find_soffice()
    python = find_uno_python(soffice)
    assert python, "python3-uno is needed for the kept-running converter"
    crash_once = tmp_path / "crash-once"
    crash_once.write_text("")
    wrapper = tmp_path / "soffice"  # LibreOffice that dies at its first start, as after a bad update or OOM
    wrapper.write_text(f"#!/bin/sh\nif [ -e {crash_once} ]; then rm {crash_once}; exit 134; fi\nexec {soffice} \"$@\"\n")
    wrapper.chmod(0o755)
    docs = []
    for n in range(3):
        doc = python_docx.Document()
        doc.add_paragraph(f"Договор 2026-000{n}")
        doc.save(tmp_path / f"d{n}.docx")
        docs.append(tmp_path / f"d{n}.docx")
    with KeptConverter(soffice=str(wrapper), python=python, profile_dir=tmp_path / "profiles", timeout=60,
                       fallback_seconds=0.5) as converter:
        converter.convert(docs[0], tmp_path / "d0.pdf")  # the kept start crashed: this one went one-shot
        assert converter.pid is None
        time.sleep(0.6)
        converter.convert(docs[1], tmp_path / "d1.pdf")  # after the pause: the kept office again
        kept = converter.pid
        converter.convert(docs[2], tmp_path / "d2.pdf")
        assert kept is not None and converter.pid == kept
    assert all((tmp_path / f"d{n}.pdf").read_bytes().startswith(b"%PDF-") for n in range(3))


def test_a_step_that_failed_on_the_machine_is_tried_again_in_seconds_not_at_the_next_rescan(tmp_path):
    from docgen.watch import Watcher

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "deal.yaml").write_text("form", encoding="utf-8")
    tries: list[float] = []
    stop = threading.Event()

    def take(path: Path) -> str:  # LibreOffice killed under the first try; the second one works
        tries.append(time.monotonic())
        if len(tries) == 1:
            raise Postponed("LibreOffice аварийно завершился; шаг записан и будет завершён")
        path.unlink()
        stop.set()
        return "принята"

    watcher = Watcher(folders=[inbox], take=take, idle=lambda: None, rescan_hook=lambda: [], polling=False,
                      settle=0.05, poll_seconds=0.1, rescan_seconds=60, log=logging.getLogger("test"), stop=stop)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert len(tries) == 2 and tries[1] - tries[0] < 5  # the rescan was 60 s away


# ---------------------------------------------------------------- 15. no traceback, ever


def _deep_archive(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", "[" * 100_000 + "]" * 100_000)
    return path


def test_no_traceback_from_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DOCGEN_ROOT", raising=False)
    ws = make_workspace(tmp_path / "ws")
    deal_at_lawyer(ws)
    folder = tmp_path / "DIR.zip"
    folder.mkdir()
    root = ("--root", str(ws.root))
    cases = {
        ("export", "--deal", "2026-0001", "-o", "/proc/x.zip"): "не записан",
        ("export", "--deal", "2026-0001", "-o", str(folder), "--force"): "это папка",
        ("form", "--xlsx", "/proc/x.xlsx"): "не записана",
        ("verify", str(_deep_archive(tmp_path / "deep.zip"))): "вложены слишком глубоко",
    }
    for argv, said in cases.items():
        code, _out, err = run(capsys, *root, *argv)
        assert code == 1 and said in err and err.startswith("Ошибка: "), (argv, err)
    assert list(folder.iterdir()) == []
    (ws.state / DB_NAME).write_bytes(b"this is not a database, it was overwritten" * 100)
    for path in ws.state.glob(f"{DB_NAME}-*"):
        path.unlink()
    for argv in (("status",), ("watch", "--once"), ("approve", "2026-0001", "--role", "lawyer")):
        code, _out, err = run(capsys, *root, *argv)
        assert code == 1 and "повреждена" in err and "резервной копии" in err, (argv, err)


def test_a_read_only_store_is_said_in_russian(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    deal_at_lawyer(ws)
    for path in [*ws.state.glob(f"{DB_NAME}*"), ws.state]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        for argv in (("status",), ("watch", "--once"), ("approve", "2026-0001", "--role", "lawyer")):
            done = cli(*argv, root=ws.root, prefix=unprivileged())
            assert "Traceback" not in done.stderr, (argv, done.stderr)
            if argv == ("status",):  # a look needs no writing
                assert done.returncode == 0 and "2026-0001" in done.stdout, done.stderr
            else:
                assert done.returncode == 1 and "только для чтения" in done.stderr, (argv, done.stderr)
    finally:
        ws.state.chmod(0o755)


def test_the_doctor_says_what_disagrees_and_how_to_restore(tmp_path, capsys, monkeypatch):
    from docgen.workflow.integrity import doctor_findings

    monkeypatch.delenv("DOCGEN_ROOT", raising=False)

    ws = make_workspace(tmp_path / "ws")
    deal_at_lawyer(ws)
    assert doctor_findings(ws) == []
    version = one(next(ws.clients.glob("*/2026-0001")) / "Версии", "*.docx")
    version.rename(tmp_path / version.name)  # moved away by hand
    assert doctor_findings(ws)[0].startswith("сделка 2026-0001: досье повреждено — нет файла текущей версии")
    for path in ws.state.glob(f"{DB_NAME}*"):
        path.unlink()
    lost = doctor_findings(ws)
    assert "базы docgen нет" in lost[0] and "docgen restore ФАЙЛ --force" in lost[-1]
    open_store(ws.state).close()  # an empty store in its place
    assert "не соответствует" in doctor_findings(ws)[0]
    code, out, _err = run(capsys, "--root", str(ws.root), "doctor")
    assert code == 1 and "база и досье" in out and "docgen restore" in out


def test_restore_is_refused_while_the_service_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DOCGEN_ROOT", raising=False)
    ws = make_workspace(tmp_path / "ws")
    deal_at_lawyer(ws)
    copy = tmp_path / "copy.zip"
    assert run(capsys, "--root", str(ws.root), "backup", str(copy))[0] == 0
    with service(ws):
        wait_started(ws, runs=2)
        code, _out, err = run(capsys, "--root", str(ws.root), "restore", str(copy), "--force")
        assert code == 1 and "под работающей службой" in err and f"процесс {os.getpid()}" in err
    assert run(capsys, "--root", str(ws.root), "restore", str(copy), "--force")[0] == 0
