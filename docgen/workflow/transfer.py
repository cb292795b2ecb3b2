"""Handing a client to another manager: the agreement checked against the store's deals, filed in the
client's dossier, the open deals reassigned (later letters go to the new manager), everyone told.

The agreement's deals must exist and be this client's (by ИНН); their subjects and amounts are the
store's. A deal is open unless it was cancelled or, once signed, is paid and delivered in full; every
open deal of the client goes with the client, so an agreement that leaves one out is refused (an
empty list takes them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from docgen.errors import Fault, FileConflict, FormInvalid
from docgen.files import safe_name, sha256_bytes, write_atomic
from docgen.form.money import format_money
from docgen.mail.addresses import mailbox
from docgen.mail.notice import NoticeKind, build_notice
from docgen.obligations import ledger
from docgen.render.transfer import OpenDeal, TransferForm, render_transfer, transfer_number
from docgen.store import DealRow
from docgen.workflow.dossier import client_folder
from docgen.workflow.people import person_name
from docgen.workflow.services import Services
from docgen.workflow.stages import stage_title
from docgen.workspace import Stage

# The client's dossier keeps its transfer agreements here, beside the deals.
FOLDER = "Передача клиента"


@dataclass(frozen=True)
class Transfer:
    """What the agreement hands over, as the store knows it."""

    form: TransferForm  # its deals filled in from the store
    rows: list[DealRow]
    folder: Path  # the client's dossier folder


def open_deals(svc: Services, inn: str) -> list[DealRow]:
    """The client's deals still under way: not cancelled and, once signed, not paid and delivered in full."""
    rows = [r for r in svc.store.deals(where="buyer_inn = ?", params=(inn,)) if r.stage != Stage.CANCELLED]
    positions = ledger.positions(svc.store, rows, calendar=svc.deadlines.calendar, today=svc.now().date())
    return [r for r in rows if r.stage != Stage.SIGNED or r.number not in positions
            or any(s.is_open for s in positions[r.number].standings)]


def resolve(svc: Services, form: TransferForm, *, source: str) -> Transfer:
    """The agreement against the store; FormInvalid naming each deal that does not fit."""
    inn = form.client.inn
    faults, rows = [], []
    for index, deal in enumerate(form.deals):
        row = svc.store.find_deal(deal.number)
        where = f"deals[{index}].number"
        if row is None:
            faults.append(Fault(where, f"сделки {deal.number} нет в docgen — проверьте номер"))
        elif row.buyer_inn != inn:
            faults.append(Fault(where, f"сделка {deal.number} — клиента {row.buyer_name} (ИНН {row.buyer_inn}), "
                                       f"а соглашение о клиенте с ИНН {inn}"))
        elif row.stage == Stage.CANCELLED:
            faults.append(Fault(where, f"сделка {deal.number} отменена: её не передают, уберите её из соглашения"))
        else:
            rows.append(row)
    under_way = open_deals(svc, inn)
    listed = {d.number for d in form.deals}
    left_out = [r.number for r in under_way if r.number not in listed]
    if form.deals and left_out:
        faults.append(Fault("deals", f"у клиента есть открытые сделки, не названные в соглашении: "
                                     f"{', '.join(left_out)}; клиента передают со всеми открытыми сделками — "
                                     "добавьте их или оставьте список пустым (deals: []), docgen подставит их сам"))
    if not form.deals:
        rows = under_way
    if rows and form.manager.email is None:
        faults.append(Fault("manager.email", "нужен адрес клиент-менеджера: письма по передаваемым сделкам "
                                             "пойдут ему"))
    if faults:
        raise FormInvalid(source, faults)
    deals = [OpenDeal(number=r.number, summary=r.subject, amount=Decimal(r.total)) for r in rows]
    folder = svc.at_root(rows[0].dossier).parent if rows else client_folder(svc.ws, inn=inn, name=form.client.name)
    return Transfer(form.model_copy(update={"deals": deals}), rows, folder)


def agreement_paths(transfer: Transfer) -> tuple[Path, Path]:
    """Where the agreement's DOCX and PDF go in the client's dossier."""
    stem = safe_name(f"Соглашение {transfer_number(transfer.form)} о передаче клиента", limit=110)
    docx = transfer.folder / FOLDER / f"{stem}.docx"
    return docx, docx.with_suffix(".pdf")


def file_transfer(svc: Services, transfer: Transfer, *, force: bool = False, extra: Path | None = None) -> list[Path]:
    """Render and file the agreement (and its PDF), reassign the deals, tell both managers and the directors.
    FileConflict if the agreement (or `extra`) is already there and `force` is not given."""
    docx_path, pdf_path = agreement_paths(transfer)
    for path in (docx_path, extra):
        if path is not None and path.exists() and not force:
            raise FileConflict(path, "чтобы заменить его, повторите команду с --force")
    form = transfer.form
    number = transfer_number(form)
    docx = render_transfer(form, ws=svc.ws)
    pdf = svc.documents.pdf(docx, title=f"Соглашение о передаче клиента {form.client.name}", number=number,
                            version=1)
    written = [docx_path]
    write_atomic(docx_path, docx)
    if pdf is not None:
        write_atomic(pdf_path, pdf)
        written.append(pdf_path)
    if extra is not None:
        write_atomic(extra, docx)
        written.append(extra)
    _reassign(svc, transfer, agreement=pdf_path if pdf is not None else docx_path, sha=sha256_bytes(docx))
    return written


def _before(svc: Services, row: DealRow, *, agreement: str) -> tuple[str, str]:
    """The manager who had the deal before this agreement (name, e-mail): the one its first filing moved it
    from, when the agreement is filed again (--force); else the deal's manager now."""
    for entry in svc.store.journal(row.number):
        if entry["action"] == "client_transferred" and entry["detail"].get("agreement") == agreement:
            return entry["detail"]["from"], entry["detail"]["from_email"]
    return row.manager, row.manager_email


def _reassign(svc: Services, transfer: Transfer, *, agreement: Path, sha: str) -> None:
    """The deals to the new manager, the journal, the letter, in one transaction."""
    form, now = transfer.form, svc.now()
    new = mailbox(form.manager.name, form.manager.email) if form.manager.email else None
    number = transfer_number(form)
    before = {r.number: _before(svc, r, agreement=number) for r in transfer.rows}
    previous = list(dict.fromkeys(mailbox(*before[r.number]) for r in transfer.rows))
    directors = [d.director for d in (svc.settings.divisions.get(r.division) for r in transfer.rows) if d]
    mail = build_notice(
        NoticeKind.TRANSFER, ws=svc.ws, event_id=f"transfer/{number}/{sha[:12]}",
        to=list(dict.fromkeys(a for a in [*previous, new, *directors] if a)), attachments=[agreement],
        dossier=transfer.folder / FOLDER, context={
            "number": number, "client": form.client.name, "inn": form.client.inn,
            "transfer_date": (form.transfer_date or form.date).strftime("%d.%m.%Y"),
            "employee": form.employee.name, "previous": ", ".join(person_name(a) for a in previous),
            "new_manager": form.manager.name, "folder": svc.rel(agreement.parent) + "/",
            "deals": [f"{r.number} — {r.subject}, {format_money(Decimal(r.total))} руб. ({stage_title(r.stage)})"
                      for r in transfer.rows]})
    with svc.store.transaction():
        for row in transfer.rows:
            if new and (row.manager, row.manager_email) != (form.manager.name, form.manager.email):
                svc.store.update_deal(row.number, manager=form.manager.name, manager_email=form.manager.email)
            svc.store.journal_add(at=now, deal=row.number, version=row.version, actor=form.employee.name,
                                  role="manager", action="client_transferred", sha256=sha,
                                  detail={"agreement": number, "file": svc.rel(agreement),
                                          "from": before[row.number][0], "from_email": before[row.number][1],
                                          "to": form.manager.name,
                                          "to_email": form.manager.email,
                                          "comments": [f"{before[row.number][0]} → {form.manager.name}, "
                                                       f"соглашение {number}"]})
        svc.outbox.enqueue(mail)
    svc.register_dirty = True
