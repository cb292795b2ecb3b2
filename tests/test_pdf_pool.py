"""A pool of real LibreOffice converters ([pdf] workers): two at once, a killed or hung one restarted
with its document converted by the other, a bad document refused once, and nothing left after close.

Concurrency is shown by the processes, not by time: both offices are stopped (SIGSTOP) before the
documents are given, so neither can finish; both being busy at once can only come from handing the
second document to the second office while the first still holds its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_kit import make_workspace
from test_pdf_convert import MONEY, make_docx, pdftotext, wait_until

from docgen.errors import ConversionError
from docgen.render.pdf import KeptConverter, group_pids, open_converter
from docgen.render.pdfpool import ConverterPool, convert_all
from docgen.workflow.documents import Documents

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice не установлен")


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[ConverterPool]:
    made = open_converter(profile_dir=tmp_path / "profiles", timeout=60, workers=2)
    assert isinstance(made, ConverterPool), "[pdf] workers = 2 makes a pool"
    assert all(isinstance(m, KeptConverter) for m in made.members), "python3-uno is needed"
    with made:
        for member in made.members:
            member.warm_up()
        yield made


def state(pid: int) -> str:
    """The process state letter (R, S, T stopped, Z zombie), or "" when no such process is left."""
    try:
        raw = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return ""
    return raw[raw.rfind(")") + 2]


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    return state(pid) not in ("", "Z", "X")


class Background:
    """pool.convert on a thread of its own; `join` gives back its error, if any."""

    def __init__(self, pool: ConverterPool, docx: Path, pdf: Path):
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(pool, docx, pdf))
        self._thread.start()

    def _run(self, pool: ConverterPool, docx: Path, pdf: Path) -> None:
        try:
            pool.convert(docx, pdf)
        except BaseException as exc:  # noqa: BLE001 - given back by join
            self.error = exc

    def join(self, timeout: float = 120) -> BaseException | None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the conversion did not end"
        return self.error


def stop_all(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    assert wait_until(lambda: all(state(pid) == "T" for pid in pids))


def live_pids(pool: ConverterPool) -> list[int]:
    return [pid for pid in pool.pids if pid is not None and alive(pid)]


def test_two_converters_convert_at_once_each_with_its_own_profile_and_port(pool: ConverterPool,
                                                                          tmp_path: Path) -> None:
    pids = live_pids(pool)
    assert len(set(pids)) == 2
    lines = [command_line(pid) for pid in pids]
    assert all("soffice" in line for line in lines)
    profiles = {part for line in lines for part in line.split() if part.startswith("-env:UserInstallation=")}
    ports = {part for line in lines for part in line.split() if part.startswith("--accept=")}
    assert len(profiles) == 2 and len(ports) == 2, lines

    docs = [make_docx(tmp_path / f"d{n}.docx", number=f"2026-010{n}") for n in range(2)]
    stop_all(pids)
    try:
        jobs = [Background(pool, docx, docx.with_suffix(".pdf")) for docx in docs]
        assert wait_until(lambda: len(pool.busy()) == 2, timeout=30), pool.busy()
        busy = pool.busy()
        assert set(busy) == set(pids) and set(busy.values()) == set(docs)
        assert all(state(pid) == "T" for pid in busy), "both documents are held by stopped offices"
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    assert [job.join() for job in jobs] == [None, None]
    for n, docx in enumerate(docs):
        assert f"Договор поставки № 2026-010{n}" in pdftotext(docx.with_suffix(".pdf"))
    assert live_pids(pool) == pids, "no office was restarted"


def test_killed_converter_is_restarted_and_its_document_converted_by_the_other(
    pool: ConverterPool, tmp_path: Path, caplog
) -> None:
    pids = live_pids(pool)
    docx = make_docx(tmp_path / "убит.docx", number="2026-0201")
    stop_all(pids)
    with caplog.at_level(logging.WARNING, logger="docgen.render.pdf"):
        try:
            job = Background(pool, docx, tmp_path / "убит.pdf")
            assert wait_until(lambda: len(pool.busy()) == 1, timeout=30)
            (victim,) = pool.busy()
            (other,) = [pid for pid in pids if pid != victim]
            os.kill(other, signal.SIGCONT)
            os.kill(victim, signal.SIGKILL)  # mid-conversion: the document is in its hands
        finally:
            for pid in pids:
                if alive(pid):
                    os.kill(pid, signal.SIGCONT)
        assert job.join() is None
        assert wait_until(lambda: len(live_pids(pool)) == 2, timeout=60), "the killed office is started again"
    assert "Договор поставки № 2026-0201" in pdftotext(tmp_path / "убит.pdf")
    assert not alive(victim) and other in live_pids(pool) and victim not in pool.pids
    assert "аварийно завершился на «убит.docx»" in caplog.text and "другому LibreOffice" in caplog.text
    # the restarted office works: two more documents, one each
    more = [make_docx(tmp_path / f"m{n}.docx", number=f"M-{n}") for n in range(2)]
    assert convert_all(pool, [(d, d.with_suffix(".pdf")) for d in more]) == [None, None]
    assert all(MONEY in pdftotext(d.with_suffix(".pdf")) for d in more)


def test_hung_converter_times_out_is_restarted_and_the_document_retried_on_another(
    pool: ConverterPool, tmp_path: Path, caplog
) -> None:
    pool.timeout = 10  # both offices are warm: a one-page document takes well under a second
    pids = live_pids(pool)
    docx = make_docx(tmp_path / "завис.docx", number="2026-0301")
    stop_all(pids)
    with caplog.at_level(logging.WARNING, logger="docgen.render.pdf"):
        try:
            job = Background(pool, docx, tmp_path / "завис.pdf")
            assert wait_until(lambda: len(pool.busy()) == 1, timeout=30)
            (hung,) = pool.busy()
            (other,) = [pid for pid in pids if pid != hung]
            os.kill(other, signal.SIGCONT)  # the hung one stays stopped: only the timeout can end it
            assert job.join() is None
        finally:
            for pid in pids:
                if alive(pid):
                    os.kill(pid, signal.SIGCONT)
        assert wait_until(lambda: len(live_pids(pool)) == 2, timeout=60), "the hung office is started again"
    assert "Договор поставки № 2026-0301" in pdftotext(tmp_path / "завис.pdf")
    assert not alive(hung), "a hung office is killed, not left stopped"
    assert hung not in pool.pids and other in pool.pids
    assert "не успел сделать PDF из «завис.docx» за 10 с" in caplog.text


def test_a_bad_document_is_refused_once_and_no_office_restarted(pool: ConverterPool, tmp_path: Path) -> None:
    pids = live_pids(pool)
    good = make_docx(tmp_path / "good.docx", number="1")
    damaged = tmp_path / "битый.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if name == "word/document.xml" else data)
    errors = convert_all(pool, [(damaged, tmp_path / "битый.pdf"), (good, tmp_path / "good.pdf")])
    assert isinstance(errors[0], ConversionError) and "не смог открыть «битый.docx»" in str(errors[0])
    assert errors[1] is None and MONEY in pdftotext(tmp_path / "good.pdf")
    assert not (tmp_path / "битый.pdf").exists()
    assert live_pids(pool) == pids


def test_close_leaves_no_libreoffice_behind(tmp_path: Path) -> None:
    pool = open_converter(profile_dir=tmp_path / "profiles", timeout=60, workers=2)
    assert isinstance(pool, ConverterPool)
    docs = [make_docx(tmp_path / f"c{n}.docx", number=f"C-{n}") for n in range(4)]
    assert convert_all(pool, [(d, d.with_suffix(".pdf")) for d in docs]) == [None] * 4
    for member in pool.members:
        member.warm_up()  # both started, whichever took the documents
    offices = [pid for pid in pool.pids if pid is not None]
    groups = [m.process_group for m in pool.members if isinstance(m, KeptConverter)]
    workers = [pid for group in groups if group for pid, _ in group_pids(group)]
    assert len(offices) == 2 and all(alive(pid) for pid in offices)
    assert set(offices) <= set(workers)

    pool.close()
    assert [pid for pid in workers if alive(pid)] == [], "every worker and soffice.bin is gone"
    assert pool.pids == [None, None]
    with pytest.raises(ConversionError, match="закрыт"):
        pool.convert(docs[0], tmp_path / "after.pdf")
    pool.close()  # twice is fine


def test_a_contract_and_its_approval_sheet_go_to_the_pool_together(pool: ConverterPool, tmp_path: Path) -> None:
    """What signing does: the contract with its sheet started (start_pdf) while the handover converts."""
    ws = make_workspace(tmp_path / "ws")
    documents = Documents(ws, pool, log=logging.getLogger("test"))
    contract, sheet, handover = (make_docx(tmp_path / f"{name}.docx", number=name).read_bytes()
                                 for name in ("2026-0401", "ЛС-0401", "ВП-0401"))
    pids = live_pids(pool)
    stop_all(pids)
    try:
        pending = documents.start_pdf(contract, title="Договор 2026-0401", number="2026-0401", version=1,
                                      appendix=sheet)
        assert wait_until(lambda: len(pool.busy()) == 2, timeout=30), pool.busy()
        assert sorted(p.name for p in pool.busy().values()) == ["Договор 2026-0401 (приложение).docx",
                                                               "Договор 2026-0401.docx"]
        later = threading.Thread(target=lambda: made.append(
            documents.pdf(handover, title="Ввод в Производство 2026-0401", number="2026-0401", version=1)))
        made: list[bytes | None] = []
        later.start()
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    later.join(timeout=120)
    signed = pending.result(timeout=120)
    assert signed is not None and made and made[0] is not None
    (tmp_path / "signed.pdf").write_bytes(signed)
    (tmp_path / "handover.pdf").write_bytes(made[0])
    text = pdftotext(tmp_path / "signed.pdf")
    assert text.index("№ 2026-0401") < text.index("№ ЛС-0401"), "the sheet comes after the contract"
    assert "№ ВП-0401" in pdftotext(tmp_path / "handover.pdf")
