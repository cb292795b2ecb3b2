"""`docgen offer`: a commercial proposal filed in the client's dossier beside the client's letters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docgen.files import safe_name, write_atomic
from docgen.form.deal import Deal
from docgen.render.offer import render_offer
from docgen.workflow.dossier import client_folder, offers_folder
from docgen.workflow.documents import Documents
from docgen.workspace import Workspace


def offer_number(folder: Path, today: dt.date) -> str:
    """«20261126-1»: the day and the proposal's place among that day's proposals to this client."""
    prefix = f"КП {today:%Y%m%d}-"
    taken = {p.stem.split(" ", 2)[1] for p in folder.glob(f"{prefix}*.docx")} if folder.is_dir() else set()
    n = 1
    while f"{today:%Y%m%d}-{n}" in taken:
        n += 1
    return f"{today:%Y%m%d}-{n}"


def file_offer(ws: Workspace, deal: Deal, *, documents: Documents, today: dt.date) -> list[Path]:
    """Render the proposal (DOCX, and PDF where LibreOffice is) into the client's folder; the files written."""
    buyer = deal.form.buyer
    folder = offers_folder(client_folder(ws, inn=buyer.inn, name=buyer.name))
    number = offer_number(folder, today)
    docx = render_offer(deal, ws=ws, number=number, today=today)
    stem = safe_name(f"КП {number} — {deal.form.subject.summary}", limit=110)
    written = [folder / f"{stem}.docx"]
    write_atomic(written[0], docx)
    pdf = documents.convert(docx, name=stem)
    if pdf is not None:
        written.append(folder / f"{stem}.pdf")
        write_atomic(written[1], pdf)
    return written
