"""deploy/docgen.service passes `systemd-analyze verify` and runs docgen the way docs/admin.md says."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from docgen.cli import main

UNIT = REPO / "deploy" / "docgen.service"
INSTALLED = "/opt/docgen/bin/docgen"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: .ci/run installs systemd"
    # verify also checks that ExecStart exists: point it at this checkout's docgen for the check.
    local = Path(sys.executable).parent / "docgen"
    assert local.is_file()
    checked = tmp_path / "docgen.service"
    checked.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(local)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(checked)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr  # warnings are faults too


def test_the_unit_runs_the_service_as_its_own_user_and_restarts_it(capsys):
    service = unit()["Service"]
    assert service["User"] == service["Group"] == "docgen"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/docgen/docgen.env"
    program, *argv = service["ExecStart"].split()
    assert program == INSTALLED and "--polling" in argv
    with pytest.raises(SystemExit) as done:  # the command line is one docgen accepts
        main([*argv, "--help"])
    assert done.value.code in (0, None) and "--polling" in capsys.readouterr().out
