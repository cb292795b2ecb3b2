"""The MIME message of a notice and its .eml file: headers built from parsed parts, never from raw text."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.policy import EmailPolicy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from pathlib import Path

from docgen.files import create_temp
from docgen.mail.addresses import header_text
from docgen.mail.notice import Notice

# Headers of our own so a spool or a dossier file can be named, and a duplicate recognised.
EVENT_HEADER = "X-Docgen-Event"
KIND_HEADER = "X-Docgen-Kind"
DEAL_HEADER = "X-Docgen-Deal"

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]+")
_UNSAFE_NAME = re.compile(r"[^\w.-]+")
_HEAD_BYTES = 32 * 1024
# Free-text headers whose non-ASCII value is encoded by email.header.Header rather than the policy's refolder.
_TEXT_HEADERS = frozenset({"subject", EVENT_HEADER.lower(), DEAL_HEADER.lower()})


class _SmtpPolicy(EmailPolicy):
    """policy.SMTP, but a Cyrillic subject keeps every space where it is folded.

    CPython's refolder puts a space that falls at a fold between two encoded words, where RFC 2047
    readers drop it («подписан:ООО»; python/cpython#144156). email.header.Header keeps each space
    inside an encoded word, so the subject reads back exactly as it was written.
    """

    def fold(self, name: str, value: object) -> str:
        folded = self._encoded(name, value)
        return folded if folded is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: object) -> bytes:
        folded = self._encoded(name, value)
        return folded.encode("ascii") if folded is not None else super().fold_binary(name, value)

    def _encoded(self, name: str, value: object) -> str | None:
        text = str(value)
        if name.lower() not in _TEXT_HEADERS or text.isascii():
            return None
        encoded = Header(text, "utf-8", maxlinelen=self.max_line_length, header_name=name).encode(
            linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"


SMTP_POLICY = _SmtpPolicy(linesep="\r\n")


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


def message_id(event_id: str, *, sender: Address) -> str:
    """A Message-ID fixed by the event: the same event always yields the same id, so a duplicate shows."""
    readable = _UNSAFE_ID.sub(".", event_id).strip(".")[:80] or "notice"
    digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:12]
    return f"<{readable}.{digest}@{sender.domain or 'docgen.localhost'}>"


def compose(
    notice: Notice,
    *,
    sender: Address,
    recipients: Sequence[Address],
    attachments: Sequence[Attachment],
    date: dt.datetime,
) -> EmailMessage:
    """The message to send; every header value is either parsed or passed through header_text()."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = sender
    msg["To"] = list(recipients)
    msg["Subject"] = header_text(notice.subject)
    msg["Date"] = format_datetime(date.astimezone())
    msg["Message-ID"] = message_id(notice.event_id, sender=sender)
    # RFC 3834: vacation responders and ticket systems must not answer a robot.
    msg["Auto-Submitted"] = "auto-generated"
    msg[EVENT_HEADER] = header_text(notice.event_id)
    msg[KIND_HEADER] = str(notice.kind)
    if notice.deal:
        msg[DEAL_HEADER] = header_text(notice.deal)
    # base64 survives any relay, 8BITMIME or not, and is smaller than quoted-printable for Cyrillic.
    msg.set_content(notice.body, charset="utf-8", cte="base64")
    for item in attachments:
        maintype, subtype = _mime_type(item.filename)
        # The policy writes a non-ASCII name as RFC 2231 filename*=utf-8''…, which mail clients decode.
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg


def attachment_name(path: Path) -> str:
    """The file name as the reader sees it, without control characters (it goes into a header)."""
    return header_text(path.name) or "attachment"


def _mime_type(filename: str) -> tuple[str, str]:
    guessed, _ = mimetypes.guess_type(filename)
    if not guessed or "/" not in guessed:
        return "application", "octet-stream"
    maintype, subtype = guessed.split("/", 1)
    return maintype, subtype


def write_eml(folder: Path, message: EmailMessage) -> Path:
    """Write `message` as <timestamp>-<kind>-<deal>.eml in `folder`, atomically.

    The same message written again (a retry after a crash) replaces its own file rather than
    adding a second one; a different message with the same name gets a -2, -3… suffix.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = message.as_bytes(policy=SMTP_POLICY)
    target = _free_name(folder, _eml_stem(message), str(message["Message-ID"] or ""))
    fd, tmp = create_temp(folder, prefix=".", suffix=".eml.tmp")  # mode by the umask, unlike mkstemp
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _eml_stem(message: EmailMessage) -> str:
    date = message["Date"]
    when = date.datetime if date is not None and getattr(date, "datetime", None) else dt.datetime.now()
    kind = _UNSAFE_NAME.sub("_", str(message[KIND_HEADER] or "notice"))
    deal = _UNSAFE_NAME.sub("_", str(message[DEAL_HEADER] or "без-сделки"))
    return f"{when:%Y%m%d-%H%M%S}-{kind}-{deal}"


def _free_name(folder: Path, stem: str, msgid: str) -> Path:
    for n in range(1, 1000):
        candidate = folder / (f"{stem}.eml" if n == 1 else f"{stem}-{n}.eml")
        if not candidate.exists() or _message_id_of(candidate) == msgid:
            return candidate
    raise FileExistsError(f"{folder}: слишком много писем с именем {stem}")


def _message_id_of(path: Path) -> str:
    # Headers come first and ours are short: the head of the file is enough, however big the attachment.
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
        return str(BytesHeaderParser(policy=policy.default).parsebytes(head)["Message-ID"] or "")
    except OSError:
        return ""
