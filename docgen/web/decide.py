"""Decisions from the board and the API: checked against the person, then the workflow's own `decide`.

The board runs beside the watcher, on the same store: a decision takes the same path as
`docgen approve|return` (record, move the files, queue the letters), with the logged-in person as
the one who decided. One workflow is opened on the first decision and kept (its LibreOffice too);
decisions take turns.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from docgen.errors import AccessDenied, WorkflowError
from docgen.settings import Settings
from docgen.store import DealRow
from docgen.web.people import Person, acting_for, decides_some_stage, decision_role, role_title, stage_name
from docgen.workflow.engine import Workflow, close_workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Workspace


def comment_missing(decision: Decision, comment: str) -> bool:
    """A return needs remarks: what the manager is to correct."""
    return decision is Decision.RETURNED and not comment.strip()


def role_to_decide(settings: Settings, *, person: Person, row: DealRow, day: dt.date) -> str:
    """The role `person` decides this deal in now (as its owner or as a deputy for the absent owner);
    AccessDenied (403) or WorkflowError (409) otherwise."""
    if not person.sees(row):
        raise AccessDenied(f"сделка {row.number} вам не видна")
    role = decision_role(settings, person, row=row, day=day)
    if role is not None:
        return role
    if decides_some_stage(settings, person, row=row, day=day):
        title = stage_name(settings, row.stage)
        raise WorkflowError(f"сделка {row.number} сейчас {title}: решение за вашу роль сейчас не требуется")
    raise AccessDenied(f"вы не принимаете решений по сделке {row.number}")


@dataclass(frozen=True)
class Outcome:
    account: str  # what happened, in Russian
    pending: bool = False  # recorded, but its files wait for the watcher


class Decider:
    """The workflow the board decides through, opened once as `docgen approve` opens it."""

    def __init__(self, ws: Workspace, *, log: logging.Logger, opener: Callable[[Workspace, logging.Logger], Workflow]):
        self.ws = ws
        self.log = log
        self.opener = opener
        self._lock = threading.Lock()
        self._workflow: Workflow | None = None

    def decide(self, row: DealRow, *, person: Person, decision: Decision, comment: str, via: str,
               day: dt.date) -> Outcome:
        """Decide for `person`; WorkflowError if the deal moved on meanwhile (nothing is changed then)."""
        settings = self.ws.settings
        role = role_to_decide(settings, person=person, row=row, day=day)
        actor = acting_for(settings, person, role=role, division=row.division, day=day)
        if comment_missing(decision, comment):
            raise WorkflowError("чтобы вернуть договор, напишите замечания: что исправить")
        with self._lock:
            if self._workflow is None:
                self._workflow = self.opener(self.ws, self.log)
            try:
                outcome = Outcome(self._workflow.decide(
                    row.number, role=role, decision=decision, comment=comment.strip(), actor=actor,
                    via=f"{via} ({person.email})"))
            except WorkflowError:
                raise
            except Exception as exc:
                outcome = self._recorded_anyway(row, person=person, error=exc)
            self._workflow.flush_register()
        self.log.info("%s: %s — %s", person.email, role_title(settings, role), outcome.account)
        return outcome

    def _recorded_anyway(self, row: DealRow, *, person: Person, error: Exception) -> Outcome:
        """A failure after the decision was recorded (a folder gone, a full disk): the step waits planned and
        the watcher's next pass finishes it. A failure before it is raised again: nothing changed then."""
        now = self._workflow.svc.store.deal(row.number)
        if (now.stage, now.version) == (row.stage, row.version):
            raise error
        self.log.error("%s: решение по сделке %s записано, файлы не разложены: %s", person.email, row.number, error)
        return Outcome(f"решение записано, сделка {row.number} → {stage_name(self.ws.settings, now.stage)}; "
                       "файлы разложит служба при следующем проходе", pending=True)

    def close(self) -> None:
        with self._lock:
            if self._workflow is not None:
                close_workflow(self._workflow)
                self._workflow = None

