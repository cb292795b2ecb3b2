"""The service `docgen watch`: the watcher, the workflow and the mail sender put together."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler

from docgen.files import sweep_partials
from docgen.layout import folders
from docgen.mail.outbox import MailOutbox, connect
from docgen.mail.sender import MailSender
from docgen.mail.transport import Transport, transport_for
from docgen.settings import SETTINGS_FILE
from docgen.store import DB_NAME, Store
from docgen.watch import Watcher
from docgen.workflow.engine import Workflow, close_workflow, open_workflow
from docgen.workspace import Workspace


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def service_log(ws: Workspace, *, verbose: bool = False, stderr: bool = True) -> logging.Logger:
    """One line per step to stderr and to a rotated log file in the workspace."""
    log = logging.getLogger(f"docgen.service.{ws.root}")
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    ws.state.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [RotatingFileHandler(ws.state / "docgen.log", maxBytes=5_000_000,
                                                           backupCount=5, encoding="utf-8")]
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
    """The workflow with PDF renditions when LibreOffice is installed and `documents.pdf` allows."""
    converter = None
    if ws.settings.documents.pdf:
        from docgen.render.pdf import open_converter

        converter = open_converter(profile_dir=ws.state / "libreoffice", log=log,
                                   timeout=ws.settings.documents.pdf_timeout)
    return open_workflow(ws, clock=clock, log=log, converter=converter)


def run_service(ws: Workspace, *, log: logging.Logger, stop: threading.Event, once: bool = False,
                polling: bool | None = None, transport: Transport | None = None,
                clock: Callable[[], dt.datetime] = local_now) -> None:
    """Watch until `stop` is set (or, with `once`, until nothing is pending); always closes cleanly.

    Between files it sleeps until the next moment a reminder may come due (`clock` tells the time)."""
    for folder in folders(ws):
        folder.mkdir(parents=True, exist_ok=True)
    for path in sweep_partials([ws.inbox, ws.outbox, ws.clients, ws.registers]):
        log.info("убран недописанный файл прерванной работы: %s", path.relative_to(ws.root))
    workflow = open_service(ws, log, clock=clock)
    log_upgrade(workflow.svc.store, log)
    sender = MailSender(MailOutbox(connect(ws.state / DB_NAME)), transport or transport_for(ws), ws=ws,
                        clock=lambda: dt.datetime.now(dt.UTC), log=log)

    def idle() -> None:
        workflow.tick()
        sender.deliver_due()
        workflow.flush_register()

    watch = ws.settings.watch
    watcher = Watcher(folders=workflow.watched_folders(), take=workflow.take, idle=idle,
                      rescan_hook=workflow.recover, polling=watch.polling if polling is None else polling,
                      settle=watch.settle_seconds, poll_seconds=watch.poll_seconds,
                      rescan_seconds=watch.rescan_seconds, log=log, stop=stop, timer=workflow.seconds_to_next)
    mode = "опрос папок" if watcher.polling else "события файловой системы"
    log.info("docgen следит за %s (%s)%s", ws.root, mode, "; разовый проход" if once else "")
    warn_example_seller(ws, log)
    try:
        watcher.run(once=once)
        idle()
    finally:
        close_workflow(workflow)
        sender.outbox.conn.close()
        log.info("docgen остановлен")
