"""PDF renditions through the real LibreOffice: text, restarts, timeouts, broken input, clean shutdown."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from docgen.errors import ConversionError
from docgen.render import pdf as pdfmod
from docgen.render.pdf import KeptConverter, OneShotConverter, group_pids, open_converter

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice не установлен")

MONEY = "2 023 980,00"
SIGNATORY = "Иванова Ивана Ивановича"


def make_docx(path: Path, *, number: str, pages: int = 1) -> Path:
    doc = Document()
    doc.add_heading(f"Договор поставки № {number}", level=1)
    for page in range(pages):
        doc.add_paragraph(
            f"ООО «Рога & Копыта» в лице Генерального директора {SIGNATORY}, действующего на основании Устава."
        )
        doc.add_paragraph(f"Цена договора {MONEY} руб. (два миллиона двадцать три тысячи девятьсот восемьдесят "
                          "рублей 00 копеек), в т.ч. НДС 22 %.")
        if page < pages - 1:
            doc.add_page_break()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def pdftotext(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, timeout=30)
    text = done.stdout.decode("utf-8")
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def wait_until(predicate, *, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def leftovers(folder: Path) -> list[str]:
    """Temporary or lock files a conversion must not leave in a user's folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".", "~")) or p.suffix == ".part")


@pytest.fixture(scope="module")
def converter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeptConverter]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice не установлен")
    profiles = tmp_path_factory.mktemp("profiles")
    made = open_converter(profile_dir=profiles, timeout=60)
    assert isinstance(made, KeptConverter), "python3-uno is needed for the kept-running converter"
    with made:
        yield made


@needs_soffice
def test_several_documents_through_one_converter(converter: KeptConverter, tmp_path: Path) -> None:
    folder = tmp_path / "Клиенты" / "ООО Рога и Копыта"
    pids = set()
    for n in range(1, 4):
        docx = make_docx(folder / f"Договор 2026-000{n}.docx", number=f"2026-000{n}", pages=n)
        pdf = folder / f"Договор 2026-000{n}.pdf"
        converter.convert(docx, pdf)
        pids.add(converter.pid)
        text = pdftotext(pdf)
        assert f"Договор поставки № 2026-000{n}" in text
        assert MONEY in text and SIGNATORY in text and "НДС 22 %" in text
        assert "«Рога & Копыта»" in text
    assert len(pids) == 1, "LibreOffice must be kept running between documents"
    assert leftovers(folder) == []


@needs_soffice
def test_restart_when_soffice_was_killed(converter: KeptConverter, tmp_path: Path, caplog) -> None:
    converter.convert(make_docx(tmp_path / "a.docx", number="1"), tmp_path / "a.pdf")
    killed = converter.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    assert wait_until(lambda: killed not in [pid for pid, _ in group_pids(converter.process_group or 0)])

    with caplog.at_level(logging.WARNING, logger="docgen.render.pdf"):
        converter.convert(make_docx(tmp_path / "b.docx", number="2026-0002"), tmp_path / "b.pdf")
    assert "Договор поставки № 2026-0002" in pdftotext(tmp_path / "b.pdf")
    assert converter.pid not in (None, killed)
    assert "перезапуск" in caplog.text


@needs_soffice
def test_timeout_fails_the_document_then_the_next_one_converts(converter: KeptConverter, tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "slow.docx", number="2026-0003")
    converter.timeout = 0.001
    try:
        with pytest.raises(ConversionError, match="не успел сделать PDF из «slow.docx»"):
            converter.convert(docx, tmp_path / "slow.pdf")
    finally:
        converter.timeout = 60
    assert not (tmp_path / "slow.pdf").exists()
    assert leftovers(tmp_path) == []

    converter.convert(docx, tmp_path / "slow.pdf")
    assert MONEY in pdftotext(tmp_path / "slow.pdf")


@needs_soffice
def test_broken_docx_is_refused_and_leaves_no_pdf(converter: KeptConverter, tmp_path: Path) -> None:
    not_zip = tmp_path / "мусор.docx"
    not_zip.write_bytes(b"not a document at all \x00\x01")
    with pytest.raises(ConversionError, match="не документ DOCX"):
        converter.convert(not_zip, tmp_path / "мусор.pdf")

    good = make_docx(tmp_path / "good.docx", number="1")
    damaged = tmp_path / "битый.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if name == "word/document.xml" else data)
    with pytest.raises(ConversionError, match="не смог открыть «битый.docx»"):
        converter.convert(damaged, tmp_path / "битый.pdf")

    with pytest.raises(ConversionError, match="Нет файла"):
        converter.convert(tmp_path / "нет.docx", tmp_path / "нет.pdf")
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == []
    assert leftovers(tmp_path) == []
    converter.convert(good, tmp_path / "good.pdf")  # the office survived all of that


@needs_soffice
def test_threads_share_one_converter(converter: KeptConverter, tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            converter.convert(make_docx(tmp_path / f"t{n}.docx", number=f"T-{n}"), tmp_path / f"t{n}.pdf")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for n in range(4):
        assert f"№ T-{n}" in pdftotext(tmp_path / f"t{n}.pdf")


@needs_soffice
def test_close_leaves_no_soffice_and_profiles_do_not_clash(converter: KeptConverter, tmp_path: Path) -> None:
    # A second converter on the same profile folder (the service and a CLI command at once).
    profiles = tmp_path / "profiles"
    first = open_converter(profile_dir=profiles)
    second = open_converter(profile_dir=profiles)
    assert isinstance(first, KeptConverter) and isinstance(second, KeptConverter)
    docx = make_docx(tmp_path / "c.docx", number="2026-0004")
    with first, second:
        first.convert(docx, tmp_path / "c1.pdf")
        second.convert(docx, tmp_path / "c2.pdf")
        groups = [first.process_group, second.process_group]
        assert first.pid != second.pid
    assert all(group is not None and group_pids(group) == [] for group in groups)
    assert not any(str(profiles) in _cmdline(pid) for pid in _all_pids())
    first.close()  # twice is fine
    with pytest.raises(ConversionError, match="закрыт"):
        first.convert(docx, tmp_path / "c3.pdf")
    assert MONEY in pdftotext(tmp_path / "c2.pdf")


@needs_soffice
def test_one_shot_converter(tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "one.docx", number="2026-0005", pages=2)
    with OneShotConverter(soffice=shutil.which("soffice") or "", profile_dir=tmp_path / "profiles") as one:
        one.convert(docx, tmp_path / "out" / "one.pdf")
        with pytest.raises(ConversionError, match="не документ DOCX"):
            (tmp_path / "bad.docx").write_text("плохой")
            one.convert(tmp_path / "bad.docx", tmp_path / "out" / "bad.pdf")
    text = pdftotext(tmp_path / "out" / "one.pdf")
    assert "Договор поставки № 2026-0005" in text and SIGNATORY in text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one.pdf"]


def test_no_libreoffice_means_no_converter_and_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without soffice
    monkeypatch.setattr(pdfmod, "_WARNED", set())  # "once per process": start this test's process afresh
    with caplog.at_level(logging.WARNING, logger="docgen.render.pdf"):
        assert open_converter(profile_dir=tmp_path / "p") is None
        assert open_converter(profile_dir=tmp_path / "p") is None
    warnings = [r.getMessage() for r in caplog.records if "LibreOffice не найден" in r.getMessage()]
    assert warnings == ["LibreOffice не найден: PDF-версии не создаются, только DOCX"]


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
