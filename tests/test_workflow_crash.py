"""kill -9 at random moments: every form is accounted for exactly once and no half-written file shows."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import yaml

from conftest import REPO
from service_kit import drop, files, make_workspace, wait_for
from docgen.store import open_store
from docgen.workspace import Role

FORMS = 200
KILLS = 4


def _forms(example: dict) -> list[tuple[str, dict]]:
    """Distinct valid forms, a few invalid ones and a few exact duplicates."""
    out = []
    for n in range(FORMS):
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
    store = open_store(ws.state)
    try:
        deals = store.deals()
        assert [d.number for d in deals] == [f"2026-{n:04d}" for n in range(1, len(valid) + 1)], "numbers have gaps"
        assert all(d.version == 1 and d.stage == "lawyer" for d in deals)
        assert not store.planned_steps()
        accepted = [e for e in store.journal() if e["action"] == "accepted"]
        assert sorted(e["sha256"] for e in accepted) == sorted(valid), "a form was accepted twice or not at all"
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
