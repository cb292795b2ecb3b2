"""Notices by e-mail: built from templates/mail/, queued in the store with their event, sent over SMTP or spooled."""

from docgen.mail.addresses import Recipients, header_text, mailbox, parse_address, parse_recipients
from docgen.mail.errors import PermanentMailError, TransientMailError
from docgen.mail.message import compose, message_id, write_eml
from docgen.mail.notice import Notice, NoticeKind, admin_notice, build_notice, recipients_for, render
from docgen.mail.outbox import MailOutbox, MailStatus, QueuedNotice
from docgen.mail.sender import MailSender, retry_delay
from docgen.mail.transport import BatchTransport, SmtpTransport, SpoolTransport, Transport, transport_for

__all__ = [
    "BatchTransport", "MailOutbox", "MailSender", "MailStatus", "Notice", "NoticeKind", "PermanentMailError",
    "QueuedNotice", "Recipients", "SmtpTransport", "SpoolTransport", "TransientMailError", "Transport",
    "admin_notice", "build_notice", "compose", "header_text", "mailbox", "message_id", "parse_address", "parse_recipients",
    "recipients_for", "render", "retry_delay", "transport_for", "write_eml",
]
