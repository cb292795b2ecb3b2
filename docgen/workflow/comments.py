"""A reviewer's comments: Word comments inside the DOCX and a .txt with the same name beside it, and the wait
for them: a return without comments is held a short while, then refused back to the reviewer."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from docgen.files import fit_name, free_name, move_into, sha256_bytes
from docgen.mail.notice import NoticeKind
from docgen.store import DealRow, Step
from docgen.workflow import notices
from docgen.workflow.dossier import identity_from_name
from docgen.workflow.people import holder, role_address
from docgen.workflow.services import Services
from docgen.workflow.stages import role_title

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def word_comments(docx: bytes) -> list[str]:
    """Each comment of a DOCX as «Автор: текст»; an unreadable file has none."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            xml = archive.read("word/comments.xml")
    except (zipfile.BadZipFile, KeyError):
        return []
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return []
    out = []
    for comment in root.iter(f"{_W}comment"):
        paragraphs = ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in comment.iter(f"{_W}p")]
        text = "\n".join(p for p in paragraphs if p.strip()).strip()
        if text:
            author = comment.get(f"{_W}author", "").strip()
            out.append(f"{author}: {text}" if author else text)
    return out


def text_comments(content: bytes) -> list[str]:
    """Non-empty paragraphs of a comments .txt, read as UTF-8 or Windows-1251."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1251", errors="replace")
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b]


def document_text(docx: bytes) -> str:
    """The visible text of a DOCX body, to tell a real edit from a save without changes."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            xml = archive.read("word/document.xml")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return ""
    return "\n".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p"))


# --- The wait for a return's comments --------------------------------------------------------------------------
# A draft moved into returned/ with no comments is held for `[watch] comments_wait_seconds`: the reviewer's .txt
# may come a moment later (a second drag, a slow share), and one letter with the comments is better than two.
# After the wait, a return that still has none is refused back to the reviewer, as `docgen return` without
# --comment is: the manager would not know what to correct.

RETURN_REFUSED = "return_refused"


def arrived(path: Path) -> float:
    """When a file came into its folder (a move keeps the modification time, it changes the inode's)."""
    st = path.stat()
    return max(st.st_mtime, st.st_ctime)


def note_for(path: Path, *, number: str, version: int) -> Path | None:
    """The comments .txt of a reviewer's file: the one with the same name, else the only .txt beside it whose
    name names the same deal and version («2026-0001 v1 замечания.txt»)."""
    same = path.with_suffix(".txt")
    if os.path.lexists(same):
        return same
    named = [p for p in path.parent.glob("*.txt")
             if p.suffix == ".txt" and identity_from_name(p.name) == (number, version)]
    return named[0] if len(named) == 1 else None


def wait_or_refuse(svc: Services, path: Path, *, row: DealRow, role: str, content: bytes) -> str:
    """A return without comments: held while young, then refused back to the reviewer's folder."""
    left = svc.settings.watch.comments_wait_seconds - (svc.now().timestamp() - arrived(path))
    if left > 0:
        return f"возврат без замечаний ждёт их ещё {left:.0f} с (файл .txt рядом или примечания Word)"
    now = svc.now()
    with svc.store.transaction():
        key, planned = svc.store.drop_key(f"{RETURN_REFUSED}:{sha256_bytes(content)}:{path.stat().st_mtime_ns}")
        if planned is None:
            target = free_name(svc.ws.review(role), fit_name(path.name))
            actor = holder(svc.settings, role, division=row.division, day=now.date())
            svc.store.journal_add(at=now, deal=row.number, version=row.version, actor=actor.person, role=str(role),
                                  action=RETURN_REFUSED, detail={"file": path.name, "why": "нет замечаний"})
            svc.store.plan(key=key, kind=RETURN_REFUSED, at=now, source=path.name, deal=row.number,
                           version=row.version, content=content,
                           payload={"file": svc.rel(path), "target": svc.rel(target), "role": str(role)})
    return finish_refused(svc, svc.store.step(key))


def finish_refused(svc: Services, step: Step) -> str:
    """The refused return's file back where the reviewer took it from, and their letter saying why."""
    target = svc.at_root(step.payload["target"])
    move_into(svc.at_root(step.payload["file"]), target, content=step.content, copy=True)
    row = svc.store.deal(step.deal)
    role = step.payload["role"]
    title = role_title(role, svc.route_of(row))
    mail = notices.notice(NoticeKind.NO_COMMENTS, ws=svc.ws, row=row, event=f"{step.key}/letter",
                          to=[role_address(svc.settings, role, division=row.division)], folder=target.parent,
                          dossier=svc.dossier(row).letters, today=svc.now().date(), draft=target.name,
                          role_title=title)
    with svc.store.transaction():
        svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=svc.now())
    return f"возврат без замечаний не принят: проект снова в {svc.rel(target)}, {title} извещён(а)"
