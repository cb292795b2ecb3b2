"""`docgen verify`: an archive checked against its manifest and the recorded hashes of the signed contracts.

Entries are read as streams straight from the ZIP and hashed; nothing is unpacked to disk. Names
that could escape a folder are refused before anything is read, and so is an archive whose
declared sizes or compression ratios exceed the limits of `[archive]` in docgen.toml; the bytes
actually read are counted too, in case the declared sizes lie.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from docgen.archive.manifest import JOURNAL_JSON, MANIFEST_NAME, Manifest, load_manifest
from docgen.errors import ArchiveError
from docgen.settings import ArchiveSettings

CHUNK = 1 << 20
MANIFEST_LIMIT = 64_000_000
# Below this size a high ratio is harmless (a page of spaces); the total limit covers many small files.
RATIO_FLOOR = 1_000_000
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Actual:
    sha256: str
    size: int


@dataclass
class VerifyReport:
    """What the check found; `ok` when nothing is missing, extra, altered or damaged."""

    manifest: Manifest
    checked: int = 0
    size: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    signed_mismatch: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.altered or self.damaged or self.signed_mismatch)


def verify_archive(path: Path, *, limits: ArchiveSettings) -> VerifyReport:
    """Check `path`; ArchiveError when it cannot be checked at all (not a ZIP, unsafe names, a bomb)."""
    if not path.is_file():
        raise ArchiveError(f"файла {path} нет")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            refuse_unsafe(infos, limits=limits)
            manifest = load_manifest(_read_small(zf, _manifest_info(infos)))
            actual, journals, damaged = _hash_entries(zf, infos, limit=limits.max_bytes)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveError(f"{path.name}: это не ZIP-архив, или файл обрезан или повреждён ({exc})") from None
    report = VerifyReport(manifest=manifest, damaged=damaged)
    _compare(report, actual)
    _check_signed(report, actual, journals)
    return report


def unsafe_reason(name: str) -> str | None:
    """Why an entry name could land outside the folder it is unpacked into, if it could."""
    if "\\" in name:
        return "обратная косая черта в имени"
    if name.startswith("/"):
        return "абсолютный путь"
    if _DRIVE.match(name):
        return "буква диска"
    if ".." in name.split("/"):
        return "выход из папки через «..»"
    if any(ord(ch) < 32 for ch in name):
        return "управляющий символ в имени"
    return None


def refuse_unsafe(infos: list[zipfile.ZipInfo], *, limits: ArchiveSettings) -> None:
    """Refuse the whole archive on a dangerous name, a repeated name, encryption or a ZIP bomb."""
    bad = [f"«{i.orig_filename}»: {why}" for i in infos
           for why in [unsafe_reason(i.orig_filename) or unsafe_reason(i.filename)] if why]
    if bad:
        raise ArchiveError("архив отвергнут: имена файлов ведут за пределы папки распаковки:\n  "
                           + "\n  ".join(bad[:20]) + (f"\n  … и ещё {len(bad) - 20}" if len(bad) > 20 else ""))
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ArchiveError(f"архив отвергнут: одно имя встречается дважды: {', '.join(twice[:10])}")
    if any(i.flag_bits & 0x1 for i in infos):
        raise ArchiveError("архив отвергнут: в нём зашифрованные файлы, docgen такие не выгружает")
    _refuse_bomb(infos, limits=limits)


def _refuse_bomb(infos: list[zipfile.ZipInfo], *, limits: ArchiveSettings) -> None:
    total = sum(i.file_size for i in infos)
    if total > limits.max_bytes:
        raise ArchiveError(f"архив отвергнут: после распаковки он занял бы {total:,} байт, больше предела "
                           f"{limits.max_bytes:,} (archive.max_bytes) — похоже на ZIP-бомбу".replace(",", " "))
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise ArchiveError(f"архив отвергнут: «{i.filename}» сжат в {ratio:.0f} раз, больше предела "
                               f"{limits.max_ratio} (archive.max_ratio) — похоже на ZIP-бомбу")


def _manifest_info(infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    for info in infos:
        if info.filename == MANIFEST_NAME:
            return info
    raise ArchiveError(f"в архиве нет {MANIFEST_NAME}: это не архив docgen export, или он обрезан или повреждён")


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MANIFEST_LIMIT) -> bytes:
    if info.file_size > limit:
        raise ArchiveError(f"{info.filename} больше {limit} байт: это не манифест docgen")
    with zf.open(info) as stream:
        return stream.read(limit + 1)[:limit]


def _hash_entries(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], *,
                  limit: int) -> tuple[dict[str, Actual], dict[str, bytes], list[str]]:
    """SHA-256 and size of every entry; the deals' journal.json kept; entries whose data is broken."""
    actual: dict[str, Actual] = {}
    journals: dict[str, bytes] = {}
    damaged: list[str] = []
    budget = limit
    for info in infos:
        if info.filename == MANIFEST_NAME:
            continue
        try:
            entry, data = _hash_one(zf, info, budget=budget, keep=info.filename.endswith(f"/{JOURNAL_JSON}"))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            damaged.append(f"{info.filename} ({exc})")
            continue
        budget -= entry.size
        actual[info.filename] = entry
        if data is not None:
            journals[info.filename] = data
    return actual, journals, damaged


def _hash_one(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, budget: int, keep: bool) -> tuple[Actual, bytes | None]:
    digest, size, kept = hashlib.sha256(), 0, []
    with zf.open(info) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            size += len(chunk)
            if size > budget:  # the declared sizes lied: stop here rather than inflate without end
                raise ArchiveError(f"архив отвергнут: при чтении «{info.filename}» превышен предел распаковки "
                                   "(archive.max_bytes) — похоже на ZIP-бомбу")
            digest.update(chunk)
            if keep and size <= MANIFEST_LIMIT:
                kept.append(chunk)
    return Actual(digest.hexdigest(), size), (b"".join(kept) if keep else None)


def _compare(report: VerifyReport, actual: dict[str, Actual]) -> None:
    listed = {f.path: f for f in report.manifest.files}
    for name, record in listed.items():
        found = actual.get(name)
        if found is None:
            if not any(d.startswith(f"{name} (") for d in report.damaged):
                report.missing.append(name)
        elif (found.sha256, found.size) != (record.sha256, record.size):
            report.altered.append(name)
    report.extra = sorted(name for name in actual if name not in listed)
    report.checked = len(actual)
    report.size = sum(a.size for a in actual.values())


def _check_signed(report: VerifyReport, actual: dict[str, Actual], journals: dict[str, bytes]) -> None:
    """Each signed contract against the hash the store recorded for the signed version (manifest and journal.json)."""
    for deal in report.manifest.deals:
        if deal.signed is None or deal.signed.contract in report.manifest.missing:
            continue
        found = actual.get(deal.signed.contract)
        if found is not None and found.sha256 != deal.signed.sha256:
            report.signed_mismatch.append(
                f"сделка {deal.deal}: подписанный договор «{deal.signed.contract}» не совпадает с SHA-256 "
                f"подписанной версии v{deal.signed.version} из журнала")
        recorded = _journal_sha(journals.get(f"{deal.folder}/{JOURNAL_JSON}"), deal.signed.version)
        if recorded is not None and recorded != deal.signed.sha256:
            report.signed_mismatch.append(
                f"сделка {deal.deal}: SHA-256 подписанной версии в {JOURNAL_JSON} и в {MANIFEST_NAME} различаются")


def _journal_sha(data: bytes | None, version: int) -> str | None:
    if data is None:
        return None
    try:
        versions = json.loads(data.decode("utf-8"))["versions"]
        return next((str(v["sha256"]) for v in versions if v["version"] == version), None)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, RecursionError):
        return None
