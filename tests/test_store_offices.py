"""Several offices' workspaces on one PostgreSQL store: numbers shared, each office sees its own deals."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from openpyxl import load_workbook

from conftest import EXAMPLE
from pg_kit import store_toml
from service_kit import drop, files, make_workspace

ENV = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}


def docgen(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(root), *args], capture_output=True,
                          text=True, env=ENV, timeout=240)


def office(tmp_path: Path, name: str, url: str):
    return make_workspace(tmp_path / name, extra=store_toml(url) + f'office = "{name}"\n')


def test_two_offices_share_the_numbers_and_each_sees_only_its_own_deals(tmp_path, pg_url):
    moscow, kazan = office(tmp_path, "Москва", pg_url), office(tmp_path, "Казань", pg_url)
    form = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    drop(moscow, "deal.yaml", form)
    assert docgen(moscow.root, "watch", "--once").returncode == 0
    other = copy.deepcopy(form)
    other["delivery"]["address"] = "420021, Республика Татарстан, г. Казань, ул. Складская, д. 3"
    drop(kazan, "deal.yaml", other)
    assert docgen(kazan.root, "watch", "--once").returncode == 0
    assert [p.name[:12] for p in files(moscow.review("lawyer"), "*.docx")] == ["2026-0001 v1"]
    assert [p.name[:12] for p in files(kazan.review("lawyer"), "*.docx")] == ["2026-0002 v1"]  # no gap, no clash

    for ws, number in ((moscow, "2026-0001"), (kazan, "2026-0002")):
        status = docgen(ws.root, "status", "--json")
        assert status.returncode == 0, status.stderr
        assert [d["deal"] for d in json.loads(status.stdout)] == [number]
        doctor = docgen(ws.root, "doctor")
        assert "досье повреждено" not in doctor.stdout, doctor.stdout  # the other office's dossiers are not ours
        register = load_workbook(next(ws.registers.glob("*.xlsx")), read_only=True).worksheets[0]
        numbers = [row[0] for row in register.iter_rows(min_row=2, values_only=True) if row and row[0]]
        assert numbers == [number]

    # A corrected form of Moscow's deal dropped in Kazan: refused with where the deal is kept, by validate too.
    corrected = copy.deepcopy(form) | {"deal": "2026-0001"}
    path = tmp_path / "corrected.yaml"
    path.write_text(yaml.safe_dump(corrected, allow_unicode=True, sort_keys=False), encoding="utf-8")
    said = docgen(kazan.root, "validate", str(path))
    assert said.returncode == 1 and "сделка 2026-0001 ведётся в другом офисе («Москва»)" in said.stdout + said.stderr
    drop(kazan, "corrected.yaml", corrected)
    assert docgen(kazan.root, "watch", "--once").returncode == 0
    report = (kazan.rejected / "corrected.yaml.errors.txt").read_text(encoding="utf-8")
    assert "ведётся в другом офисе («Москва»)" in report
    assert not any(kazan.clients.glob("*/2026-0001"))  # nothing of Moscow's deal was written in Kazan
