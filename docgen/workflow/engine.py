"""The workflow as the watcher and the CLI use it: route a file to its step, finish interrupted steps."""

from __future__ import annotations

import getpass
from pathlib import Path

from docgen.errors import Fault, StatementInvalid, WorkflowError
from docgen.files import sha256_file
from docgen.obligations import bank
from docgen.obligations.notify import ObligationSchedule
from docgen.obligations.steps import FINISHERS as OBLIGATION_STEPS
from docgen.store import Step
from docgen.workflow import decisions, intake
from docgen.workflow.decisions import Submitted
from docgen.workflow.dossier import draft_stem
from docgen.workflow.people import Holder, holder
from docgen.workflow.register import write_register
from docgen.workflow.reminders import Reminders
from docgen.workflow.services import Services
from docgen.workflow.stages import Decision, holds, stage_title

_FINISHERS = {
    "intake": intake.finish_intake,
    "reject": intake.finish_reject,
    "decision": decisions.finish_decision,
    "unrecognized": decisions.finish_aside,
    **OBLIGATION_STEPS,  # bank statements, production notices, claims
}


class Workflow:
    """Routes files to steps; every step is recorded before its files move (see docgen.store)."""

    def __init__(self, svc: Services):
        self.svc = svc
        self.reminders = Reminders(svc)
        self.obligations = ObligationSchedule(svc)

    def roles(self) -> list[str]:
        """The roles of the settings, and any role a deal still waits in after its rule was removed."""
        known = list(self.svc.ws.roles)
        rows = self.svc.store.conn.execute("SELECT DISTINCT stage FROM deals ORDER BY stage").fetchall()
        return known + [row[0] for row in rows if holds(row[0]) and row[0] not in known]

    def watched_folders(self) -> list[Path]:
        ws = self.svc.ws
        return [ws.inbox, ws.bank_inbox] + [ws.review(role) / str(d) for role in self.roles() for d in Decision]

    def take(self, path: Path) -> str:
        """Process one settled file from a watched folder; returns the account of where it went.

        A failure before the step is recorded sets the file aside with the reason, so it is not
        retried forever; a failure after it leaves the step planned for `recover`.
        """
        ws = self.svc.ws
        self.reminders.changed()  # a deal may enter a stage: its reminders start from the next working day
        self.obligations.changed()  # ...or be signed with its prepayment in: production may start
        try:
            if path.parent == ws.inbox:
                return intake.take_form(self.svc, path)
            if path.parent == ws.bank_inbox:
                return bank.take_statement(self.svc, path)
            for role in self.roles():
                for decision in Decision:
                    if path.parent == ws.review(role) / str(decision):
                        return decisions.take_decision(self.svc, path, role=role, decision=decision)
        except Exception as exc:
            if not path.exists() or self._planned_for(path):
                raise
            self.svc.log.exception("%s: сбой до записи шага, файл откладывается", path.name)
            return self._set_aside(path, exc)
        raise WorkflowError(f"папка {path.parent} не наблюдается docgen")

    def _planned_for(self, path: Path) -> bool:
        sha = sha256_file(path)
        return any(step.sha256 == sha for step in self.svc.store.planned_steps())

    def _set_aside(self, path: Path, exc: Exception) -> str:
        why = f"внутренняя ошибка docgen ({type(exc).__name__}: {exc}); сообщите администратору"
        if path.parent == self.svc.ws.bank_inbox:
            return bank.reject(self.svc, path, content=path.read_bytes(), why=StatementInvalid(why))
        if path.parent == self.svc.ws.inbox:
            return intake.reject(self.svc, path, content=path.read_bytes(), mtime_ns=path.stat().st_mtime_ns,
                                 faults=[Fault("", why)])
        return decisions.set_aside(self.svc, path, role=path.parent.parent.name, why=why)

    def recover(self) -> list[str]:
        """Finish every step a crash (or a failure) left planned; a step that fails again waits for the next call."""
        accounts = []
        for step in self.svc.store.planned_steps():
            try:
                accounts.append(self.finish(step))
            except Exception as exc:  # a broken template, LibreOffice down: the step stays planned
                self.svc.log.error("шаг %s (%s) не завершён: %s", step.key, step.source, exc)
        return accounts

    def finish(self, step: Step) -> str:
        return _FINISHERS[step.kind](self.svc, step)

    def decide(self, number: str, *, role: str, decision: Decision, comment: str = "", actor: Holder | None = None,
               via: str | None = None) -> str:
        """`docgen approve|return` and the web board: the decision on the draft in the reviewer's folder, as if it
        were moved. `actor`: who decided (by default whoever holds the role today: a deputy's decision is recorded
        as taken for the absent owner); `via`: how it was taken."""
        row = self.svc.store.deal(number)
        self.reminders.changed()
        if row.stage != role:
            raise WorkflowError(f"сделка {number} сейчас {stage_title(row.stage, self.svc.route_of(row))}; "
                                f"решение за эту роль сейчас не требуется")
        stem = draft_stem(number=number, version=row.version, client=row.buyer_name)
        draft = self.svc.ws.review(role) / f"{stem}.docx"
        if not draft.exists():
            draft = self.svc.dossier(row).versions / f"{stem}.docx"
        content = draft.read_bytes()
        submitted = Submitted(draft, content, 0, [comment] if comment else [], None)
        actor = actor or holder(self.svc.settings, role, division=row.division, day=self.svc.now().date())
        step = decisions.record_decision(self.svc, number, role=role, decision=decision, submitted=submitted,
                                         actor=actor, via=via or f"command (пользователь {getpass.getuser()})")
        account = decisions.finish_decision(self.svc, step)
        production = self.obligations.after_decision(number)
        return f"{account}\n{production}" if production else account

    def tick(self) -> None:
        """Record the reminders due now, of stages and of obligations (cheap when none can be); the sender
        sends them. Also tells Economics when a prepayment completed while nobody was looking."""
        for account in self.reminders.tick() + self.obligations.run_due():
            self.svc.log.info("%s", account)

    def seconds_to_next(self) -> float | None:
        """How long the service may sleep before a reminder may come due."""
        left = [s for s in (self.reminders.seconds_left(), self.obligations.seconds_left()) if s is not None]
        return min(left) if left else None

    def flush_register(self) -> None:
        if self.svc.register_dirty:
            self.svc.register_dirty = False
            if write_register(self.svc.store, self.svc.ws, roles=self.roles(), deadlines=self.svc.deadlines,
                              now=self.svc.now(), log=self.svc.log) is None:
                self.svc.register_dirty = True


def open_workflow(ws, *, clock, log, converter=None) -> Workflow:
    """The workflow of a workspace with its store, mail outbox and documents; `close_workflow` ends it."""
    from docgen.mail.outbox import MailOutbox
    from docgen.store import open_store
    from docgen.workflow.documents import Documents

    store = open_store(ws.state)
    outbox = MailOutbox(store.conn)
    outbox.ensure_schema()
    documents = Documents(ws, converter, log=log)
    return Workflow(Services(ws=ws, store=store, documents=documents, outbox=outbox, clock=clock, log=log))


def close_workflow(workflow: Workflow) -> None:
    workflow.flush_register()
    workflow.svc.documents.close()
    workflow.svc.store.close()
