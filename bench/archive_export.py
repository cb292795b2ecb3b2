"""Benchmark: `docgen export` of 1,000 signed deals, `docgen verify` of it, the archive against the dossiers."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

from docgen.archive.export import export_archive
from docgen.archive.selection import By, Selector
from docgen.archive.verify import verify_archive
from docgen.layout import lay_out
from docgen.settings import load_settings
from docgen.store import Store, open_store
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Role, Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "templates" / "forms" / "example.yaml"
FIRST = "2026-0001"


def _clock() -> dt.datetime:
    return dt.datetime.now().astimezone()


def one_signed_deal(root: Path) -> Workspace:
    """A workspace with one deal made and signed by the real workflow (PDFs off: LibreOffice not needed)."""
    lay_out(root)
    (root / "docgen.toml").write_text("[pdf]\nenabled = false\n", encoding="utf-8")
    ws = Workspace(root, load_settings(root, {}))
    ws.inbox.mkdir(parents=True, exist_ok=True)
    (ws.inbox / "deal.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    wf = open_workflow(ws, clock=_clock, log=logging.getLogger("bench.archive"))
    try:
        wf.take(ws.inbox / "deal.yaml")
        for role in Role:
            wf.decide(FIRST, role=role, decision=Decision.APPROVED)
    finally:
        close_workflow(wf)
    return ws


def copy_deal(ws: Workspace, store: Store, *, number: str) -> None:
    """The first deal's dossier copied under another number, with matching rows through the Store API."""
    row = store.deal(FIRST)
    source = ws.root / row.dossier
    dossier = row.dossier.replace(FIRST, number)
    for path in source.rglob("*"):
        if path.is_file():
            target = ws.root / dossier / path.relative_to(source).as_posix().replace(FIRST, number)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    store.insert_deal(replace(row, number=number, dossier=dossier))
    for v in store.versions(FIRST):
        store.add_version(number, v["version"], origin=v["origin"], at=dt.datetime.fromisoformat(v["created_at"]),
                          form_sha256=v["form_sha256"])
        store.set_version_file(number, v["version"], sha256=v["sha256"], file=v["file"].replace(FIRST, number))
    for e in store.journal(FIRST):
        store.journal_add(at=dt.datetime.fromisoformat(e["at"]), deal=number, version=e["version"], actor=e["actor"],
                          role=e["role"], action=e["action"], detail=e["detail"], sha256=e["sha256"])


def build(root: Path, count: int) -> Workspace:
    ws = one_signed_deal(root)
    store = open_store(ws.state)
    try:
        with store.transaction():
            for n in range(2, count + 1):
                copy_deal(ws, store, number=f"2026-{n:04d}")
    finally:
        store.close()
    return ws


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(count: int = 1000) -> None:
    with tempfile.TemporaryDirectory(prefix="docgen-bench-archive-") as tmp:
        started = time.perf_counter()
        ws = build(Path(tmp) / "ws", count)
        built = time.perf_counter() - started
        inn = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["buyer"]["inn"]
        started = time.perf_counter()
        result = export_archive(ws, Selector(By.CLIENT, inn=str(inn)), target=Path(tmp) / "archive" / "all.zip",
                                clock=_clock)
        exported = time.perf_counter() - started
        started = time.perf_counter()
        report = verify_archive(result.path, limits=ws.settings.archive)
        verified = time.perf_counter() - started
        assert report.ok, report
        dossiers = folder_size(ws.clients)
        print(f"сделок: {result.deals} (подготовка {built:.1f} с), файлов в архиве: {result.files}")
        print(f"export: {exported:.2f} с ({result.deals / exported:.0f} сделок/с)")
        print(f"verify: {verified:.2f} с")
        print(f"досье: {dossiers / 1e6:.1f} МБ, архив: {result.size / 1e6:.1f} МБ, "
              f"архив/досье = {result.size / dossiers:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="число подписанных сделок")
    main(parser.parse_args().count)
