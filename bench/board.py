"""Benchmark of the web board: 10,000 deals, the board's first page and filtered pages over HTTP, and what
changed between two 20-page contracts.

Floors (issue 15): each page well under 300 ms; the comparison of two 20-page contracts under 1 s.
One deal is made by the real workflow; 9,999 more are its rows copied through the Store API with
other numbers, buyers, managers, divisions and stages (most signed, as in a real year). The server is
the real one (uvicorn in a thread), asked over a socket as a browser would.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import http.client
import io
import math
import logging
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zipfile
from dataclasses import replace
from pathlib import Path

import uvicorn
from argon2 import PasswordHasher
from lxml import etree

from docgen.compare import compare_docx, paragraphs
from docgen.layout import lay_out
from docgen.service import local_now
from docgen.settings import load_settings
from docgen.store import Store, open_store
from docgen.web.accounts import Accounts
from docgen.web.app import make_app
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "templates" / "forms" / "example.yaml"
FIRST = "2026-0001"
PAGE_FLOOR_MS = 300.0
COMPARE_FLOOR_S = 1.0
PEOPLE = """
[pdf]
enabled = false
[people]
lawyer = "Юрист <lawyer@ams.example>"
[divisions.metal]
title = "Металлоконструкции"
director = "Директор М <director.metal@ams.example>"
support = "Сопровождение М <support.metal@ams.example>"
[divisions.concrete]
title = "Бетон"
director = "Директор Б <director.concrete@ams.example>"
support = "Сопровождение Б <support.concrete@ams.example>"
[divisions.geo]
title = "Геология"
director = "Директор Г <director.geo@ams.example>"
support = "Сопровождение Г <support.geo@ams.example>"
"""
PASSWORD = "bench-password"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def one_deal(root: Path) -> Workspace:
    """A workspace with one deal made by the real workflow, at the lawyer."""
    lay_out(root)
    (root / "docgen.toml").write_text(PEOPLE, encoding="utf-8")
    ws = Workspace(root, load_settings(root, {}))
    shutil.copyfile(EXAMPLE, ws.inbox / "deal.yaml")
    wf = open_workflow(ws, clock=local_now, log=logging.getLogger("bench.board"))
    try:
        wf.take(ws.inbox / "deal.yaml")
    finally:
        close_workflow(wf)
    return ws


def stage_of(n: int) -> str:
    """Most deals are signed; 5 % are under way (twice what a few days' review of a year's deals leaves open)."""
    return {0: "lawyer", 1: "lawyer", 2: "finance", 3: "director", 4: "returned"}.get(n % 100, "signed")


def fill(store: Store, *, count: int) -> None:
    """`count` deals in all: the first one's rows copied with other numbers, people and stages."""
    first = store.deal(FIRST)
    journal = store.journal(FIRST)
    divisions = ("metal", "concrete", "geo")
    with store.transaction():
        for n in range(2, count + 1):
            number = f"2026-{n:05d}"
            manager = n % 40
            store.insert_deal(replace(first, number=number, stage=stage_of(n), division=divisions[n % 3],
                                      buyer_name=f"ООО «Клиент {n % 1500}»", buyer_inn=f"{7700000000 + n % 1500}",
                                      manager=f"Менеджер {manager}", manager_email=f"manager{manager}@ams.example",
                                      dossier=first.dossier.replace(FIRST, number)))
            store.add_version(number, 1, origin="form", at=local_now())
            for entry in journal + journal[-1:] * (3 if stage_of(n) == "signed" else 0):
                store.journal_add(at=dt.datetime.fromisoformat(entry["at"]), deal=number, version=1,
                                  actor=entry["actor"], role=entry["role"], action=entry["action"],
                                  detail=entry["detail"], sha256=entry["sha256"])


def long_contract(docx: bytes, *, copies: int) -> bytes:
    """The contract's body repeated `copies` times, as one long contract."""
    return _with_body(docx, lambda body: _repeat(body, copies))


def _repeat(body: etree._Element, copies: int) -> None:
    """Each copy numbered as a part of its own («2.1.1. …»), as the sections of a long contract differ."""
    blocks = [child for child in body if child.tag != f"{_W}sectPr"]
    section = body.find(f"{_W}sectPr")
    for part in range(2, copies + 1):
        for block in blocks:
            twin = copy.deepcopy(block)
            for p in twin.iter(f"{_W}p"):
                first = next((t for t in p.iter(f"{_W}t") if (t.text or "").strip()), None)
                if first is not None:
                    first.text = f"{part}.{first.text}"
            if section is not None:
                section.addprevious(twin)
            else:
                body.append(twin)


def edited(docx: bytes, *, every: int) -> bytes:
    """A reviewer's pass: a figure changed in every `every`-th paragraph, a few paragraphs cut and added."""
    def change(body: etree._Element) -> None:
        texts = [p for p in body.iter(f"{_W}p") if "".join(t.text or "" for t in p.iter(f"{_W}t")).strip()]
        for index, p in enumerate(texts):
            if index % every == 0:
                for t in p.iter(f"{_W}t"):
                    if t.text and re.search(r"\d", t.text):
                        t.text = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), t.text, count=1)
                        break
                else:
                    last = list(p.iter(f"{_W}t"))[-1]
                    last.text = (last.text or "") + " (уточнено юристом)"
        for p in texts[5:len(texts):len(texts) // 5][:5]:
            p.addnext(copy.deepcopy(p))
            p.getnext().find(f".//{_W}t").text = "Новый пункт: Стороны согласовали дополнительное условие."
        for p in texts[7:len(texts):len(texts) // 5][:5]:
            p.getparent().remove(p)
    return _with_body(docx, change)


def _with_body(docx: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                root = etree.fromstring(data)
                change(root.find(f"{_W}body"))
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            dst.writestr(item, data)
    return out.getvalue()


def pages(docx: bytes, folder: Path) -> int | None:
    """Pages of a DOCX as LibreOffice lays it out, when LibreOffice is installed."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    from pypdf import PdfReader

    (folder / "long.docx").write_bytes(docx)
    subprocess.run([soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(folder / "long.docx")],
                   capture_output=True, timeout=180, check=False)
    pdf = folder / "long.pdf"
    return len(PdfReader(pdf).pages) if pdf.exists() else None


def long_enough(docx: bytes, *, pages_wanted: int, scratch: Path) -> tuple[bytes, int | None]:
    """The contract repeated until LibreOffice lays it out on at least `pages_wanted` pages (without
    LibreOffice, a 5-page contract is assumed); the long contract and its pages."""
    copies = max(1, math.ceil(pages_wanted / (pages(docx, scratch) or 5)))
    while True:
        long = long_contract(docx, copies=copies)
        count = pages(long, scratch)
        if count is None or count >= pages_wanted:
            return long, count
        copies += 1


def two_versions(ws: Workspace, store: Store, *, pages_wanted: int, every: int,
                 scratch: Path) -> tuple[bytes, bytes, int | None]:
    """Version 1 and 2 of the first deal become two long contracts, the second a reviewer's edit of the first."""
    row = store.deal(FIRST)
    draft = ws.root / store.version(FIRST, 1)["file"]
    old, count = long_enough(draft.read_bytes(), pages_wanted=pages_wanted, scratch=scratch)
    new = edited(old, every=every)
    folder = ws.root / row.dossier / "Версии"
    (folder / "long v1.docx").write_bytes(old)
    (folder / "long v2.docx").write_bytes(new)
    with store.transaction():
        store.set_version_file(FIRST, 1, sha256="", file=str((folder / "long v1.docx").relative_to(ws.root)))
        store.add_version(FIRST, 2, origin="edit:lawyer", at=local_now())
        store.set_version_file(FIRST, 2, sha256="", file=str((folder / "long v2.docx").relative_to(ws.root)))
        store.update_deal(FIRST, version=2)
    return old, new, count


class Browser:
    """A logged-in client over one keep-alive connection, as a browser's tab is."""

    def __init__(self, port: int, email: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, headers, body = self.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
        login_cookie = re.search(r"docgen_login=([^;]+)", headers["set-cookie"]).group(1)
        form = urllib.parse.urlencode({"csrf": token, "email": email, "password": PASSWORD})
        self.conn.request("POST", "/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"docgen_login={login_cookie}"})
        answer = self.conn.getresponse()
        answer.read()
        assert answer.status == 303, answer.status
        self.cookie = re.search(r"docgen_session=([^;]+)", answer.getheader("set-cookie")).group(1)

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        headers = {"Cookie": f"docgen_session={self.cookie}"} if hasattr(self, "cookie") else {}
        try:
            self.conn.request("GET", path, headers=headers)
            answer = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()  # the server closed an idle keep-alive connection: open another, as a browser does
            self.conn.request("GET", path, headers=headers)
            answer = self.conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode("utf-8")


def timed(browser: Browser, path: str, *, runs: int) -> tuple[float, float, str]:
    """Median and worst milliseconds of `runs` requests (after one to warm up), and the last page."""
    status, _, body = browser.get(path)
    assert status == 200, (path, status)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status, _, body = browser.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200
    return statistics.median(times), max(times), body


def serve(ws: Workspace) -> tuple[uvicorn.Server, threading.Thread, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(ws, log=logging.getLogger("bench.board"), opener=lambda *_: None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, port


def report(label: str, times: tuple[float, float], *, floor: float = PAGE_FLOOR_MS) -> None:
    median, worst = times
    print(f"board: {label}: median {median:.0f} ms, worst {worst:.0f} ms — {floor / median:.1f}× under the "
          f"{floor:.0f} ms floor")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.board")
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=20, help="pages of each of the two contracts compared")
    args = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory() as tmp:
        ws = one_deal(Path(tmp) / "ws")
        store = open_store(ws.state)
        try:
            fill(store, count=args.deals)
            old, new, page_count = two_versions(ws, store, pages_wanted=args.pages, every=20, scratch=Path(tmp))
            accounts = Accounts(store, clock=local_now, hasher=PasswordHasher(time_cost=1, memory_cost=1024))
            for email in ("lawyer@ams.example", "manager7@ams.example"):
                accounts.set_password(email, PASSWORD)
            token = accounts.issue_token("lawyer@ams.example")[1]
        finally:
            store.close()
        compare(old, new, page_count=page_count, runs=args.runs)
        pages_over_http(ws, runs=args.runs, deals=args.deals, token=token)


def compare(old: bytes, new: bytes, *, page_count: int | None, runs: int) -> None:
    count = len(paragraphs(old))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = compare_docx(old, new)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    shown = f"{page_count} pages, " if page_count else ""
    print(f"board: comparison of two contracts ({shown}{count} paragraphs, {len(old) // 1024} KB): "
          f"{result.count('changed')} changed, {result.count('inserted')} inserted, {result.count('deleted')} "
          f"deleted; median {median * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms — "
          f"{COMPARE_FLOOR_S / median:.1f}× under the 1 s floor")


def pages_over_http(ws: Workspace, *, runs: int, deals: int, token: str) -> None:
    server, thread, port = serve(ws)
    try:
        lawyer, manager = Browser(port, "lawyer@ams.example"), Browser(port, "manager7@ams.example")
        median, worst, body = timed(lawyer, "/", runs=runs)
        assert f'<span class="count">{deals}</span>' in body
        report(f"first page of {deals} deals (lawyer, sees all)", (median, worst))
        for label, path in (("filtered: division and stage", "/?division=metal&stage=finance"),
                            ("search by client", "/?q=" + urllib.parse.quote("клиент 77")),
                            ("only overdue", "/?overdue=1"),
                            ("page 100", "/?page=100")):
            report(label, timed(lawyer, path, runs=runs)[:2])
        report("a manager's first page (own deals)", timed(manager, "/", runs=runs)[:2])
        report("my queue (lawyer)", timed(lawyer, "/queue", runs=runs)[:2])
        median, worst, body = timed(lawyer, f"/deals/{FIRST}", runs=runs)
        assert "Изменено абзацев: " in body, "the deal page shows no comparison"
        report("deal page with the 20-page comparison", (median, worst),
               floor=COMPARE_FLOOR_S * 1000)
        report("register, first page", timed(lawyer, "/register", runs=runs)[:2])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start = time.perf_counter()
        conn.request("GET", "/api/deals", headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        body = answer.read()
        print(f"board: API, all {deals} deals as `status --json` prints them: {time.perf_counter() - start:.2f} s, "
              f"{len(body) / 1e6:.1f} MB (status {answer.status})")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
