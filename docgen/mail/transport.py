"""Where a composed message goes: an SMTP server through aiosmtplib, or .eml files in outbox/mail/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, runtime_checkable

import aiosmtplib

from docgen.errors import describe
from docgen.mail.errors import PermanentMailError, TransientMailError, login_secrets, scrub
from docgen.mail.message import SMTP_POLICY, write_eml
from docgen.settings import SmtpSettings
from docgen.workspace import Workspace

# Refused recipients → the server's reason; empty or None when every recipient was accepted.
Refusals = Mapping[str, str]


class Transport(Protocol):
    def send(self, message: EmailMessage) -> Refusals | None:
        """Deliver or raise TransientMailError (retry later) / PermanentMailError (will not go as is)."""
        ...


@runtime_checkable
class BatchTransport(Protocol):
    """A transport that can keep one connection open for a batch of messages."""

    def send(self, message: EmailMessage) -> Refusals | None: ...

    def batch(self) -> AbstractContextManager[None]: ...


def transport_for(ws: Workspace) -> Transport:
    """SMTP when a host is configured, else the .eml spool in outbox/mail/ (the embedded default)."""
    smtp = ws.settings.smtp
    return SmtpTransport(smtp) if smtp.host else SpoolTransport(ws.mail_spool)


class SpoolTransport:
    """Writes each message as <outbox/mail>/<timestamp>-<kind>-<deal>.eml, atomically."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> Refusals | None:
        try:
            write_eml(self.folder, message)
        except OSError as exc:
            raise TransientMailError(f"Не удалось записать письмо в {self.folder}: {exc.strerror or exc}",
                                     whole_server=True) from None
        return None


class SmtpTransport:
    """aiosmtplib behind a blocking interface; one connection per batch, opened on the first message."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._runner: asyncio.Runner | None = None
        self._client: aiosmtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> Refusals | None:
        if self._runner is None:
            with self.batch():
                return self.send(message)
        assert self._runner is not None
        try:
            return self._runner.run(self._send(message))
        except BaseException:
            # After any failure the connection's state is unknown: the next message reconnects.
            self._runner.run(self._close())
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keep the connection (and the event loop it lives on) open for every send inside."""
        if self._runner is not None:
            yield
            return
        self._runner = asyncio.Runner()
        try:
            yield
        finally:
            try:
                self._runner.run(self._close())
            finally:
                self._runner.close()
                self._runner = None

    def probe(self) -> None:
        """Connect, start TLS and log in exactly as for sending, then say QUIT: nothing is sent.
        Raises TransientMailError or PermanentMailError with the Russian reason (`docgen doctor`)."""
        with self.batch():
            assert self._runner is not None
            self._runner.run(self._probe())

    async def _probe(self) -> None:
        try:
            await self._connected()
        except aiosmtplib.SMTPException as exc:
            raise self._translate(exc) from None
        except (OSError, asyncio.TimeoutError) as exc:  # as in _send: the network, not the server
            raise TransientMailError(self._where(f"нет соединения ({describe(exc)})"), whole_server=True) from None

    async def _send(self, message: EmailMessage) -> Refusals:
        client = None
        try:
            reused = self._client is not None and self._client.is_connected
            try:
                client = await self._connected()
                errors, _ = await client.send_one(message)
            except aiosmtplib.SMTPServerDisconnected:
                if not reused or client is None or client.data_started:
                    raise
                # The server dropped a connection kept open for the batch before taking anything: one fresh try.
                await self._close()
                client = await self._connected()
                errors, _ = await client.send_one(message)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError, asyncio.TimeoutError) as exc:
            if client is not None and client.data_started:
                raise TransientMailError(self._where(
                    "связь оборвалась после передачи письма: сервер мог его принять"), whole_server=True,
                    ambiguous=True) from None
            if isinstance(exc, aiosmtplib.SMTPException):
                raise self._translate(exc) from None
            raise TransientMailError(self._where(f"нет соединения ({describe(exc)})"), whole_server=True) from None
        except aiosmtplib.SMTPException as exc:
            raise self._translate(exc) from None
        except Exception as exc:  # the client library's own failure: said in Russian, retried like an outage
            raise TransientMailError(self._where(f"сбой почтового клиента ({type(exc).__name__})"),
                                     whole_server=True) from None
        return {addr: f"{resp.code} {resp.message}" for addr, resp in errors.items()}

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        s = self.settings
        self._client = _Client(
            hostname=s.host, port=s.port, timeout=s.timeout, use_tls=s.tls,
            start_tls=False if s.tls else s.starttls,
            username=s.username or None, password=(s.password if s.username else None),
        )
        await self._client.connect()
        return self._client

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
            client.close()

    def _translate(self, exc: aiosmtplib.SMTPException) -> Exception:
        """aiosmtplib's exception → ours, with a Russian message and never the password."""
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            if all(code >= 500 for code in codes):
                return PermanentMailError(self._where(f"сервер отверг всех получателей: {text}"))
            return TransientMailError(self._where(f"сервер временно не принял получателей: {text}"))
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            # A wrong password is the operator's to fix; the notices wait for it rather than fail.
            return TransientMailError(self._where(f"вход не удался для «{self.settings.username}»: "
                                                  f"{exc.code} {exc.message}"), whole_server=True)
        if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(exc, aiosmtplib.SMTPConnectError):
            if exc.code >= 500:
                return PermanentMailError(self._where(f"сервер отказал: {exc.code} {exc.message}"))
            return TransientMailError(self._where(f"сервер просит повторить позже: {exc.code} {exc.message}"))
        if isinstance(exc, aiosmtplib.SMTPTimeoutError):
            return TransientMailError(self._where(f"сервер не ответил за {self.settings.timeout:g} с"),
                                      whole_server=True)
        if isinstance(exc, aiosmtplib.SMTPConnectError):
            return TransientMailError(self._where("нет соединения: не удаётся подключиться к серверу (он выключен, "
                                                  "адрес или порт неверны, или сеть не пропускает)"), whole_server=True)
        if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
            return TransientMailError(self._where("сервер оборвал соединение"), whole_server=True)
        if isinstance(exc, aiosmtplib.SMTPNotSupported):
            return TransientMailError(self._where("сервер не поддерживает нужное расширение SMTP (например STARTTLS "
                                                  "или вход): проверьте smtp.starttls, smtp.tls и порт"),
                                      whole_server=True)
        text = str(exc)
        if "STARTTLS" in text.upper():
            return TransientMailError(self._where("сервер не предлагает STARTTLS: выключите smtp.starttls или "
                                                  "включите smtp.tls с портом 465"), whole_server=True)
        if "AUTH" in text.upper():
            return TransientMailError(self._where("сервер не предлагает вход (AUTH): оставьте smtp.username "
                                                  "пустым или включите STARTTLS/TLS"), whole_server=True)
        return TransientMailError(self._where(f"ошибка почтового протокола; ответ: «{text}»"), whole_server=True)

    def _where(self, text: str) -> str:
        s = self.settings
        return scrub(f"SMTP {s.host}:{s.port}: {text}", *login_secrets(s.username, s.password))


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client that remembers whether the message itself went out (DATA began): a failure
    after that is ambiguous — the server may have taken the letter — and must not be retried blindly."""

    data_started = False

    async def send_one(self, message: EmailMessage) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
        self.data_started = False
        # Flattened by our policy: aiosmtplib's send_message flattens with email.policy.SMTP, whose folding
        # drops the space at a fold of a Cyrillic subject (see docgen.mail.message._SmtpPolicy).
        sender = message["From"].addresses[0].addr_spec
        recipients = [a.addr_spec for field in ("To", "Cc") for a in (message[field].addresses if message[field]
                                                                      else ())]
        return await self.sendmail(sender, recipients, message.as_bytes(policy=SMTP_POLICY))

    async def data(self, message, /, **kwargs):  # type: ignore[no-untyped-def]
        self.data_started = True
        return await super().data(message, **kwargs)
