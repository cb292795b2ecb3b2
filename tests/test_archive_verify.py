"""docgen verify: every change to an exported archive is named; unsafe archives are refused unread."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
import zipfile

import pytest

from test_archive_kit import LIMITS, Clock, manifest_of, rewrite, signed_deal, workspace
from docgen.archive.export import export_archive
from docgen.archive.selection import By, Selector
from docgen.archive.summary import verify_summary
from docgen.archive.verify import unsafe_reason, verify_archive
from docgen.errors import ArchiveError
from docgen.settings import ArchiveSettings


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, dict]:
    """One real archive of one signed deal, shared by the tests that spoil copies of it."""
    import yaml

    from conftest import EXAMPLE

    tmp = tmp_path_factory.mktemp("verify")
    ws = workspace(tmp)
    number = signed_deal(ws, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    result = export_archive(ws, Selector(By.DEAL, deal=number), target=tmp / "deal.zip", clock=Clock())
    return result.path, manifest_of(result.path)


def _entry(manifest: dict, ending: str) -> str:
    return next(f["path"] for f in manifest["files"] if f["path"].endswith(ending))


def test_one_altered_byte_one_removed_file_and_one_added_file_are_each_named(exported, tmp_path):
    archive, manifest = exported
    form, sheet = _entry(manifest, ".yaml"), _entry(manifest, "Журнал.txt")
    with zipfile.ZipFile(archive) as zf:
        data = bytearray(zf.read(form))
    data[10] ^= 0x01
    spoiled = rewrite(archive, tmp_path / "spoiled.zip", change={form: bytes(data), sheet: None},
                      add={"2026-0001 лишнее/письмо.eml": b"From: x\n\nhello"})
    report = verify_archive(spoiled, limits=LIMITS)
    assert not report.ok
    assert (report.altered, report.missing, report.extra) == ([form], [sheet], ["2026-0001 лишнее/письмо.eml"])
    text = verify_summary(report)
    assert f"изменён: {form}" in text and f"отсутствует в архиве: {sheet}" in text
    assert "лишний файл, которого нет в manifest.json: 2026-0001 лишнее/письмо.eml" in text


def test_a_signed_contract_changed_together_with_its_manifest_record_is_still_caught(exported, tmp_path):
    archive, manifest = exported
    contract = manifest["deals"][0]["signed"]["contract"]
    forged = b"PK\x03\x04 another contract"
    manifest = json.loads(json.dumps(manifest))
    for record in manifest["files"]:
        if record["path"] == contract:
            record["sha256"], record["size"] = hashlib.sha256(forged).hexdigest(), len(forged)
    spoiled = rewrite(archive, tmp_path / "forged.zip", change={
        contract: forged, "manifest.json": json.dumps(manifest, ensure_ascii=False).encode()})
    report = verify_archive(spoiled, limits=LIMITS)
    assert report.altered == [] and not report.ok
    assert report.signed_mismatch and "подписанный договор" in report.signed_mismatch[0]


def test_an_untouched_archive_verifies(exported):
    archive, manifest = exported
    report = verify_archive(archive, limits=LIMITS)
    assert report.ok and report.checked == len(manifest["files"])
    assert "Архив в порядке: сделок 1" in verify_summary(report)


@pytest.mark.parametrize("name, why", [
    ("../../x.txt", "«..»"), ("/etc/cron.d/x", "абсолютный путь"), ("C:/Windows/x.dll", "буква диска"),
    ("deal\\..\\..\\x", "обратная косая черта"), ("a/b/../../../x", "«..»"),
])
def test_entries_that_leave_the_folder_are_refused(exported, tmp_path, name, why):
    archive, _ = exported
    spoiled = rewrite(archive, tmp_path / "evil.zip", add={name: b"owned"})
    before = set(os.listdir(tmp_path))
    with pytest.raises(ArchiveError, match="архив отвергнут") as caught:
        verify_archive(spoiled, limits=LIMITS)
    assert name in str(caught.value) and why in str(caught.value)
    assert set(os.listdir(tmp_path)) == before and not (tmp_path.parent / "x.txt").exists()


def test_safe_names_pass():
    for name in ("2026-0001 ООО «Ромашка & Ко»/Версии/2026-0001 v1 Договор.docx", "manifest.json", "a/..b/c..d"):
        assert unsafe_reason(name) is None


def test_a_zip_bomb_stops_at_the_ratio_limit(exported, tmp_path):
    archive, _ = exported
    bomb = rewrite(archive, tmp_path / "bomb.zip", add={"2026-0001/нули.bin": bytes(30_000_000)})
    with pytest.raises(ArchiveError, match="сжат в .* раз, больше предела 200.*ZIP-бомбу"):
        verify_archive(bomb, limits=LIMITS)


def test_the_total_size_limit_comes_from_the_settings(exported):
    archive, _ = exported
    with pytest.raises(ArchiveError, match="больше предела 10 000 .*archive.max_bytes"):
        verify_archive(archive, limits=ArchiveSettings(max_bytes=10_000))


def test_sizes_that_lie_stop_the_inflation_at_the_declared_size(tmp_path):
    """A header that understates the unpacked size: zipfile stops inflating at the declared size and the
    CRC then fails, so the entry is named as damaged and nothing past the limit is ever produced."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "docgen-archive/1", "docgen": "0", "exported_at": "",
                                                 "selector": {}, "deals": [], "files": []}))
        zf.writestr("a/big.bin", bytes(3_000_000))
    data = buffer.getvalue()
    size = (3_000_000).to_bytes(4, "little")
    assert data.count(size) == 2  # the local and the central header
    (tmp_path / "liar.zip").write_bytes(data.replace(size, (1000).to_bytes(4, "little")))
    report = verify_archive(tmp_path / "liar.zip", limits=ArchiveSettings(max_bytes=2_000_000))
    assert not report.ok and report.damaged[0].startswith("a/big.bin")


def test_not_a_zip_a_truncated_zip_and_no_manifest_are_clear_messages(exported, tmp_path):
    archive, _ = exported
    (tmp_path / "text.zip").write_text("это не архив", encoding="utf-8")
    with pytest.raises(ArchiveError, match="не ZIP-архив, или файл обрезан"):
        verify_archive(tmp_path / "text.zip", limits=LIMITS)
    data = archive.read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    # Cut in half, the archive may end inside a stored DOCX, itself a ZIP that zipfile then reads.
    with pytest.raises(ArchiveError, match="обрезан"):
        verify_archive(tmp_path / "cut.zip", limits=LIMITS)
    bare = rewrite(archive, tmp_path / "bare.zip", change={"manifest.json": None})
    with pytest.raises(ArchiveError, match="нет manifest.json"):
        verify_archive(bare, limits=LIMITS)
    with pytest.raises(ArchiveError, match="нет"):
        verify_archive(tmp_path / "absent.zip", limits=LIMITS)


def test_a_damaged_entry_is_named(exported, tmp_path):
    archive, manifest = exported
    form = _entry(manifest, ".yaml")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(form)
    start = info.header_offset + 30 + len(info.orig_filename.encode("utf-8")) + len(info.extra)
    data[start + 5] ^= 0xFF  # inside the compressed data: CRC or inflate fails
    (tmp_path / "rot.zip").write_bytes(bytes(data))
    report = verify_archive(tmp_path / "rot.zip", limits=LIMITS)
    assert not report.ok and report.damaged and report.damaged[0].startswith(form)
    assert "повреждён" in verify_summary(report)
