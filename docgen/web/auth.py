"""Who is asking: the session cookie (or the trusted proxy's user header) for pages, a bearer token for the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from docgen.web.accounts import Accounts, Session, normal_email
from docgen.web.people import Person, find_person

if TYPE_CHECKING:
    from docgen.web.app import Board

SESSION_COOKIE = "docgen_session"
LOGIN_COOKIE = "docgen_login"  # the login form's own CSRF token, before there is a session


@dataclass(frozen=True)
class Visitor:
    person: Person
    session: Session
    new_secret: str | None = None  # a session this request opened (single sign-on): its cookie is to be set


def visitor(board: Board, request: Request) -> Visitor | None:
    """The logged-in person of a page request, or None."""
    store = board.store()
    accounts = Accounts(store, clock=board.clock)
    session = accounts.session(request.cookies.get(SESSION_COOKIE, ""))
    sso = request.scope.get("state", {}).get("sso_user")
    day = board.clock().date()
    new_secret = None
    if sso and (session is None or session.email != normal_email(sso)):
        if find_person(board.settings, store, email=sso, day=day) is None:
            return None
        new_secret, session = accounts.open_session(sso, via="header", hours=board.settings.web.session_hours)
    if session is None:
        return None
    # None once docgen.toml no longer names them
    person = find_person(board.settings, store, email=session.email, day=day)
    return Visitor(person, session, new_secret) if person else None


def token_person(board: Board, request: Request) -> Person | None:
    """The owner of the request's bearer token, or None."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    store = board.store()
    email = Accounts(store, clock=board.clock).token_owner(secret.strip())
    return find_person(board.settings, store, email=email, day=board.clock().date()) if email else None


def set_session_cookie(response: Response, request: Request, *, secret: str, hours: float) -> None:
    """HttpOnly, SameSite=Lax (a link from a notice still opens the page logged in), Secure over TLS."""
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(hours * 3600), path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
