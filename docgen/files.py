"""Writing and moving files so that a reader never sees half of one and nothing is lost."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from pathlib import Path


# Characters Windows (and so a shared drive) refuses in a name, and control characters.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(text: str, *, limit: int = 120) -> str:
    """A file or folder name any shared drive accepts: forbidden characters become «_»,
    spaces are collapsed, trailing dots and spaces dropped, the length cut to `limit`."""
    name = _FORBIDDEN.sub("_", text)
    name = " ".join(name.split())[:limit].rstrip(" .")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}"
    return name


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path`; the file appears under its name only when complete.

    The temporary file sits in the same folder so `os.replace` is a rename on one filesystem,
    and its name starts with «~$» and a dot-free suffix, which the watcher and Word both ignore.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_temp(path.parent, prefix=f"~${path.stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def create_temp(folder: Path, *, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new empty file `folder/<prefix><random><suffix>`, open for writing: (descriptor, path).

    Unlike tempfile.mkstemp, which always makes 0600, the file gets 0666 less the process umask,
    like any file the process creates: under umask 002 or 022 colleagues on a shared drive can
    open the drafts docgen writes, and the service's umask (systemd UMask=) decides.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def _sync_folder(folder: Path) -> None:
    # The rename itself survives a crash only once the folder entry is flushed (POSIX only).
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some network filesystems refuse fsync on a folder; the data itself is synced
    finally:
        os.close(fd)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem (2).ext` and so on when that is taken."""
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def move_into(source: Path, target: Path, *, content: bytes | None = None, copy: bool = False) -> None:
    """Move `source` to `target`, idempotently: a repeat after a crash finds the work done.

    If `source` is gone, `target` must already hold it, or is written from `content`. If both
    exist with the same bytes (a crash between the copy and the removal), the source is dropped.
    `copy` writes the target and then removes the source instead of renaming: a rename out of
    a watched folder is an unpaired IN_MOVED_FROM, which watchdog holds for 0.5 s at the head
    of its event queue (inotify_move_event_grouper), delaying every event behind it.
    """
    if source == target:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if not source.exists():
        if not target.exists() and content is not None:
            write_atomic(target, content)
        return
    if target.exists() and sha256_file(target) == sha256_file(source):
        source.unlink()
        return
    if copy:
        write_atomic(target, source.read_bytes())
        source.unlink()
        return
    try:
        os.replace(source, target)
    except OSError:  # another filesystem (a share mounted beside the workspace)
        write_atomic(target, source.read_bytes())
        source.unlink()
    _sync_folder(target.parent)


# Names docgen's own writers give a file until it is complete (write_atomic, the mail spool).
PARTIAL_PATTERNS = ("~$*.part", ".*.eml.tmp")


def sweep_partials(folders: list[Path]) -> list[Path]:
    """Remove what a killed docgen left half-written under its temporary names; never a user's file."""
    removed = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for pattern in PARTIAL_PATTERNS:
            for path in folder.rglob(pattern):
                if path.is_file():
                    path.unlink(missing_ok=True)
                    removed.append(path)
    return removed


# Filesystems whose locking SQLite cannot trust: a store on one of them can be corrupted.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre", "gpfs", "davfs",
    "fuse.sshfs", "fuse.glusterfs", "fuse.rclone", "fuse.s3fs", "fuse.davfs2", "fuse.gcsfuse", "fuse.cephfs",
})


def filesystem_type(path: Path, *, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The type of the filesystem holding `path` (its nearest existing folder), from a /proc/mounts
    table; None where there is no such table (not Linux)."""
    try:
        table = mounts.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    target = nearest_existing(path.resolve())
    best, kind = "", None
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = _unescape_mount(fields[1])
        inside = target == Path(point) or Path(point) in target.parents
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def nearest_existing(path: Path) -> Path:
    """`path` itself when it exists, else its nearest existing parent folder."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _unescape_mount(text: str) -> str:
    # /proc/mounts writes a space in a mount point as \040 (tab \011, newline \012, backslash \134).
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)
