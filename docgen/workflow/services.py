"""What every workflow step works with: the workspace, the store, documents, the mail outbox, the clock."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docgen.files import within
from docgen.form.deal import Deal, thaw
from docgen.mail.outbox import MailOutbox
from docgen.store import DealRow, Store
from docgen.workflow.deadlines import Deadlines
from docgen.workflow.documents import Documents
from docgen.workflow.dossier import Dossier
from docgen.workflow.route import Route
from docgen.workspace import Stage, Workspace


@dataclass
class Services:
    ws: Workspace
    store: Store
    documents: Documents
    outbox: MailOutbox
    clock: Callable[[], dt.datetime]
    log: logging.Logger
    register_dirty: bool = False

    @property
    def settings(self):
        return self.ws.settings

    def now(self) -> dt.datetime:
        return self.clock()

    @functools.cached_property
    def deadlines(self) -> Deadlines:
        return Deadlines.from_settings(self.settings)

    def route_of(self, row: DealRow) -> Route:
        """The route recorded with the deal's current version."""
        return Route.from_json(self.store.route(row.number, row.version))

    def dossier(self, row: DealRow) -> Dossier:
        return Dossier(self.at_root(row.dossier))

    def deal_of(self, row: DealRow, *, attachments: dict[str, bytes] | None = None) -> Deal:
        return thaw(row.form_json, attachments=attachments, contract_date=dt.date.fromisoformat(row.contract_date),
                    signed=row.stage == Stage.SIGNED)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.ws.root))
        except ValueError:
            return str(path)

    def at_root(self, rel: str) -> Path:
        """A path the store keeps relative to the workspace, checked to stay inside it."""
        return within(self.ws.root, self.ws.root / rel)
