"""Answering a page: the visitor first (or the login page), the CSRF token on every form, refusals as pages.

A handler is a plain function (request, visitor, form data) → response, run in a worker thread, so it
may use the store freely; `page` wraps it into a Starlette endpoint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from docgen.errors import AccessDenied, DealNotFound, DocgenError, WorkflowError
from docgen.web.auth import Visitor, set_session_cookie, visitor
from docgen.web.live import stamp
from docgen.web.security import same_origin, same_token

Handler = Callable[[Request, Visitor, dict[str, str]], Response]
MAX_FORM_FIELDS = 20
MAX_FIELD_BYTES = 64 * 1024


def render(request: Request, name: str, *, context: dict[str, Any], visitor: Visitor | None = None,
           status: int = 200) -> Response:
    board = request.app.state.board
    common: dict[str, Any] = {"visitor": visitor, "person": visitor.person if visitor else None,
                              "csrf": visitor.session.csrf if visitor else "", "titles": [], "stamp": ""}
    if visitor is not None:
        common |= {"titles": visitor.person.titles(board.settings), "stamp": stamp(board.store())}
    return board.templates.TemplateResponse(request, name, common | context, status_code=status)


def refusal(request: Request, status: int, *, message: str, visitor: Visitor | None = None) -> Response:
    return render(request, "error.html", context={"status": status, "message": message}, visitor=visitor,
                  status=status)


def page(*, form: bool = False) -> Callable[[Handler], Callable[[Request], Any]]:
    """A page for logged-in people; with `form`, a POST whose CSRF token and origin are checked first."""

    def wrap(handler: Handler) -> Callable[[Request], Any]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            data: dict[str, str] = {}
            if form:
                async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS,
                                        max_part_size=MAX_FIELD_BYTES) as fields:
                    data = {k: v for k, v in fields.items() if isinstance(v, str)}
            return await run_in_threadpool(functools.partial(_serve, handler, request, data=data))

        return endpoint

    return wrap


def _serve(handler: Handler, request: Request, *, data: dict[str, str]) -> Response:
    board = request.app.state.board
    found = visitor(board, request)
    if found is None:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return refusal(request, 401, message="Войдите, чтобы продолжить.")
    if request.method == "POST" and not (same_origin(request.headers.get("origin"), request.headers.get("host"))
                                         and same_token(data.get("csrf"), found.session.csrf)):
        return refusal(request, 403, message="Форма устарела или пришла не с этой страницы: обновите страницу "
                                             "и повторите.",
                       visitor=found)
    try:
        response = handler(request, found, data)
    except DealNotFound as exc:
        response = refusal(request, 404, message=str(exc), visitor=found)
    except AccessDenied as exc:
        response = refusal(request, 403, message=f"Нет доступа: {exc}.", visitor=found)
    except WorkflowError as exc:
        response = refusal(request, 409, message=f"{exc}.", visitor=found)
    if found.new_secret:
        set_session_cookie(response, request, secret=found.new_secret, hours=board.settings.web.session_hours)
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: "Такой страницы нет.", 405: "Так к этой странице обратиться нельзя."}.get(
        status, "Внутренняя ошибка доски; она записана в журнал службы.")
    if status == 500:
        request.app.state.board.log.error("ошибка доски: %r", exc, exc_info=exc)
    if isinstance(exc, DocgenError):
        message = str(exc)
    return await run_in_threadpool(functools.partial(refusal, request, status, message=message))


EXCEPTION_HANDLERS = {404: _http_error, 405: _http_error, 500: _http_error}
