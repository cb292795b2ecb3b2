"""The service `docgen watch`: the watcher, the workflow and the mail sender put together."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler

from docgen.errors import describe
from docgen.files import sweep_partials
from docgen.layout import folders
from docgen.lock import WatchLock
from docgen.mail.errors import login_secrets
from docgen.mail.outbox import MailOutbox
from docgen.mail.sender import MailSender, MailThread
from docgen.mail.transport import Transport, transport_for
from docgen.printable import printable
from docgen.settings import SETTINGS_FILE
from docgen.store import Store, store_connection
from docgen.watch import Watcher
from docgen.workflow.documents import clean_scratch
from docgen.workflow.engine import Workflow, close_workflow, open_workflow
from docgen.workflow.integrity import check_store
from docgen.workspace import Workspace


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


class OneLineFormatter(logging.Formatter):
    """Each record one line of visible text: a file name or a form value with a newline, a terminal
    escape or bytes that were not UTF-8 can neither forge a line nor break the log (tracebacks,
    which are ours, keep their lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return printable(super().formatMessage(record))


class _LogFile(RotatingFileHandler):
    """The log file; when it cannot be written (a full disk), one line on stderr says so instead of
    logging's own traceback for every record."""

    _said = ""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        exc = sys.exc_info()[1]
        text = describe(exc) if exc is not None else "?"
        if text != self._said:
            self._said = text
            sys.stderr.write(f"журнал работы {self.baseFilename} не пишется: {text}\n")


def service_log(ws: Workspace, *, verbose: bool = False, stderr: bool = True) -> logging.Logger:
    """One line per step to stderr and to a rotated log file in the workspace."""
    log = logging.getLogger(f"docgen.service.{ws.root}")
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)
    fmt = OneLineFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    ws.state.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [_LogFile(ws.state / "docgen.log", maxBytes=5_000_000,
                                                backupCount=5, encoding="utf-8", errors="backslashreplace")]
    if stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(fmt)
        log.addHandler(handler)
    log.propagate = False
    return log


def log_upgrade(store: Store, log: logging.Logger) -> None:
    """Name the schema upgrade this start made, and the copy of the store taken before it."""
    done = ", ".join(f"{m.version} ({m.title})" for m in store.migrated)
    if store.upgrade_backup is not None:
        log.warning("схема базы обновлена: %s; прежняя база сохранена: %s", done, store.upgrade_backup)
    elif store.migrated:
        log.info("создана новая база (%s)", done)


def warn_example_seller(ws: Workspace, log: logging.Logger) -> None:
    """Say loudly, at every start, that contracts carry the example Seller until [company] is set."""
    keys = ws.settings.company.example_keys()
    if keys:
        log.warning("РЕКВИЗИТЫ ПРОДАВЦА НЕ ЗАДАНЫ: в договорах печатается образец «%s». Заполните в %s "
                    "разделы [company], [company.signatory], [company.bank] (не заданы: %s); проверка — docgen doctor",
                    ws.settings.company.name, ws.root / SETTINGS_FILE, ", ".join(keys))


def open_service(ws: Workspace, log: logging.Logger, *, clock: Callable[[], dt.datetime] = local_now) -> Workflow:
    """The workflow with PDF renditions when LibreOffice is installed and `[pdf] enabled` allows
    (`[pdf] workers` LibreOffice processes)."""
    converter = None
    pdf = ws.settings.pdf
    if pdf.enabled:
        from docgen.render.pdf import open_converter

        converter = open_converter(profile_dir=ws.state / "libreoffice", log=log, timeout=pdf.timeout,
                                   workers=pdf.workers)
    return open_workflow(ws, clock=clock, log=log, converter=converter)


def run_service(ws: Workspace, *, log: logging.Logger, stop: threading.Event, once: bool = False,
                polling: bool | None = None, transport: Transport | None = None,
                clock: Callable[[], dt.datetime] = local_now) -> None:
    """Watch until `stop` is set (or, with `once`, until nothing is pending); always closes cleanly.

    One watcher per workspace (WorkspaceBusy names the one that runs); a store that is not this
    workspace's is refused (StoreMismatch) before anything is taken. Between files it sleeps until
    the next moment a reminder may come due (`clock` tells the time).
    """
    with _one_watcher(ws, log) as lock:
        if lock is not None and not lock.locks_work:
            log.warning("папка %s не поддерживает блокировки файлов: вторую службу удержит только отметка "
                        "в %s (раз в %g с)", ws.state, lock.path.name, lock.heartbeat)
        _tidy(ws, log, shared=lock is None)
        workflow = open_service(ws, log, clock=clock)
        try:
            log_upgrade(workflow.svc.store, log)
            check_store(ws, workflow.svc.store)
            _serve(ws, workflow, log=log, stop=stop, once=once, polling=polling, transport=transport)
        finally:
            close_workflow(workflow)
            log.info("docgen остановлен")


def _one_watcher(ws: Workspace, log: logging.Logger) -> contextlib.AbstractContextManager[WatchLock | None]:
    """SQLite: the lock that keeps a second watcher off the workspace. PostgreSQL: none, several watchers
    share the store and take each step once by their claims (docgen.store.Store.claim)."""
    if ws.settings.store.url:
        log.info("база PostgreSQL: с ней могут работать несколько служб docgen, каждый шаг выполняет одна")
        return contextlib.nullcontext(None)
    return WatchLock(ws.state)


# With several watchers a half-written file may be another's work in progress: only one this old is left over.
SHARED_PARTIAL_AGE = 600.0


def _tidy(ws: Workspace, log: logging.Logger, *, shared: bool = False) -> None:
    """What a killed docgen left: half-written files under temporary names, LibreOffice's scratch folders."""
    for folder in folders(ws):
        folder.mkdir(parents=True, exist_ok=True)
    older_than = SHARED_PARTIAL_AGE if shared else 0.0
    for path in sweep_partials([ws.inbox, ws.outbox, ws.clients, ws.registers], older_than=older_than):
        log.info("убран недописанный файл прерванной работы: %s", path.relative_to(ws.root))
    for path in clean_scratch(ws.state):
        log.info("убрана временная папка LibreOffice прерванной работы: %s", path.relative_to(ws.root))


def _serve(ws: Workspace, workflow: Workflow, *, log: logging.Logger, stop: threading.Event, once: bool,
           polling: bool | None, transport: Transport | None) -> None:
    sender = open_sender(ws, log=log, transport=transport)
    mail = MailThread(sender)

    def wake_mail() -> None:
        if workflow.svc.outbox.take_queued_flag():
            mail.wake()

    def idle() -> None:
        run_each([workflow.tick, wake_mail, workflow.flush_register])

    watch = ws.settings.watch
    watcher = Watcher(folders=workflow.watched_folders(), take=workflow.take, idle=idle,
                      rescan_hook=workflow.recover, polling=watch.polling if polling is None else polling,
                      settle=watch.settle_seconds, poll_seconds=watch.poll_seconds,
                      rescan_seconds=watch.rescan_seconds, log=log, stop=stop, timer=workflow.seconds_to_next)
    mode = "опрос папок" if watcher.polling else "события файловой системы"
    log.info("docgen следит за %s (%s)%s", ws.root, mode, "; разовый проход" if once else "")
    warn_example_seller(ws, log)
    for line in ws.settings.deprecations():
        log.warning("%s: %s", SETTINGS_FILE, line)
    mail.start()
    try:
        watcher.run(once=once)
        idle()
    finally:
        ended = mail.stop(timeout=ws.settings.smtp.timeout * 2 + 5)
        if ended and once:
            sender.deliver_due()  # --once: what the run queued goes before the process ends
        if ended:
            sender.outbox.conn.close()


def run_each(jobs: list[Callable[[], object]]) -> None:
    """Every job, even after one failed (a failing reminder check must not stop the register); then
    the first failure is raised for the watcher to say."""
    first: Exception | None = None
    for job in jobs:
        try:
            job()
        except Exception as exc:
            first = first or exc
    if first is not None:
        raise first


def open_sender(ws: Workspace, *, log: logging.Logger, transport: Transport | None = None) -> MailSender:
    """The sender on its own connection to the store; on start it scrubs a password a server echoed into
    stored errors and writes the dossier copies of letters whose process died right after sending."""
    outbox = MailOutbox(store_connection(ws))
    sender = MailSender(outbox, transport or transport_for(ws), ws=ws, clock=lambda: dt.datetime.now(dt.UTC),
                        log=log)
    smtp = ws.settings.smtp
    if outbox.scrub_stored(login_secrets(smtp.username, smtp.password)):
        log.info("из сохранённых ошибок отправки убран пароль SMTP, который повторил сервер")
    sender.restore_copies()
    return sender
