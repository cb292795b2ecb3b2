"""Who is told what at each step: recipients and the context of each notice."""

from __future__ import annotations

from decimal import Decimal
from email.utils import parseaddr
from pathlib import Path

from docgen.form.money import format_money
from docgen.mail.addresses import mailbox
from docgen.mail.notice import CONTEXT_NAMES, Notice, NoticeKind, build_notice
from docgen.settings import Settings
from docgen.store import DealRow
from docgen.workspace import Role, Workspace


def manager_address(row: DealRow) -> str:
    return mailbox(row.manager, row.manager_email)


def role_address(settings: Settings, role: Role, *, division: str) -> str:
    if role is Role.DIRECTOR:
        return settings.divisions[division].director
    return getattr(settings.people, str(role))


def role_person(settings: Settings, role: Role, *, division: str) -> str:
    """The display name of whoever holds `role` (the address itself when there is no name)."""
    name, addr = parseaddr(role_address(settings, role, division=division))
    return name or addr


def deal_context(ws: Workspace, row: DealRow, *, folder: Path) -> dict[str, object]:
    return {
        "deal": row.number,
        "version": row.version,
        "client": row.buyer_name,
        "inn": row.buyer_inn,
        "total": format_money(Decimal(row.total)),
        "manager": row.manager,
        "folder": _relative(ws, folder),
    }


def notice(kind: NoticeKind, *, ws: Workspace, row: DealRow, event: str, to: list[str], folder: Path,
           dossier: Path | None, attachments: list[Path] = (), **extra: object) -> Notice:
    context = deal_context(ws, row, folder=folder) | extra
    expected = CONTEXT_NAMES.get(kind)
    if expected is not None and set(context) != expected:
        raise ValueError(f"notice {kind}: context {sorted(context)} differs from CONTEXT_NAMES {sorted(expected)}")
    return build_notice(kind, ws=ws, event_id=f"{row.number}/v{row.version}/{event}", to=to, context=context,
                        attachments=[a for a in attachments if a is not None], deal=row.number, dossier=dossier)


def _relative(ws: Workspace, folder: Path) -> str:
    try:
        return str(folder.relative_to(ws.root)) + "/"
    except ValueError:
        return str(folder)

