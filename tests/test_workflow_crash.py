"""kill -9 at random moments: every form is accounted for exactly once and no half-written file shows;
and at the two moments that matter most: a step recorded but not done (then the form re-saved), a
letter sent but not yet copied to the dossier."""

from __future__ import annotations

import email
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from email import policy
from pathlib import Path

import yaml

from conftest import REPO
from pg_kit import store_toml
from service_kit import drop, files, make_workspace, wait_for
from docgen.store import open_store
from docgen.workspace import Role

FORMS = 200
KILLS = 4


def _forms(example: dict, count: int = FORMS) -> list[tuple[str, dict]]:
    """Distinct valid forms, a few invalid ones and a few exact duplicates."""
    out = []
    for n in range(count):
        data = yaml.safe_load(yaml.safe_dump(example))
        data["subject"]["items"][0]["quantity"] = str(n + 1)
        if n % 25 == 7:
            data["delivery"]["address"] = None  # invalid: rejected
        out.append((f"form-{n:03d}.yaml", data))
    for n in (3, 50, 120):
        out.append((f"again-{n:03d}.yaml", out[n][1]))  # same bytes as an earlier form: a duplicate
    return out


def _start(root: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(root), "watch"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kill_9_and_restart_lose_nothing_and_repeat_nothing(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    rng = random.Random(20261126)
    forms = _forms(example_data)
    staged = tmp_path / "staged"
    staged.mkdir()
    dropped: dict[str, str] = {}
    for name, data in forms:
        (staged / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        dropped[name] = _sha(staged / name)
    for _ in range(KILLS):
        service = _start(ws.root)
        for name, _data in forms:
            if (staged / name).exists() and rng.random() < 0.4:
                drop(ws, name, source=staged / name)
                (staged / name).unlink()
        time.sleep(rng.uniform(0.3, 2.5))  # the moment of the crash is the point of this test
        os.killpg(service.pid, signal.SIGKILL)
        service.wait(timeout=30)
    for name, _data in forms:
        if (staged / name).exists():
            drop(ws, name, source=staged / name)
    final = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), "watch", "--once"], cwd=REPO,
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]
    _check_every_form_once(ws, dropped)
    _check_deals(ws, dropped)
    _check_no_half_files(ws)


def test_two_watchers_on_postgres_one_killed_at_random_lose_nothing_and_repeat_nothing(tmp_path, example_data,
                                                                                     pg_url):
    """Two `docgen watch` on one workspace and one PostgreSQL store; one of them, at random, is killed with
    kill -9 mid-burst and started again: every form once, numbers without gaps, each step done once."""
    ws = make_workspace(tmp_path / "ws", extra=store_toml(pg_url))
    rng = random.Random(20261207)
    forms = _forms(example_data, count=120)
    dropped: dict[str, str] = {}
    staged = tmp_path / "staged"
    staged.mkdir()
    for name, data in forms:
        (staged / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        dropped[name] = _sha(staged / name)
    watchers = [_start(ws.root), _start(ws.root)]
    try:
        for _ in range(KILLS):
            for name, _data in forms:
                if (staged / name).exists() and rng.random() < 0.35:
                    drop(ws, name, source=staged / name)
                    (staged / name).unlink()
            time.sleep(rng.uniform(0.5, 2.0))  # the moment of the crash is the point of this test
            assert all(w.poll() is None for w in watchers), "a watcher refused to share the store, or died"
            victim = rng.randrange(2)
            os.killpg(watchers[victim].pid, signal.SIGKILL)
            watchers[victim].wait(timeout=30)
            watchers[victim] = _start(ws.root)
        for name, _data in forms:
            if (staged / name).exists():
                drop(ws, name, source=staged / name)
        wait_for(lambda: not [p for p in files(ws.inbox) if not p.name.startswith(("~$", "."))] and not _planned(ws),
                 timeout=120, what="every form taken by the two watchers")
    finally:
        for proc in watchers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    logs = (ws.state / "docgen.log").read_text(encoding="utf-8")
    assert "завершён прерванный шаг" in logs or "принята" in logs
    _check_every_form_once(ws, dropped)
    _check_deals(ws, dropped)
    _check_no_half_files(ws)


def _check_every_form_once(ws, dropped: dict[str, str]) -> None:
    assert not [p for p in files(ws.inbox) if not p.name.startswith(("~$", "."))], "forms left in the inbox"
    places: dict[str, list[Path]] = {}
    kept = [p for p in ws.clients.rglob("Формы/*") if p.is_file()]
    rejected = [p for p in files(ws.rejected) if not p.name.endswith(".errors.txt")]
    for path in kept + rejected:
        places.setdefault(_sha(path), []).append(path)
    for name, sha in dropped.items():
        where = places.get(sha, [])
        if name.startswith("again-"):
            continue  # its bytes are an earlier form's: both files must be somewhere, checked by count below
        assert where, f"{name} is nowhere"
    assert len(kept) + len(rejected) == len(dropped), (len(kept), len(rejected), len(dropped))


def _check_deals(ws, dropped: dict[str, str]) -> None:
    valid = {sha for name, sha in dropped.items() if not name.startswith("again-")
             and int(name[5:8]) % 25 != 7}
    store = open_store(ws)
    try:
        deals = store.deals()
        assert [d.number for d in deals] == [f"2026-{n:04d}" for n in range(1, len(valid) + 1)], "numbers have gaps"
        assert all(d.version == 1 and d.stage == "lawyer" for d in deals)
        assert not store.planned_steps()
        journal = store.journal()
        accepted = [e for e in journal if e["action"] == "accepted"]
        assert sorted(e["sha256"] for e in accepted) == sorted(valid), "a form was accepted twice or not at all"
        sent = sorted(e["deal"] for e in journal if e["action"] == "sent_for_review")
        assert sent == [d.number for d in deals], "a draft was sent for review twice or not at all"
        letters = store.conn.execute("SELECT count(*) FROM mail_notices WHERE kind = 'review'").fetchone()[0]
        assert letters == len(deals)
    finally:
        store.close()
    drafts = [p for p in files(ws.review(Role.LAWYER), "*.docx")]
    assert len(drafts) == len(valid)
    assert len({p.name[:9] for p in drafts}) == len(valid)
    # of each pair of identical forms, whichever came second is reported as a duplicate
    duplicates = [p for p in files(ws.rejected, "*.errors.txt") if "уже принята" in p.read_text(encoding="utf-8")]
    assert len(duplicates) == 3


def _check_no_half_files(ws) -> None:
    for path in ws.root.rglob("*"):
        if not path.is_file() or ".docgen" in path.parts:
            continue
        assert not path.name.startswith("~$"), f"a partial file is visible: {path}"
        if path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path
        if path.suffix == ".yaml":
            yaml.safe_load(path.read_text(encoding="utf-8"))


def _log_says(ws, text: str) -> bool:
    log = ws.state / "docgen.log"
    return log.exists() and text in log.read_text(encoding="utf-8")


def test_a_form_resaved_after_a_killed_step_is_taken_anew_and_the_step_keeps_its_bytes(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    template = ws.contract_templates / "supply.docx"
    good = template.read_bytes()
    template.write_bytes(b"not a template")  # the step is recorded, its files never made
    service = _start(ws.root)
    try:
        first = drop(ws, "deal.yaml", example_data)
        recorded = first.read_bytes()
        wait_for(lambda: _log_says(ws, "не завершён"), what="the step recorded and failing")
        wait_for(lambda: any(s.kind == "intake" for s in _planned(ws)), what="the intake step left planned")
    finally:
        os.killpg(service.pid, signal.SIGKILL)
        service.wait(timeout=30)
    example_data["subject"]["items"][0]["quantity"] = "77"
    resaved = drop(ws, "deal.yaml", example_data).read_bytes()  # the manager saves it again, changed, same name
    assert resaved != recorded
    template.write_bytes(good)
    final = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), "watch", "--once"], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-3000:]
    forms = {p.parent.parent.name: p.read_bytes() for p in ws.clients.rglob("Формы/*") if p.is_file()}
    assert forms == {"2026-0001": recorded, "2026-0002": resaved}
    assert not files(ws.inbox) and not files(ws.rejected)
    assert len(files(ws.review(Role.LAWYER), "*.docx")) == 2 and not _planned(ws)


def _planned(ws) -> list:
    store = open_store(ws)
    try:
        return store.planned_steps()
    finally:
        store.close()


_KILL_AFTER_SENDING = """
import logging, os, signal, sys, threading
from pathlib import Path
from docgen.service import run_service, service_log
from docgen.settings import load_settings
from docgen.workspace import Workspace

class KillWhenSent(logging.Handler):
    # The sender logs «отправлено» after recording the letter sent and before copying it to the
    # dossier: dying right here is the crash between the two.
    def emit(self, record):
        if "отправлено" in record.getMessage():
            os.kill(os.getpid(), signal.SIGKILL)

root = Path(sys.argv[1])
ws = Workspace(root, load_settings(root, {}))
log = service_log(ws, stderr=False)
log.addHandler(KillWhenSent())
run_service(ws, log=log, stop=threading.Event(), once=True)
"""


def test_a_kill_between_sending_and_copying_a_letter_restores_the_copy_on_start(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    example_data["contract_date"] = None  # one letter only: a date in the past would add the warnings letter
    drop(ws, "deal.yaml", example_data)
    killed = subprocess.run([sys.executable, "-c", _KILL_AFTER_SENDING, str(ws.root)], cwd=REPO, capture_output=True,
                            timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    dossier_letters = next(ws.clients.glob("*/2026-0001")) / "Письма"
    sent = files(ws.mail_spool, "*.eml")
    assert len(sent) == 1 and not files(dossier_letters, "*.eml")  # sent, recorded, not yet copied
    again = subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), "watch", "--once"], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    [copy] = files(dossier_letters, "*.eml")
    message_id = lambda path: email.message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"]  # noqa: E731
    assert message_id(copy) == message_id(sent[0])
    assert files(ws.mail_spool, "*.eml") == sent  # restored, not sent again
    assert "копия в досье восстановлена" in (ws.state / "docgen.log").read_text(encoding="utf-8")
