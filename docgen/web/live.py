"""The live board: an open page hears of every change through server-sent events and fetches itself anew.

The stamp is what changes with every step of any process on the store: the last journal entry, the
steps still under way, the last letter queued. It tells that something changed, never what.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from docgen.store import Store
from docgen.web.auth import visitor

STREAM_SECONDS = 300.0  # a stream ends after this long; the browser reconnects on its own (retry below)
PING_EVERY = 15  # quiet checks between keep-alive comments


def stamp(store: Store) -> str:
    row = store.conn.execute("SELECT (SELECT max(id) FROM journal), (SELECT count(*) FROM steps WHERE state = "
                             "'planned'), (SELECT max(seq) FROM mail_notices)").fetchone()
    return f"{row[0] or 0}.{row[1]}.{row[2] or 0}"


async def events(request: Request) -> Response:
    board = request.app.state.board
    if await run_in_threadpool(visitor, board, request) is None:
        return PlainTextResponse("Войдите, чтобы продолжить.", status_code=401)
    return StreamingResponse(_stream(board), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store"})


async def _stream(board) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    last, quiet, started = None, 0, time.monotonic()
    while not board.closing.is_set() and time.monotonic() - started < STREAM_SECONDS:
        current = await run_in_threadpool(lambda: stamp(board.store()))
        if current != last:
            yield f"event: change\ndata: {current}\n\n"
            last, quiet = current, 0
        elif quiet >= PING_EVERY:
            yield ": ping\n\n"
            quiet = 0
        quiet += 1
        await anyio.sleep(board.live_seconds)
