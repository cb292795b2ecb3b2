"""docgen export and verify as people run them: subprocesses and exit codes, beside the running service, with PDFs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from service_kit import drop, make_workspace, one, service, wait_for, stage_of
from test_archive_kit import LOG, manifest_of, new_deal, rewrite, sign, signed_deal, workspace
from docgen.archive.export import bound_name
from docgen.render.pdfmarks import outline_titles
from docgen.workflow.engine import close_workflow
from docgen.workspace import Role


def _docgen(ws, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_export_and_verify_exit_codes_and_russian_messages(tmp_path, example_data):
    ws = workspace(tmp_path)
    number = signed_deal(ws, example_data)
    done = _docgen(ws, "export", "--deal", number, "-o", "archive/deal.zip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Сделок: 1; файлов:" in done.stdout and (tmp_path / "archive" / "deal.zip").is_file()
    checked = _docgen(ws, "verify", "archive/deal.zip", cwd=tmp_path)
    assert checked.returncode == 0 and "Архив в порядке" in checked.stdout
    spoiled = rewrite(tmp_path / "archive" / "deal.zip", tmp_path / "spoiled.zip", change={"manifest.json": None})
    bad = _docgen(ws, "verify", str(spoiled), cwd=tmp_path)
    assert bad.returncode == 1 and "нет manifest.json" in bad.stderr and "Traceback" not in bad.stderr
    extra = rewrite(tmp_path / "archive" / "deal.zip", tmp_path / "extra.zip", add={"лишний.txt": b"x"})
    bad = _docgen(ws, "verify", str(extra), cwd=tmp_path)
    assert bad.returncode == 1 and "лишний файл, которого нет в manifest.json: лишний.txt" in bad.stdout
    evil = rewrite(tmp_path / "archive" / "deal.zip", tmp_path / "evil.zip", add={"../../x": b"x"})
    bad = _docgen(ws, "verify", str(evil), cwd=tmp_path)
    assert bad.returncode == 1 and "архив отвергнут" in bad.stderr and "«../../x»" in bad.stderr
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("args, exit_code, message", [
    ([], 2, "ровно одно"),
    (["--deal", "2026-0001", "--client", "5027012348"], 2, "ровно одно"),
    (["--from", "2026-11-01"], 2, "обеими датами"),
    (["--from", "01.13.2026", "--to", "2026-12-01"], 2, "не распознана"),
    (["--from", "2026-12-01", "--to", "01.11.2026"], 2, "позже"),
    (["--client", "12345"], 2, "10 или 12 цифр"),
    (["--deal", "2026-0099"], 1, "Сделка 2026-0099 не найдена"),
    (["--client", "7707083893"], 1, "нет сделок"),
    (["--from", "01.01.2025", "--to", "31.01.2025"], 1, "нет сделок, принятых с 01.01.2025 по 31.01.2025"),
])
def test_wrong_usage_is_2_and_an_empty_selection_is_1(tmp_path, example_data, args, exit_code, message):
    ws = workspace(tmp_path)
    signed_deal(ws, example_data)
    done = _docgen(ws, "export", *args, "-o", "a.zip", cwd=tmp_path)
    assert done.returncode == exit_code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "a.zip").exists()


def test_many_deals_show_a_progress_bar_on_stderr(tmp_path, example_data):
    import test_archive_kit

    ws = workspace(tmp_path)
    wf = test_archive_kit.open_wf(ws)
    try:
        for _ in range(3):
            new_deal(wf, example_data)
    finally:
        close_workflow(wf)
    env = {"DOCGEN_ROOT": str(ws.root)}
    done = subprocess.run([sys.executable, "-c", "import docgen.cli.archive as a; a.MANY_DEALS = 2; "
                           "from docgen.cli import main; main(['export', '--client', '5027012348', '-o', 'a.zip'])"],
                          cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Выгрузка" in done.stderr and "3/3" in done.stderr and "Сделок: 3" in done.stdout


def _approve(ws, role: Role) -> None:
    draft = wait_for(lambda: one(ws.review(role), "*.docx"), what=f"a draft in {role}")
    draft.replace(ws.review(role) / "approved" / draft.name)


def test_export_while_the_service_runs_and_keeps_working(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml")
        for role in Role:
            _approve(ws, role)
        wait_for(lambda: stage_of(ws, "2026-0001") == "signed", what="signed")
        dossier = next(ws.clients.glob("*/2026-0001"))
        wait_for(lambda: len(list((dossier / "Письма").glob("*.eml"))) >= 6, what="letters in the dossier")
        example_data["subject"]["summary"] += " (второй заказ)"
        drop(ws, "second.yaml", example_data)  # taken by the service while the export reads
        done = _docgen(ws, "export", "--deal", "2026-0001", "-o", str(tmp_path / "live.zip"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        # The service was not blocked: it still takes the next form while and after the export runs.
        wait_for(lambda: stage_of(ws, "2026-0002") == "lawyer", what="the service still working")
    assert _docgen(ws, "verify", str(tmp_path / "live.zip"), cwd=tmp_path).returncode == 0
    names = zipfile.ZipFile(tmp_path / "live.zip").namelist()
    assert any("/Письма/" in n and n.endswith(".eml") for n in names)
    assert manifest_of(tmp_path / "live.zip")["deals"][0]["signed"] is not None


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_bound_pdf_has_a_bookmark_per_signed_document(tmp_path, example_data):
    from docgen.service import open_service

    ws = make_workspace(tmp_path / "ws", pdf=True)
    wf = open_service(ws, LOG)
    try:
        number = new_deal(wf, example_data)
        sign(wf, number)
    finally:
        close_workflow(wf)
    done = _docgen(ws, "export", "--deal", number, "-o", str(tmp_path / "pdf.zip"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "pdf.zip") as zf:
        bound = next(n for n in zf.namelist() if n.endswith(bound_name(number)))
        titles = outline_titles(zf.read(bound))
        names = zf.namelist()
    assert titles == [f"Договор {number} с листом согласования", f"Ввод в Производство {number}"]
    assert any(n.endswith(f"Договор {number}.pdf") for n in names)
    assert any("/Версии/" in n and n.endswith(".pdf") for n in names)
    assert _docgen(ws, "verify", str(tmp_path / "pdf.zip"), cwd=tmp_path).returncode == 0
