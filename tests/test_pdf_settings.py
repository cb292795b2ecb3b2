"""[pdf] enabled / workers / timeout, and the old [documents] pdf / pdf_timeout still read (and said deprecated)."""

from __future__ import annotations

import shutil

import pytest
from service_kit import make_workspace, service, wait_for
from test_doctor import results
from test_seller import SELLER

from docgen import doctor
from docgen.errors import SettingsError
from docgen.render.pdf import KeptConverter, open_converter
from docgen.render.pdfpool import ConverterPool
from docgen.settings import load_settings


def settings(tmp_path, toml: str, environ: dict[str, str] | None = None):
    (tmp_path / "docgen.toml").write_text(toml, encoding="utf-8")
    return load_settings(tmp_path, environ or {})


def test_defaults_one_office_on_and_two_minutes(tmp_path):
    pdf = settings(tmp_path, "").pdf
    assert (pdf.enabled, pdf.workers, pdf.timeout) == (True, 1, 120.0)
    assert settings(tmp_path, "").deprecations() == []


def test_the_pdf_section_and_its_environment(tmp_path):
    pdf = settings(tmp_path, "[pdf]\nworkers = 2\ntimeout = 30\n", {"DOCGEN_PDF__ENABLED": "false"}).pdf
    assert (pdf.enabled, pdf.workers, pdf.timeout) == (False, 2, 30.0)


def test_the_old_documents_keys_still_work_and_are_said_deprecated(tmp_path):
    old = settings(tmp_path, "[documents]\npdf = false\npdf_timeout = 45\n")
    assert (old.pdf.enabled, old.pdf.timeout) == (False, 45.0)
    assert old.deprecations() == [
        "[documents] pdf устарел: пишите [pdf] enabled (старое имя пока действует)",
        "[documents] pdf_timeout устарел: пишите [pdf] timeout (старое имя пока действует)",
    ]
    assert settings(tmp_path, "", {"DOCGEN_DOCUMENTS__PDF": "false"}).pdf.enabled is False
    same = settings(tmp_path, "[documents]\npdf = false\n[pdf]\nenabled = false\nworkers = 2\n")
    assert (same.pdf.enabled, same.pdf.workers) == (False, 2)


@pytest.mark.parametrize(("toml", "expected"), [
    ("[documents]\npdf = false\n[pdf]\nenabled = true\n",
     "documents.pdf: устаревшее имя для pdf.enabled, и они расходятся (false и true); оставьте только [pdf] enabled"),
    ("[pdf]\nworkers = 0\n", "pdf.workers: должно быть не меньше 1; указано: 0"),
    ("[pdf]\nworkers = 64\n", "pdf.workers: должно быть не больше 16"),
    ("[pdf]\ntimeout = 0\n", "pdf.timeout: должно быть больше 0"),
    ("[pdf]\nworker = 2\n", "pdf.worker: неизвестный ключ «worker» — возможно, имелось в виду «workers»"),
])
def test_wrong_pdf_settings_are_named(tmp_path, toml, expected):
    with pytest.raises(SettingsError) as caught:
        settings(tmp_path, toml)
    assert expected in str(caught.value)


def test_the_service_says_the_old_name_at_start(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra="[documents]\npdf_timeout = 30\n")
    journal = ws.state / "docgen.log"
    with service(ws):
        wait_for(lambda: journal.exists() and "pdf_timeout устарел" in journal.read_text(encoding="utf-8"),
                 what="the deprecation said at start")
    assert "docgen.toml: [documents] pdf_timeout устарел: пишите [pdf] timeout" in journal.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice не установлен")
def test_workers_make_a_pool_and_doctor_says_so(tmp_path):
    one = open_converter(profile_dir=tmp_path / "p", workers=1)
    two = open_converter(profile_dir=tmp_path / "p", workers=2)
    try:
        assert isinstance(one, KeptConverter) and isinstance(two, ConverterPool) and len(two.members) == 2
    finally:
        for converter in (one, two):
            if converter is not None:
                converter.close()
    root = make_workspace(tmp_path / "ws").root
    (root / "docgen.toml").write_text(SELLER + "\n[documents]\npdf = true\n[pdf]\nworkers = 2\n", encoding="utf-8")
    checked = results(root, doctor.check_libreoffice)["libreoffice"]
    assert checked.ok
    assert "одновременно до 2 PDF ([pdf] workers)" in checked.message
    assert "[documents] pdf устарел: пишите [pdf] enabled" in checked.message
