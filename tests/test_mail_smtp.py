"""Notices through a real SMTP server in the test process (aiosmtpd) and the real aiosmtplib client."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from conftest import ManualClock
from docgen.cli import main  # noqa: E402
from docgen.mail import (  # noqa: E402
    MailOutbox, MailSender, MailStatus, NoticeKind, SmtpTransport, build_notice, mailbox, recipients_for,
    transport_for,
)
from docgen.mail.outbox import DB_NAME, connect  # noqa: E402
from docgen.settings import load_settings  # noqa: E402
from docgen.workspace import Role, Workspace  # noqa: E402

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
PASSWORD = "Zebra-7781-secret-PW"
CONTEXT = {"deal": "2026-0001", "version": 1, "client": "ООО «Ромашка & Ко»", "inn": "5027012348",
           "total": "2\u00a0023\u00a0980,00", "manager": "Петров Пётр Сергеевич"}


def wait_until(predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def Clock() -> ManualClock:  # noqa: N802 - reads as the class it returns
    return ManualClock(T0)


class Collector:
    """aiosmtpd handler: keeps what arrives; can answer 4xx to the first DATA and refuse addresses."""

    def __init__(self, *, fail_data: int = 0, refuse: tuple[str, ...] = ()) -> None:
        self.fail_data = fail_data
        self.refuse = refuse
        self.received: list[tuple[tuple[str, ...], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.fail_data > 0:
                self.fail_data -= 1
                return "451 4.3.0 Try again later"
            msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
            self.received.append((tuple(envelope.rcpt_tos), msg))
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for _, m in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(handler: Collector, port: int, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def server(port) -> Iterator[Collector]:
    handler = Collector()
    controller = start_server(handler, port)
    yield handler
    controller.stop()


def make_ws(root: Path, port: int, **extra: str) -> Workspace:
    environ = {"DOCGEN_SMTP__HOST": "127.0.0.1", "DOCGEN_SMTP__PORT": str(port),
               "DOCGEN_SMTP__STARTTLS": "false", "DOCGEN_SMTP__TIMEOUT": "2",
               "DOCGEN_SMTP__SENDER": "Договорной отдел <docgen@ams.example>",
               "DOCGEN_SMTP__RETRY_DELAYS": "[10, 60, 300]", **extra}
    return Workspace(root, load_settings(root, environ))


class Rig:
    """A workspace, its outbox on a WAL database, and a sender with an injected clock."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.clock = Clock()
        self.conn = connect(ws.state / DB_NAME)
        self.outbox = MailOutbox(self.conn, clock=self.clock)
        self.outbox.ensure_schema()
        self.sender = MailSender(self.outbox, transport_for(ws), ws=ws, clock=self.clock,
                                 log=logging.getLogger("docgen.mail"))

    def queue(self, kind: NoticeKind, *, event: str, to, **kw) -> None:
        context = {**CONTEXT, "folder": "outbox/lawyer/", "role_title": "Юрист Компании", **kw.pop("context", {})}
        notice = build_notice(kind, ws=self.ws, event_id=event, to=to, context=context, **kw)
        self.conn.execute("BEGIN")
        self.outbox.enqueue(notice)
        self.conn.execute("COMMIT")

    def status(self) -> dict[str, MailStatus]:
        return {r.event_id: r.status for r in self.outbox.listing()}


@pytest.fixture
def rig(tmp_path, port) -> Iterator[Rig]:
    r = Rig(make_ws(tmp_path, port))
    yield r
    r.conn.close()


def test_a_notice_arrives_with_cyrillic_subject_recipients_and_attachment(rig, server, tmp_path):
    draft = tmp_path / "Договор 2026-0001.pdf"
    draft.write_bytes(b"%PDF-1.4 draft")
    dossier = rig.ws.clients / "5027012348" / "2026-0001"
    rig.queue(NoticeKind.REVIEW, event="2026-0001/v1/review/lawyer",
              to=['"Иванов, Иван" <ivanov@x.ru>', "Юрист Компании <lawyer@x.ru>"],
              attachments=[draft], deal="2026-0001", dossier=dossier)
    assert rig.sender.deliver_due() == 1
    wait_until(lambda: len(server.received) == 1)
    rcpts, msg = server.received[0]
    assert rcpts == ("ivanov@x.ru", "lawyer@x.ru")
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Иванов, Иван", "ivanov@x.ru"), ("Юрист Компании", "lawyer@x.ru")]
    assert msg["From"].addresses[0].display_name == "Договорной отдел"
    assert msg["Subject"] == "На согласование (Юрист Компании): договор 2026-0001 (версия 1), ООО «Ромашка & Ко», 2\u00a0023\u00a0980,00 руб."
    [part] = msg.iter_attachments()
    assert part.get_filename() == "Договор 2026-0001.pdf" and part.get_content() == b"%PDF-1.4 draft"
    assert "outbox/lawyer/" in msg.get_body(("plain",)).get_content()
    [copy] = dossier.glob("*.eml")
    assert BytesParser(policy=policy.default).parsebytes(copy.read_bytes())["Message-ID"] == msg["Message-ID"]
    assert rig.status() == {"2026-0001/v1/review/lawyer": MailStatus.SENT}


def test_recipients_per_kind_arrive(rig, server):
    s = rig.ws.settings
    manager = mailbox("Петров, Пётр", "petrov@ams.example")
    plan = {
        NoticeKind.REVIEW: ({"role": Role.FINANCE}, {}),
        NoticeKind.SIGNATURE: ({"division": "metal"}, {"folder": "outbox/director/"}),
        NoticeKind.HANDOVER: ({"division": "metal"}, {"support": "Менеджер", "folder": "outbox/economics/"}),
        NoticeKind.ORIGINALS: ({}, {"originals": ["Договор"]}),
        NoticeKind.TECHNICAL: ({}, {"files": ["КМ.pdf"]}),
        NoticeKind.SIGNED: ({"manager": manager}, {}),
        NoticeKind.RETURNED: ({"manager": manager}, {"returned_by": "Юрист", "comments": []}),
        NoticeKind.REJECTED: ({"manager": manager}, {"form": "f.yaml", "faults": ["x"]}),
    }
    for kind, (who, extra) in plan.items():
        rig.queue(kind, event=f"2026-0001/v1/{kind}", to=recipients_for(kind, s, **who), context=extra)
    assert rig.sender.deliver_due() == len(plan)
    by_kind = {str(m["X-Docgen-Kind"]): rcpts for rcpts, m in server.received}
    metal = s.divisions["metal"]
    assert by_kind == {
        "review": ("finance@localhost",), "signature": (metal.director.split("<")[1][:-1],),
        "handover": ("economics@localhost", "support.metal@localhost"), "originals": ("finance@localhost",),
        "technical": ("tech@localhost",), "signed": ("petrov@ams.example",),
        "returned": ("petrov@ams.example",), "rejected": ("petrov@ams.example",),
    }


def test_server_down_then_back_every_notice_arrives_once(tmp_path, port):
    rig = Rig(make_ws(tmp_path, port))
    for n in range(1, 4):
        rig.queue(NoticeKind.SIGNATURE, event=f"2026-000{n}/v1/signature", to=["d@x.ru"],
                  context={"deal": f"2026-000{n}", "folder": "outbox/director/"}, deal=f"2026-000{n}")
    assert rig.sender.deliver_due() == 0  # nobody listens on the port
    rows = rig.outbox.listing()
    assert all(r.status == MailStatus.QUEUED and r.next_try == T0 + dt.timedelta(seconds=10) for r in rows)
    assert all("127.0.0.1" in r.last_error for r in rows)
    handler = Collector()
    controller = start_server(handler, port)
    try:
        rig.clock.advance(5)
        assert rig.sender.deliver_due() == 0  # still waiting out the delay
        rig.clock.advance(5)
        assert rig.sender.deliver_due() == 3
        controller.stop()
        controller = start_server(handler, port)  # restarted on the same port: nothing is sent again
        rig.clock.advance(3600)
        assert rig.sender.deliver_due() == 0
        wait_until(lambda: len(handler.received) == 3)
        assert sorted(handler.ids()) == sorted(set(handler.ids()))
        assert set(rig.status().values()) == {MailStatus.SENT}
    finally:
        controller.stop()
        rig.conn.close()


def test_a_4xx_answer_is_retried_then_accepted(rig, port):
    handler = Collector(fail_data=1)
    controller = start_server(handler, port)
    try:
        rig.queue(NoticeKind.SIGNATURE, event="e1", to=["d@x.ru"], context={"folder": "outbox/director/"})
        rig.queue(NoticeKind.SIGNATURE, event="e2", to=["d@x.ru"], context={"folder": "outbox/director/"})
        assert rig.sender.deliver_due() == 1  # the 451 is for one message; the other goes
        [row] = [r for r in rig.outbox.listing() if r.status == MailStatus.QUEUED]
        assert "451" in row.last_error and row.attempts == 1
        rig.clock.advance(10)
        assert rig.sender.deliver_due() == 1
        assert len(handler.received) == 2 and len(set(handler.ids())) == 2
    finally:
        controller.stop()


def test_a_refused_recipient_does_not_block_the_others(rig, port):
    handler = Collector(refuse=("nobody@x.ru",))
    controller = start_server(handler, port)
    try:
        rig.queue(NoticeKind.HANDOVER, event="e1", to=["Экономисты <eco@x.ru>", "Никто <nobody@x.ru>", "нет адреса"],
                  context={"support": "М", "folder": "outbox/economics/"})
        rig.queue(NoticeKind.HANDOVER, event="e2", to=["Никто <nobody@x.ru>"],
                  context={"support": "М", "folder": "outbox/economics/"})
        rig.queue(NoticeKind.HANDOVER, event="e3", to=["eco@x.ru"], context={"support": "М", "folder": "o/"})
        assert rig.sender.deliver_due() == 2
        rows = {r.event_id: r for r in rig.outbox.listing()}
        assert rows["e1"].status == MailStatus.SENT
        assert any("nobody@x.ru" in p and "550" in p for p in rows["e1"].problems)
        assert any("нет адреса" in p for p in rows["e1"].problems)
        assert rows["e2"].status == MailStatus.FAILED and "550" in rows["e2"].last_error
        assert rows["e3"].status == MailStatus.SENT
        assert [r for r, _ in handler.received] == [("eco@x.ru",), ("eco@x.ru",)]
        # Whoever was not reached, the administrator is told: a letter refused whole and one refused in part.
        told = {r.event_id: r.notice for r in rig.outbox.listing() if r.notice.kind is NoticeKind.ADMIN}
        assert set(told) == {"admin/mail-failed/e1", "admin/mail-failed/e2"}
        assert "nobody@x.ru" in told["admin/mail-failed/e1"].body and "нет адреса" in told["admin/mail-failed/e1"].body
        assert "eco@x.ru: " not in told["admin/mail-failed/e1"].body
    finally:
        controller.stop()


class Auth:
    def __init__(self, password: str) -> None:
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"docgen" and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


AUTH_WITHOUT_TLS = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@AUTH_WITHOUT_TLS
def test_login_with_the_password_from_the_environment(tmp_path, port):
    handler = Collector()
    controller = start_server(handler, port, authenticator=Auth(PASSWORD), auth_required=True,
                              auth_require_tls=False)
    rig = Rig(make_ws(tmp_path, port, DOCGEN_SMTP__USERNAME="docgen", DOCGEN_SMTP_PASSWORD=PASSWORD))
    try:
        rig.queue(NoticeKind.SIGNED, event="e1", to=["m@x.ru"], context={"folder": "clients/1/"})
        assert rig.sender.deliver_due() == 1 and len(handler.received) == 1
    finally:
        controller.stop()
        rig.conn.close()


class Hanging:
    """A TCP server that accepts and never says a word: the client must give up on its own."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.clients:
            c.close()


def test_a_hanging_server_hits_the_timeout_and_the_notice_waits(tmp_path):
    hang = Hanging()
    rig = Rig(make_ws(tmp_path, hang.port, DOCGEN_SMTP__TIMEOUT="0.3"))
    try:
        rig.queue(NoticeKind.SIGNATURE, event="e1", to=["d@x.ru"], context={"folder": "outbox/director/"})
        rig.queue(NoticeKind.SIGNATURE, event="e2", to=["d@x.ru"], context={"folder": "outbox/director/"})
        started = time.monotonic()
        assert rig.sender.deliver_due() == 0
        assert time.monotonic() - started < 2  # one timeout for the batch, not one per notice
        delays = []
        for _ in range(3):
            [row, _] = rig.outbox.listing()
            assert row.status == MailStatus.QUEUED and "не ответил за 0.3 с" in row.last_error
            delays.append((row.next_try - rig.clock()).total_seconds())
            rig.clock.now = row.next_try
            assert rig.sender.deliver_due() == 0
        assert delays == [10, 60, 300]
    finally:
        hang.close()
        rig.conn.close()


@AUTH_WITHOUT_TLS
def test_the_password_never_shows(tmp_path, port, caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    handler = Collector()
    controller = start_server(handler, port, authenticator=Auth("the-right-one"), auth_required=True,
                              auth_require_tls=False)
    hang = Hanging()
    env = {"DOCGEN_SMTP__USERNAME": "docgen", "DOCGEN_SMTP_PASSWORD": PASSWORD}
    rig = Rig(make_ws(tmp_path, port, **env))
    try:
        rig.queue(NoticeKind.SIGNED, event="e1", to=["m@x.ru"], context={"folder": "clients/1/"})
        assert rig.sender.deliver_due() == 0  # wrong password: 535, the notice waits for a fixed one
        [row] = rig.outbox.listing()
        assert row.status == MailStatus.QUEUED and "535" in row.last_error and "docgen" in row.last_error
        for ws in (make_ws(tmp_path, hang.port, DOCGEN_SMTP__TIMEOUT="0.3", **env),
                   make_ws(tmp_path, free_port(), **env)):
            rig.clock.advance(3600)
            MailSender(rig.outbox, transport_for(ws), ws=ws, clock=rig.clock,
                       log=logging.getLogger("docgen.mail")).deliver_due()
        errors = [r.last_error for r in rig.outbox.listing()]
        for key, value in {"DOCGEN_SMTP__HOST": "127.0.0.1", "DOCGEN_SMTP__PORT": str(port),
                           "DOCGEN_SMTP__STARTTLS": "false", "COLUMNS": "200", **env}.items():
            monkeypatch.setenv(key, value)
        for argv in (["mail"], ["mail", "--retry"]):
            with pytest.raises(SystemExit):
                main(["--root", str(tmp_path), *argv])
        printed = capsys.readouterr()
        rig.conn.close()
        stored = b"".join(p.read_bytes() for p in rig.ws.state.glob("docgen.sqlite3*"))
        texts = [caplog.text, printed.out, printed.err, *errors]
        assert "535" in printed.out and "Отправлено писем: 0 из 1." in printed.out
        assert all(PASSWORD not in t for t in texts) and PASSWORD.encode() not in stored
    finally:
        hang.close()
        controller.stop()


def test_one_connection_serves_the_whole_batch(rig, port):
    sessions: list[object] = []

    class Counting(Collector):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
            sessions.append(session)
            session.host_name = hostname
            return responses

    handler = Counting()
    controller = start_server(handler, port)
    try:
        for n in range(5):
            rig.queue(NoticeKind.SIGNATURE, event=f"e{n}", to=["d@x.ru"], context={"folder": "o/"})
        assert isinstance(rig.sender.transport, SmtpTransport)
        assert rig.sender.deliver_due() == 5
        assert len(handler.received) == 5 and len(sessions) == 1
    finally:
        controller.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl tool (cryptography is not a dependency)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


@AUTH_WITHOUT_TLS
def test_starttls_then_login(tmp_path, port, monkeypatch):
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # The client trusts the system's store; OpenSSL reads SSL_CERT_FILE when it loads it.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    handler = Collector()
    controller = start_server(handler, port, tls_context=context, require_starttls=True,
                              authenticator=Auth(PASSWORD), auth_required=True)
    rig = Rig(make_ws(tmp_path, port, DOCGEN_SMTP__STARTTLS="true", DOCGEN_SMTP__USERNAME="docgen",
                      DOCGEN_SMTP_PASSWORD=PASSWORD))
    try:
        rig.queue(NoticeKind.SIGNED, event="e1", to=["m@x.ru"], context={"folder": "clients/1/"})
        assert rig.sender.deliver_due() == 1 and len(handler.received) == 1
    finally:
        controller.stop()
        rig.conn.close()


def test_a_long_cyrillic_subject_keeps_every_space_where_it_is_folded(rig, server):
    # Clients of every length move the fold across each space of «подписан: ООО …, 2 023 980,00 руб.».
    clients = [f"ООО «{'Ромашка' * n}{'к' * k}»" for n in range(1, 6) for k in range(0, 7)]
    for i, client in enumerate(clients):
        rig.queue(NoticeKind.SIGNED, event=f"2026-0002/v1/signed/{i}", to=["Петров Пётр Сергеевич <p@x.ru>"],
                  context={"deal": "2026-0002", "client": client, "folder": "clients/x/"})
    assert rig.sender.deliver_due() == len(clients)
    wait_until(lambda: len(server.received) == len(clients))
    got = sorted(str(m["Subject"]) for _, m in server.received)
    assert got == sorted(f"Договор 2026-0002 подписан: {c}, 2\u00a0023\u00a0980,00 руб." for c in clients)
    assert all(m.get_body(("plain",)).get_content().startswith("Пётр Сергеевич, здравствуйте.")
               for _, m in server.received)
