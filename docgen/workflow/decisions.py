"""Decisions: a draft moved into approved/ or returned/ (or `docgen approve|return`) moves the deal on."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from docgen.errors import DossierDamaged, UnsafeFile, WorkflowError
from docgen.files import (
    entry_reason, fit_name, free_name, move_into, original_name, read_plain, sha256_bytes, write_atomic,
)
from docgen.mail.notice import NoticeKind, admin_notice
from docgen.store import DealRow, Step
from docgen.workflow import notices
from docgen.workflow.comments import arrived, document_text, note_for, text_comments, wait_or_refuse, word_comments
from docgen.workflow.dossier import draft_stem, identity_from_name
from docgen.workflow.integrity import check_dossier
from docgen.workflow.people import Holder, holder, role_address
from docgen.workflow.route import Route
from docgen.workflow.services import Services
from docgen.render.docx import restamp
from docgen.workflow.signing import sign_files
from docgen.workflow.stages import Decision, after_decision, decision_title, role_title, stage_title
from docgen.workspace import Role, Stage

UNRECOGNIZED = "unrecognized"
# A comments .txt copied together with its document may land first: give the document this long.
NOTE_GRACE_SECONDS = 60


@dataclass(frozen=True)
class Submitted:
    """A reviewer's file as it arrived: where, what, and the comments that came with it."""

    path: Path
    content: bytes
    mtime_ns: int
    comments: list[str]
    note: Path | None  # the .txt of comments beside it


def take_decision(svc: Services, path: Path, *, role: str, decision: Decision) -> str:
    """Take one file from `<role>/approved/` or `<role>/returned/`."""
    if path.suffix.lower() == ".txt":
        return _take_note(svc, path, role=role)
    content, st = read_plain(path)
    number, version = identify(path.name, content)
    row = svc.store.find_deal(number) if number else None
    why = _mismatch(row, number=number, version=version, role=role, route=svc.route_of(row) if row else None) \
        or _not_this_contract(path.name, content, number=number)
    if why:
        return set_aside(svc, path, role=role, why=why, content=content)
    try:
        check_dossier(svc.ws, svc.store, row)
    except DossierDamaged as exc:
        return _damaged(svc, path, row=row, role=role, content=content, why=exc.why)
    note, noted = _note_beside(path, number=row.number, version=row.version)
    comments = word_comments(content) + (text_comments(noted) if note else [])
    if decision is Decision.RETURNED and not comments:  # held for its .txt, then refused to the reviewer
        return wait_or_refuse(svc, path, row=row, role=role, content=content)
    submitted = Submitted(path, content, st.st_mtime_ns, comments, note)
    actor = holder(svc.settings, role, division=row.division, day=svc.now().date())
    try:
        step = record_decision(svc, row.number, role=role, decision=decision, submitted=submitted, actor=actor)
    except DossierDamaged as exc:
        return _damaged(svc, path, row=row, role=role, content=content, why=exc.why)
    except WorkflowError as exc:
        return set_aside(svc, path, role=role, why=str(exc), content=content)
    return finish_decision(svc, step)


def _note_beside(path: Path, *, number: str, version: int) -> tuple[Path | None, bytes]:
    """The comments .txt beside a reviewer's file, if it is a plain file (a link is left for the watcher,
    which sets it aside unread: its target must not reach the manager's letter)."""
    note = note_for(path, number=number, version=version)
    if note is None:
        return None, b""
    try:
        return note, read_plain(note)[0]
    except (FileNotFoundError, UnsafeFile):
        return None, b""


def _not_this_contract(name: str, content: bytes, *, number: str | None) -> str | None:
    """Why a reviewer's file cannot count as a decision on contract `number`: it must be a whole,
    readable DOCX (or a PDF docgen made) whose properties, or else its text, name this deal."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".docx", ".pdf"):
        return (f"файлы «{suffix or 'без расширения'}» решением не считаются: переложите проект договора "
                "в формате DOCX, как его прислал docgen (или сохраните его как DOCX в Word)")
    if not content:
        return "файл пуст (0 байт): это не проект договора; переложите сам документ"
    text = _docx_text(content) if suffix == ".docx" else _pdf_text(content)
    if text is None:
        kind = "DOCX" if suffix == ".docx" else "PDF"
        return f"файл повреждён или обрезан и не открывается как {kind}; переложите документ целиком"
    found = identify("", content)[0]
    if found is not None and found != number:
        return f"в свойствах документа указана сделка {found}, а не {number}"
    if found is None and number and number not in text:
        return (f"это не проект договора {number}: ни в свойствах документа, ни в его тексте нет номера "
                "сделки; переложите проект, который прислал docgen")
    return None


def _docx_text(content: bytes) -> str | None:
    """The text of a DOCX that opens whole (every part's checksum right), or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if archive.testzip() is not None or "word/document.xml" not in archive.namelist():
                return None
            ElementTree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError,
            KeyError, ElementTree.ParseError):
        return None
    return document_text(content)


def _pdf_text(content: bytes) -> str | None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        return "\n".join(page.extract_text() or "" for page in reader.pages[:3])
    except Exception:  # pypdf raises many kinds on a broken file; any of them means «not readable»
        return None


def _damaged(svc: Services, path: Path, *, row: DealRow, role: str, content: bytes, why: str) -> str:
    """A decision on a deal whose dossier lost its files: not taken, the administrator told."""
    mail = admin_notice(svc.ws, event=f"dossier/{row.number}/v{row.version}/{role}", deal=row.number,
                        title=f"досье сделки {row.number} повреждено, решение не принято",
                        lines=[why, f"решение «{role_title(role, svc.route_of(row))}» отложено: {svc.rel(path)}"],
                        where=row.dossier, todo="восстановите папку досье из резервной копии или вернув "
                                                "перемещённые файлы, затем переложите решение снова")
    with svc.store.transaction():
        svc.store.journal_add(at=svc.now(), deal=row.number, version=row.version, actor="docgen", role="system",
                              action="dossier_damaged", detail={"why": why, "file": path.name})
        if mail is not None:
            svc.outbox.enqueue(mail)
    return set_aside(svc, path, role=role, content=content,
                     why=f"досье сделки {row.number} повреждено ({why}); решение не принято, администратор извещён")


def _take_note(svc: Services, path: Path, *, role: str) -> str:
    """A comments .txt: taken with its document; if it came late, added to the decision already made."""
    document = next((path.with_suffix(s) for s in (".docx", ".pdf", ".DOCX", ".PDF") if path.with_suffix(s).exists()),
                    None)
    if document is not None:
        if svc.now().timestamp() - arrived(document) < svc.settings.watch.settle_seconds:
            return "примечания: будут взяты вместе с документом"
        # The document came first and waits for these very comments: one decision, one letter, now.
        return take_decision(svc, document, role=role, decision=Decision(path.parent.name))
    if svc.clock().timestamp() - path.stat().st_mtime < NOTE_GRACE_SECONDS:
        return "примечания: ждут документ с тем же именем (он мог ещё не докопироваться)"
    number, version = identity_from_name(path.name)
    step = svc.store.step(f"decision:{number}:v{version}:{role}") if number and version else None
    if step is None or step.state != "done":
        return set_aside(svc, path, role=role, why="файл примечаний без документа с тем же именем рядом; "
                                                   "положите документ и примечания вместе")
    return _late_note(svc, path, role=role, number=number, version=version)


def _late_note(svc: Services, path: Path, *, role: str, number: str, version: int) -> str:
    row = svc.store.deal(number)
    title = role_title(role, svc.route_of(row))
    comments = text_comments(read_plain(path)[0])
    target = free_name(svc.dossier(row).returns, f"v{version} {title} {path.name}")
    move_into(path, target, copy=True)
    now = svc.now()
    mail = notices.notice(NoticeKind.RETURNED, ws=svc.ws, row=row, event=f"note/{role}/{sha256_bytes(target.read_bytes())[:12]}",
                          to=[notices.manager_address(row)], folder=target.parent, dossier=svc.dossier(row).letters,
                          today=now.date(), returned_by=title, comments=comments or ["(файл примечаний пуст)"])
    actor = holder(svc.settings, role, division=row.division, day=now.date())
    with svc.store.transaction():
        svc.store.journal_add(at=now, deal=number, version=version, actor=actor.person, role=str(role),
                              action="comments_added", detail={"file": path.name, "comments": comments,
                                                               "on_behalf_of": actor.for_person})
        svc.outbox.enqueue(mail)
    return f"примечания к решению по сделке {number} (версия {version}) добавлены в досье: {svc.rel(target)}"


def identify(name: str, content: bytes) -> tuple[str | None, int | None]:
    """The deal and version of a file: its DOCX properties or PDF metadata first, then its name."""
    from docgen.render.docx import read_identity

    found = None
    if content[:2] == b"PK":
        found = read_identity(content)
    elif content[:5] == b"%PDF-":
        found = _pdf_identity(content)
    return found if found else identity_from_name(name)


def _pdf_identity(content: bytes) -> tuple[str, int] | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        meta = PdfReader(io.BytesIO(content)).metadata or {}
        return str(meta["/DocgenDeal"]), int(meta["/DocgenVersion"])
    except (PyPdfError, KeyError, ValueError, TypeError):
        return None


def _mismatch(row: DealRow | None, *, number: str | None, version: int | None, role: str,
              route: Route | None) -> str | None:
    if number is None:
        return ("не удалось определить сделку: в свойствах документа и в имени файла нет её номера "
                "(например «2026-0001»); верните файлу имя, которое дал docgen")
    if row is None:
        return f"сделки {number} нет в docgen"
    if row.stage != role:
        return (f"сделка {number} сейчас {stage_title(row.stage, route)}, а файл положен в папку роли "
                f"«{role_title(role, route)}»: решение по этому этапу уже принято или ещё не нужно")
    if version is not None and version != row.version:
        return f"это версия v{version} договора {number}, а на согласовании версия v{row.version}"
    return None


def record_decision(svc: Services, number: str, *, role: str, decision: Decision,
                    submitted: Submitted, actor: Holder, via: str = "folder") -> Step:
    """The decision and the planned step, checked against the deal inside one transaction.

    `actor` is whoever holds the role today: a deputy's decision is recorded as taken for the absent owner."""
    now = svc.now()
    with svc.store.transaction():
        row = svc.store.deal(number)
        route = svc.route_of(row)
        stage = after_decision(row.stage, role=role, decision=decision, route=route)
        key = f"decision:{number}:v{row.version}:{role}"
        if svc.store.step(key) is not None:
            raise WorkflowError(f"решение по версии v{row.version} сделки {number} уже принято")
        edited, kept_as = _edit_of(svc, row, submitted, role=role)
        version = row.version + 1 if edited else row.version
        if edited:  # a reviewer's edit goes on along the same route
            svc.store.add_version(number, version, origin=f"edit:{role}", at=now, form_sha256=None,
                                  route=route.to_json())
        svc.store.update_deal(number, stage=stage, version=version, stage_since=now.isoformat(timespec="seconds"))
        svc.store.journal_add(
            at=now, deal=number, version=row.version, actor=actor.person, role=str(role), action=str(decision),
            sha256=sha256_bytes(submitted.content),
            detail={"file": submitted.path.name, "comments": submitted.comments, "edited": edited,
                    "new_version": version, "stage": stage, "via": via, "role_title": route.title(role),
                    "on_behalf_of": actor.for_person})
        svc.store.plan(key=key, kind="decision", at=now, source=submitted.path.name, deal=number, version=version,
                       sha256=sha256_bytes(submitted.content), content=submitted.content, payload={
                           "role": str(role), "decision": str(decision), "reviewed": row.version,
                           "edited": edited, "file": svc.rel(submitted.path), "kept_as": svc.rel(kept_as),
                           "note": svc.rel(submitted.note) if submitted.note else None,
                           "comments": submitted.comments, "actor": actor.person,
                           "on_behalf_of": actor.for_person})
        return svc.store.step(key)


def _edit_of(svc: Services, row: DealRow, submitted: Submitted, *, role: str) -> tuple[bool, Path]:
    """Whether the reviewer changed the text, and where their file is kept in the dossier."""
    versions = svc.dossier(row).versions
    stem = draft_stem(number=row.number, version=row.version, client=row.buyer_name)
    suffix = submitted.path.suffix.lower()
    recorded = svc.store.version(row.number, row.version)
    # The file the store recorded for this version, as it was named then; else the name it would have now.
    sent = svc.at_root(recorded["file"]) if recorded is not None and recorded["file"] else versions / f"{stem}.docx"
    ours = sent.with_suffix(suffix)
    kept = ours.read_bytes() if ours.exists() else None
    if kept is None and suffix == ".docx":
        # Without the version docgen sent, any file would look edited: never guess, say so.
        raise DossierDamaged(row.number, f"нет файла текущей версии {svc.rel(ours)}")
    if kept == submitted.content:
        return False, ours
    if suffix != ".docx" or (kept is not None and document_text(kept) == document_text(submitted.content)):
        return False, free_name(versions, f"{stem} (сохранено — {role_title(role, svc.route_of(row))}){suffix}")
    new_stem = draft_stem(number=row.number, version=row.version + 1, client=row.buyer_name)
    return True, versions / f"{new_stem}.docx"


def finish_decision(svc: Services, step: Step) -> str:
    """The files of a decision, then its notices; repeated after a crash, it does the same again."""
    p = step.payload
    role, decision = str(p["role"]), Decision(p["decision"])
    row = svc.store.deal(step.deal)
    route = svc.route_of(row)
    dossier = svc.dossier(row)
    move_into(svc.at_root(p["file"]), svc.at_root(p["kept_as"]), content=step.content, copy=True)
    if p["edited"]:  # the edited file still says it is the version it was made from: it is the next one
        kept = svc.at_root(p["kept_as"])
        write_atomic(kept, restamp(kept.read_bytes(), number=row.number, version=row.version))
    if p["note"]:
        note = fit_name(f"v{p['reviewed']} {route.title(role)} {Path(p['note']).name}")
        move_into(svc.at_root(p["note"]), dossier.returns / note, copy=True)
    _collect_drafts(svc, row, role=role, version=p["reviewed"])
    docx = svc.at_root(p["kept_as"]).read_bytes() if p["edited"] else _version_docx(svc, row, p["reviewed"])
    mails = []
    if decision is Decision.RETURNED:
        mails = [_returned_notice(svc, row, role=role, comments=p["comments"], on_behalf_of=p.get("on_behalf_of"),
                                  draft=svc.at_root(p["kept_as"]))]
    elif row.stage == Stage.SIGNED:
        mails = sign_files(svc, row, docx=docx)
    else:
        mails = [_forward(svc, row, docx=docx, edited=p["edited"])]
    now = svc.now()
    with svc.store.transaction():
        if p["edited"]:
            svc.store.set_version_file(row.number, row.version, sha256=sha256_bytes(docx), file=p["kept_as"])
        for mail in mails:
            svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=now)
    svc.register_dirty = True
    what = decision_title(role, decision)
    return f"{route.title(role)}: {what}, сделка {row.number} → {stage_title(row.stage, route)}"


def _collect_drafts(svc: Services, row: DealRow, *, role: str, version: int) -> None:
    """The reviewed version's files docgen left in the reviewer's folder go to the dossier."""
    stem = draft_stem(number=row.number, version=version, client=row.buyer_name)
    versions = svc.dossier(row).versions
    for suffix in (".docx", ".pdf"):
        left = svc.ws.review(role) / f"{stem}{suffix}"
        if not left.exists() or entry_reason(left):  # a link put in its place is not docgen's draft
            continue
        target = versions / left.name
        if target.exists() and sha256_bytes(target.read_bytes()) != sha256_bytes(left.read_bytes()):
            target = free_name(versions, left.name)
        move_into(left, target)


def _version_docx(svc: Services, row: DealRow, version: int) -> bytes:
    recorded = svc.store.version(row.number, version)
    return svc.at_root(recorded["file"]).read_bytes()


def _forward(svc: Services, row: DealRow, *, docx: bytes, edited: bool):
    """The current version to the next reviewer's folder, with its PDF, and their notice."""
    role, route = row.stage, svc.route_of(row)
    stem = draft_stem(number=row.number, version=row.version, client=row.buyer_name)
    deal_dossier = svc.dossier(row)
    pdf = svc.documents.pdf(docx, title=f"Проект договора {row.number}", number=row.number,
                            version=row.version, draft=True)
    if pdf is not None:
        write_atomic(deal_dossier.versions / f"{stem}.pdf", pdf)
    folder = svc.ws.review(role)
    write_atomic(folder / f"{stem}.docx", docx)
    if pdf is not None:
        write_atomic(folder / f"{stem}.pdf", pdf)
    attachments = [deal_dossier.versions / f"{stem}.docx"] + ([deal_dossier.versions / f"{stem}.pdf"] if pdf else [])
    common = {"ws": svc.ws, "row": row, "to": [role_address(svc.settings, role, division=row.division)],
              "folder": folder, "dossier": deal_dossier.letters, "attachments": attachments,
              "today": svc.now().date()}
    if role == Role.DIRECTOR:
        before = route.roles[:route.roles.index(role)]
        return notices.notice(NoticeKind.SIGNATURE, event="signature", **common,
                              approved_by=", ".join(route.title(r) for r in before))
    return notices.notice(NoticeKind.REVIEW, event=f"review/{role}", role_title=route.title(role), **common)


def _returned_notice(svc: Services, row: DealRow, *, role: str, comments: list[str], on_behalf_of: str | None,
                     draft: Path | None = None):
    dossier = svc.dossier(row)
    title = role_title(role, svc.route_of(row))
    by = f"{title} (заместитель за {on_behalf_of})" if on_behalf_of else title
    return notices.notice(NoticeKind.RETURNED, ws=svc.ws, row=row, event=f"returned/{role}",
                          to=[notices.manager_address(row)], folder=dossier.versions, dossier=dossier.letters,
                          today=svc.now().date(), returned_by=by, comments=comments or ["(замечания не приложены)"],
                          attachments=[draft] if draft is not None else [])


def set_aside(svc: Services, path: Path, *, role: str, why: str, content: bytes | None = None) -> str:
    """A file that fits no deal or stage goes to `<role>/unrecognized/` with the reason beside it;
    each drop its own, even of the same bytes with the same time."""
    content = read_plain(path)[0] if content is None else content
    now = svc.now()
    name = fit_name(path.name)
    with svc.store.transaction():
        key, planned = svc.store.drop_key(f"unrecognized:{sha256_bytes(content)}:{path.stat().st_mtime_ns}")
        if planned is None:
            target = free_name(svc.ws.review(role) / UNRECOGNIZED, name)
            svc.store.journal_add(at=now, deal=None, version=None, actor=str(role), role=str(role),
                                  action="unrecognized", detail={"file": name, "why": why, **(
                                      {"original": original_name(path.name)} if name != path.name else {})})
            svc.store.plan(key=key, kind="unrecognized", at=now, source=name, content=content,
                           payload={"file": svc.rel(path), "target": svc.rel(target), "why": why})
    return finish_aside(svc, svc.store.step(key))


def finish_aside(svc: Services, step: Step) -> str:
    target = svc.at_root(step.payload["target"])
    move_into(svc.at_root(step.payload["file"]), target, content=step.content, copy=True)
    text = f"Файл «{step.source}» не принят: {step.payload['why']}.\n"
    write_atomic(target.with_name(target.name + ".why.txt"), text.encode("utf-8"))
    mail = admin_notice(svc.ws, event=step.key, title=f"файл «{step.source}» не распознан и отложен",
                        lines=[step.payload["why"], f"файл и причина: {svc.ws.shown(target, folder=False)}"],
                        where=svc.ws.shown(target.parent),
                        todo="узнайте у того, кто положил файл, что он хотел сделать; проект договора кладут в "
                             "approved/ или returned/ своей папки, как его прислал docgen")
    with svc.store.transaction():
        if mail is not None:
            svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=svc.now())
    svc.register_dirty = True  # the register lists what waits in unrecognized/
    return f"не распознан: {svc.rel(target)} ({step.payload['why']})"
