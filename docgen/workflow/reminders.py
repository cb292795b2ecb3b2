"""Reminders, escalations and words to a new holder, as the service sends them: each letter is recorded
in the mail outbox (with its journal line) before the sender sends it, under an event id stable per
deal, stage and day, so across restarts and `kill -9` nothing is sent twice and nothing due is skipped.
"""

from __future__ import annotations

import datetime as dt

from docgen.errors import SettingsError
from docgen.mail.notice import Notice, NoticeKind
from docgen.workflow import notices
from docgen.workflow.deadlines import Letter, Waiting, in_zone_of, parse_since
from docgen.workflow.dossier import draft_stem
from docgen.workflow.route import Route
from docgen.workflow.services import Services
from docgen.workflow.stages import holds
from docgen.workspace import RESTING_STAGES

ACTIONS = {NoticeKind.REMINDER: "reminded", NoticeKind.ESCALATION: "escalated", NoticeKind.ABSENCE: "absence_notice"}
RETRY = dt.timedelta(minutes=5)  # after a failure, the next try
TITLES = {NoticeKind.REMINDER: "напоминание", NoticeKind.ESCALATION: "эскалация",
          NoticeKind.ABSENCE: "письмо новому держателю"}


class Reminders:
    """Knows the next moment a letter may come due; `tick` records what is due when that moment comes.

    That moment is the earliest due letter's, but never later than the next working day's `remind_at`
    while any deal waits: `docgen approve` and the web board move deals from other processes, and the
    daily look finds what they changed. A stage a deal enters here cannot be overdue before then either.
    """

    def __init__(self, svc: Services):
        self.svc = svc
        self.next_at: dt.datetime | None = None
        self.looked = False  # the first tick looks whatever the time
        self._warned: set[int] = set()

    def changed(self) -> None:
        """A deal entered a stage here: a letter may come due from the next working day's slot on."""
        upcoming = self._next_slot(self.svc.now())
        self.next_at = upcoming if self.next_at is None else min(self.next_at, upcoming)

    def tick(self) -> list[str]:
        """Record the letters due now, if the next moment has come; cheap otherwise.
        It never raises: the watcher's loop must go on whatever a letter does."""
        now = self.svc.now()
        if self.looked and (self.next_at is None or now < self.next_at):
            return []
        try:
            return self.run(now)
        except Exception:
            self.svc.log.exception("напоминания не проверены; следующая попытка через %s", RETRY)
            return []

    def seconds_left(self) -> float | None:
        """Seconds until the next moment a letter may come due (0 before the first look), None when there is none."""
        if not self.looked:
            return 0.0
        if self.next_at is None:
            return None
        return max(0.0, (self.next_at - self.svc.now()).total_seconds())

    def run(self, now: dt.datetime) -> list[str]:
        """Record every letter due at `now` and work out the next moment; a failure is retried later."""
        self.looked = True
        self.next_at = now + RETRY  # if anything below fails, it is tried again then
        items = self.waiting()
        self._warn_unknown_years(items, now=now)
        deadlines = self.svc.deadlines
        letters, failed = self._letters_due(items, now=now)
        known = self.svc.outbox.known([self._event_id(letter) for letter in letters])
        built = []
        for letter in letters:
            if self._event_id(letter) in known:
                continue
            try:
                built.append((letter, self._notice(letter, now=now)))
            except Exception:  # a broken letter template: the others still go, this one is tried again
                self.svc.log.exception("письмо %s не составлено", self._event_id(letter))
                failed = True
        accounts = self._record(built, now=now)
        following = deadlines.next_due(items, now=now)
        if following is not None:
            following = min(following, self._next_slot(now))
        if failed:
            following = min(following or now + RETRY, now + RETRY)
        self.next_at = following
        return accounts

    def _next_slot(self, now: dt.datetime) -> dt.datetime:
        slot = self.svc.deadlines.slot_after(now.date(), now=now)
        assert slot is not None
        return slot

    def _letters_due(self, items: list[Waiting], *, now: dt.datetime) -> tuple[list[Letter], bool]:
        """The letters due, deal by deal: one deal whose stage has nobody (its rule and [people] entry were
        removed) is logged and does not hold up the others."""
        letters, failed = [], False
        for item in items:
            try:
                letters += self.svc.deadlines.letters_due([item], now=now)
            except SettingsError as exc:
                self.svc.log.error("сделка %s: %s", item.row.number, exc)
                failed = True
        return letters, failed

    def waiting(self) -> list[Waiting]:
        """Every deal someone holds, with its route and since when."""
        out, routes = [], self.svc.store.current_routes()
        resting = sorted(RESTING_STAGES)
        for row in self.svc.store.deals(where=f"stage NOT IN ({', '.join('?' * len(resting))})", params=tuple(resting)):
            since = parse_since(row.stage_since)
            if holds(row.stage) and since is not None:
                out.append(Waiting(row, Route.from_json(routes.get(row.number)), since))
        return out

    @staticmethod
    def _event_id(letter: Letter) -> str:
        row = letter.item.row
        return f"{row.number}/v{row.version}/{letter.event}"

    def _record(self, built: list[tuple[Letter, Notice]], *, now: dt.datetime) -> list[str]:
        """The letters and their journal lines, all in one transaction (one write to disk for the lot)."""
        accounts = []
        with self.svc.store.transaction():
            for letter, mail in built:
                if not self.svc.outbox.enqueue(mail):
                    continue
                row, timing = letter.item.row, letter.timing
                self.svc.store.journal_add(
                    at=now, deal=row.number, version=row.version, actor="docgen", role="system",
                    action=ACTIONS[letter.kind], detail={"to": list(mail.to), "stage": letter.item.role,
                                                          "due": str(timing.due), "days_overdue": timing.days_overdue})
                accounts.append(f"{TITLES[letter.kind]}: сделка {row.number} ({letter.item.role}) → {', '.join(mail.to)}")
        return accounts

    def _notice(self, letter: Letter, *, now: dt.datetime) -> Notice:
        item, timing, svc = letter.item, letter.timing, self.svc
        row = item.row
        stem = draft_stem(number=row.number, version=row.version, client=row.buyer_name)
        assert timing.due is not None
        return notices.notice(
            letter.kind, ws=svc.ws, row=row, event=letter.event, to=[letter.to], folder=svc.ws.review(item.role),
            dossier=svc.dossier(row).letters, today=now.date(), draft=f"{stem}.docx",
            role_title=item.route.title(item.role), since=f"{in_zone_of(item.since, now):%d.%m.%Y %H:%M}",
            due=f"{timing.due:%d.%m.%Y}", days_overdue=timing.days_overdue, **letter.context)

    def _warn_unknown_years(self, items: list[Waiting], *, now: dt.datetime) -> None:
        """A deadline in a year the calendar does not know is counted Monday to Friday: say so, once a year."""
        calendar = self.svc.deadlines.calendar
        days = [now.date()] + [d for d in (self.svc.deadlines.timing(i.role, i.since, now=now).due for i in items) if d]
        for year in calendar.unknown_years(days):
            if year not in self._warned:
                self._warned.add(year)
                self.svc.log.warning(
                    "производственный календарь на %s год неизвестен (нет постановления в пакете holidays): сроки "
                    "считаются без переносов; обновите docgen или задайте [calendar] extra_holidays, "
                    "extra_workdays и confirmed_years", year)
