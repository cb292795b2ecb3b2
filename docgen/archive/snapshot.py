"""A read-only view of the store for exports: one read transaction, so the running service keeps writing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from docgen.errors import ArchiveError, StoreError
from docgen.store import Store
from docgen.store import read_snapshot as store_snapshot
from docgen.workspace import Workspace


@contextlib.contextmanager
def read_snapshot(where: Path | Workspace) -> Iterator[Store]:
    """The store as it was at one moment (see docgen.store.read_snapshot); ArchiveError when unreadable."""
    try:
        with store_snapshot(where) as store:
            yield store
    except StoreError as exc:  # no store, or one that cannot be read: said as the archive's trouble
        raise ArchiveError(str(exc)) from None
