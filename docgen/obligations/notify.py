"""Who is told what after signing: production may start, a due date is near, due today or missed.

Every notice is recorded with a stable key in the same transaction that queues its letter, so it
goes out once across restarts and kill -9. The production notice also writes «Ввод в Производство»
again, now with the day the prepayment came in full: a step recorded before its files (store.plan →
files → store.finish with its letter).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from docgen.calendar import WorkCalendar
from docgen.render.filters import days as days_phrase
from docgen.form.money import format_money
from docgen.mail.notice import Notice, NoticeKind
from docgen.obligations import ledger
from docgen.obligations.position import Position
from docgen.obligations.reminders import Reminder, reminders
from docgen.obligations.terms import ObligationKind
from docgen.store import DealRow, Step
from docgen.workflow import notices
from docgen.workflow.services import Services
from docgen.workflow.signing import approvals_of, technical_files, write_handover
from docgen.workspace import Stage

ONE_DAY = dt.timedelta(days=1)
PRODUCTION = "production"


def calendar_of(svc: Services) -> WorkCalendar:
    """The production calendar the stage deadlines count on too."""
    return svc.deadlines.calendar


# production may start


def check_production(svc: Services, row: DealRow, p: Position | None = None) -> str | None:
    """Plan and do the production step once the payments due before production are all in."""
    if row.stage != Stage.SIGNED:
        return None
    p = p or ledger.position_of(svc.store, row, calendar=calendar_of(svc), today=svc.now().date())
    if p is None:
        return None
    needed = any(t.before_production for t in p.contract.payments)
    if needed and p.prepaid_on is None:
        return None  # not yet: nothing to write
    key = f"{PRODUCTION}:{row.number}"
    now = svc.now()
    with svc.store.transaction():
        if svc.store.step(key) is not None or ledger.told(svc.store, f"{row.number}/{PRODUCTION}"):
            return None
        if not needed:
            # Nothing is due before production: «Ввод в Производство» at signing said so already.
            ledger.mark_told(svc.store, key=f"{row.number}/{PRODUCTION}", deal=row.number, obligation=PRODUCTION,
                             stage="not_needed", due=None, at=now)
            return None
        assert p.prepaid_on is not None
        prepaid = sum((s.term.amount for s in p.payments if s.term.before_production), Decimal("0.00"))
        svc.store.plan(key=key, kind=PRODUCTION, at=now, source="obligations", deal=row.number, version=row.version,
                       payload={"prepaid_on": p.prepaid_on.isoformat(), "prepaid": f"{prepaid:f}",
                                "delivery_due": p.delivery.due.isoformat() if p.delivery.due else None})
        step = svc.store.step(key)
    return finish_production(svc, step)


def finish_production(svc: Services, step: Step) -> str:
    """«Ввод в Производство» with the prepayment date, then the letter to Economics and the support manager."""
    row = svc.store.deal(step.deal)
    deal = svc.deal_of(row)
    prepaid_on = dt.date.fromisoformat(step.payload["prepaid_on"])
    signed_on = ledger.signing_days(svc.store, [row.number]).get(row.number) or dt.date.fromisoformat(row.contract_date)
    files = write_handover(svc, row, deal=deal, approvals=approvals_of(svc, row.number),
                           files=technical_files(svc, row, deal=deal), signed_on=signed_on, prepayment_date=prepaid_on)
    mail = _production_notice(svc, row, step=step, files=files)
    now = svc.now()
    with svc.store.transaction():
        svc.store.journal_add(at=now, deal=row.number, version=row.version, actor="docgen", role="system",
                              action="production_may_start", detail={"prepaid_on": prepaid_on.isoformat(),
                                                                     "prepaid": step.payload["prepaid"]})
        ledger.mark_told(svc.store, key=f"{row.number}/{PRODUCTION}", deal=row.number, obligation=PRODUCTION,
                         stage="told", due=prepaid_on, at=now)
        svc.outbox.enqueue(mail)
        svc.store.finish(step.key, at=now)
    return f"сделка {row.number}: оплата до производства поступила {prepaid_on:%d.%m.%Y}, Экономический отдел извещён"


def _production_notice(svc: Services, row: DealRow, *, step: Step, files: list) -> Notice:
    support = svc.settings.divisions[row.division].support
    due = step.payload.get("delivery_due")
    delivery = svc.deal_of(row).form.delivery
    return notices.notice(
        NoticeKind.PRODUCTION, ws=svc.ws, row=row, event=PRODUCTION, to=[svc.settings.people.economics, support],
        folder=svc.ws.economics, dossier=svc.dossier(row).letters, today=svc.now().date(), attachments=files,
        support=support,
        prepaid_on=f"{dt.date.fromisoformat(step.payload['prepaid_on']):%d.%m.%Y}",
        prepaid=format_money(Decimal(step.payload["prepaid"])),
        delivery_due=f"{dt.date.fromisoformat(due):%d.%m.%Y}" if due else "",
        delivery_term=f"{days_phrase(delivery.due_days)} с даты поступления предоплаты"
        if str(delivery.after) == "prepayment" else f"{days_phrase(delivery.due_days)} с даты подписания")


def production_pending(svc: Services) -> list[DealRow]:
    """Signed deals that received money and whose production notice has not gone (or was not needed)."""
    return svc.store.deals(where=(
        "stage = 'signed' AND number IN (SELECT deal FROM obligation_events WHERE kind = 'payment') "
        "AND number || '/production' NOT IN (SELECT key FROM obligation_notices) "
        "AND 'production:' || number NOT IN (SELECT key FROM steps)"))


# reminders


def tell_due(svc: Services, *, now: dt.datetime) -> list[str]:
    """Queue every reminder due at `now` that was not sent yet (none on a day off, none before the day's
    `[deadlines] remind_at`); one transaction per deal."""
    calendar, today = calendar_of(svc), now.date()
    if not calendar.is_workday(today) or now < svc.deadlines.slot(today, now=now):
        return []
    rows = svc.store.deals(where="stage = 'signed'")
    accounts = []
    for number, p in ledger.positions(svc.store, rows, calendar=calendar, today=today).items():
        due = reminders(p, today=today, calendar=calendar, days_before=svc.settings.obligations.remind_days_before)
        if due:
            accounts += _tell(svc, svc.store.deal(number), p, due, calendar=calendar)
    return accounts


def _tell(svc: Services, row: DealRow, p: Position, due: list[Reminder], *, calendar: WorkCalendar) -> list[str]:
    now = svc.now()
    accounts = []
    with svc.store.transaction():
        for reminder in due:
            if ledger.told(svc.store, reminder.key):
                continue
            svc.outbox.enqueue(_reminder_notice(svc, row, reminder, calendar=calendar, today=p.today))
            ledger.mark_told(svc.store, key=reminder.key, deal=row.number, obligation=reminder.standing.term.key,
                             stage=str(reminder.stage), due=reminder.due, at=now)
            accounts.append(f"сделка {row.number}: {reminder.standing.term.title} — напоминание ({reminder.stage})")
    return accounts


def _reminder_notice(svc: Services, row: DealRow, reminder: Reminder, *, calendar: WorkCalendar,
                     today: dt.date) -> Notice:
    s = reminder.standing
    division = svc.settings.divisions[row.division]
    to = [division.support, notices.manager_address(row)]
    if s.term.kind is ObligationKind.DELIVERY:
        to.append(division.director)  # the Company's own penalty is coming: the director is warned
    dossier = svc.dossier(row)
    return notices.notice(
        NoticeKind.OBLIGATION, ws=svc.ws, row=row, event=f"obligation/{reminder.key.split('/', 1)[1]}", to=to,
        folder=dossier.root, dossier=dossier.letters, today=today, stage=str(reminder.stage),
        obligation=str(s.term.kind),
        title=s.term.title, amount=format_money(s.term.amount), outstanding=format_money(s.outstanding),
        due=f"{reminder.due:%d.%m.%Y}", days_left=calendar.workdays_between(today, reminder.due),
        overdue_days=s.penalty.overdue_days, penalty=format_money(s.penalty.total),
        rate=_percent(s.term.penalty_rate), cap=_percent(s.term.penalty_cap),
        penalty_from=f"{reminder.due + ONE_DAY:%d.%m.%Y}")


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


class ObligationSchedule:
    """The obligations' part of the service's clock, beside the stage reminders (`workflow.reminders`).

    Reminders once a working day at `[deadlines] remind_at`, the stage reminders' slot. Production
    notices are told the moment a payment is recorded (bank statements, `docgen record`) or a deal is
    signed (`after_decision`, `changed`); the daily look also catches any a crash left behind. Nothing
    here polls: between the looks the service sleeps. A look that fails is logged and tried again
    after RETRY; it never stops the service.
    """

    RETRY = dt.timedelta(minutes=5)

    def __init__(self, svc: Services):
        self.svc = svc
        self.next_look: dt.datetime | None = None  # None: look at the first tick
        self.pending = False  # a deal may have been signed: look for production notices at the next tick

    def changed(self) -> None:
        """A file was taken (a deal may be signed now): the next tick looks for production notices."""
        self.pending = True

    def after_decision(self, number: str) -> str | None:
        """`docgen approve` or the web board signed a deal in this process: production may start at once."""
        return self._guarded(lambda: check_production(self.svc, self.svc.store.deal(number)))

    def seconds_left(self) -> float:
        """Seconds until something may be due here (0 before the first look, or when a look is pending)."""
        if self.next_look is None or self.pending:
            return 0.0
        return max(0.0, (self.next_look - self.svc.now()).total_seconds())

    def run_due(self) -> list[str]:
        """Do what is due now; every account for the log."""
        now = self.svc.now()
        looking = self.next_look is None or now >= self.next_look
        accounts: list[str] = []
        if self.pending or looking:
            self.pending = False
            accounts += self._production()
        if looking:
            told = self._guarded(lambda: tell_due(self.svc, now=now))
            if told is None:
                self.next_look = now + self.RETRY
            else:
                self.next_look = self.svc.deadlines.slot_after(now.date(), now=now)
                self.svc.register_dirty = True  # penalties grew by a day: the register shows today's
                accounts += told
        return accounts

    def _production(self) -> list[str]:
        accounts = []
        for row in production_pending(self.svc):
            account = self._guarded(lambda row=row: check_production(self.svc, row))  # one deal never blocks others
            if account:
                accounts.append(account)
        return accounts

    def _guarded(self, look):
        try:
            return look()
        except Exception:  # a broken mail template, a locked store: logged, tried again later
            self.svc.log.exception("сроки обязательств: проверка не удалась, повтор позже")
            return None
