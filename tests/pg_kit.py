"""A throw-away PostgreSQL server for the tests: Debian's binaries, a temporary data directory, a free port,
trust authentication on 127.0.0.1 only; one fresh database per test, made from a template in a moment.

initdb refuses to run as root (CI runs as root): then the server runs as the `postgres` system user
(`runuser`), its folder handed to that user. The server stops when the test session ends.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

VERSIONS = Path("/usr/lib/postgresql")
_names = itertools.count(1)


def _bin(name: str) -> Path:
    found = sorted(VERSIONS.glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if not found:
        pytest.fail(f"PostgreSQL is not installed ({VERSIONS}/*/bin/{name}): apt-get install postgresql (.ci/run)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    """One running server; `database()` gives the URL of a new empty database, `drop(url)` removes it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="docgen-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str | Path) -> None:
        cmd = [str(a) for a in args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        self._run(_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(_bin("pg_ctl"), "-D", self.data, "-l", self.root / "server.log", "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def database(self) -> str:
        name = f"t{os.getpid()}_{next(_names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.url(name)

    def drop(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(server.root, ignore_errors=True)
        pytest.fail(f"the test PostgreSQL server did not start: {exc.stderr.decode(errors='replace')}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A new empty PostgreSQL database for this test."""
    url = pg_server.database()
    try:
        yield url
    finally:
        pg_server.drop(url)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The store's `[store] url` for a test run on each engine: "" (SQLite in .docgen) or a fresh database."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("pg_url")


def store_toml(url: str) -> str:
    """The settings' [store] section for `url` (empty for SQLite)."""
    return f'\n[store]\nurl = "{url}"\n' if url else ""
