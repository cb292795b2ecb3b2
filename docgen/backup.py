"""`docgen backup` and `docgen restore`: the store and docgen.toml in one ZIP with a manifest.

The store is copied with SQLite's online backup (never a file copy): the copy is consistent even
while the service writes, and the service need not stop. The documents themselves live in the
workspace folders (clients/, outbox/, archive/) and are backed up with them by the usual file backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from docgen import __version__
from docgen.errors import StoreError
from docgen.files import create_temp, sha256_file
from docgen.migrations import backup_copy, backup_name, stored_version
from docgen.settings import SETTINGS_FILE
from docgen.store import BACKUPS, DB_NAME
from docgen.workspace import Workspace

MANIFEST = "manifest.json"
KIND = "docgen-backup"


def make_backup(ws: Workspace, target: Path, *, now: dt.datetime) -> dict[str, Any]:
    """Write the backup ZIP to `target` (atomically) and return its manifest."""
    db = ws.state / DB_NAME
    if not db.is_file():
        raise StoreError(f"Базы нет ({db}): служба ещё не запускалась, копировать нечего")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".docgen-backup-", dir=target.parent) as work:
        copy = Path(work) / DB_NAME
        source = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            backup_copy(source, copy)
        finally:
            source.close()
        files = {DB_NAME: copy}
        if (ws.root / SETTINGS_FILE).is_file():
            files[SETTINGS_FILE] = ws.root / SETTINGS_FILE
        manifest = _manifest(ws, copy, files, now=now)
        _write_zip(target, files, manifest)
    return manifest


def _manifest(ws: Workspace, copy: Path, files: dict[str, Path], *, now: dt.datetime) -> dict[str, Any]:
    conn = sqlite3.connect(copy)
    try:
        schema = stored_version(conn)
        deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0]
    finally:
        conn.close()
    return {"kind": KIND, "docgen": __version__, "created_at": now.isoformat(timespec="seconds"),
            "workspace": str(ws.root), "schema": schema, "deals": deals,
            "files": [{"name": name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
                      for name, path in files.items()]}


def _write_zip(target: Path, files: dict[str, Path], manifest: dict[str, Any]) -> None:
    fd, tmp = create_temp(target.parent, prefix=f"~${target.stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in files.items():
                archive.write(path, name)
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_backup(path: Path) -> dict[str, Any]:
    """The manifest of a backup ZIP, after checking every file against it; StoreError if anything is off."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("kind") != KIND:
                raise StoreError(f"«{path.name}» — не резервная копия docgen")
            for item in manifest["files"]:
                if _sha256(archive, item["name"]) != item["sha256"]:
                    raise StoreError(f"«{path.name}»: файл {item['name']} повреждён (не сходится SHA-256)")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise StoreError(f"«{path.name}» не читается как резервная копия docgen: {exc}") from None
    return manifest


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def restore_backup(ws: Workspace, source: Path, *, now: dt.datetime, force: bool = False) -> list[str]:
    """Put the store (and docgen.toml, when the workspace has none) of a backup into `ws`.

    The service must be stopped. An existing store is refused unless `force`, which first moves it
    to .docgen/backups/. Returns what was done, in Russian, for the CLI to print.
    """
    manifest = read_backup(source)
    db = ws.state / DB_NAME
    done = []
    if db.exists():
        if not force:
            raise StoreError(f"В {ws.state} уже есть база: остановите службу и повторите с --force "
                             "(нынешняя база будет сохранена в .docgen/backups/)")
        aside = ws.state / BACKUPS / backup_name(_schema_of(db), now=now).replace(".sqlite3", "-до-восстановления.sqlite3")
        conn = sqlite3.connect(db)  # copied through SQLite, so what its -wal journal holds is included
        try:
            backup_copy(conn, aside)
        finally:
            conn.close()
        done.append(f"прежняя база сохранена: {aside}")
    for leftover in (db, db.with_name(DB_NAME + "-wal"), db.with_name(DB_NAME + "-shm")):
        leftover.unlink(missing_ok=True)
    ws.state.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as archive:
        _extract(archive, DB_NAME, db)
        if SETTINGS_FILE in {item["name"] for item in manifest["files"]}:
            done.append(_restore_settings(archive, ws.root / SETTINGS_FILE))
    done.insert(0, f"база восстановлена: {manifest['deals']} сделок, схема {manifest['schema']}, "
                   f"копия от {manifest['created_at']}")
    return done


def _restore_settings(archive: zipfile.ZipFile, settings: Path) -> str:
    """docgen.toml from the backup in place of a missing or untouched one (as `docgen init` wrote it);
    a workspace's own settings are kept, and the backup's put beside them to compare."""
    from docgen.layout import commented_toml

    if not settings.exists() or settings.read_text(encoding="utf-8") == commented_toml():
        _extract(archive, SETTINGS_FILE, settings)
        return f"восстановлен {SETTINGS_FILE}"
    beside = settings.with_name(f"{SETTINGS_FILE}.из-резервной-копии")
    _extract(archive, SETTINGS_FILE, beside)
    return f"{SETTINGS_FILE} рабочего пространства оставлен как есть; настройки из копии — в {beside.name}"


def _schema_of(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return stored_version(conn)
    finally:
        conn.close()


def _extract(archive: zipfile.ZipFile, name: str, target: Path) -> None:
    fd, tmp = create_temp(target.parent, prefix=f"~${target.stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle, archive.open(name) as member:
            for chunk in iter(lambda: member.read(1 << 20), b""):
                handle.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
