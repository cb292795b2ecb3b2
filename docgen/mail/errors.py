"""Why a notice could not be sent, as the transports report it and the sender acts on it.

    MailError (docgen.errors)        a notice could not be built or delivered
    ├── TransientMailError           try again later: server down or hanging, 4xx, login refused
    │                                (whole_server=True: every notice would fail the same way now;
    │                                ambiguous=True: the line broke after the message went out, so
    │                                it may have arrived — tried at most once more)
    └── PermanentMailError           this notice will not go as it is: 5xx, no valid recipient

Messages are Russian and never carry the SMTP password (see `scrub`).
"""

from __future__ import annotations

import base64

from docgen.errors import MailError


class TransientMailError(MailError):
    """The server is down, hangs, or answered 4xx: the notice stays queued and is retried."""

    def __init__(self, message: str, *, whole_server: bool = False, ambiguous: bool = False):
        self.whole_server = whole_server
        self.ambiguous = ambiguous
        super().__init__(message)


class PermanentMailError(MailError):
    """The server refused this notice for good (5xx), or it has no valid recipient."""


def scrub(text: str, *secrets: str) -> str:
    """`text` with each of `secrets` blotted out: a server or a library may echo what it was sent."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text


def login_secrets(username: str, password: str) -> tuple[str, ...]:
    """The password and the forms it travels in: AUTH PLAIN's base64 of «\\0user\\0password» (with and
    without the authorization identity) and AUTH LOGIN's base64 of the password. A server that
    echoes the line it refused («535 … AHVzZXIAc2VjcmV0») must not put the password in the store."""
    if not password:
        return ()
    forms = [f"\0{username}\0{password}", f"{username}\0{username}\0{password}", password]
    encoded = [base64.b64encode(f.encode("utf-8")).decode("ascii") for f in forms]
    # The same base64 without its padding, as some servers print it.
    return tuple(dict.fromkeys([password, *encoded, *(e.rstrip("=") for e in encoded)]))
