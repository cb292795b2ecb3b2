"""`docgen serve` and `docgen user` as a person types them: passwords from stdin, tokens, revocation, 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from conftest import REPO
from service_kit import wait_for
from web_kit import QUICK_HASHER, board_workspace, free_port, issue_token, make_deals
from docgen.errors import AccountError
from docgen.service import local_now
from docgen.store import open_store
from docgen.web.accounts import Accounts


def docgen(ws, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120, input=stdin)


def listening(port: int) -> set[str]:
    """The local addresses a TCP port listens on (Linux /proc/net)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_accounts_from_the_terminal(tmp_path):
    ws = board_workspace(tmp_path / "ws")
    make_deals(ws)
    done = docgen(ws, "user", "set", "Lawyer@AMS.example", stdin="длинный-пароль\n")
    assert done.returncode == 0, done.stderr
    assert "Пароль для Юрист Иванова <lawyer@ams.example> задан" in done.stdout
    stranger = docgen(ws, "user", "set", "stranger@evil.example", stdin="длинный-пароль\n")
    assert stranger.returncode == 1 and "такого адреса нет" in stranger.stderr and "Traceback" not in stranger.stderr
    issued = docgen(ws, "user", "token", "finance@ams.example")
    assert issued.returncode == 0 and re.fullmatch(r"dg_[\w-]{40,}\n", issued.stdout)
    assert "--token 1" in issued.stderr
    listing = docgen(ws, "user", "list")
    assert re.search(r"lawyer@ams\.example.*задан", listing.stdout)
    assert re.search(r"finance@ams\.example.*№1", listing.stdout)
    assert re.search(r"petrov@ams\.example.*Петров Пётр Сергеевич", listing.stdout)  # a manager, from his form
    assert "Отозвано токенов: 1" in docgen(ws, "user", "revoke", "finance@ams.example").stdout


def test_accounts_refuse_a_short_password_and_revoke_one_token_at_a_time(tmp_path):
    ws = board_workspace(tmp_path / "ws")
    store = open_store(ws.state)
    try:
        accounts = Accounts(store, clock=local_now, hasher=QUICK_HASHER)
        with pytest.raises(AccountError, match="пароль короче 8 символов"):
            accounts.set_password("finance@ams.example", "корот")
        first, _ = accounts.issue_token("finance@ams.example")
        second, secret = accounts.issue_token("finance@ams.example")
        assert accounts.revoke("finance@ams.example", token_id=first) == 1
        assert accounts.revoke("finance@ams.example", token_id=first) == 0
        assert accounts.token_owner(secret) == "finance@ams.example"
        accounts.set_password("finance@ams.example", "длинный-пароль")
        assert accounts.remove("finance@ams.example")
        assert accounts.token_owner(secret) is None and not accounts.check_password("finance@ams.example",
                                                                                    "длинный-пароль")
        assert accounts.users() == []
    finally:
        store.close()


def test_serve_listens_on_127_0_0_1_and_stops_on_sigterm(tmp_path):
    ws = board_workspace(tmp_path / "ws")
    make_deals(ws)
    secret = issue_token(ws, "lawyer@ams.example")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    proc = subprocess.Popen([sys.executable, "-m", "docgen", "--root", str(ws.root), "serve", "--port", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: listening(port), timeout=30, what="the board listening")
        assert listening(port) == {"0100007F"}  # 127.0.0.1 only
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.get("/login").status_code == 200
            items = client.get("/api/deals", headers={"Authorization": f"Bearer {secret}"}).json()
            assert [it["deal"] for it in items] == ["2026-0001", "2026-0002"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert f"доска docgen: http://127.0.0.1:{port}/" in (ws.state / "docgen.log").read_text(encoding="utf-8")
