"""Where a deal's files live and what they are called: the client's dossier and the reviewers' drafts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from docgen.files import safe_name
from docgen.workspace import Workspace

DEAL_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{3,6})(?!\d)")
VERSION_IN_NAME = re.compile(r"(?<![\w])v(\d{1,3})(?!\d)", re.IGNORECASE)


def client_folder(ws: Workspace, *, inn: str, name: str) -> Path:
    return ws.clients / safe_name(f"{inn} {name}", limit=100)


def offers_folder(client: Path) -> Path:
    """Commercial proposals sit in the client's folder, beside the deals they led to."""
    return client / "Коммерческие предложения"


@dataclass(frozen=True)
class Dossier:
    """The folder of one deal inside its client's dossier."""

    root: Path

    @property
    def forms(self) -> Path:
        return self.root / "Формы"

    @property
    def versions(self) -> Path:
        return self.root / "Версии"

    @property
    def returns(self) -> Path:
        return self.root / "Замечания"

    @property
    def attachments(self) -> Path:
        return self.root / "Техническая документация"

    @property
    def letters(self) -> Path:
        return self.root / "Письма"


def draft_stem(*, number: str, version: int, client: str) -> str:
    """«2026-0001 v1 Договор — ООО «Ромашка & Ко»»: the deal number and version lead, for matching."""
    return safe_name(f"{number} v{version} Договор — {client}", limit=110)


def final_contract_stem(number: str) -> str:
    return f"Договор {number}"


def approval_sheet_stem(number: str) -> str:
    return f"Лист согласования {number}"


def handover_stem(number: str, client: str) -> str:
    return safe_name(f"Ввод в Производство {number} — {client}", limit=110)


def identity_from_name(name: str) -> tuple[str | None, int | None]:
    """The deal number and version a file's name carries, if any."""
    deal = DEAL_IN_NAME.search(name)
    version = VERSION_IN_NAME.search(name)
    return (deal.group(1) if deal else None, int(version.group(1)) if version else None)
