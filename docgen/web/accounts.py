"""Accounts of the web board in the store: passwords as Argon2 hashes, sessions and API tokens as SHA-256.

The browser and the script hold the random secrets; the store keeps only their hashes, so a copy
of the store lets no one in. The clock is passed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from docgen.errors import AccountError
from docgen.store import Store

MIN_PASSWORD = 8
TOKEN_PREFIX = "dg_"
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the address has no password, so a wrong address takes as long as a wrong password."""
    return _HASHER.hash("docgen: no such account")


def normal_email(email: str) -> str:
    return email.strip().lower()


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    email: str
    csrf: str
    via: str  # "password" or "header" (single sign-on through the trusted proxy)


@dataclass(frozen=True)
class TokenRow:
    id: int
    created_at: str
    last_used: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class UserRow:
    email: str
    has_password: bool
    tokens: int


class Accounts:
    """Passwords, sessions and tokens of one store."""

    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime], hasher: PasswordHasher = _HASHER):
        self.store = store
        self.clock = clock
        self.hasher = hasher

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    # passwords

    def set_password(self, email: str, password: str) -> None:
        """Store the password's hash; every open session of the person ends (they log in with the new one)."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"пароль короче {MIN_PASSWORD} символов")
        email, now = normal_email(email), self._now()
        digest = self.hasher.hash(password)
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO web_users(email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT(email) DO UPDATE SET password_hash = excluded.password_hash, "
                         "updated_at = excluded.updated_at", (email, digest, now, now))
            conn.execute("DELETE FROM web_sessions WHERE email = ?", (email,))

    def check_password(self, email: str, password: str) -> bool:
        row = self.store.conn.execute("SELECT password_hash FROM web_users WHERE email = ?",
                                      (normal_email(email),)).fetchone()
        try:
            return self.hasher.verify(row[0] if row else _dummy_hash(), password) and row is not None
        except (VerificationError, InvalidHashError):
            return False

    def remove(self, email: str) -> bool:
        """No password, no sessions, every token revoked; True if there was anything."""
        email = normal_email(email)
        with self.store.transaction() as conn:
            had = conn.execute("DELETE FROM web_users WHERE email = ?", (email,)).rowcount
            conn.execute("DELETE FROM web_sessions WHERE email = ?", (email,))
            revoked = conn.execute("UPDATE web_tokens SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL",
                                   (self._now(), email)).rowcount
        return bool(had or revoked)

    def users(self) -> list[UserRow]:
        rows = self.store.conn.execute(
            "SELECT email, 1 AS pw, 0 AS t FROM web_users UNION ALL "
            "SELECT email, 0, 1 FROM web_tokens WHERE revoked_at IS NULL").fetchall()
        out: dict[str, UserRow] = {}
        for email, pw, token in rows:
            seen = out.get(email, UserRow(email, False, 0))
            out[email] = UserRow(email, seen.has_password or bool(pw), seen.tokens + token)
        return [out[e] for e in sorted(out)]

    # sessions

    def open_session(self, email: str, *, via: str, hours: float) -> tuple[str, Session]:
        """A new session: the secret for the cookie, and what the store remembers of it."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        expires = (now + dt.timedelta(hours=hours)).isoformat(timespec="seconds")
        email = normal_email(email)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now.isoformat(timespec="seconds"),))
            conn.execute("INSERT INTO web_sessions(secret_sha256, email, csrf, via, created_at, expires_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (_sha(secret), email, csrf, via, self._now(), expires))
        return secret, Session(email, csrf, via)

    def session(self, secret: str) -> Session | None:
        if not secret:
            return None
        row = self.store.conn.execute("SELECT email, csrf, via, expires_at FROM web_sessions WHERE secret_sha256 = ?",
                                      (_sha(secret),)).fetchone()
        if row is None or dt.datetime.fromisoformat(row["expires_at"]) <= self.clock():
            return None
        return Session(row["email"], row["csrf"], row["via"])

    def close_session(self, secret: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM web_sessions WHERE secret_sha256 = ?", (_sha(secret),))

    # API tokens

    def issue_token(self, email: str) -> tuple[int, str]:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.transaction() as conn:
            cursor = conn.execute("INSERT INTO web_tokens(email, secret_sha256, created_at) VALUES (?, ?, ?)",
                                  (normal_email(email), _sha(secret), self._now()))
        return int(cursor.lastrowid), secret

    def token_owner(self, secret: str) -> str | None:
        """The address a live token belongs to; its last use is noted."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        row = self.store.conn.execute("SELECT id, email FROM web_tokens WHERE secret_sha256 = ? AND revoked_at IS NULL",
                                      (_sha(secret),)).fetchone()
        if row is None:
            return None
        self.store.conn.execute("UPDATE web_tokens SET last_used = ? WHERE id = ?", (self._now(), row["id"]))
        return row["email"]

    def tokens(self, email: str) -> list[TokenRow]:
        rows = self.store.conn.execute("SELECT id, created_at, last_used, revoked_at FROM web_tokens WHERE email = ? "
                                       "ORDER BY id", (normal_email(email),)).fetchall()
        return [TokenRow(**dict(r)) for r in rows]

    def revoke(self, email: str, *, token_id: int | None = None) -> int:
        """Revoke one token of the person, or all of them; how many were live."""
        query = "UPDATE web_tokens SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL"
        params: tuple = (self._now(), normal_email(email))
        if token_id is not None:
            query += " AND id = ?"
            params += (token_id,)
        with self.store.transaction() as conn:
            return conn.execute(query, params).rowcount
