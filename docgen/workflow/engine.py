"""The workflow as the watcher and the CLI use it: route a file to its step, finish interrupted steps."""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from docgen.errors import Fault, Postponed, StatementInvalid, StoreError, WorkflowError, describe, is_transient
from docgen.files import entry_reason, read_plain, sha256_file
from docgen.mail.notice import admin_notice
from docgen.obligations import bank
from docgen.obligations.notify import ObligationSchedule
from docgen.obligations.steps import FINISHERS as OBLIGATION_STEPS
from docgen.printable import printable
from docgen.store import Step
from docgen.workflow import acks, cancel, comments, decisions, entries, intake
from docgen.workflow.decisions import Submitted
from docgen.workflow.dossier import draft_stem
from docgen.workflow.integrity import check_dossier
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
    entries.KIND: entries.finish_set_aside,
    comments.RETURN_REFUSED: comments.finish_refused,
    **OBLIGATION_STEPS,  # bank statements, production notices, claims
    **cancel.FINISHERS,
    **acks.FINISHERS,
}


# A register that could not be written (open in Excel, a full disk) is tried again this much later.
REGISTER_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class _Watched:
    """What a watched folder does with a file, and where it sets aside what it will not read."""

    take: Callable[[Path], str]
    aside: Path
    report: str  # the suffix of the reason's file beside a set-aside entry


class Workflow:
    """Routes files to steps; every step is recorded before its files move (see docgen.store)."""

    def __init__(self, svc: Services):
        self.svc = svc
        self.unreadable = entries.Unreadable()
        self._register_retry_at = 0.0
        self.reminders = Reminders(svc)
        self.obligations = ObligationSchedule(svc)
        self.accepted = acks.AcceptedFolders(svc)

    def roles(self) -> list[str]:
        """The roles of the settings, and any role a deal still waits in after its rule was removed."""
        known = list(self.svc.ws.roles)
        rows = self.svc.store.conn.execute("SELECT DISTINCT stage FROM deals ORDER BY stage").fetchall()
        return known + [row[0] for row in rows if holds(row[0]) and row[0] not in known]

    def watched_folders(self) -> list[Path]:
        ws = self.svc.ws
        return [ws.inbox, ws.bank_inbox, ws.cancel_inbox] + [ws.review(role) / str(d) for role in self.roles() for d in Decision]

    def take(self, path: Path) -> str:
        """Process one settled entry of a watched folder; returns the account of where it went.

        Before anything reads it: a name that is not UTF-8 is cleaned in place, and a link, a device
        or a file that cannot be read is set aside unread. A failure of the machine (disk, store,
        LibreOffice) before the step is recorded leaves the file to be taken again (Postponed); any
        other failure before it sets the file aside with the reason, so it is not retried forever;
        a failure after it leaves the step planned for `recover`.
        """
        folder = self._folder_of(path)
        self.reminders.changed()  # a deal may enter a stage: its reminders start from the next working day
        self.obligations.changed()  # ...or be signed with its prepayment in: production may start
        if not entries.storable(path.name):
            account, path = entries.clean_in_place(self.svc, path)
            return f"{account}; {self.take(path)}"
        if not self.svc.store.postgres:  # one watcher per workspace (docgen.lock): nothing to share
            return self._take_claimed(path, folder)
        # Several watchers on one PostgreSQL store see the same file: the one that claims this drop of it (its
        # place, size and time, the same on every host of a share) takes it; the others leave it be.
        try:
            st = path.lstat()
        except FileNotFoundError:
            return "файл уже взят другой службой docgen"
        claim = f"entry:{self.svc.rel(path)}:{st.st_size}:{st.st_mtime_ns}"
        if not self.svc.store.claim(claim):
            return "файл берёт другая служба docgen"
        try:
            if not os.path.lexists(path):  # taken while we looked: its claim was let go when it was gone
                return "файл уже взят другой службой docgen"
            return self._take_claimed(path, folder)
        finally:
            self.svc.store.release(claim)

    def _take_claimed(self, path: Path, folder: _Watched) -> str:
        why = entry_reason(path) or self._unreadable(path)
        if why:
            return entries.set_aside_unread(self.svc, path, folder=folder.aside, why=why, report_suffix=folder.report)
        try:
            return folder.take(path)
        except Exception as exc:
            recorded = not os.path.lexists(path) or self._planned_for(path)
            if is_transient(exc) or isinstance(exc, StoreError):
                later = "шаг записан и будет завершён" if recorded else "файл остаётся на месте и будет взят"
                raise Postponed(f"{describe(exc)}; {later} при следующей попытке") from exc
            if recorded:
                raise
            self.svc.log.exception("%s: сбой до записи шага, файл откладывается", printable(path.name))
            return self._set_aside(path, exc)

    def _folder_of(self, path: Path) -> _Watched:
        ws = self.svc.ws
        if path.parent == ws.inbox:
            return _Watched(lambda p: intake.take_form(self.svc, p), aside=ws.rejected, report=".errors.txt")
        if path.parent == ws.bank_inbox:
            return _Watched(lambda p: bank.take_statement(self.svc, p), aside=ws.rejected, report=".errors.txt")
        if path.parent == ws.cancel_inbox:
            return _Watched(lambda p: cancel.take_cancellation(self.svc, p), aside=ws.rejected, report=".errors.txt")
        for role in self.roles():
            for decision in Decision:
                if path.parent == ws.review(role) / str(decision):
                    return _Watched(partial(self._take_decision, role=role, decision=decision),
                                    aside=ws.review(role) / decisions.UNRECOGNIZED, report=".why.txt")
        raise WorkflowError(f"папка {path.parent} не наблюдается docgen")

    def _take_decision(self, path: Path, *, role: str, decision: Decision) -> str:
        return decisions.take_decision(self.svc, path, role=role, decision=decision)

    def _unreadable(self, path: Path) -> str | None:
        """Why a file is set aside unread, once reading it failed UNREADABLE_TRIES times in a row."""
        problem = entries.probe(path)
        if problem is None:
            self.unreadable.forget(path)
            return None
        tries = self.unreadable.failed(path)
        if tries < entries.UNREADABLE_TRIES:
            raise Postponed(f"файл не читается ({describe(problem)}); попытка {tries} из "
                            f"{entries.UNREADABLE_TRIES}, следующая — при пересмотре папок")
        self.unreadable.forget(path)
        return f"файл не читается ни с {entries.UNREADABLE_TRIES}-й попытки: {describe(problem)}"

    def _planned_for(self, path: Path) -> bool:
        try:
            sha = sha256_file(path)
        except OSError:
            return False
        return any(step.sha256 == sha for step in self.svc.store.planned_steps())

    def _set_aside(self, path: Path, exc: Exception) -> str:
        why = (f"docgen не смог обработать файл из-за собственной ошибки ({describe(exc)}); "
               "администратор извещён. Форму не нужно исправлять: когда ошибку устранят, её можно положить снова")
        self._tell_admin_of_failure(path, exc)
        if path.parent == self.svc.ws.bank_inbox:
            return bank.reject(self.svc, path, content=read_plain(path)[0], why=StatementInvalid(why))
        if path.parent == self.svc.ws.cancel_inbox:
            return cancel.refuse(self.svc, path, content=read_plain(path)[0], why=why)
        if path.parent == self.svc.ws.inbox:
            content, st = read_plain(path)
            return intake.reject(self.svc, path, content=content, mtime_ns=st.st_mtime_ns, faults=[Fault("", why)])
        return decisions.set_aside(self.svc, path, role=path.parent.parent.name, why=why)

    def _tell_admin_of_failure(self, path: Path, exc: Exception) -> None:
        mail = admin_notice(self.svc.ws, event=f"failure/{self.svc.rel(path)}/{self.svc.now():%Y%m%d%H%M%S%f}",
                            title=f"внутренняя ошибка на файле «{path.name}»",
                            lines=[f"{type(exc).__name__}: {printable(exc, limit=500)}",
                                   "подробности (traceback) — в журнале работы .docgen/docgen.log"],
                            where=self.svc.rel(path.parent), todo="передайте журнал работы разработчикам docgen")
        if mail is not None:
            with self.svc.store.transaction():
                self.svc.outbox.enqueue(mail)

    def recover(self) -> list[str]:
        """Finish every step a crash (or a failure) left planned; a step that fails again waits for the next call.
        Then take what the departments moved into their accepted/ folders (docgen.workflow.acks)."""
        accounts = []
        for step in self.svc.store.planned_steps():
            if not self.svc.store.claim_step(step.key):
                continue  # another watcher on the same PostgreSQL store finishes it, or has finished it
            try:
                accounts.append(self.finish(step))
            except Exception as exc:  # a broken template, LibreOffice down: the step stays planned
                self.svc.log.error("шаг %s (%s) не завершён: %s", step.key, step.source, exc)
        return accounts + self.accepted.sweep()

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
        check_dossier(self.svc.ws, self.svc.store, row)
        stem = draft_stem(number=number, version=row.version, client=row.buyer_name)
        draft = self.svc.ws.review(role) / f"{stem}.docx"
        if not draft.exists():
            draft = self.svc.dossier(row).versions / f"{stem}.docx"
        content = read_plain(draft)[0]
        submitted = Submitted(draft, content, 0, [comment] if comment else [], None)
        actor = actor or holder(self.svc.settings, role, division=row.division, day=self.svc.now().date())
        step = decisions.record_decision(self.svc, number, role=role, decision=decision, submitted=submitted,
                                         actor=actor, via=via or f"command (пользователь {getpass.getuser()})")
        account = decisions.finish_decision(self.svc, step)
        production = self.obligations.after_decision(number)
        return f"{account}\n{production}" if production else account

    def tick(self) -> None:
        """Record the reminders due now, of stages and of obligations (cheap when none can be); the sender
        sends them. Also tells Economics when a deal signed here already has its prepayment."""
        for account in self.reminders.tick() + self.obligations.run_due():
            self.svc.log.info("%s", account)

    def seconds_to_next(self) -> float | None:
        """How long the service may sleep before a reminder may come due."""
        left = [s for s in (self.reminders.seconds_left(), self.obligations.seconds_left()) if s is not None]
        return min(left) if left else None

    def flush_register(self, *, force: bool = False) -> None:
        """Rewrite the register if a step changed it; after a failure, try again a while later."""
        if not self.svc.register_dirty or (time.monotonic() < self._register_retry_at and not force):
            return
        self._register_retry_at = time.monotonic() + REGISTER_RETRY_SECONDS
        if write_register(self.svc.store, self.svc.ws, roles=self.roles(), deadlines=self.svc.deadlines,
                          now=self.svc.now(), log=self.svc.log) is not None:
            self.svc.register_dirty = False
            self._register_retry_at = 0.0


def open_workflow(ws, *, clock, log, converter=None) -> Workflow:
    """The workflow of a workspace with its store, mail outbox and documents; `close_workflow` ends it."""
    from docgen.mail.outbox import MailOutbox
    from docgen.store import open_store
    from docgen.workflow.documents import Documents

    store = open_store(ws, timeout=ws.settings.store.lock_timeout)
    outbox = MailOutbox(store.conn)
    documents = Documents(ws, converter, log=log)
    return Workflow(Services(ws=ws, store=store, documents=documents, outbox=outbox, clock=clock, log=log))


def close_workflow(workflow: Workflow) -> None:
    try:
        workflow.flush_register(force=True)
    except Exception as exc:  # the register is rewritten whole next time; closing must go on
        workflow.svc.log.error("реестр не записан при остановке: %s", describe(exc))
    finally:
        workflow.svc.documents.close()
        workflow.svc.store.close()
