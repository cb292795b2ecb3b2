"""The board's application: its state (workspace, store connections, accounts, the decider) and its routes.

`make_app` builds a Starlette application for one workspace; `docgen serve` hands it to uvicorn, tests
drive it in-process or through a real server. Nothing of a deal is answered without a login.
"""

from __future__ import annotations

import contextlib
import functools
import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from docgen.store import Store, open_store
from docgen.web import api, live, login, pages, respond
from docgen.web.board import Lens, register_functions
from docgen.web.decide import Decider
from docgen.web.render import add_filters
from docgen.web.security import BodyLimit, LoginLimiter, ProxyHeaders, SecurityHeaders
from docgen.workflow.deadlines import Deadlines
from docgen.workflow.engine import Workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Workspace

HERE = Path(__file__).parent


class StorePool:
    """One store connection per worker thread (SQLite connections are not shared between threads here)."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.ws)
            register_functions(store)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()


@dataclass
class Board:
    """Everything a request handler needs, on `request.app.state.board`."""

    ws: Workspace
    clock: Callable[[], dt.datetime]
    log: logging.Logger
    decider: Decider
    limiter: LoginLimiter
    templates: Jinja2Templates
    stores: StorePool
    live_seconds: float = 1.0  # how often an open page's event stream looks for a change
    closing: threading.Event = field(default_factory=threading.Event)

    @property
    def settings(self):
        return self.ws.settings

    @functools.cached_property
    def deadlines(self) -> Deadlines:
        return Deadlines.from_settings(self.settings)

    def lens(self) -> Lens:
        """The settings, deadline rules and moment one request sees deals through."""
        return Lens(self.settings, self.deadlines, self.clock())

    def store(self) -> Store:
        return self.stores.get()


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def make_app(ws: Workspace, *, log: logging.Logger, opener: Callable[[Workspace, logging.Logger], Workflow],
             clock: Callable[[], dt.datetime] = local_now, live_seconds: float = 1.0) -> Starlette:
    """The board of workspace `ws`; `opener` opens the workflow decisions go through (`open_service`)."""
    web = ws.settings.web
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    add_filters(templates.env)
    open_store(ws).close()  # the accounts' tables exist (and an old store is upgraded) before serving
    limiter = LoginLimiter(attempts=web.login_attempts, window=dt.timedelta(minutes=web.login_window_minutes),
                           clock=clock)
    board = Board(ws=ws, clock=clock, log=log, decider=Decider(ws, log=log, opener=opener), limiter=limiter,
                  templates=templates, stores=StorePool(ws), live_seconds=live_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            board.closing.set()
            board.decider.close()
            board.stores.close()

    app = Starlette(routes=_routes(), lifespan=lifespan, exception_handlers=respond.EXCEPTION_HANDLERS, middleware=[
        Middleware(ProxyHeaders, trusted=web.trusted_proxies, user_header=web.user_header),
        Middleware(SecurityHeaders),
        Middleware(BodyLimit),
    ])
    app.state.board = board
    return app


def decision_path(decision: Decision) -> str:
    """approve, return: the last part of a decision's address, as the API promises it."""
    return {Decision.APPROVED: "approve", Decision.RETURNED: "return"}[decision]


def _routes() -> list:
    return [
        Route("/login", login.login_form, methods=["GET"]),
        Route("/login", login.login, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/", pages.board_view, methods=["GET"]),
        Route("/queue", pages.queue_view, methods=["GET"]),
        Route("/register", pages.register_view, methods=["GET"]),
        Route("/register.xlsx", pages.register_download, methods=["GET"]),
        Route("/deals/{number}", pages.deal_view, methods=["GET"]),
        Route("/deals/{number}/compare", pages.compare_view, methods=["GET"]),
        Route("/deals/{number}/files/{file_id}", pages.download, methods=["GET"]),
        *[Route(f"/deals/{{number}}/{decision_path(d)}", pages.decision_form(d), methods=["POST"]) for d in Decision],
        Route("/events", live.events, methods=["GET"]),
        Route("/api/deals", api.deals, methods=["GET"]),
        Route("/api/deals/{number}", api.deal, methods=["GET"]),
        *[Route(f"/api/deals/{{number}}/{decision_path(d)}", api.decision_call(d), methods=["POST"]) for d in Decision],
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
