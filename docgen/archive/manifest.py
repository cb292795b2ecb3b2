"""The archive's manifest.json: what an export holds, file by file, and how `verify` reads it back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from docgen.errors import ArchiveError

MANIFEST_NAME = "manifest.json"
FORMAT = "docgen-archive/1"
JOURNAL_JSON = "journal.json"
JOURNAL_TEXT = "Журнал.txt"


@dataclass(frozen=True)
class FileRecord:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Signed:
    """The signed version as the store recorded it, and where its contract sits in the archive."""

    version: int
    sha256: str
    contract: str


@dataclass
class DealRecord:
    deal: str
    client: str
    inn: str
    stage: str
    version: int
    created_at: str
    contract_date: str
    folder: str
    signed: Signed | None = None
    files: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    docgen: str
    exported_at: str
    selector: dict[str, Any]
    deals: list[DealRecord] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    format: str = FORMAT

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2).encode("utf-8")


def load_manifest(data: bytes) -> Manifest:
    """Parse and check the shape of a manifest; ArchiveError in Russian when it is not one of ours."""
    try:
        raw = json.loads(data.decode("utf-8"))
        if raw.get("format") != FORMAT:
            raise ArchiveError(f"{MANIFEST_NAME}: неизвестный формат «{raw.get('format')}», ожидался {FORMAT}")
        deals = [_deal(d) for d in raw["deals"]]
        files = [FileRecord(path=str(f["path"]), sha256=str(f["sha256"]), size=int(f["size"])) for f in raw["files"]]
        return Manifest(docgen=str(raw["docgen"]), exported_at=str(raw["exported_at"]), selector=raw["selector"],
                        deals=deals, files=files, missing=[str(m) for m in raw.get("missing", [])],
                        problems=[str(p) for p in raw.get("problems", [])])
    except RecursionError:  # JSON nested thousands deep: no manifest of ours is
        raise ArchiveError(f"{MANIFEST_NAME} повреждён: данные вложены слишком глубоко") from None
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"{MANIFEST_NAME} повреждён или неполон ({type(exc).__name__}: {exc})") from None


def _deal(raw: dict[str, Any]) -> DealRecord:
    signed = raw.get("signed")
    return DealRecord(
        deal=str(raw["deal"]), client=str(raw["client"]), inn=str(raw["inn"]), stage=str(raw["stage"]),
        version=int(raw["version"]), created_at=str(raw["created_at"]), contract_date=str(raw["contract_date"]),
        folder=str(raw["folder"]), files=int(raw.get("files", 0)), missing=[str(m) for m in raw.get("missing", [])],
        signed=Signed(version=int(signed["version"]), sha256=str(signed["sha256"]),
                      contract=str(signed["contract"])) if signed else None)
