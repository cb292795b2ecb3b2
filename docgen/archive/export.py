"""`docgen export`: the deals a selector names, each with its whole dossier and journal, in one ZIP with a manifest.

The store is read in one read-only snapshot and every file is read once, hashed as it is copied, so
the running service is neither stopped nor blocked. The archive is written under a temporary name
beside the target and renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from docgen import __version__
from docgen.archive.journal import journal_json, journal_text, signed_version
from docgen.archive.manifest import JOURNAL_JSON, JOURNAL_TEXT, MANIFEST_NAME, DealRecord, FileRecord, Manifest, Signed
from docgen.archive.selection import Selector, select
from docgen.archive.snapshot import read_snapshot
from docgen.errors import ArchiveError, ConversionError, describe
from docgen.files import create_temp, safe_name
from docgen.render import pdfmarks
from docgen.store import DealRow, Store
from docgen.workflow.dossier import approval_sheet_stem, final_contract_stem, handover_stem
from docgen.workspace import Stage, Workspace

# Already compressed: deflating them again costs time and saves nothing.
STORED_SUFFIXES = frozenset({".docx", ".xlsx", ".pptx", ".pdf", ".zip", ".7z", ".rar", ".gz", ".png", ".jpg",
                             ".jpeg", ".odt", ".ods"})
CHUNK = 1 << 20
# Parts of the bound PDF are kept in memory while copied; a bigger PDF is still copied, just not bound.
BIND_LIMIT = 200_000_000

OnDeal = Callable[[int, int, str], None]


@dataclass
class ExportResult:
    """What an export wrote: the archive, its manifest, the dossiers' size and the archive's."""

    path: Path
    manifest: Manifest
    source_bytes: int = 0
    size: int = 0

    @property
    def deals(self) -> int:
        return len(self.manifest.deals)

    @property
    def files(self) -> int:
        return len(self.manifest.files)


def export_archive(ws: Workspace, selector: Selector, *, target: Path, clock: Callable[[], dt.datetime],
                   on_deal: OnDeal | None = None, overwrite: bool = False) -> ExportResult:
    """Write the archive of the selected deals to `target`; ArchiveError (Russian) when there is nothing to export."""
    target = target.absolute()
    if target.is_dir():
        raise ArchiveError(f"{target} — это папка, а не файл архива: укажите имя файла .zip")
    if target.exists() and not overwrite:
        raise ArchiveError(f"файл {target} уже есть: выберите другое имя или добавьте --force")
    try:
        return _export(ws, selector, target=target, clock=clock, on_deal=on_deal)
    except OSError as exc:
        raise ArchiveError(f"архив {target} не записан: {describe(exc)}") from None


def _export(ws: Workspace, selector: Selector, *, target: Path, clock: Callable[[], dt.datetime],
            on_deal: OnDeal | None) -> ExportResult:
    with read_snapshot(ws) as store:
        rows = select(store, selector)
        manifest = Manifest(docgen=__version__, exported_at=clock().isoformat(timespec="seconds"),
                            selector=selector.as_json())
        result = ExportResult(path=target, manifest=manifest)
        with _aside(target) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            writer = _Writer(zf, manifest, stamp=clock())
            for done, row in enumerate(rows, 1):
                _add_deal(writer, ws=ws, store=store, row=row)
                if on_deal is not None:
                    on_deal(done, len(rows), row.number)
            zf.writestr(writer.info(MANIFEST_NAME), manifest.to_bytes())
        result.source_bytes = writer.source_bytes
    result.size = target.stat().st_size
    return result


def deal_folder(row: DealRow) -> str:
    """The deal's folder in the archive, named as the dossier names a deal: number, then client."""
    return safe_name(f"{row.number} {row.buyer_name}", limit=110)


@contextlib.contextmanager
def _aside(target: Path) -> Iterator[Path]:
    """A temporary file beside `target` (same filesystem, so the final rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_temp(target.parent, prefix=f"~${target.stem}.", suffix=".part")  # mode by the umask
    os.close(fd)
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class _Writer:
    """Adds entries to the ZIP and records each one's SHA-256 and size in the manifest."""

    zf: zipfile.ZipFile
    manifest: Manifest
    stamp: dt.datetime
    names: set[str] = field(default_factory=set)
    source_bytes: int = 0

    def info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.stamp.timetuple()[:6])
        info.compress_type = _compression(name)
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        name = self._unique(name)
        self.zf.writestr(self.info(name), data)
        self.manifest.files.append(FileRecord(name, hashlib.sha256(data).hexdigest(), len(data)))

    def add_file(self, path: Path, name: str, *, keep: bool = False) -> bytes | None:
        """Copy one file into the archive, hashing as it goes; its bytes too when `keep` (for binding)."""
        name = self._unique(name)
        digest, size, kept = hashlib.sha256(), 0, []
        with path.open("rb") as source:
            info = zipfile.ZipInfo.from_file(path, name, strict_timestamps=False)
            info.compress_type = _compression(name)
            stat_size = os.fstat(source.fileno()).st_size
            with self.zf.open(info, "w", force_zip64=stat_size > (1 << 31)) as sink:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    digest.update(chunk)
                    sink.write(chunk)
                    size += len(chunk)
                    if keep and size <= BIND_LIMIT:
                        kept.append(chunk)
        self.source_bytes += size
        self.manifest.files.append(FileRecord(name, digest.hexdigest(), size))
        return b"".join(kept) if keep and size <= BIND_LIMIT else None

    def _unique(self, name: str) -> str:
        # A ZIP may hold one name twice, but then the second hides the first when unpacked.
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        parent, candidate, n = str(PurePosixPath(name).parent), name, 2
        while candidate in self.names:
            candidate, n = f"{parent}/{stem} ({n}){suffix}", n + 1
        self.names.add(candidate)
        return candidate


def _compression(name: str) -> int:
    return zipfile.ZIP_STORED if PurePosixPath(name).suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED


def _add_deal(writer: _Writer, *, ws: Workspace, store: Store, row: DealRow) -> None:
    """The deal's dossier as it is, its journal twice (JSON and Russian text), the bound PDF, its manifest record."""
    folder, dossier = deal_folder(row), ws.root / row.dossier
    versions, entries = store.versions(row.number), store.journal(row.number)
    record = DealRecord(deal=row.number, client=row.buyer_name, inn=row.buyer_inn, stage=row.stage,
                        version=row.version, created_at=row.created_at, contract_date=row.contract_date,
                        folder=folder)
    before = len(writer.manifest.files)
    present = _dossier_files(dossier)
    if not dossier.is_dir():
        writer.manifest.problems.append(f"сделка {row.number}: нет папки досье {row.dossier}")
    kept = _copy_dossier(writer, dossier=dossier, folder=folder, present=present, row=row)
    record.missing = [f"{folder}/{rel}" for rel in expected_files(row, versions=versions, entries=entries)
                      if rel not in present]
    writer.manifest.missing.extend(record.missing)
    writer.add_bytes(f"{folder}/{JOURNAL_JSON}", journal_json(row, versions=versions, entries=entries))
    writer.add_bytes(f"{folder}/{JOURNAL_TEXT}", journal_text(row, versions=versions, entries=entries).encode())
    _add_bound(writer, row=row, folder=folder, kept=kept)
    signed = signed_version(row, versions)
    if signed is not None:
        record.signed = Signed(version=signed["version"], sha256=signed["sha256"],
                               contract=f"{folder}/{final_contract_stem(row.number)}.docx")
    record.files = len(writer.manifest.files) - before
    writer.manifest.deals.append(record)


def _dossier_files(dossier: Path) -> list[str]:
    """Every file of the deal's folder, as POSIX paths inside it; Word's lock files and half-written
    «~$…» files are left out, and so are symbolic links (they may point anywhere on the machine)."""
    if not dossier.is_dir():
        return []
    found = (p for p in dossier.rglob("*") if p.is_file() and not p.is_symlink() and not p.name.startswith("~$"))
    return sorted(p.relative_to(dossier).as_posix() for p in found)


def _copy_dossier(writer: _Writer, *, dossier: Path, folder: str, present: list[str], row: DealRow) -> dict[str, bytes]:
    wanted = {name for name, _title in _bind_parts(row)}
    kept: dict[str, bytes] = {}
    for rel in present:
        try:
            data = writer.add_file(dossier / rel, f"{folder}/{rel}", keep=rel in wanted)
        except FileNotFoundError:  # removed between the listing and the copy: say so, as for any missing file
            writer.manifest.problems.append(f"сделка {row.number}: файл «{rel}» исчез во время выгрузки")
            continue
        except OSError as exc:
            raise ArchiveError(f"файл досье не читается: {dossier / rel} ({exc.strerror or exc})") from None
        if data is not None:
            kept[rel] = data
    return kept


def expected_files(row: DealRow, *, versions: list, entries: list[dict]) -> list[str]:
    """Files the store says the dossier holds (paths inside it): the forms, every contract version, the
    technical documents and, once signed, the contract, the approval sheet and «Ввод в Производство»."""
    out = [f"Формы/v{e['version']} {e['detail']['file']}" for e in entries
           if e["action"] == "accepted" and e.get("detail", {}).get("file")]
    prefix = row.dossier.replace("\\", "/").rstrip("/") + "/"
    out += [v["file"].replace("\\", "/")[len(prefix):] for v in versions
            if v["file"] and v["file"].replace("\\", "/").startswith(prefix)]
    forms = [e["version"] for e in entries if e["action"] == "accepted" and e.get("version")]
    if forms:  # the latest form's attachments, in that version's own folder
        out += [f"Техническая документация/v{max(forms)}/{name}" for name in _attachments(row)]
    if row.stage == Stage.SIGNED:
        out += [f"{final_contract_stem(row.number)}.docx", f"{approval_sheet_stem(row.number)}.docx",
                f"{handover_stem(row.number, row.buyer_name)}.docx"]
    return list(dict.fromkeys(out))


def _attachments(row: DealRow) -> list[str]:
    try:
        return [str(name) for name in json.loads(row.form_json).get("attachments") or []]
    except (json.JSONDecodeError, AttributeError):
        return []


def _bind_parts(row: DealRow) -> list[tuple[str, str]]:
    """(file in the dossier, bookmark title) of the signed documents, in the order they are bound."""
    n = row.number
    return [(f"{final_contract_stem(n)}.pdf", f"Договор {n} с листом согласования"),
            (f"{approval_sheet_stem(n)}.pdf", f"Лист согласования {n}"),
            (f"{handover_stem(n, row.buyer_name)}.pdf", f"Ввод в Производство {n}")]


def _add_bound(writer: _Writer, *, row: DealRow, folder: str, kept: dict[str, bytes]) -> None:
    """One PDF of the signed documents with a bookmark each, from those PDFs that exist."""
    parts = [(title, kept[name]) for name, title in _bind_parts(row) if name in kept]
    if not parts:
        return
    try:
        bound = pdfmarks.bind(parts, title=f"Сделка {row.number}: подписанные документы")
    except ConversionError as exc:
        writer.manifest.problems.append(f"сделка {row.number}: PDF-комплект не собран: {exc}")
        return
    writer.add_bytes(f"{folder}/{bound_name(row.number)}", bound)


def bound_name(number: str) -> str:
    return f"Комплект документов {number}.pdf"
