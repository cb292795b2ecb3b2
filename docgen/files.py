"""Writing files so that a reader never sees half of one: write aside, fsync, then rename."""

from __future__ import annotations

import os
import re
import tempfile
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
    fd, tmp = tempfile.mkstemp(prefix=f"~${path.stem}.", suffix=".part", dir=path.parent)
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
