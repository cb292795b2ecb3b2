"""Files docgen writes follow the process umask, so colleagues on a shared drive can open them."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_kit import drop, make_workspace

from docgen.cli import main
from docgen.files import write_atomic
from docgen.service import run_service, service_log


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o002, 0o022])
def test_write_atomic_follows_the_umask(tmp_path, mask):
    with umask(mask):
        write_atomic(tmp_path / "a.docx", b"x")
    assert mode(tmp_path / "a.docx") == 0o666 & ~mask


@pytest.mark.parametrize("mask", [0o002, 0o022])
def test_drafts_dossiers_letters_and_archives_follow_the_umask(tmp_path, mask):
    ws = make_workspace(tmp_path / "ws")
    with umask(mask):
        drop(ws, "deal.yaml")
        drop(ws, "broken.yaml", {"contract_type": "supply"})
        run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
        with pytest.raises(SystemExit) as done:
            main(["--root", str(ws.root), "export", "--client", "5027012348", "-o", str(ws.archive / "a.zip")])
        assert done.value.code in (0, None)
    written = [p for folder in (ws.inbox, ws.outbox, ws.clients, ws.registers, ws.archive)
               for p in folder.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in written}
    assert {".docx", ".eml", ".yaml", ".txt", ".xlsx", ".zip"} <= kinds, kinds
    wrong = {str(p.relative_to(ws.root)): oct(mode(p)) for p in written if mode(p) != 0o666 & ~mask}
    assert not wrong, wrong
