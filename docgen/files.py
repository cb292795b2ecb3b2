"""Writing and moving files so that a reader never sees half of one and nothing is lost."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import time
from pathlib import Path

from docgen.errors import FileConflict, UnsafeFile, UnsafePath
from docgen.printable import invisible

# Characters Windows (and so a shared drive) refuses in a name, and control characters.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# A name may take 255 bytes on most filesystems. A name from outside (a dropped file) keeps room for
# what docgen adds around it: « (12)», «.errors.txt», «v12 »; a name docgen composes (a draft's
# stem, ≤ 110 characters) keeps «.docx» — and stays as it was for names docgen composed before.
NAME_BYTES = 200
STEM_BYTES = 230
_SUFFIX_CHARS = 16


def safe_name(text: str, *, limit: int = 120, max_bytes: int = STEM_BYTES) -> str:
    """A file or folder name any shared drive accepts: forbidden, control, bidi and zero-width
    characters (and bytes that were not UTF-8) become «_», spaces are collapsed, trailing dots and
    spaces dropped, the length cut to `limit` characters and `max_bytes` bytes of UTF-8."""
    name = _FORBIDDEN.sub("_", "".join("_" if invisible(ch) else ch for ch in text))
    name = _cut_bytes(" ".join(name.split())[:limit], max_bytes).rstrip(" .")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}"
    return name


def fit_name(name: str, *, max_bytes: int = NAME_BYTES) -> str:
    """A file name from outside (a dropped file, a ZIP entry) cleaned like safe_name, its extension kept."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > _SUFFIX_CHARS:
        return safe_name(name, limit=max_bytes, max_bytes=max_bytes)
    suffix = safe_name(suffix, limit=_SUFFIX_CHARS, max_bytes=_SUFFIX_CHARS)
    return safe_name(stem, limit=max_bytes, max_bytes=max_bytes - len(suffix.encode()) - 1) + "." + suffix


def _cut_bytes(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max(max_bytes, 1)].decode("utf-8", errors="ignore")


def original_name(name: str) -> str:
    """A name as it was on disk, as text the journal can keep: bytes that were not UTF-8 as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def within(root: Path, path: Path) -> Path:
    """`path`, once it is certain to lie inside `root`: every path docgen builds from settings,
    form values, deal numbers or stored relative paths goes through here (UnsafePath otherwise).

    The check is on the words of the path (no «..» out, not absolute elsewhere), not on where
    symbolic links lead: folders an administrator linked in on purpose stay usable.
    """
    base = os.path.normpath(os.path.abspath(root))
    full = os.path.normpath(os.path.abspath(path))
    if full != base and not full.startswith(base.rstrip(os.sep) + os.sep):
        raise UnsafePath(f"путь «{original_name(str(path))}» выходит за пределы рабочего пространства {root}")
    return path


# ---------------------------------------------------------------- files people drop


def entry_reason(path: Path) -> str | None:
    """Why docgen will not read a dropped entry through, or None for a plain file: a symbolic link
    (it may point anywhere on the machine), a hard link (its other name may be anywhere), a device,
    a pipe or a socket. Never follows the entry itself."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return _reason(st, path)


def _reason(st: os.stat_result, path: Path) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        try:
            where = original_name(os.readlink(path))
        except OSError:
            where = "?"
        return f"это символическая ссылка (на «{where}»), а не файл; docgen не читает файлы по ссылкам"
    if not stat.S_ISREG(st.st_mode):
        return "это не обычный файл (устройство, канал или сокет); docgen такие не читает"
    if st.st_nlink > 1:
        return (f"это жёсткая ссылка: у файла есть ещё {st.st_nlink - 1} имя(имени) в других папках; "
                "docgen не читает файлы, которые могут быть чужими; положите копию файла")
    return None


def read_plain(path: Path, *, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of a dropped file and its stat, read without following a link (UnsafeFile otherwise).

    `limit`: read at most that many bytes plus one, so a caller can tell a file that is too big.
    O_NONBLOCK keeps a named pipe from hanging the open; O_NOFOLLOW refuses a link atomically.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(path.name, entry_reason(path) or "это символическая ссылка") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        why = _reason(st, path)
        if why:
            raise UnsafeFile(path.name, why)
        data = handle.read() if limit is None else handle.read(limit + 1)
    return data, st


def holds(path: Path, content: bytes) -> bool:
    """Whether the plain file at `path` holds exactly `content` (a link or a changed file does not)."""
    try:
        data, _ = read_plain(path, limit=len(content))
    except (UnsafeFile, OSError):
        return False
    return data == content


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path`; the file appears under its name only when complete.

    The temporary file sits in the same folder so `os.replace` is a rename on one filesystem,
    and its name starts with «~$» and a dot-free suffix, which the watcher and Word both ignore.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # A short prefix of the name: the temporary name must fit where the final one just fits.
    fd, tmp = create_temp(path.parent, prefix=f"~${_cut_bytes(path.stem, 40)}.", suffix=".part")
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
    """`folder/name`, or `folder/stem (2).ext` and so on when that is taken; `name` cleaned and
    shortened first (fit_name), so whatever a person named a file, the result can be written."""
    name = fit_name(name)
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while os.path.lexists(candidate):
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def move_into(source: Path, target: Path, *, content: bytes | None = None, copy: bool = False) -> None:
    """Move `source` to `target`, idempotently: a repeat after a crash finds the work done.

    With `content` (the bytes a step recorded), the step finishes with exactly those bytes: a
    `source` that no longer holds them (a form re-saved under the same name meanwhile, a link put
    in its place) is a new input and stays where it is, and `target` is written from `content`.
    If `source` is gone, `target` must already hold it, or is written from `content`. If both hold
    the same bytes (a crash between the copy and the removal), the source is dropped. A different
    file already at `target` is never replaced (FileConflict).
    `copy` writes the target and then removes the source instead of renaming: a rename out of
    a watched folder is an unpaired IN_MOVED_FROM, which watchdog holds for 0.5 s at the head
    of its event queue (inotify_move_event_grouper), delaying every event behind it.
    """
    if source == target:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if content is not None and not holds(source, content):
        _write_or_find(target, content)
        return
    if not os.path.lexists(source):
        if content is not None:
            _write_or_find(target, content)
        return
    if content is None:
        _rename(source, target)
        return
    if os.path.lexists(target):
        if not holds(target, content):
            raise FileConflict(target)
        source.unlink()
        return
    if copy:
        write_atomic(target, content)
        source.unlink()
        return
    _rename(source, target)


def _rename(source: Path, target: Path) -> None:
    """A plain file renamed (copied across filesystems), its bytes never held in memory whole."""
    why = entry_reason(source)
    if why:
        raise UnsafeFile(source.name, why)
    if os.path.lexists(target):
        if entry_reason(target) or sha256_file(target) != sha256_file(source):
            raise FileConflict(target)
        source.unlink()
        return
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # another filesystem (a share mounted beside the workspace)
            raise
        fd, tmp = create_temp(target.parent, prefix=f"~${_cut_bytes(target.stem, 40)}.", suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        source.unlink()
    _sync_folder(target.parent)


def _write_or_find(target: Path, content: bytes) -> None:
    """`target` holds `content` afterwards: written now, or found so (FileConflict if it holds other bytes)."""
    if not os.path.lexists(target):
        write_atomic(target, content)
    elif not holds(target, content):
        raise FileConflict(target)


def set_aside(source: Path, target: Path) -> None:
    """Move a dropped entry docgen will not read (a link, an unreadable file) by renaming it: its
    bytes are never opened; a link stays a link. Idempotent: a gone source means it is done."""
    if not os.path.lexists(source):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        raise FileConflict(target)
    os.rename(source, target)
    _sync_folder(target.parent)


# Names docgen's own writers give a file until it is complete (write_atomic, the mail spool).
PARTIAL_PATTERNS = ("~$*.part", ".*.eml.tmp")


def sweep_partials(folders: list[Path], *, older_than: float = 0.0) -> list[Path]:
    """Remove what a killed docgen left half-written under its temporary names; never a user's file.
    `older_than` (seconds): only those untouched that long (another watcher may be writing the rest)."""
    removed = []
    before = time.time() - older_than
    for folder in folders:
        if not folder.is_dir():
            continue
        for pattern in PARTIAL_PATTERNS:
            for path in folder.rglob(pattern):
                if path.is_file() and (not older_than or _mtime(path) < before):
                    path.unlink(missing_ok=True)
                    removed.append(path)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


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
