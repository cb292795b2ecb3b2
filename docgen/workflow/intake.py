"""Intake: a form from the inbox becomes a deal (or the next version of a returned one), or is rejected."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from docgen.errors import Fault, FormError, FormInvalid, StepBusy
from docgen.files import NAME_BYTES, fit_name, free_name, move_into, original_name, read_plain, sha256_bytes, within, write_atomic
from docgen.form.deal import Deal, accept, freeze
from docgen.form.money import format_money
from docgen.form.readers import parse_form
from docgen.form.report import line_of, render_report
from docgen.form.text import shown
from docgen.form.versions import KnownDeal, version_faults
from docgen.mail.addresses import mailbox, parse_address
from docgen.mail.notice import NoticeKind, admin_notice, build_notice
from docgen.store import DealRow, Step
from docgen.workflow import notices
from docgen.workflow.changes import Changes, record_comparison, since_approved
from docgen.workflow.dossier import client_folder, draft_stem
from docgen.workflow.integrity import refuse_taken_number
from docgen.workflow.people import person_name, role_address
from docgen.workflow.route import route_for
from docgen.workflow.services import Services
from docgen.workflow.stages import stage_title
from docgen.workspace import Stage


def take_form(svc: Services, path: Path) -> str:
    """Take one file from the inbox; returns a short account for the log."""
    limit = svc.settings.limits.max_form_bytes
    content, stat = read_plain(path, limit=limit)
    mtime_ns = stat.st_mtime_ns
    if len(content) > limit:  # too big to keep in the store: reject() moves the file itself
        fault = Fault("", f"файл слишком большой: {stat.st_size:,} байт при пределе {limit:,}".replace(",", " "))
        return reject(svc, path, content=b"", mtime_ns=mtime_ns, faults=[fault])
    sha = sha256_bytes(content)
    earlier = svc.store.accepted_with_sha(sha)
    if earlier is not None and earlier.state == "planned":
        if not svc.store.claim_step(earlier.key):  # another watcher does it now: this copy waits for its end
            raise StepBusy(f"такую же форму сейчас принимает другая служба docgen (файл «{earlier.source}»)")
        return finish_intake(svc, earlier)  # a crash came between the record and the files
    if earlier is not None:
        fault = Fault("", f"эта форма уже принята: сделка {earlier.deal}, версия {earlier.version} "
                          f"(файл «{earlier.source}»). Повторная подача не создаёт новую сделку")
        manager = notices.manager_address(svc.store.deal(earlier.deal))
        return reject(svc, path, content=content, mtime_ns=mtime_ns, faults=[fault], manager=manager,
                      duplicate_of=earlier.deal)
    raw = None
    source = form_name(path.name)
    try:
        raw = parse_form(source, content, max_bytes=limit)
        deal = accept(raw, source=source, settings=svc.settings, contract_types=svc.ws.contract_types(),
                      today=svc.now().date(), deals=lambda number: _known(svc.store.find_deal(number),
                                                                  office=svc.store.office))
        step = _record(svc, path, deal=deal, content=content, sha=sha)
    except FormError as exc:
        return reject(svc, path, content=content, mtime_ns=mtime_ns, faults=exc.faults,
                      manager=_manager_of(raw.data if raw else {}), data=raw.data if raw else None,
                      warnings=getattr(exc, "warnings", []))
    return finish_intake(svc, step)


def form_name(name: str) -> str:
    """The name a form is known by from now on (the journal, the dossier's «v1 <name>»): cleaned,
    and short enough that «v999 » before it still fits on any disk."""
    return fit_name(name, max_bytes=NAME_BYTES - 8)


def known_deal(row: DealRow, *, office: str) -> KnownDeal:
    """What a corrected form is checked against: the deal's stage and buyer, and whether it is of `office`."""
    return KnownDeal(number=row.number, returned=row.stage == Stage.RETURNED, where=stage_title(row.stage),
                     buyer_inn=row.buyer_inn, cancelled=row.stage == Stage.CANCELLED,
                     elsewhere=row.office if row.office != office else "")


def _known(row: DealRow | None, *, office: str) -> KnownDeal | None:
    return known_deal(row, office=office) if row is not None else None


def _record(svc: Services, path: Path, *, deal: Deal, content: bytes, sha: str) -> Step:
    """The deal (or its next version) with its route, and the planned intake step, in one transaction."""
    now = svc.now()
    route = route_for(deal, svc.settings.route.rules)
    with svc.store.transaction():
        if deal.form.deal:
            row = _next_version_row(svc, deal, stage=route.first, now=now)
        else:
            number = svc.store.next_number(now.year, pattern=svc.settings.numbering.pattern)
            refuse_taken_number(svc.ws, number)
            row = _new_row(svc, deal, number=number, version=1, created=now.isoformat(timespec="seconds"),
                           stage=route.first, now=now)
            svc.store.insert_deal(row)
        svc.store.add_version(row.number, row.version, origin="form", at=now, form_sha256=sha, route=route.to_json())
        source = form_name(path.name)
        warnings = [line_of(w) for w in deal.warnings]
        svc.store.journal_add(at=now, deal=row.number, version=row.version, actor=deal.form.manager.name,
                              role="manager", action="accepted", sha256=sha,
                              detail={"file": source, "total": str(deal.totals.total), **_original(path, source)}
                              | ({"warnings": warnings} if warnings else {}))
        key = f"intake:{sha}"
        svc.store.plan(key=key, kind="intake", at=now, source=source, deal=row.number, version=row.version,
                       sha256=sha, content=content, payload={"inbox": svc.rel(path), "warnings": warnings})
        return svc.store.step(key)


def _new_row(svc: Services, deal: Deal, *, number: str, version: int, created: str, stage: str,
             now: dt.datetime) -> DealRow:
    form = deal.form
    folder = client_folder(svc.ws, inn=form.buyer.inn, name=form.buyer.name) / number
    return DealRow(
        number=number, created_at=created, stage=stage, version=version,
        contract_type=form.contract_type, contract_date=deal.contract_date.isoformat(), division=form.division,
        buyer_inn=form.buyer.inn, buyer_name=form.buyer.name, subject=form.subject.summary,
        total=str(deal.totals.total), manager=form.manager.name, manager_email=form.manager.email,
        dossier=svc.rel(folder), form_json=freeze(deal), stage_since=now.isoformat(timespec="seconds"),
    )


def _next_version_row(svc: Services, deal: Deal, *, stage: str, now: dt.datetime) -> DealRow:
    """A corrected form of a returned deal: checked against the deal inside the transaction."""
    number = deal.form.deal
    current = svc.store.find_deal(number)
    faults = version_faults(number, buyer_inn=deal.form.buyer.inn, known=_known(current, office=svc.store.office))
    if faults or current is None:
        raise FormInvalid("", faults)
    row = _new_row(svc, deal, number=number, version=current.version + 1, created=current.created_at, stage=stage,
                   now=now)
    row = DealRow(**{**row.__dict__, "dossier": current.dossier})
    values = {k: v for k, v in row.__dict__.items() if k not in ("number", "created_at")}
    svc.store.update_deal(number, **values)
    return row


def finish_intake(svc: Services, step: Step) -> str:
    """The files of an accepted form: the original and the draft in the dossier, the draft to the route's first stage."""
    row = svc.store.deal(step.deal)
    first = svc.route_of(row).first
    assert step.content is not None and step.version is not None
    # the form passed the limit when it was taken; a card or ZIP unpacks to several times its own size
    raw = parse_form(step.source, step.content, max_bytes=max(svc.settings.limits.max_form_bytes, len(step.content)))
    deal = svc.deal_of(row, attachments=raw.attachments)
    dossier = svc.dossier(row)
    move_into(svc.at_root(step.payload["inbox"]), dossier.forms / f"v{step.version} {step.source}",
              content=step.content, copy=True)
    for name, data in deal.attachments.items():  # each version's own folder: v2 never overwrites v1
        folder = dossier.form_attachments(step.version)
        write_atomic(within(folder, folder / name), data)
    stem = draft_stem(number=row.number, version=step.version, client=row.buyer_name)
    docx = svc.documents.contract(deal, number=row.number, version=step.version)
    pdf = svc.documents.pdf(docx, title=f"Проект договора {row.number}", number=row.number,
                            version=step.version, draft=True)
    kept = _write_pair(dossier.versions, stem, docx, pdf)
    _write_pair(svc.ws.review(first), stem, docx, pdf)
    # a corrected form is rendered afresh: the reviewers see what differs from the version approved last
    changes = since_approved(svc, row, version=step.version, docx=docx, folder=svc.ws.review(first))
    _complete_intake(svc, step, row=row, docx=docx, kept=kept, changes=changes)
    return f"принята: сделка {row.number}, версия {step.version} → {svc.rel(svc.ws.review(first))}/"


def _write_pair(folder: Path, stem: str, docx: bytes, pdf: bytes | None) -> list[Path]:
    written = [folder / f"{stem}.docx"]
    write_atomic(written[0], docx)
    if pdf is not None:
        written.append(folder / f"{stem}.pdf")
        write_atomic(written[1], pdf)
    return written


def _complete_intake(svc: Services, step: Step, *, row: DealRow, docx: bytes, kept: list[Path],
                     changes: Changes | None = None) -> None:
    now = svc.now()
    row = svc.store.deal(row.number)
    route = svc.route_of(row)
    warnings = step.payload.get("warnings") or []
    common = {"ws": svc.ws, "row": row, "folder": svc.ws.review(route.first), "dossier": svc.dossier(row).letters,
              "today": now.date()}
    mail = notices.notice(NoticeKind.REVIEW, event=f"review/{route.first}",
                          to=[role_address(svc.settings, route.first, division=row.division)],
                          attachments=kept + (changes.files if changes else []), role_title=route.title(route.first),
                          **({"warnings": warnings} if warnings else {}), **(changes.context() if changes else {}),
                          **common)
    told = [notices.notice(NoticeKind.WARNINGS, event="accepted/warnings", to=[notices.manager_address(row)],
                           warnings=warnings, **common)] if warnings else []
    with svc.store.transaction():
        svc.store.set_version_file(row.number, step.version, sha256=sha256_bytes(docx), file=svc.rel(kept[0]))
        svc.store.journal_add(at=now, deal=row.number, version=step.version, actor="docgen", role="system",
                              action="sent_for_review", detail={"to": route.first, "file": kept[0].name},
                              sha256=sha256_bytes(docx))
        record_comparison(svc, row, version=step.version, changes=changes, to=route.first)
        for letter in [mail, *told]:
            svc.outbox.enqueue(letter)
        svc.store.finish(step.key, at=now)
    svc.register_dirty = True


def reject(svc: Services, path: Path, *, content: bytes, mtime_ns: int, faults: list[Fault],
           manager: str | None = None, duplicate_of: str | None = None, data: dict | None = None,
           warnings: list[Fault] = ()) -> str:
    """Record the rejection, then move the file to inbox/rejected/ with its Russian report beside it.

    Each drop is its own rejection, with its own report and letter, even of a file rejected before
    with the same bytes and time (an Explorer copy keeps the time); a step a crash left planned for
    this very file is finished instead.
    """
    now = svc.now()
    sha = sha256_bytes(content) if content else f"size:{path.stat().st_size}"
    source = form_name(path.name)
    about = _about(data or {}, deal=duplicate_of or _deal_line(content))
    known = svc.store.find_deal(about["deal"]) if about.get("deal") else None
    if known is not None:  # a correction of a known deal: the letter names it as the store knows it
        about = _known_about(known) | about
        manager = manager or notices.manager_address(known)
    with svc.store.transaction():
        key, planned = svc.store.drop_key(f"reject:{sha}:{mtime_ns}")
        if planned is None:
            target = free_name(svc.ws.rejected, source)
            report = render_report(source, faults, warnings=list(warnings))
            svc.store.journal_add(at=now, deal=duplicate_of, version=None, actor=manager or "неизвестно",
                                  role="manager", action="duplicate" if duplicate_of else "rejected",
                                  detail={"file": source, "faults": [line_of(f) for f in faults],
                                          **_original(path, source)}, sha256=sha)
            svc.store.plan(key=key, kind="reject", at=now, source=source, sha256=sha, content=content or None,
                           payload={"inbox": svc.rel(path), "target": svc.rel(target), "report": report,
                                    "manager": manager, "faults": [line_of(f) for f in faults],
                                    "warnings": [line_of(w) for w in warnings],
                                    "about": about})
    return finish_reject(svc, svc.store.step(key))


def _original(path: Path, source: str) -> dict[str, str]:
    """The name as the person gave it, for the journal, when docgen had to clean or shorten it."""
    original = original_name(path.name)
    return {"original": original} if original != source else {}


def finish_reject(svc: Services, step: Step) -> str:
    target = svc.at_root(step.payload["target"])
    move_into(svc.at_root(step.payload["inbox"]), target, content=step.content, copy=True)
    report = target.with_name(target.name + ".errors.txt")
    write_atomic(report, step.payload["report"].encode("utf-8"))
    now = svc.now()
    with svc.store.transaction():
        manager = step.payload.get("manager")
        if manager:
            svc.outbox.enqueue(build_notice(
                NoticeKind.REJECTED, ws=svc.ws, event_id=step.key.replace("reject:", "rejected/", 1),
                to=[manager], attachments=[report, target],  # the report, and the form back to be corrected
                context={"form": step.source, "faults": step.payload["faults"], "folder": svc.ws.shown(target.parent),
                         "manager": person_name(manager), "warnings": step.payload.get("warnings") or [],
                         **(step.payload.get("about") or {})}))
        elif (mail := _nobody_told(svc, step, target=target)) is not None:
            svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=now)
    return f"не принята: {svc.rel(target)} (причины — в {target.name}.errors.txt)"


def _nobody_told(svc: Services, step: Step, *, target: Path):
    """A rejected form that names no manager with a valid e-mail: the administrator is told instead."""
    return admin_notice(svc.ws, event=step.key, deal=(step.payload.get("about") or {}).get("deal"),
                        title=f"форма «{step.source}» не принята, а менеджеру не сообщить",
                        lines=["в форме нет менеджера с верным e-mail (manager.email)", *step.payload["faults"]],
                        where=svc.ws.shown(target, folder=False),
                        todo="найдите, чья это форма, и передайте ему отчёт об ошибках, лежащий рядом с ней")


# «deal: 2026-0001» on a line of its own: the number of a form whose YAML does not read.
_DEAL_LINE = re.compile(rb"^deal:[ \t]*[\"']?([0-9A-Za-z][0-9A-Za-z_.-]{0,39})[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def _deal_line(content: bytes) -> str | None:
    found = _DEAL_LINE.search(content[:1_000_000])
    number = found.group(1).decode("ascii") if found else None
    return number if number and any(ch.isdigit() for ch in number) else None  # not «deal: null»


def _known_about(row: DealRow) -> dict[str, str]:
    """The deal a rejected correction names, as the store has it (its current version)."""
    return {"deal": row.number, "version": str(row.version), "client": row.buyer_name, "inn": row.buyer_inn,
            "total": format_money(Decimal(row.total))}


def _about(data: dict, *, deal: str | None) -> dict[str, str]:
    """The deal, client and ИНН a rejected form names, as far as it can be read: for the letter's header."""
    buyer = data.get("buyer") if isinstance(data.get("buyer"), dict) else {}
    about = {"deal": deal or data.get("deal"), "client": buyer.get("name"), "inn": buyer.get("inn")}
    return {k: shown(v, limit=80) for k, v in about.items() if isinstance(v, (str, int)) and str(v).strip()}


def _manager_of(data: dict) -> str | None:
    """The manager's address from a form that failed its checks, if the form still names one."""
    manager = data.get("manager")
    if not isinstance(manager, dict):
        return None
    email, person = str(manager.get("email") or ""), str(manager.get("name") or "")
    if not email or parse_address(email) is None:
        return None
    return mailbox(person, email)
