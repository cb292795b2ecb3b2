"""Helpers of the web board's tests: a workspace with named people, real deals, accounts, the app and a server."""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import docx
import uvicorn
import yaml
from argon2 import PasswordHasher

from conftest import EXAMPLE
from service_kit import drop, make_workspace, wait_for
from docgen.service import open_service, run_service, service_log
from docgen.store import open_store
from docgen.web.accounts import Accounts
from docgen.web.app import local_now, make_app
from docgen.workspace import Workspace

PASSWORD = "пароль-для-теста"
PEOPLE = """
[people]
lawyer = "Юрист Иванова <lawyer@ams.example>"
finance = "Финансы Петрова <finance@ams.example>"
economics = "Экономисты <economics@ams.example>"
technical = "Технический отдел <tech@ams.example>"
archivist = "Архив Сергеева <archive@ams.example>"

[divisions.metal]
title = "Направление металлоконструкций"
director = "Директор Сидоров <director.metal@ams.example>"
support = "Сопровождение Кузнецова <support.metal@ams.example>"

[divisions.concrete]
title = "Направление бетонных работ"
director = "Директор Бетонов <director.concrete@ams.example>"
support = "Сопровождение Орлова <support.concrete@ams.example>"
"""
MANAGER = "petrov@ams.example"  # the example form's manager, division metal
OTHER_MANAGER = "smirnova@ams.example"  # a second manager, division concrete
EVERYONE = ("lawyer@ams.example", "finance@ams.example", "economics@ams.example", "archive@ams.example",
            "director.metal@ams.example", "director.concrete@ams.example", "support.metal@ams.example",
            "support.concrete@ams.example",
            MANAGER, OTHER_MANAGER)


def board_workspace(root: Path, *, extra: str = "") -> Workspace:
    return make_workspace(root, extra=PEOPLE + extra)


def example_form() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def concrete_form() -> dict:
    """Another manager's deal in the other division, with another buyer."""
    data = copy.deepcopy(example_form())
    data["division"] = "concrete"
    data["manager"] = {"name": "Смирнова Анна Викторовна", "email": OTHER_MANAGER}
    data["buyer"]["name"] = "АО «Бетон-Строй»"
    data["subject"]["items"][0]["quantity"] = "3"
    return data


def process(ws: Workspace) -> None:
    """Everything waiting in the folders, through the real service, once."""
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)


def make_deals(ws: Workspace) -> None:
    """2026-0001: Петров, metal, at the lawyer; 2026-0002: Смирнова, concrete, at the lawyer."""
    drop(ws, "metal.yaml", example_form())
    process(ws)
    drop(ws, "concrete.yaml", concrete_form())
    process(ws)


# Real Argon2 at a test's cost: the hash carries its parameters, so the board verifies it as any other.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def set_passwords(ws: Workspace, emails=EVERYONE) -> None:
    store = open_store(ws.state)
    try:
        accounts = Accounts(store, clock=local_now, hasher=QUICK_HASHER)
        for email in emails:
            accounts.set_password(email, PASSWORD)
    finally:
        store.close()


def issue_token(ws: Workspace, email: str) -> str:
    store = open_store(ws.state)
    try:
        return Accounts(store, clock=local_now).issue_token(email)[1]
    finally:
        store.close()


def board_app(ws: Workspace, **kwargs):
    log = logging.getLogger(f"docgen.test.web.{ws.root}")
    return make_app(ws, log=log, opener=open_service, live_seconds=0.2, **kwargs)


def edited_docx(content: bytes, *, near: str, old: str, new: str) -> bytes:
    """A reviewer's edit in Word: in the first paragraph saying `near`, the text `old` of one run becomes `new`."""
    document = docx.Document(io.BytesIO(content))
    for paragraph in document.paragraphs:
        if near in paragraph.text.replace("\u00a0", " "):
            run = next(r for r in paragraph.runs if old in r.text)
            run.text = run.text.replace(old, new, 1)
            break
    else:
        raise AssertionError(f"«{near}» is not in the document")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(app) -> Iterator[str]:
    """A real uvicorn server with `app` on a free local port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1, proxy_headers=False))
    thread = threading.Thread(target=server.run, name="docgen-board", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=30, what="the board server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive(), "the board server did not stop"
