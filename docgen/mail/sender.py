"""Delivering due notices: compose, send, record; retries with growing delays, never loses a notice."""

from __future__ import annotations

import datetime as dt
import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from email.message import EmailMessage
from pathlib import Path

from docgen.errors import MailError, UnsafeFile, describe
from docgen.files import read_plain
from docgen.mail.addresses import parse_address, parse_recipients
from docgen.mail.errors import PermanentMailError, TransientMailError, login_secrets, scrub
from docgen.mail.message import Attachment, attachment_name, compose, write_eml
from docgen.mail.notice import NoticeKind, admin_notice
from docgen.mail.outbox import MailOutbox, QueuedNotice
from docgen.mail.transport import BatchTransport, Transport
from docgen.settings import SmtpSettings
from docgen.workspace import Workspace

DEFAULT_DELAY = 60.0
# Failures after the message went out that are retried; one more means it is not sent again.
AMBIGUOUS_TRIES = 1


def retry_delay(attempts: int, delays: Sequence[float]) -> dt.timedelta:
    """The pause after the `attempts`-th failed try: the list in order, then its last value for ever."""
    if not delays:
        return dt.timedelta(seconds=DEFAULT_DELAY)
    return dt.timedelta(seconds=delays[min(max(attempts, 1), len(delays)) - 1])


class MailSender:
    """Sends what the outbox holds; the watcher calls deliver_due() from its loop."""

    def __init__(self, outbox: MailOutbox, transport: Transport, *, ws: Workspace,
                 clock: Callable[[], dt.datetime], log: logging.Logger):
        self.outbox = outbox
        self.transport = transport
        self.ws = ws
        self.clock = clock
        self.log = log

    @property
    def _smtp(self) -> SmtpSettings:
        return self.ws.settings.smtp

    def deliver_due(self, *, force: bool = False) -> int:
        """Send every due notice (`force`: every queued or failed one, ignoring the delays); how many went."""
        due = self.outbox.due(self.clock(), force=force)
        if not due:
            return 0
        batch = self.transport.batch() if isinstance(self.transport, BatchTransport) else nullcontext()
        sent = 0
        with batch:
            for index, item in enumerate(due):
                try:
                    sent += self._attempt(item)
                except TransientMailError as exc:
                    if exc.whole_server:
                        # The server is down or hangs: the rest would only wait out the same timeout.
                        for rest in due[index + 1:]:
                            self._defer(rest, str(exc), tried=False)
                        break
        return sent

    def _attempt(self, item: QueuedNotice) -> int:
        """1 when sent; records any failure on the notice. Re-raises a whole-server failure."""
        now = self.clock()
        if not self.outbox.claim(item, now=now, until=now + dt.timedelta(seconds=self._smtp.timeout * 4 + 60)):
            return 0  # another sender (docgen mail --retry) has it
        try:
            self._deliver(item)
            return 1
        except TransientMailError as exc:
            if exc.ambiguous and self.outbox.mark_ambiguous(item.event_id) > AMBIGUOUS_TRIES:
                self._give_up(item, f"{exc}. Так было уже не раз: письмо, вероятно, дошло (может быть, не одной "
                                    "копией) — повторять его docgen не будет, проверьте у получателя")
            else:
                self._defer(item, str(exc), tried=True)
            raise
        except PermanentMailError as exc:
            self._give_up(item, str(exc))
        except MailError as exc:
            self._defer(item, str(exc), tried=True)
        except Exception as exc:  # one broken notice must not stop the sending
            self.log.exception("Письмо %s: непредвиденная ошибка", item.event_id)
            self._defer(item, f"{describe(exc)}; подробности — в журнале работы", tried=True)
        return 0

    def _deliver(self, item: QueuedNotice) -> None:
        notice = item.notice
        sender = parse_address(self._smtp.sender)
        if sender is None:
            raise TransientMailError(f"Неверный адрес отправителя smtp.sender: «{self._smtp.sender}»",
                                     whole_server=True)
        recipients = parse_recipients(notice.to)
        problems = [f"{bad}: неверный адрес, письмо ему не отправлено" for bad in recipients.invalid]
        if not recipients.valid:
            raise PermanentMailError("Нет ни одного верного адреса получателя: " + "; ".join(notice.to))
        attachments, missing = _read_attachments(notice.attachments)
        problems += [f"вложение «{name}» не найдено при отправке" for name in missing]
        if missing:
            notice = dataclasses.replace(notice, body=notice.body + _missing_note(missing))
        message = compose(notice, sender=sender, recipients=recipients.valid,
                          attachments=attachments, date=item.created_at)
        refused = self.transport.send(message) or {}
        problems += [f"{addr}: сервер не принял ({reason})" for addr, reason in refused.items()]
        problems = [scrub(p, *self._secrets) for p in problems]
        with self.outbox.transaction():
            self.outbox.mark_sent(notice.event_id, at=self.clock(), problems=problems)
            if refused or recipients.invalid:  # they never get it: as for a letter refused whole, the admin is told
                unreached = [p for p in problems if "не найдено при отправке" not in p]
                self._tell_admin(notice, unreached, title=f"письмо «{notice.subject[:120]}» не дошло до части "
                                                          "получателей")
        for problem in problems:
            self.log.warning("Письмо %s (сделка %s): %s", notice.event_id, notice.deal or "—", problem)
        self.log.info("Письмо %s отправлено: %s", notice.event_id, notice.subject)
        if notice.dossier is not None:
            self._keep_copy(notice.dossier, message, event_id=notice.event_id)

    def _keep_copy(self, dossier: Path, message: EmailMessage, *, event_id: str) -> None:
        # The regulation keeps every letter in the client's folder; a failure here must not resend.
        # Until the copy is written the notice stays marked (copy_pending): the next start writes it.
        try:
            write_eml(dossier, message)
        except OSError as exc:
            self.log.error("Письмо %s: копия в досье %s не записана (будет записана при следующем запуске): %s",
                           event_id, dossier, describe(exc))
            return
        self.outbox.mark_copied(event_id)

    def restore_copies(self) -> int:
        """Write the dossier copies of sent notices that a killed process did not; how many were written.
        The copy is the same message (same Message-ID and date); attachments gone since are noted in it."""
        sender = parse_address(self._smtp.sender) or parse_address("docgen <docgen@localhost>")
        restored = 0
        for item in self.outbox.copies_pending():
            notice, dossier = item.notice, item.notice.dossier
            assert dossier is not None and sender is not None
            attachments, missing = _read_attachments(notice.attachments, quiet=True)
            if missing:
                notice = dataclasses.replace(notice, body=notice.body + _missing_note(missing))
            message = compose(notice, sender=sender, recipients=parse_recipients(notice.to).valid,
                              attachments=attachments, date=item.created_at)
            self._keep_copy(dossier, message, event_id=notice.event_id)
            restored += 1
            self.log.info("Письмо %s: копия в досье восстановлена после прерванной работы", notice.event_id)
        return restored

    def _defer(self, item: QueuedNotice, error: str, *, tried: bool) -> None:
        attempts = item.attempts + 1
        next_try = self.clock() + retry_delay(attempts, self._smtp.retry_delays)
        error = scrub(error, *self._secrets)
        self.outbox.mark_failed(item.event_id, error=error, next_try=next_try, problems=item.problems)
        if tried:
            self.log.warning("Письмо %s не отправлено (попытка %d), повтор в %s: %s",
                             item.event_id, attempts, f"{next_try:%H:%M:%S}", error)

    def _give_up(self, item: QueuedNotice, error: str) -> None:
        """Failed for good: recorded, logged, and the administrator told (unless this was their letter)."""
        error = scrub(error, *self._secrets)
        notice = item.notice
        with self.outbox.transaction():
            self.outbox.mark_failed(item.event_id, error=error, next_try=None, problems=item.problems)
            self._tell_admin(notice, [error], title=f"письмо «{notice.subject[:120]}» не отправлено")
        self.log.error("Письмо %s (сделка %s) не может быть отправлено: %s", item.event_id, notice.deal or "—", error)

    def _tell_admin(self, notice, lines: list[str], *, title: str) -> None:
        """The administrator's letter about a notice that did not reach (all or some of) its readers."""
        if notice.kind is NoticeKind.ADMIN:
            return  # their own letter: the log and `docgen mail` show it
        mail = admin_notice(
            self.ws, event=f"mail-failed/{notice.event_id}", deal=notice.deal, title=title,
            lines=[*lines, "кому: " + ", ".join(notice.to)],
            where="docgen mail" + (f" --deal {notice.deal}" if notice.deal else ""),
            todo="исправьте адрес или причину отказа; затем docgen mail --retry отправит письмо снова")
        if mail is not None:
            self.outbox.enqueue(mail)

    @property
    def _secrets(self) -> tuple[str, ...]:
        return login_secrets(self._smtp.username, self._smtp.password)


def _read_attachments(paths: Sequence[Path], *, quiet: bool = False) -> tuple[list[Attachment], list[str]]:
    """The files to attach, and the names of those gone since the notice was queued.

    A moved draft is not a reason to withhold the letter: it names the folder to look in anyway.
    A link put where a document was is never read through (it may point anywhere on the machine):
    it counts as gone. Any other read error (a share that is offline) propagates and the notice is
    retried; `quiet` counts it as gone too.
    """
    found: list[Attachment] = []
    missing: list[str] = []
    names = [attachment_name(path) for path in paths]
    for path, name in zip(paths, names):
        if names.count(name) > 1:  # «КМ/Лист 1.pdf» and «КЖ/Лист 1.pdf»: both, told apart by their folders
            name = attachment_name(path.parent / f"{path.parent.name} — {path.name}")
        try:
            found.append(Attachment(name, read_plain(path)[0]))
        except (FileNotFoundError, UnsafeFile):
            missing.append(attachment_name(path))
        except OSError as exc:
            if quiet:
                missing.append(attachment_name(path))
                continue
            raise TransientMailError(f"Вложение {path} не читается: {describe(exc)}") from None
    return found, missing


def _missing_note(names: Sequence[str]) -> str:
    listed = ", ".join(f"«{n}»" for n in names)
    return f"\n(При отправке письма не найдено вложение {listed}: документ ищите в папке, названной выше.)\n"


class MailThread:
    """Sending beside intake: its own thread and its own connection to the store, so a slow, hanging
    or refusing SMTP server never holds up a form. Woken when the workflow has queued a notice;
    otherwise it looks again when the next retry is due, and at least every `idle` seconds."""

    def __init__(self, sender: MailSender, *, idle: float = 5.0):
        self.sender = sender
        self.idle = idle
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._said = ""
        self._thread = threading.Thread(target=self._run, name="docgen-mail", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, *, timeout: float) -> bool:
        """Ask the thread to end after the letter it is sending; True when it has ended."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sender.deliver_due()
                self._said = ""
            except Exception as exc:  # the store locked or full, a bug: say it once, keep going
                if describe(exc) != self._said:
                    self._said = describe(exc)
                    self.sender.log.error("Отправка писем: %s; повтор позже", self._said)
            self._wake.wait(self._pause())
            self._wake.clear()

    def _pause(self) -> float:
        try:
            due = self.sender.outbox.next_due()
        except Exception:  # the store is busy: look again in a while
            return self.idle
        if due is None:
            return self.idle
        return min(max((due - self.sender.clock()).total_seconds(), 0.05), self.idle)
