"""A dropped entry before anything reads it: a name the store cannot hold is cleaned in place; a link,
a device or a file docgen may not read is set aside by rename, with the reason beside it, and the
administrator told. Nothing is read through a link, nothing is deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from docgen.files import fit_name, free_name, original_name, set_aside, write_atomic
from docgen.mail.notice import admin_notice
from docgen.store import Step
from docgen.workflow.services import Services

KIND = "set_aside"
# Reads that fail this many times in a row (rescans apart) set the file aside: a share's hiccup
# passes, a file nobody may read does not.
UNREADABLE_TRIES = 3


def storable(name: str) -> bool:
    """Whether a name can be kept as text (in the store, the journal, a letter): bytes that were
    not UTF-8 show up as lone surrogates and cannot."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_in_place(svc: Services, path: Path) -> tuple[str, Path]:
    """Rename a file whose name is not UTF-8 to a cleaned name beside it; the watcher takes it anew.
    The journal keeps the original name first, so a crash between the two loses nothing."""
    target = free_name(path.parent, fit_name(path.name))
    original = original_name(path.name)
    with svc.store.transaction():
        svc.store.journal_add(at=svc.now(), deal=None, version=None, actor="docgen", role="system",
                              action="renamed", detail={"original": original, "file": target.name,
                                                        "folder": svc.rel(path.parent)})
    os.rename(path, target)
    return f"имя файла не в UTF-8 («{original}»), переименован в «{target.name}»", target


def set_aside_unread(svc: Services, path: Path, *, folder: Path, why: str, report_suffix: str) -> str:
    """Move `path` into `folder` by rename, never opening it; the reason beside it; the administrator told."""
    st = os.lstat(path)
    base = f"{KIND}:{svc.rel(path)}:{st.st_ino}:{st.st_mtime_ns}"
    with svc.store.transaction():
        key, step = svc.store.drop_key(base)
        if step is None:
            target = free_name(folder, path.name)
            svc.store.journal_add(at=svc.now(), deal=None, version=None, actor="docgen", role="system",
                                  action="set_aside", detail={"file": target.name, "original": original_name(
                                      path.name), "why": why, "where": svc.rel(target)})
            svc.store.plan(key=key, kind=KIND, at=svc.now(), source=fit_name(path.name), payload={
                "file": svc.rel(path), "target": svc.rel(target), "why": why, "report": report_suffix})
    return finish_set_aside(svc, svc.store.step(key))


def finish_set_aside(svc: Services, step: Step) -> str:
    p = step.payload
    target = svc.at_root(p["target"])
    set_aside(svc.at_root(p["file"]), target)
    text = f"Файл «{step.source}» не взят в работу: {p['why']}.\nОн перенесён сюда как есть; администратор извещён.\n"
    write_atomic(target.with_name(target.name + p["report"]), text.encode("utf-8"))
    mail = admin_notice(svc.ws, event=f"set-aside/{step.key}", title=f"файл «{step.source}» отложен, не прочитан",
                        lines=[p["why"], f"был: {p['file']}", f"теперь: {p['target']}"], where=p["target"],
                        todo="выясните, кто и зачем положил этот файл; если он нужен в работе, положите "
                             "вместо него обычную копию файла")
    with svc.store.transaction():
        if mail is not None:
            svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=svc.now())
    return f"отложен без чтения: {p['target']} ({p['why']})"


@dataclass
class Unreadable:
    """Files whose reading failed, with how many times in a row (kept in memory: a restart starts over)."""

    tries: dict[Path, tuple[tuple[int, int], int]] = field(default_factory=dict)

    def failed(self, path: Path) -> int:
        """Count one more failure of `path` as it is now (a changed file starts its count again)."""
        st = os.lstat(path)
        look = (st.st_size, st.st_mtime_ns)
        seen, count = self.tries.get(path, (look, 0))
        count = count + 1 if seen == look else 1
        self.tries[path] = (look, count)
        return count

    def forget(self, path: Path) -> None:
        self.tries.pop(path, None)


def probe(path: Path) -> OSError | None:
    """The error reading `path` gives now, or None when its first bytes can be read."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
        try:
            os.read(fd, 1)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc
    return None
