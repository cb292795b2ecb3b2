"""`docgen backup` and `docgen restore`: the store and docgen.toml in one ZIP with a manifest.

The store is copied with SQLite's online backup (never a file copy): the copy is consistent even
while the service writes, and the service need not stop. A PostgreSQL store ([store] url) is dumped by
PostgreSQL's own pg_dump (one consistent snapshot as well) into the same ZIP, and restored with pg_restore. The documents themselves live in the
workspace folders (clients/, outbox/, archive/) and are backed up with them by the usual file backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
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
PG_DUMP = "docgen.pgdump"  # pg_dump's custom format, in a backup of a PostgreSQL store


def make_backup(ws: Workspace, target: Path, *, now: dt.datetime) -> dict[str, Any]:
    """Write the backup ZIP to `target` (atomically) and return its manifest."""
    if ws.settings.store.url:
        return _postgres_backup(ws, target, now=now)
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


def _postgres_backup(ws: Workspace, target: Path, *, now: dt.datetime) -> dict[str, Any]:
    """pg_dump of the store (custom format) and docgen.toml in the ZIP; StoreError saying what to use without it."""
    from docgen.engines import connect_postgres, password_from, safe_url

    settings = ws.settings.store
    dump = shutil.which("pg_dump")
    if dump is None:
        raise StoreError("база в PostgreSQL копируется программой pg_dump, а её на этом компьютере нет: установите "
                         "клиент PostgreSQL (apt install postgresql-client) или снимайте копию на сервере базы: "
                         f"pg_dump --format=custom --file=docgen.pgdump '{safe_url(settings.url)}'")
    password = password_from(settings.password_env)
    conn = connect_postgres(settings.url, password=password, timeout=settings.lock_timeout)
    try:
        schema = stored_version(conn)
        deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0] if schema else 0
    finally:
        conn.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | ({"PGPASSWORD": password} if password is not None else {})
    with tempfile.TemporaryDirectory(prefix=".docgen-backup-", dir=target.parent) as work:
        copy = Path(work) / PG_DUMP
        done = subprocess.run([dump, "--format=custom", "--no-owner", "--no-password", f"--file={copy}",
                               settings.url], env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise StoreError(f"pg_dump не сделал копию базы {safe_url(settings.url)}: "
                             f"{done.stderr.strip()[-500:] or done.returncode}")
        files = {PG_DUMP: copy}
        if (ws.root / SETTINGS_FILE).is_file():
            files[SETTINGS_FILE] = ws.root / SETTINGS_FILE
        manifest = {"kind": KIND, "docgen": __version__, "created_at": now.isoformat(timespec="seconds"),
                    "workspace": str(ws.root), "engine": "postgresql", "schema": schema, "deals": deals,
                    "files": [{"name": name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
                              for name, path in files.items()]}
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
    if manifest.get("engine") == "postgresql":
        raise StoreError(f"это копия базы PostgreSQL: её восстанавливает pg_restore. Распакуйте {PG_DUMP} из "
                         f"«{source.name}» и выполните: pg_restore --clean --if-exists --no-owner "
                         f"--dbname='postgresql://…' {PG_DUMP} (docs/admin.md, «PostgreSQL»)")
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
