"""The board's guards: login attempts limited, the trusted proxy's headers, CSRF tokens, safe headers.

Pure ASGI middleware and small functions; the clock is passed in.
"""

from __future__ import annotations

import datetime as dt
import hmac
import threading
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class LoginLimiter:
    """Failed logins per address and per client: past the limit within the window, no more tries until it passes."""

    def __init__(self, *, attempts: int, window: dt.timedelta, clock: Callable[[], dt.datetime]):
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def _keys(self, email: str, client: str) -> list[tuple[str, int]]:
        # A client may try a few addresses (a typo, a colleague's PC), not a whole list.
        return [(f"email:{email.strip().lower()}", self.attempts), (f"client:{client}", self.attempts * 4)]

    def wait(self, email: str, client: str) -> dt.timedelta | None:
        """How long until this address (or this client) may try again; None when it may now."""
        now = self.clock()
        with self._lock:
            longest = None
            for key, limit in self._keys(email, client):
                recent = self._recent(key, now)
                if len(recent) >= limit:
                    left = recent[0] + self.window - now
                    longest = left if longest is None or left > longest else longest
            return longest

    def failed(self, email: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            for key, _ in self._keys(email, client):
                self._recent(key, now).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"email:{email.strip().lower()}", None)

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def same_origin(origin: str | None, host: str | None) -> bool:
    """A form posted by a page of this board (browsers send Origin with every POST); no Origin is let through
    to the CSRF token check."""
    if not origin:
        return True
    return urlsplit(origin).netloc == (host or "")


def local_path(target: str | None) -> str:
    """A redirect target after login: a path of this site only, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class ProxyHeaders:
    """Behind the company's reverse proxy: the client's address and scheme from X-Forwarded-For/-Proto, and
    the single-sign-on user header, believed only from a trusted proxy's address. From anyone else the
    user header is dropped, so no one can name themselves."""

    def __init__(self, app: ASGIApp, *, trusted: list[str], user_header: str):
        self.app = app
        self.trusted = set(trusted)
        self.user_header = user_header.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope)
            peer = (scope.get("client") or ("", 0))[0]
            headers = dict(scope.get("headers") or [])
            user = None
            if peer in self.trusted:
                forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",")[-1].strip()
                if forwarded:
                    scope["client"] = (forwarded, 0)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
                if self.user_header:
                    user = headers.get(self.user_header, b"").decode("utf-8", "replace").strip() or None
            scope["state"] = {**scope.get("state", {}), "sso_user": user}
        await self.app(scope, receive, send)


class BodyLimit:
    """No request body over `limit` bytes (forms and API calls are a few hundred): 413 before it is read in full."""

    def __init__(self, app: ASGIApp, *, limit: int = 1024 * 1024):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(send)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = "Слишком большой запрос.".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Headers every answer carries: no framing, no sniffing, no caching of deal data, scripts only our own."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
            await send(message)

        await self.app(scope, receive, with_headers)
