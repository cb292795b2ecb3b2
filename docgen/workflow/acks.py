"""Closing the steps after signing: Finance acknowledges the originals, Economics accepts the launch into
production, Technical acknowledges the documents.

By command (`docgen ack DEAL originals|production|technical`) or by a move into the department's
`accepted/` folder: «Ввод в Производство» into `outbox/economics/accepted/`, the deal's folder (or any
file named by the deal number) into `outbox/technical/accepted/`, a scan of the originals (any file
named by the deal number) into `outbox/finance/accepted/`. The moved files stay there, where the
department sees them; docgen takes the `accepted/` folders on each rescan of the folders. Each
acknowledgment is journaled with who and how; `status` and the register show what is still
unacknowledged. What a deal expects is what it was sent: the letters queued when it was signed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from docgen.errors import WorkflowError
from docgen.files import move_into
from docgen.store import DealRow, Step, Store
from docgen.workflow.dossier import DEAL_IN_NAME, handover_stem
from docgen.workflow.people import person_name
from docgen.workflow.services import Services
from docgen.workspace import Stage, Workspace

KIND = "ack"
ACCEPTED = "accepted"


class Ack(StrEnum):
    ORIGINALS = "originals"
    PRODUCTION = "production"
    TECHNICAL = "technical"


TITLES = {Ack.ORIGINALS: "оригиналы", Ack.PRODUCTION: "Ввод в Производство",
          Ack.TECHNICAL: "техническая документация"}
# Who acknowledges: the department, as [people] names it.
ROLES = {Ack.ORIGINALS: "finance", Ack.PRODUCTION: "economics", Ack.TECHNICAL: "technical"}
# The letter of the signing that hands each thing over (docgen.workflow.signing).
NOTICES = {"originals": Ack.ORIGINALS, "handover": Ack.PRODUCTION, "technical": Ack.TECHNICAL}


def accepted_folder(ws: Workspace, what: Ack) -> Path:
    """outbox/finance/accepted/, outbox/economics/accepted/, outbox/technical/accepted/."""
    base = {Ack.ORIGINALS: ws.review("finance"), Ack.PRODUCTION: ws.economics, Ack.TECHNICAL: ws.technical}[what]
    return base / ACCEPTED


@dataclass(frozen=True)
class Closing:
    """What a deal's departments have acknowledged (what → (when, who)) and what they have not."""

    acknowledged: dict[Ack, tuple[str, str]]
    pending: list[Ack]


def closing_of(store: Store, numbers: Sequence[str] | None = None) -> dict[str, Closing]:
    """Each signed deal's acknowledgments and what is still pending (of `numbers`, or of every deal)."""
    only, params = "", tuple(numbers or ())
    if numbers is not None and len(numbers) <= 500:
        only = f" AND deal IN ({', '.join('?' * len(numbers))})"
    else:
        params = ()
    expected: dict[str, set[Ack]] = {}
    for deal, kind in store.conn.execute(
            f"SELECT DISTINCT deal, kind FROM mail_notices WHERE kind IN ('originals', 'handover', 'technical'){only}",
            params):
        expected.setdefault(deal, set()).add(NOTICES[kind])
    done: dict[str, dict[Ack, tuple[str, str]]] = {}
    for deal, at, actor, detail in store.conn.execute(
            f"SELECT deal, at, actor, detail FROM journal WHERE action = 'acknowledged'{only} ORDER BY id", params):
        done.setdefault(deal, {})[Ack(json.loads(detail)["what"])] = (at, actor)
    return {deal: Closing(done.get(deal, {}), [a for a in Ack if a in wants and a not in done.get(deal, {})])
            for deal, wants in expected.items()}


def ack(svc: Services, number: str, what: Ack, *, actor: str | None = None, via: str,
        file: str | None = None) -> str:
    """Record the acknowledgment (WorkflowError if the deal expects none), then move the files into accepted/."""
    now = svc.now()
    with svc.store.transaction():
        row = svc.store.deal(number)
        state = closing_of(svc.store, [number]).get(number)
        why = _refusal(row, what, state)
        if why:
            raise WorkflowError(why)
        if what in state.acknowledged:
            at, who = state.acknowledged[what]
            return f"сделка {number}: {TITLES[what]} уже подтверждено ({who}, {at[:16].replace('T', ' ')})"
        who = actor or person_name(str(getattr(svc.settings.people, ROLES[what], "") or ROLES[what]))
        svc.store.journal_add(at=now, deal=number, version=row.version, actor=who, role=ROLES[what],
                              action="acknowledged", detail={"what": str(what), "via": via,
                                                             "comments": [TITLES[what]],  # shown in status, board
                                                             **({"file": file} if file else {})})
        key = f"{KIND}:{number}:{what}"
        svc.store.plan(key=key, kind=KIND, at=now, source=file or "command", deal=number, version=row.version,
                       payload={"what": str(what)})
    return finish_ack(svc, svc.store.step(key))


def _refusal(row: DealRow, what: Ack, state: Closing | None) -> str | None:
    if row.stage != Stage.SIGNED:
        return f"сделка {row.number} не подписана: подтверждать по ней нечего"
    if state is None or (what not in state.pending and what not in state.acknowledged):
        return f"по сделке {row.number} {TITLES[what]} не передавались: подтверждать нечего"
    return None


def finish_ack(svc: Services, step: Step) -> str:
    """What the department received moves into its accepted/ folder; repeated after a crash, the same."""
    what = Ack(step.payload["what"])
    row = svc.store.deal(step.deal)
    for source in _handed_over(svc, row, what):
        target = accepted_folder(svc.ws, what) / source.name
        if source.is_dir():  # the deal's technical folder, whole: one rename on the same share
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)
        else:
            move_into(source, target)
    with svc.store.transaction():
        svc.store.finish(step.key, at=svc.now())
    svc.register_dirty = True
    return f"сделка {row.number}: {TITLES[what]} — получение подтверждено"


def _handed_over(svc: Services, row: DealRow, what: Ack) -> list[Path]:
    """The files docgen left for the department that are still outside accepted/."""
    if what is Ack.PRODUCTION:
        stem = handover_stem(row.number, row.buyer_name)
        return [p for p in (svc.ws.economics / f"{stem}{s}" for s in (".docx", ".pdf")) if p.is_file()]
    if what is Ack.TECHNICAL:
        folder = svc.ws.technical / row.number
        target = accepted_folder(svc.ws, what) / row.number
        return [folder] if folder.is_dir() and not target.exists() else []
    return []


class AcceptedFolders:
    """The accepted/ folders, swept on each rescan: an entry named by a signed deal's number acknowledges
    it. Entries already looked at (by name and time) are not looked at again until they change."""

    def __init__(self, svc: Services):
        self.svc = svc
        self._seen: set[tuple[Path, int]] = set()

    def sweep(self) -> list[str]:
        accounts = []
        for what in Ack:
            folder = accepted_folder(self.svc.ws, what)
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                account = self._take(entry, what)
                if account:
                    accounts.append(account)
        return accounts

    def _take(self, entry: Path, what: Ack) -> str | None:
        try:
            look = (entry, os.lstat(entry).st_mtime_ns)
        except OSError:
            return None
        if look in self._seen or entry.name.startswith(("~$", ".")) or entry.name.endswith(".why.txt"):
            return None
        self._seen.add(look)
        found = DEAL_IN_NAME.search(entry.name)
        row = self.svc.store.find_deal(found.group(1)) if found else None
        if row is None:
            return None  # not a deal's: it stays where the department put it
        state = closing_of(self.svc.store, [row.number]).get(row.number)
        if _refusal(row, what, state) or what in state.acknowledged:
            return None
        try:
            return ack(self.svc, row.number, what, via=f"папка {self.svc.rel(entry.parent)}/", file=entry.name)
        except WorkflowError:
            return None


FINISHERS = {KIND: finish_ack}
