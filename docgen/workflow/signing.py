"""Signing: the final contract with its approval sheet, «Ввод в Производство», and who is told."""

from __future__ import annotations

import dataclasses
import datetime as dt

from docgen.files import sha256_bytes, write_atomic
from docgen.mail.notice import Notice, NoticeKind
from docgen.render.context import Approval
from docgen.render.dating import fill_contract_date
from docgen.store import DealRow
from docgen.workflow import notices
from docgen.workflow.dossier import approval_sheet_stem, final_contract_stem, handover_stem
from docgen.workflow.services import Services
from docgen.workflow.stages import Decision, role_title
from docgen.workspace import Role


def approvals_of(svc: Services, number: str) -> list[Approval]:
    """Every decision the journal holds for the deal, oldest first, for the approval sheet. The director's
    approval is the signature only when the division signs itself (`[divisions.<код>] signatory`); else the
    company's signatory signs after it. A deputy's decision names whom it was taken for («за …»)."""
    division = svc.settings.divisions.get(svc.store.deal(number).division)
    signs = getattr(division, "signatory", None) is not None
    out = []
    for entry in svc.store.journal(number):
        if entry["action"] not in (Decision.APPROVED, Decision.RETURNED):
            continue
        role, decision, detail = str(entry["role"]), Decision(entry["action"]), entry["detail"]
        code = "signed" if (role == Role.DIRECTOR and decision is Decision.APPROVED and signs) else str(decision)
        out.append(Approval(
            role=detail.get("role_title") or role_title(role), person=entry["actor"], decision=code,
            at=dt.datetime.fromisoformat(entry["at"]), comment="; ".join(detail.get("comments", [])),
            version=entry["version"], sha256=entry["sha256"] or "",
            result_version=detail.get("new_version", entry["version"]),
            on_behalf_of=detail.get("on_behalf_of") or "", role_code=role))
    return out


def signing_day(svc: Services, approvals: list[Approval]) -> dt.date:
    """The day of the director's decision that signed the deal (the same day when the step is repeated)."""
    last = [a for a in approvals if (a.role_code or a.role) == Role.DIRECTOR and a.decision != Decision.RETURNED]
    return last[-1].at.date() if last else svc.now().date()


def sign_files(svc: Services, row: DealRow, *, docx: bytes) -> list[Notice]:
    """Write every document of a signed deal; return the notices to queue with the step's completion.

    A contract whose form gave no date is dated here, on the signing day: the date goes into the reviewed
    DOCX (render.dating), and the deal's record carries it from now on.
    """
    approvals = approvals_of(svc, row.number)
    deal = svc.deal_of(row)
    day = signing_day(svc, approvals)
    signed = docx
    if deal.form.contract_date is None:
        signed, places = fill_contract_date(docx, day)
        if not places:
            svc.log.warning("договор %s: в тексте нет поля даты — дату подписания (%s) впишут от руки",
                            row.number, day.strftime("%d.%m.%Y"))
        svc.store.update_deal(row.number, contract_date=day.isoformat())
        deal = dataclasses.replace(deal, contract_date=day, date_open=False)
    dossier = svc.dossier(row)
    sheet = svc.documents.approval_sheet(deal, number=row.number, version=row.version, sha256=sha256_bytes(docx),
                                         approvals=approvals, signed_sha256=sha256_bytes(signed))
    contract = dossier.root / f"{final_contract_stem(row.number)}.docx"
    write_atomic(contract, signed)
    write_atomic(dossier.root / f"{approval_sheet_stem(row.number)}.docx", sheet)
    # The contract and its sheet convert while «Ввод в Производство» is made: with [pdf] workers > 1, at once.
    pending = svc.documents.start_pdf(signed, title=f"Договор {row.number}", number=row.number,
                                      version=row.version, appendix=sheet)
    files = technical_files(svc, row, deal=deal)
    handover = write_handover(svc, row, deal=deal, approvals=approvals, files=files, signed_on=day)
    pdf = pending.result()
    if pdf is not None:
        write_atomic(contract.with_suffix(".pdf"), pdf)
    return _signed_notices(svc, row, contract=contract, has_pdf=pdf is not None, handover=handover, files=files)


def technical_files(svc: Services, row: DealRow, *, deal) -> list[str]:
    """The deal's technical documents, copied for the Technical department, in the contract's annex order."""
    copied = _technical(svc, row)
    listed = [name for name in deal.form.attachments if name in copied]  # the contract's annex order
    return listed + [name for name in copied if name not in listed]


def write_handover(svc: Services, row: DealRow, *, deal, approvals: list[Approval], files: list[str],
                   signed_on: dt.date, prepayment_date: dt.date | None = None) -> list:
    """«Ввод в Производство» into outbox/economics/ and the dossier; the dossier's files, for the notice.
    Written again with the day the prepayment came in full, when it does (docgen.obligations)."""
    docx = svc.documents.handover(deal, number=row.number, version=row.version, approvals=approvals,
                                  files=files, signed_on=signed_on, prepayment_date=prepayment_date)
    pdf = svc.documents.pdf(docx, title=f"Ввод в Производство {row.number}", number=row.number,
                            version=row.version)
    stem = handover_stem(row.number, row.buyer_name)
    parts = [(".docx", docx)] + ([(".pdf", pdf)] if pdf is not None else [])
    for folder in (svc.ws.economics, svc.dossier(row).root):
        for suffix, data in parts:
            write_atomic(folder / f"{stem}{suffix}", data)
    return [svc.dossier(row).root / f"{stem}{suffix}" for suffix, _ in parts]


def _technical(svc: Services, row: DealRow) -> list[str]:
    """The technical documents of the deal's latest form, copied for the Technical department (folders kept)."""
    source = svc.dossier(row).latest_attachments()
    if source is None:
        return []
    target = svc.ws.technical / row.number
    names = []
    for item in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
        name = item.relative_to(source).as_posix()  # docgen filed these; a link put among them is not ours
        if source == svc.dossier(row).attachments and "/" in name:
            continue  # an old flat folder: its subfolders are not attachments
        if not (target / name).exists():
            write_atomic(target / name, item.read_bytes())
        names.append(name)
    return names


def _signed_notices(svc: Services, row: DealRow, *, contract, has_pdf: bool, handover: list,
                    files: list[str]) -> list[Notice]:
    dossier = svc.dossier(row)
    people = svc.settings.people
    division = svc.settings.divisions[row.division]
    final = [contract.with_suffix(".pdf") if has_pdf else contract]
    common = {"ws": svc.ws, "row": row, "dossier": dossier.letters, "today": svc.now().date()}
    out = [
        notices.notice(NoticeKind.SIGNED, event="signed", to=[notices.manager_address(row)], folder=dossier.root,
                       attachments=final, **common),
        notices.notice(NoticeKind.HANDOVER, event="handover", to=[people.economics, division.support],
                       folder=svc.ws.economics, attachments=handover, support=division.support, **common),
        notices.notice(NoticeKind.ORIGINALS, event="originals", to=[people.finance], folder=dossier.root,
                       originals=[f"Договор {row.number} — 2 экз., подписанные сторонами",
                                  f"Лист согласования к договору {row.number}"], **common),
    ]
    if files:
        folder = svc.ws.technical / row.number
        attached = notices.within_size([folder / name for name in files], svc.settings.smtp.attach_max_bytes)
        out.append(notices.notice(NoticeKind.TECHNICAL, event="technical", to=[people.technical], folder=folder,
                                  files=files, attached=bool(attached), attachments=attached, **common))
    return out
