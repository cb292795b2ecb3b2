"""`docgen offer FORM`: the commercial proposal filed in the client's folder beside the client's deals."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import yaml
from render_fixtures import docx_text, example_data
from service_kit import make_workspace

REPO = Path(__file__).resolve().parent.parent


def docgen(*args: str, root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(root), *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def test_the_proposal_goes_into_the_client_folder_numbered_by_day(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra="[offers]\nvalid_days = 14\n")
    form = tmp_path / "КП.yaml"
    form.write_text(yaml.safe_dump(example_data(), allow_unicode=True), encoding="utf-8")
    first, second = docgen("offer", str(form), root=ws.root), docgen("offer", str(form), root=ws.root)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    folder = ws.clients / "5027012348 ООО «Ромашка & Ко»" / "Коммерческие предложения"
    day = dt.date.today()
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"КП {day:%Y%m%d}-1 — Изготовление и поставка металлоконструкций каркаса склада.docx",
                     f"КП {day:%Y%m%d}-2 — Изготовление и поставка металлоконструкций каркаса склада.docx"]
    assert str(folder / names[0]) in first.stdout
    text = docx_text((folder / names[1]).read_bytes())
    until = day + dt.timedelta(days=14)
    assert f"КОММЕРЧЕСКОЕ ПРЕДЛОЖЕНИЕ № {day:%Y%m%d}-2" in text and "Уважаемый Иван Иванович!" in text
    assert "Генеральному директору ООО «Ромашка & Ко» И. И. Иванову" in text
    assert f"до «{until.day:02d}»" in text and "2 023 980,00" in text and "607 194,00 руб." in text
    assert not (ws.root / "registers").exists() or not any((ws.root / "registers").iterdir())


def test_a_faulty_form_gets_the_same_report_as_at_intake(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    data = example_data()
    data["buyer"]["inn"] = "5027012340"
    form = tmp_path / "КП.yaml"
    form.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = docgen("offer", str(form), root=ws.root)
    assert done.returncode == 1 and "buyer.inn" in done.stderr and "Traceback" not in done.stderr
    assert not ws.clients.exists() or not any(ws.clients.iterdir())
    missing = docgen("offer", str(tmp_path / "нет.yaml"), root=ws.root)
    assert missing.returncode == 2
