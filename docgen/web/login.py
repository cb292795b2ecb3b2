"""Logging in and out: a password checked against its Argon2 hash, attempts limited, a session cookie."""

from __future__ import annotations

import math
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from docgen.web.accounts import Accounts
from docgen.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Visitor, set_session_cookie, visitor
from docgen.web.people import find_person
from docgen.web.respond import MAX_FIELD_BYTES, page, refusal, render
from docgen.web.security import local_path, same_origin, same_token


def _form(request: Request, *, status: int = 200, error: str = "", email: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", context={"login_csrf": token, "error": error, "email": email,
                                              "next": local_path(request.query_params.get("next"))}, status=status)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


async def login_form(request: Request) -> Response:
    return await run_in_threadpool(_login_form, request)


def _login_form(request: Request) -> Response:
    found = visitor(request.app.state.board, request)
    if found is None:
        return _form(request)
    response = RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    if found.new_secret:
        hours = request.app.state.board.settings.web.session_hours
        set_session_cookie(response, request, secret=found.new_secret, hours=hours)
    return response


async def login(request: Request) -> Response:
    async with request.form(max_files=0, max_fields=10, max_part_size=MAX_FIELD_BYTES) as fields:
        data = {k: v for k, v in fields.items() if isinstance(v, str)}
    return await run_in_threadpool(_login, request, data)


def _login(request: Request, data: dict[str, str]) -> Response:
    board = request.app.state.board
    if not (same_origin(request.headers.get("origin"), request.headers.get("host"))
            and same_token(data.get("csrf"), request.cookies.get(LOGIN_COOKIE, ""))):
        return refusal(request, 403, message="Форма входа устарела: откройте страницу входа заново.")
    email, password = data.get("email", "").strip(), data.get("password", "")
    client = request.client.host if request.client else ""
    wait = board.limiter.wait(email, client)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        return _form(request, status=429, email=email,
                     error=f"Слишком много неудачных попыток входа. Попробуйте снова через {minutes} мин.")
    store = board.store()
    accounts = Accounts(store, clock=board.clock)
    known = find_person(board.settings, store, email=email, day=board.clock().date()) is not None
    if not accounts.check_password(email, password) or not known:
        board.limiter.failed(email, client)
        board.log.warning("доска: неудачный вход %s с %s", email, client)
        return _form(request, status=401, email=email, error="Неверный адрес или пароль.")
    board.limiter.succeeded(email)
    secret, _ = accounts.open_session(email, via="password", hours=board.settings.web.session_hours)
    response = RedirectResponse(local_path(data.get("next")), status_code=303)
    set_session_cookie(response, request, secret=secret, hours=board.settings.web.session_hours)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@page(form=True)
def logout(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    Accounts(board.store(), clock=board.clock).close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
