"""Why a notice could not be sent, as the transports report it and the sender acts on it.

    MailError (docgen.errors)        a notice could not be built or delivered
    ├── TransientMailError           try again later: server down or hanging, 4xx, login refused
    │                                (whole_server=True: every notice would fail the same way now)
    └── PermanentMailError           this notice will not go as it is: 5xx, no valid recipient

Messages are Russian and never carry the SMTP password (see `scrub`).
"""

from __future__ import annotations

from docgen.errors import MailError


class TransientMailError(MailError):
    """The server is down, hangs, or answered 4xx: the notice stays queued and is retried."""

    def __init__(self, message: str, *, whole_server: bool = False):
        self.whole_server = whole_server
        super().__init__(message)


class PermanentMailError(MailError):
    """The server refused this notice for good (5xx), or it has no valid recipient."""


def scrub(text: str, secret: str) -> str:
    """`text` with `secret` blotted out: a server or a library may echo what it was sent."""
    if secret and secret in text:
        return text.replace(secret, "***")
    return text
