"""What the deal page shows: the essentials, the route, versions with what changed, documents, letters, journal.

Files are found by listing the deal's dossier; a download names a file by an id made from its place
in that listing, never by a path taken from the request.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.compare import Comparison, compare_docx
from docgen.errors import DocumentUnreadable
from docgen.form.deal import Deal, thaw
from docgen.mail.notice import KIND_TITLES
from docgen.settings import Settings
from docgen.store import DealRow, Store
from docgen.web.people import role_title
from docgen.workflow.stages import action_title
from docgen.workspace import Workspace

FOLDER_TITLES = {"": "Документы сделки", "Версии": "Версии договора", "Замечания": "Замечания",
                 "Формы": "Формы сделки", "Техническая документация": "Техническая документация", "Письма": "Письма"}
ORIGIN_TITLES = {"form": "форма менеджера"}
MAIL_STATUS = {"queued": "в очереди", "sent": "отправлено", "failed": "не отправлено"}


@dataclass(frozen=True)
class DealFile:
    id: str
    folder: str  # the folder inside the dossier ('' for its root)
    name: str
    size: int
    path: Path

    @property
    def folder_title(self) -> str:
        return FOLDER_TITLES.get(self.folder, self.folder)


@dataclass(frozen=True)
class VersionView:
    version: int
    origin: str
    created_at: str
    sha256: str
    file: DealFile | None
    comparison: Comparison | None
    problem: str  # why there is no comparison, when there should be one


@dataclass(frozen=True)
class RouteStep:
    stage: str
    title: str
    state: str  # done | current | ahead


def _file_id(relative: str) -> str:
    return hashlib.sha256(relative.encode("utf-8")).hexdigest()[:20]


def deal_files(ws: Workspace, row: DealRow) -> list[DealFile]:
    """Every regular file of the deal's dossier and its folders, one level deep; links are not followed."""
    root = ws.root / row.dossier
    if not root.is_dir():
        return []
    out = _listing(root, "")
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            out += _listing(Path(entry.path), entry.name)
    return out


def _listing(folder: Path, name: str) -> list[DealFile]:
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file(follow_symlinks=False) and not entry.name.startswith(("~$", ".")):
            relative = f"{name}/{entry.name}" if name else entry.name
            out.append(DealFile(_file_id(relative), name, entry.name, entry.stat(follow_symlinks=False).st_size,
                                Path(entry.path)))
    return out


def file_by_id(ws: Workspace, row: DealRow, *, file_id: str) -> DealFile | None:
    return next((f for f in deal_files(ws, row) if f.id == file_id), None)


def versions(ws: Workspace, store: Store, *, row: DealRow, files: list[DealFile]) -> list[VersionView]:
    """Each version of the contract, newest first, with what changed against the one before it."""
    by_path = {f.path: f for f in files}
    recorded = store.versions(row.number)
    out = []
    previous = None
    for v in recorded:
        path = ws.root / v["file"] if v["file"] else None
        comparison, problem = None, ""
        if previous is not None:
            comparison, problem = compare_versions(previous, path)
        out.append(VersionView(v["version"], origin_title(ws.settings, v["origin"]), v["created_at"], v["sha256"] or "",
                               by_path.get(path) if path else None, comparison, problem))
        previous = path
    return out[::-1]


def compare_versions(old: Path | None, new: Path | None) -> tuple[Comparison | None, str]:
    """The comparison of two version files, or why there is none."""
    if old is None or new is None or not old.is_file() or not new.is_file():
        return None, "файла одной из версий нет в досье"
    try:
        return _compared(str(old), str(new), old_stamp=_stamp(old), new_stamp=_stamp(new)), ""
    except DocumentUnreadable as exc:
        return None, str(exc)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=128)
def _compared(old: str, new: str, *, old_stamp: tuple[int, int], new_stamp: tuple[int, int]) -> Comparison:
    """Comparisons are kept while their files stay as they were (the stamps are part of the key)."""
    return compare_docx(Path(old).read_bytes(), Path(new).read_bytes())


def origin_title(settings: Settings, origin: str) -> str:
    if origin.startswith("edit:"):
        return f"правка: {role_title(settings, origin.split(':', 1)[1])}"
    return ORIGIN_TITLES.get(origin, origin)


def route(item: dict[str, Any]) -> list[RouteStep]:
    """The route of the deal's status (each stage passed, current or ahead) and, at its end, the signing."""
    steps = [RouteStep(r["role"], r["title"], "done" if r["state"] == "passed" else r["state"])
             for r in item.get("route") or []]
    signed = item["stage"] == "signed"
    return steps + [RouteStep("signed", "подписана", "done" if signed else "ahead")]


def journal(store: Store, settings: Settings, *, number: str) -> list[dict[str, Any]]:
    return [{**e, "action_title": action_title(e["action"], e["role"]),
             "role_title": role_title(settings, e["role"]) if e["role"] not in ("manager", "system") else
             {"manager": "менеджер", "system": "docgen"}[e["role"]]} for e in store.journal(number)]


def letters(store: Store, number: str) -> list[dict[str, Any]]:
    rows = store.conn.execute("SELECT kind, recipients, subject, status, created_at, sent_at, last_error "
                              "FROM mail_notices WHERE deal = ? ORDER BY seq", (number,)).fetchall()
    return [{**dict(r), "recipients": json.loads(r["recipients"]), "kind_title": KIND_TITLES.get(r["kind"], r["kind"]),
             "status_title": MAIL_STATUS.get(r["status"], r["status"])} for r in rows]


def essentials(row: DealRow) -> Deal:
    """The five essentials as the accepted form gave them."""
    return thaw(row.form_json)
