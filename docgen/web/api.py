"""The JSON API: deals as `status --json` prints them, and decisions, for the holder of a bearer token.

401 without a valid token, 403 for a deal the caller may not see or a stage not theirs, 404 for no such
deal, 409 when the deal is not at the caller's stage; nothing changes on a refusal.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from docgen.errors import AccessDenied, DealNotFound, WorkflowError
from docgen.store import DealRow
from docgen.web.auth import token_person
from docgen.web.board import deal_status, statuses
from docgen.web.decide import comment_missing, role_to_decide
from docgen.web.people import Person
from docgen.workflow.stages import Decision

MAX_BODY = 64 * 1024
Handler = Callable[[Request, Person, dict[str, Any]], Response]


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def endpoint(*, body: bool = False) -> Callable[[Handler], Callable[[Request], Any]]:
    def wrap(handler: Handler) -> Callable[[Request], Any]:
        async def run(request: Request) -> Response:
            raw = b""
            if body:
                async for chunk in request.stream():
                    raw += chunk
                    if len(raw) > MAX_BODY:
                        return _error(413, "слишком большой запрос")
            return await run_in_threadpool(functools.partial(_serve, handler, request, raw=raw if body else None))

        return run

    return wrap


def _serve(handler: Handler, request: Request, *, raw: bytes | None) -> Response:
    person = token_person(request.app.state.board, request)
    if person is None:
        return _error(401, "нужен действующий токен: заголовок Authorization: Bearer <токен> "
                           "(docgen user token EMAIL)", **{"WWW-Authenticate": "Bearer"})
    payload: dict[str, Any] = {}
    if raw is not None:
        try:
            payload = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "тело запроса — не JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("comment", ""), str):
            return _error(400, 'ожидается JSON-объект {"comment": "…"}')
    try:
        return handler(request, person, payload)
    except DealNotFound as exc:
        return _error(404, str(exc))
    except AccessDenied as exc:
        return _error(403, str(exc))
    except WorkflowError as exc:
        return _error(409, str(exc))


def _visible(request: Request, person: Person) -> DealRow:
    row = request.app.state.board.store().deal(request.path_params["number"])
    if not person.sees(row):
        raise AccessDenied(f"сделка {row.number} вам не видна")
    return row


@endpoint()
def deals(request: Request, person: Person, payload: dict[str, Any]) -> Response:
    board = request.app.state.board
    store = board.store()
    scope, params = person.scope()
    return JSONResponse(statuses(store, board.lens(), rows=store.deals(where=scope, params=params)))


@endpoint()
def deal(request: Request, person: Person, payload: dict[str, Any]) -> Response:
    board = request.app.state.board
    return JSONResponse(deal_status(board.store(), board.lens(), row=_visible(request, person)))


def _decide(request: Request, person: Person, *, payload: dict[str, Any], decision: Decision) -> Response:
    board = request.app.state.board
    row = _visible(request, person)
    comment = payload.get("comment", "")
    role_to_decide(board.settings, person=person, row=row, day=board.lens().day)
    if comment_missing(decision, comment):
        return _error(400, "чтобы вернуть договор, нужны замечания: поле comment")
    outcome = board.decider.decide(row, person=person, decision=decision, comment=comment, via="api",
                                   day=board.lens().day)
    store = board.store()
    return JSONResponse(deal_status(store, board.lens(), row=store.deal(row.number)) | {"result": outcome.account})


def decision_call(decision: Decision):
    """The endpoint of one decision: POST /api/deals/{deal}/approve or /return."""

    @endpoint(body=True)
    def decide(request: Request, person: Person, payload: dict[str, Any]) -> Response:
        return _decide(request, person, payload=payload, decision=decision)

    return decide
