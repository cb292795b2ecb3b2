"""docgen export with real deals from the real workflow: what the archive holds, and what it refuses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile

import pytest

from test_archive_kit import (LIMITS, MSK, Clock, client, manifest_of, names_of, new_deal, open_wf, sign,
                              signed_deal, workspace)
from docgen.archive.export import deal_folder, export_archive
from docgen.archive.selection import By, Selector
from docgen.archive.summary import export_summary
from docgen.archive.verify import verify_archive
from docgen.errors import ArchiveError, DealNotFound
from docgen.store import open_store
from docgen.workflow.engine import close_workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Role

NOW = Clock(dt.datetime(2026, 12, 1, 12, 0, tzinfo=MSK))


def _export(ws, selector, target, **kw):
    return export_archive(ws, selector, target=target, clock=NOW, **kw)


def _row(ws, number):
    store = open_store(ws.state)
    try:
        return store.deal(number), [dict(v) for v in store.versions(number)]
    finally:
        store.close()


def test_a_signed_deal_with_a_return_holds_its_whole_dossier_and_journal(tmp_path, example_data):
    ws = workspace(tmp_path)
    wf = open_wf(ws)
    try:
        number = new_deal(wf, example_data)
        wf.decide(number, role=Role.LAWYER, decision=Decision.RETURNED, comment="Уточните адрес поставки")
        example_data["deal"] = number
        new_deal(wf, example_data)
        sign(wf, number)
    finally:
        close_workflow(wf)
    row, versions = _row(ws, number)
    result = _export(ws, Selector(By.DEAL, deal=number), tmp_path / "archive" / "deal.zip")
    folder = deal_folder(row)
    assert folder == f"{number} ООО «Ромашка & Ко»"
    names = set(names_of(result.path))
    dossier = ws.root / row.dossier
    for path in dossier.rglob("*"):
        if path.is_file():
            assert f"{folder}/{path.relative_to(dossier).as_posix()}" in names
    forms = sorted(n.split("/Формы/")[1][:3] for n in names if "/Формы/" in n)
    assert forms == ["v1 ", "v2 "]
    assert {f"{folder}/Договор {number}.docx",
            f"{folder}/Лист согласования {number}.docx", f"{folder}/journal.json", f"{folder}/Журнал.txt",
            "manifest.json"} <= names
    assert any(n.startswith(f"{folder}/Ввод в Производство {number}") for n in names)
    assert {n for n in names if "/Версии/" in n} == {
        f"{folder}/Версии/{number} v1 Договор — ООО «Ромашка & Ко».docx",
        f"{folder}/Версии/{number} v2 Договор — ООО «Ромашка & Ко».docx"}
    manifest = manifest_of(result.path)
    contract_sha = hashlib.sha256((dossier / f"Договор {number}.docx").read_bytes()).hexdigest()
    assert manifest["deals"][0]["signed"] == {"version": 2, "sha256": contract_sha,
                                              "contract": f"{folder}/Договор {number}.docx"}
    assert versions[-1]["sha256"] == contract_sha
    assert manifest["docgen"] and manifest["exported_at"].startswith("2026-12-01T12:00")
    assert manifest["selector"] == {"by": "deal", "deal": number} and manifest["missing"] == []
    with zipfile.ZipFile(result.path) as zf:
        for record in manifest["files"]:
            data = zf.read(record["path"])
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (record["sha256"], record["size"])
        text = zf.read(f"{folder}/Журнал.txt").decode("utf-8")
        journal = json.loads(zf.read(f"{folder}/journal.json"))
    assert "Юрист Компании (Юрист) — Возвращено на доработку; версия 1" in text
    assert "замечание: Уточните адрес поставки" in text
    assert "Директор Направления (Директор направления) — Подписано; версия 2" in text
    assert f"Подписанная версия: v2, SHA-256 {contract_sha}" in text
    assert [e["action"] for e in journal["journal"]].count("accepted") == 2
    assert verify_archive(result.path, limits=LIMITS).ok


def test_a_client_with_several_deals_and_no_one_else(tmp_path, example_data):
    ws = workspace(tmp_path)
    other = client(example_data, inn_prefix="770101234", name="АО «Берёза»")
    wf = open_wf(ws)
    try:
        first, second = new_deal(wf, example_data), new_deal(wf, example_data)
        foreign = new_deal(wf, other)
        sign(wf, first)
    finally:
        close_workflow(wf)
    result = _export(ws, Selector(By.CLIENT, inn="5027012348"), tmp_path / "client.zip")
    manifest = manifest_of(result.path)
    assert [d["deal"] for d in manifest["deals"]] == [first, second]
    assert manifest["deals"][0]["signed"] is not None and manifest["deals"][1]["signed"] is None
    assert not any(n.startswith(foreign) for n in names_of(result.path))
    report = verify_archive(result.path, limits=LIMITS)
    assert report.ok and report.checked == len(manifest["files"])
    summary = export_summary(result)
    assert "Сделок: 2" in summary and "Подписанных сделок: 1" in summary


def test_a_period_takes_the_deals_accepted_within_it_both_ends_included(tmp_path, example_data):
    ws = workspace(tmp_path)
    days = [dt.datetime(2026, 11, 1, 9, tzinfo=MSK), dt.datetime(2026, 11, 10, 0, 0, 5, tzinfo=MSK),
            dt.datetime(2026, 11, 20, 23, 0, tzinfo=MSK), dt.datetime(2026, 11, 21, 0, 0, 5, tzinfo=MSK)]
    numbers = [signed_deal(ws, example_data, clock=Clock(day)) for day in days]
    period = Selector(By.PERIOD, start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 20))
    result = _export(ws, period, tmp_path / "period.zip")
    manifest = manifest_of(result.path)
    assert [d["deal"] for d in manifest["deals"]] == numbers[1:3]
    assert manifest["selector"] == {"by": "period", "from": "2026-11-10", "to": "2026-11-20", "date": "created_at"}
    assert verify_archive(result.path, limits=LIMITS).ok


def test_nothing_to_export_is_a_clear_error_and_leaves_no_file(tmp_path, example_data):
    ws = workspace(tmp_path)
    with pytest.raises(ArchiveError, match="нет базы docgen"):
        _export(ws, Selector(By.DEAL, deal="2026-0001"), tmp_path / "a.zip")
    signed_deal(ws, example_data)
    with pytest.raises(DealNotFound, match="Сделка 2026-0099 не найдена"):
        _export(ws, Selector(By.DEAL, deal="2026-0099"), tmp_path / "a.zip")
    with pytest.raises(ArchiveError, match="у клиента с ИНН 7707083893 нет сделок"):
        _export(ws, Selector(By.CLIENT, inn="7707083893"), tmp_path / "a.zip")
    with pytest.raises(ArchiveError, match="нет сделок, принятых с 01.01.2025 по 31.01.2025"):
        _export(ws, Selector(By.PERIOD, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31)), tmp_path / "a.zip")
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob("~$*")) == []


def test_a_file_missing_from_the_dossier_is_listed_not_skipped(tmp_path, example_data):
    ws = workspace(tmp_path)
    number = signed_deal(ws, example_data)
    row, _ = _row(ws, number)
    (ws.root / row.dossier / f"Договор {number}.docx").unlink()
    result = _export(ws, Selector(By.DEAL, deal=number), tmp_path / "a.zip")
    lost = f"{deal_folder(row)}/Договор {number}.docx"
    manifest = manifest_of(result.path)
    assert manifest["missing"] == [lost] and manifest["deals"][0]["missing"] == [lost]
    assert lost in export_summary(result) and "Нет в досье (1" in export_summary(result)
    report = verify_archive(result.path, limits=LIMITS)
    assert report.ok  # the archive is what was exported; the absence is reported, not hidden


def test_an_existing_archive_is_not_overwritten_unless_asked(tmp_path, example_data):
    ws = workspace(tmp_path)
    number = signed_deal(ws, example_data)
    target = tmp_path / "a.zip"
    target.write_bytes(b"keep me")
    with pytest.raises(ArchiveError, match="уже есть"):
        _export(ws, Selector(By.DEAL, deal=number), target)
    assert target.read_bytes() == b"keep me"
    _export(ws, Selector(By.DEAL, deal=number), target, overwrite=True)
    assert verify_archive(target, limits=LIMITS).ok
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["a.zip"]


def test_progress_is_reported_per_deal(tmp_path, example_data):
    ws = workspace(tmp_path)
    numbers = [signed_deal(ws, example_data) for _ in range(3)]
    seen = []
    _export(ws, Selector(By.CLIENT, inn="5027012348"), tmp_path / "a.zip",
            on_deal=lambda done, total, number: seen.append((done, total, number)))
    assert seen == [(i + 1, 3, n) for i, n in enumerate(numbers)]
