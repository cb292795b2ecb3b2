"""Who is told what at each step: recipients (deputies standing in for the absent) and each notice's context."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from docgen.form.money import format_money
from docgen.mail.notice import CONTEXT_NAMES, OPTIONAL_NAMES, Notice, NoticeKind, build_notice
from docgen.store import DealRow
from docgen.workflow.people import manager_address, substitute
from docgen.workspace import Workspace

__all__ = ["deal_context", "manager_address", "notice", "within_size"]


def deal_context(ws: Workspace, row: DealRow, *, folder: Path) -> dict[str, object]:
    return {
        "deal": row.number,
        "version": row.version,
        "client": row.buyer_name,
        "inn": row.buyer_inn,
        "total": format_money(Decimal(row.total)),
        "manager": row.manager,
        "folder": ws.shown(folder),
    }


def notice(kind: NoticeKind, *, ws: Workspace, row: DealRow, event: str, to: list[str], folder: Path,
           dossier: Path | None, today: dt.date, attachments: list[Path] = (), **extra: object) -> Notice:
    """A notice of the deal's current version; whoever is away on `today` is replaced by their deputy,
    and the text is told whom the deputy stands in for (`deputy_for`)."""
    recipients, absent = substitute(ws.settings, to, day=today)
    context = deal_context(ws, row, folder=folder) | {"deputy_for": ", ".join(absent)} | extra
    expected, optional = CONTEXT_NAMES.get(kind), OPTIONAL_NAMES.get(kind, frozenset())
    if expected is not None and not expected <= set(context) <= expected | optional:
        raise ValueError(f"notice {kind}: context {sorted(context)} differs from CONTEXT_NAMES {sorted(expected)}")
    return build_notice(kind, ws=ws, event_id=f"{row.number}/v{row.version}/{event}", to=recipients,
                        context=context, attachments=[a for a in attachments if a is not None], deal=row.number,
                        dossier=dossier)


def within_size(paths: list[Path], limit: int) -> list[Path]:
    """`paths` when together they fit in `limit` bytes (a letter's attachments), else none: the letter names
    the folder instead. A file that is gone counts as too big to attach."""
    try:
        total = sum(p.stat().st_size for p in paths)
    except OSError:
        return []
    return list(paths) if paths and total <= limit else []
