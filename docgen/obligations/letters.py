"""`docgen claim`: the claim letter (претензия) from templates/letters/claim.docx, into the deal's dossier.

Recorded as a step first (the day it counts to and where its files go), then rendered — DOCX, and
PDF where LibreOffice is — and finished with the letter telling the manager it is ready.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

from lxml import etree

from docgen.errors import ObligationError
from docgen.files import free_name, write_atomic
from docgen.form.money import format_money
from docgen.layout import DEFAULT_TEMPLATES
from docgen.mail.notice import NoticeKind
from docgen.obligations import ledger
from docgen.obligations.claim import claim_context, claimed
from docgen.obligations.notify import calendar_of
from docgen.obligations.position import Position
from docgen.render.clauses import Clause, find_clause
from docgen.render.docx import render_document
from docgen.store import DealRow, Step
from docgen.workflow import notices
from docgen.workflow.dossier import final_contract_stem
from docgen.workflow.services import Services
from docgen.workspace import Stage

CLAIM = "claim"
CLAIMS_IN_DOSSIER = "Претензии"


def draft_claim(svc: Services, number: str) -> str:
    """Record and render the claim of `number` as of today; ObligationError when there is nothing to claim."""
    now = svc.now()
    row = svc.store.deal(number)
    p = _position(svc, row, today=now.date())
    if not claimed(p):
        raise ObligationError(f"по сделке {number} нет просроченных платежей и начисленной пени: "
                              "претензию предъявлять не за что")
    folder = svc.dossier(row).root / CLAIMS_IN_DOSSIER
    docx = free_name(folder, f"Претензия {number} от {now:%Y-%m-%d}.docx")
    key = f"{CLAIM}:{number}:{now:%Y%m%dT%H%M%S}:{docx.stem}"
    debt = sum((s.overdue_amount for s in claimed(p)), Decimal(0))
    penalty = sum((s.penalty.total for s in claimed(p)), Decimal(0))
    with svc.store.transaction():
        svc.store.journal_add(at=now, deal=number, version=row.version, actor="docgen", role="system",
                              action="claim_drafted", detail={"file": svc.rel(docx), "on": now.date().isoformat(),
                                                              "debt": f"{debt:f}", "penalty": f"{penalty:f}"})
        svc.store.plan(key=key, kind=CLAIM, at=now, source="docgen claim", deal=number, version=row.version,
                       payload={"on": now.date().isoformat(), "docx": svc.rel(docx), "debt": f"{debt:f}",
                                "penalty": f"{penalty:f}"})
        step = svc.store.step(key)
    return finish_claim(svc, step)


def finish_claim(svc: Services, step: Step) -> str:
    row = svc.store.deal(step.deal)
    on = dt.date.fromisoformat(step.payload["on"])
    p = _position(svc, row, today=on)
    docx_path = svc.at_root(step.payload["docx"])
    docx = render_claim(svc, row, p)
    write_atomic(docx_path, docx)
    pdf = svc.documents.pdf(docx, title=f"Претензия по договору {row.number}", number=row.number,
                            version=row.version)
    files = [docx_path]
    if pdf is not None:
        write_atomic(docx_path.with_suffix(".pdf"), pdf)
        files.insert(0, docx_path.with_suffix(".pdf"))
    dossier = svc.dossier(row)
    total = Decimal(step.payload["debt"]) + Decimal(step.payload["penalty"])
    mail = notices.notice(NoticeKind.CLAIM, ws=svc.ws, row=row, event=f"claim/{docx_path.stem}",
                          to=[notices.manager_address(row)], folder=docx_path.parent, dossier=dossier.letters,
                          today=svc.now().date(), attachments=files, on=f"{on:%d.%m.%Y}",
                          debt=format_money(Decimal(step.payload["debt"])),
                          penalty=format_money(Decimal(step.payload["penalty"])), claim_total=format_money(total),
                          answer_days=svc.settings.obligations.claim_answer_days)
    with svc.store.transaction():
        svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=svc.now())
    return f"претензия по сделке {row.number}: {format_money(total)} руб. → {svc.rel(files[0])}"


def render_claim(svc: Services, row: DealRow, p: Position) -> bytes:
    context = claim_context(svc.deal_of(row), p, settings=svc.settings, number=row.number, version=row.version,
                            calendar=calendar_of(svc), clause=claims_clause(svc, row))
    return render_document(claim_template(svc), context, number=row.number, version=row.version,
                           title=f"Претензия по договору № {row.number}")


def claims_clause(svc: Services, row: DealRow) -> Clause | None:
    """The claims clause of the contract as signed (its number and the term to answer), by its bookmark."""
    signed = svc.dossier(row).root / f"{final_contract_stem(row.number)}.docx"
    try:
        return find_clause(signed.read_bytes()) if signed.exists() else None
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):  # a damaged copy: the settings' term
        svc.log.warning("договор %s: претензионный пункт не прочитан, срок ответа — из настроек", row.number)
        return None


def claim_template(svc: Services) -> Path:
    """The workspace's own claim.docx (the lawyer's), else the one shipped with docgen."""
    own = svc.ws.letter_templates / "claim.docx"
    return own if own.exists() else DEFAULT_TEMPLATES / "letters" / "claim.docx"


def _position(svc: Services, row: DealRow, *, today: dt.date) -> Position:
    if row.stage != Stage.SIGNED:
        raise ObligationError(f"сделка {row.number} не подписана: у неё ещё нет сроков оплаты")
    p = ledger.position_of(svc.store, row, calendar=calendar_of(svc), today=today)
    assert p is not None
    return p
