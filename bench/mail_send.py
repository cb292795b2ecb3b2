"""Benchmark: notices delivered per second to a local aiosmtpd, with and without a ~200 KB PDF attachment."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from docgen.mail import MailOutbox, MailSender, NoticeKind, SmtpTransport, SpoolTransport, Transport, build_notice
from docgen.mail.outbox import connect
from docgen.settings import load_settings
from docgen.workspace import Workspace

CONTEXT = {"deal": "2026-0001", "version": 1, "client": "ООО «Ромашка & Ко»", "inn": "5027012348",
           "total": "2\u00a0023\u00a0980,00", "manager": "Петров Пётр Сергеевич", "folder": "outbox/lawyer/",
           "role_title": "Юрист Компании"}


class OneConnectionEach:
    """SmtpTransport without its batch(): a new connection for every message, for comparison."""

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(root: Path, transport_of, *, count: int, attachment: Path | None) -> float:  # noqa: ANN001
    """Notices per second (accepted by the server) for `count` notices queued in one transaction, then one deliver_due()."""
    ws = Workspace(root, load_settings(root, os.environ | {"DOCGEN_SMTP__HOST": "127.0.0.1"}))
    conn = connect(root / f"bench-{time.monotonic_ns()}.sqlite3")
    outbox = MailOutbox(conn)
    outbox.ensure_schema()
    conn.execute("BEGIN")
    for n in range(count):
        outbox.enqueue(build_notice(NoticeKind.REVIEW, ws=ws, event_id=f"bench/{time.monotonic_ns()}/{n}",
                                    to=["Юрист Компании <lawyer@example.ru>"], context=CONTEXT,
                                    attachments=[attachment] if attachment else [], deal=f"2026-{n:04d}"))
    conn.execute("COMMIT")
    sender = MailSender(outbox, transport_of(ws), ws=ws, clock=lambda: dt.datetime.now(dt.UTC),
                        log=logging.getLogger("bench"))
    start = time.perf_counter()
    sent = sender.deliver_due()
    elapsed = time.perf_counter() - start
    conn.close()
    assert sent == count, f"sent {sent} of {count}"
    return count / elapsed


def _start_server(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd in its own process, so its parsing does not share the client's GIL."""
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                               "-l", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("aiosmtpd did not start")


def main() -> None:
    port = _free_port()
    server = _start_server(port)
    os.environ.update({"DOCGEN_SMTP__PORT": str(port), "DOCGEN_SMTP__STARTTLS": "false"})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            pdf = root / "Договор 2026-0001.pdf"
            pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(200 * 1024))  # incompressible, like a real PDF

            def smtp(ws: Workspace) -> Transport:
                return SmtpTransport(ws.settings.smtp)

            def each(ws: Workspace) -> Transport:
                return OneConnectionEach(SmtpTransport(ws.settings.smtp))

            def spool(ws: Workspace) -> Transport:
                return SpoolTransport(ws.mail_spool)

            cases = [
                ("SMTP, одно соединение на пакет, без вложения", smtp, 500, None),
                ("SMTP, одно соединение на пакет, PDF 200 КБ", smtp, 200, pdf),
                ("SMTP, соединение на каждое письмо, без вложения", each, 200, None),
                ("спул .eml (без SMTP), без вложения", spool, 500, None),
                ("спул .eml (без SMTP), PDF 200 КБ", spool, 200, pdf),
            ]
            for title, transport_of, count, attachment in cases:
                rate = _run(root, transport_of, count=count, attachment=attachment)
                print(f"mail_send: {title}: {rate:.0f} писем/с ({count} писем)", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
