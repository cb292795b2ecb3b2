"""The package a user installs: the wheel and the sdist built from the checkout carry every default
file, and the wheel, installed into a fresh venv outside the checkout, drafts the example form."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import REPO
from docgen import __version__

DEFAULTS = REPO / "docgen" / "defaults"
# Top-level names of the checkout that are not the package's source: tools, workspace data, builds.
NOT_SOURCE = {".git", ".venv", ".pytest_cache", "build", "dist", "inbox", "outbox", "clients", "archive",
              "registers", ".docgen", "docgen.egg-info"}


def default_files() -> set[str]:
    """Every file of docgen/defaults, as a path inside the package ("docgen/defaults/mail/review.txt")."""
    return {str(p.relative_to(REPO)) for p in DEFAULTS.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _ignore(folder: str, names: list[str]) -> set[str]:
    top = Path(folder) == REPO
    return {n for n in names if n == "__pycache__" or (top and n in NOT_SOURCE)}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel built from that sdist (what `python -m build` does), from a copy of the checkout."""
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(REPO, source, symlinks=True, ignore=_ignore)
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = (work / "dist").glob("docgen-*.whl")
    [sdist] = (work / "dist").glob("docgen-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_and_the_sdist_carry_every_default_file(built):
    expected = default_files()
    assert {"docgen/defaults/forms/example.yaml", "docgen/defaults/mail/review.txt"} <= expected
    with zipfile.ZipFile(built["wheel"]) as wheel:
        in_wheel = set(wheel.namelist())
    with tarfile.open(built["sdist"]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert not expected - in_wheel, f"the wheel lacks {sorted(expected - in_wheel)}"
    assert not expected - in_sdist, f"the sdist lacks {sorted(expected - in_sdist)}"


def test_the_installed_wheel_drafts_the_example_form(built, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The real dependencies, from the index through pip's cache; this venv's own pip is not needed.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(built["wheel"])],
                   check=True, capture_output=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCGEN_", "PYTHON"))}
    env["DOCGEN_DOCUMENTS__PDF"] = "false"  # PDF renditions have their own tests; this one is about the package

    def docgen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin" / "docgen"), *args], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=300, check=True)

    where = docgen("--version")
    assert where.stdout.strip() == f"docgen {__version__}"
    installed = subprocess.run([str(python), "-c", "import docgen; print(docgen.__file__)"], cwd=tmp_path, env=env,
                               text=True, capture_output=True, check=True).stdout
    assert str(venv) in installed and str(REPO) not in installed
    docgen("init", "WS")
    ws = tmp_path / "WS"
    assert {str(p.relative_to(ws / "templates")) for p in (ws / "templates").rglob("*") if p.is_file()} == \
        {str(Path(f).relative_to("docgen/defaults")) for f in default_files()}
    shutil.copyfile(ws / "templates" / "forms" / "example.yaml", ws / "inbox" / "example.yaml")
    docgen("--root", "WS", "watch", "--once")
    drafts = [p.name for p in (ws / "outbox" / "lawyer").glob("*.docx")]
    assert len(drafts) == 1 and "-0001 v1 Договор — ООО «Ромашка & Ко»" in drafts[0], drafts
    assert not list((ws / "inbox").glob("*.yaml")) and not list((ws / "inbox" / "rejected").iterdir())
