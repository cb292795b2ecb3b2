"""Cancelling a deal: it leaves the route, its drafts go to the dossier, everyone who held it is told.

Two ways in, one step: `docgen cancel DEAL --comment TEXT`, or the manager drops a file naming the deal
(its draft, its form, or a `.txt` named by the deal number) into `inbox/cancelled/` with the reason (the
`.txt` itself, a `.txt` of the same name beside the file, or Word comments). A signed deal is not
cancelled (a signed contract is ended by an agreement of the parties, outside docgen); a cancelled
deal takes no corrected form and no decision.
"""

from __future__ import annotations

from pathlib import Path

from docgen.errors import FormError, SettingsError, UnsafeFile, WorkflowError
from docgen.files import entry_reason, fit_name, free_name, move_into, read_plain, sha256_bytes, write_atomic
from docgen.mail.notice import Notice, NoticeKind
from docgen.store import DealRow, Step
from docgen.workflow import notices
from docgen.workflow.comments import text_comments, word_comments
from docgen.workflow.dossier import identity_from_name
from docgen.workflow.people import role_address
from docgen.workflow.services import Services
from docgen.workflow.stages import holds, role_title, stage_title
from docgen.workspace import Stage

KIND = "cancel"
REFUSED_KIND = "cancel_refused"
# The dossier's folder for what came with a cancellation (the manager's file, their reason).
DOSSIER_FOLDER = "Отмена"
# A reason .txt copied together with its file may land later: give it this long before refusing.
REASON_GRACE_SECONDS = 60
_FORM_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".zip")


def refusal(row: DealRow) -> str | None:
    """Why deal `row` cannot be cancelled, in Russian; None when it can."""
    if row.stage == Stage.SIGNED:
        return (f"сделка {row.number} подписана: подписанный договор не отменяют в docgen — его расторгают "
                "соглашением сторон")
    if row.stage == Stage.CANCELLED:
        return f"сделка {row.number} уже отменена"
    return None


def cancel(svc: Services, number: str, *, reason: list[str], actor: str, via: str) -> str:
    """`docgen cancel`: record the cancellation, then move the drafts and send the letters."""
    if not any(r.strip() for r in reason):
        raise WorkflowError("нужна причина отмены: её получат все, кто держал сделку")
    return finish_cancel(svc, record_cancel(svc, number, reason=reason, actor=actor, via=via))


def record_cancel(svc: Services, number: str, *, reason: list[str], actor: str, via: str,
                  dropped: Path | None = None, content: bytes | None = None, note: Path | None = None) -> Step:
    """The deal's stage, the journal's entry and the planned step, in one transaction (WorkflowError if refused)."""
    now = svc.now()
    with svc.store.transaction():
        row = svc.store.deal(number)
        why = refusal(row)
        if why:
            raise WorkflowError(why)
        told = held_by(svc, row)
        kept = svc.dossier(row).root / DOSSIER_FOLDER
        target = free_name(kept, fit_name(dropped.name)) if dropped else None
        note_target = free_name(kept, fit_name(note.name)) if note else None
        svc.store.update_deal(number, stage=str(Stage.CANCELLED), stage_since=now.isoformat(timespec="seconds"))
        svc.store.journal_add(at=now, deal=number, version=row.version, actor=actor, role="manager",
                              action="cancelled", sha256=sha256_bytes(content) if content is not None else None,
                              detail={"comments": reason, "stage": row.stage, "via": via, "told": told,
                                      **({"file": dropped.name} if dropped else {})})
        key = f"{KIND}:{number}"
        svc.store.plan(key=key, kind=KIND, at=now, source=dropped.name if dropped else "command", deal=number,
                       version=row.version, content=content, payload={
                           "from": row.stage, "roles": told, "reason": reason, "actor": actor,
                           "file": svc.rel(dropped) if dropped else None, "note": svc.rel(note) if note else None,
                           "kept_as": svc.rel(target) if target else None,
                           "note_as": svc.rel(note_target) if note_target else None})
    return svc.store.step(key)


def held_by(svc: Services, row: DealRow) -> list[str]:
    """Every role that has had the deal (any version) and the one holding it now, in the order they got it."""
    roles: list[str] = []
    for entry in svc.store.journal(row.number):
        if entry["action"] == "sent_for_review":
            roles.append(str(entry["detail"].get("to") or ""))
        elif entry["action"] in ("approved", "returned"):
            roles.append(str(entry["role"]))
    if holds(row.stage):
        roles.append(row.stage)
    return list(dict.fromkeys(r for r in roles if r))


def finish_cancel(svc: Services, step: Step) -> str:
    """The manager's file and reason to the dossier, the drafts out of the reviewers' folders, the letters;
    repeated after a crash, it does the same again."""
    p = step.payload
    row = svc.store.deal(step.deal)
    if p["file"]:
        move_into(svc.at_root(p["file"]), svc.at_root(p["kept_as"]), content=step.content, copy=True)
    if p["note"] and svc.at_root(p["note"]).exists():
        move_into(svc.at_root(p["note"]), svc.at_root(p["note_as"]), copy=True)
    moved = collect_drafts(svc, row)
    mail = _cancelled_notice(svc, row, step)
    with svc.store.transaction():
        if mail is not None:
            svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=svc.now())
    svc.register_dirty = True
    drafts = f"; проекты перенесены в досье: {len(moved)}" if moved else ""
    return f"сделка {row.number} отменена (была {stage_title(p['from'], svc.route_of(row))}){drafts}"


def collect_drafts(svc: Services, row: DealRow) -> list[Path]:
    """Every draft of the deal docgen left in a reviewer's folder goes to the dossier's versions."""
    versions = svc.dossier(row).versions
    moved = []
    for role in dict.fromkeys([*svc.ws.roles, *held_by(svc, row)]):
        folder = svc.ws.review(role)
        if not folder.is_dir():
            continue
        for left in sorted(folder.glob(f"{row.number} v*")):
            if not left.is_file() or entry_reason(left):  # a link put in its place is not docgen's draft
                continue
            target = versions / left.name
            if target.exists() and sha256_bytes(target.read_bytes()) != sha256_bytes(left.read_bytes()):
                target = free_name(versions, left.name)
            move_into(left, target, copy=True)
            moved.append(target)
    return moved


def _cancelled_notice(svc: Services, row: DealRow, step: Step) -> Notice | None:
    """One letter to the manager and to whoever held the deal (deputies for the absent)."""
    route = svc.route_of(row)
    to = [notices.manager_address(row)]
    for role in step.payload["roles"]:
        try:
            to.append(role_address(svc.settings, role, division=row.division))
        except (SettingsError, KeyError):  # a role whose person left the settings: nobody to tell
            continue
    return notices.notice(NoticeKind.CANCELLED, ws=svc.ws, row=row, event="cancelled", to=to,
                          folder=svc.dossier(row).root, dossier=svc.dossier(row).letters, today=svc.now().date(),
                          cancelled_by=step.payload["actor"], reason=step.payload["reason"],
                          stage_was=stage_title(step.payload["from"], route),
                          held_by=[role_title(r, route) for r in step.payload["roles"]])


# The manager's folder inbox/cancelled/


def take_cancellation(svc: Services, path: Path) -> str:
    """A file in `inbox/cancelled/`: the cancellation of the deal it names, or refused to inbox/rejected/."""
    content, st = read_plain(path, limit=svc.settings.limits.max_form_bytes)
    is_note = path.suffix.lower() == ".txt"
    if is_note and any(p.is_file() for p in path.parent.glob(f"{_glob_escape(path.stem)}.*") if p != path):
        return "причина отмены: будет взята вместе с файлом того же имени"
    number = _deal_of(svc, path, content)
    note, noted = (None, b"") if is_note else _note_beside(path)
    reason = text_comments(content) if is_note else word_comments(content) + text_comments(noted)
    row = svc.store.find_deal(number) if number else None
    why = _why_not(svc, row, number=number)
    if why is None and not reason:
        if svc.now().timestamp() - st.st_mtime < REASON_GRACE_SECONDS:
            return "ждёт причину отмены: файл .txt с тем же именем (он мог ещё не докопироваться)"
        why = ("не указана причина отмены: положите рядом файл .txt с тем же именем и причиной "
               "(или файл «<номер сделки> отмена.txt» с причиной)")
    if why:
        return refuse(svc, path, content=content, why=why, note=note)
    try:
        step = record_cancel(svc, row.number, reason=reason, actor=row.manager, via="папка inbox/cancelled/",
                             dropped=path, content=content, note=note)
    except WorkflowError as exc:
        return refuse(svc, path, content=content, why=str(exc), note=note)
    return finish_cancel(svc, step)


def _why_not(svc: Services, row: DealRow | None, *, number: str | None) -> str | None:
    if number is None:
        return ("не удалось определить сделку: ни в имени файла, ни в документе нет её номера "
                "(например «2026-0001»); назовите файл по номеру сделки")
    if row is None:
        return f"сделки {number} нет в docgen"
    return refusal(row)


def _deal_of(svc: Services, path: Path, content: bytes) -> str | None:
    """The deal a file names: a draft's properties, a form's `deal:`, or the number in the file's name."""
    from docgen.workflow.decisions import identify

    number = identify(path.name, content)[0]
    if number is None and path.suffix.lower() in _FORM_SUFFIXES:
        from docgen.form.readers import parse_form

        try:
            raw = parse_form(path.name, content, max_bytes=svc.settings.limits.max_form_bytes)
        except FormError:
            return None
        found = raw.data.get("deal") if isinstance(raw.data, dict) else None
        number = str(found).strip() if isinstance(found, (str, int)) and str(found).strip() else None
    return number


def _note_beside(path: Path) -> tuple[Path | None, bytes]:
    note = path.with_suffix(".txt")
    try:
        return note, read_plain(note)[0]
    except (FileNotFoundError, UnsafeFile):
        return None, b""


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def refuse(svc: Services, path: Path, *, content: bytes, why: str, note: Path | None = None) -> str:
    """A cancellation that cannot be taken: the file (and its reason) to inbox/rejected/, the reason beside it."""
    now = svc.now()
    with svc.store.transaction():
        key, planned = svc.store.drop_key(f"{REFUSED_KIND}:{sha256_bytes(content)}:{path.stat().st_mtime_ns}")
        if planned is None:
            target = free_name(svc.ws.rejected, fit_name(path.name))
            number = identity_from_name(path.name)[0]
            svc.store.journal_add(at=now, deal=number if number and svc.store.find_deal(number) else None,
                                  version=None, actor="manager", role="manager", action="cancel_refused",
                                  detail={"file": path.name, "why": why})
            svc.store.plan(key=key, kind=REFUSED_KIND, at=now, source=fit_name(path.name), content=content,
                           payload={"file": svc.rel(path), "target": svc.rel(target), "why": why,
                                    "note": svc.rel(note) if note else None})
    return finish_refused(svc, svc.store.step(key))


def finish_refused(svc: Services, step: Step) -> str:
    p = step.payload
    target = svc.at_root(p["target"])
    move_into(svc.at_root(p["file"]), target, content=step.content, copy=True)
    if p.get("note") and svc.at_root(p["note"]).exists():
        move_into(svc.at_root(p["note"]), free_name(target.parent, Path(p["note"]).name), copy=True)
    text = f"Отмена сделки по файлу «{step.source}» не принята: {p['why']}.\n"
    write_atomic(target.with_name(target.name + ".errors.txt"), text.encode("utf-8"))
    with svc.store.transaction():
        svc.store.finish(step.key, at=svc.now())
    return f"отмена не принята: {svc.rel(target)} ({p['why']})"


FINISHERS = {KIND: finish_cancel, REFUSED_KIND: finish_refused}
