"""The board over HTTP against a real server: logins, who sees what, decisions, and every refusal changing nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from conftest import ManualClock
from service_kit import one
from web_kit import (EVERYONE, MANAGER, OTHER_MANAGER, PASSWORD, board_app, board_workspace, issue_token, make_deals,
                     served, set_passwords)
from docgen.store import open_store
from docgen.workspace import Role, Workspace

SECRET_BITS = ("Ромашка", "Бетон-Строй", "5027012348", "2 023 980", "2023980", "Колонна")


@dataclass
class World:
    ws: Workspace
    url: str

    def client(self, **headers: str) -> httpx2.Client:
        return httpx2.Client(base_url=self.url, follow_redirects=False, headers=headers, timeout=60)

    def login(self, email: str, **headers: str) -> httpx2.Client:
        client = self.client(**headers)
        form = client.get("/login")
        answer = client.post("/login", data={"csrf": token_in(form.text), "email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        return client

    def api(self, email: str) -> httpx2.Client:
        return self.client(Authorization=f"Bearer {issue_token(self.ws, email)}")


def token_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def listed(html: str) -> set[str]:
    """The deals a board page lists."""
    return set(re.findall(r'data-deal="([^"]+)"', html))


def snapshot(ws: Workspace) -> tuple:
    """Everything a decision would change: the store's deals, journal, steps and letters, and every file."""
    store = open_store(ws.state)
    try:
        counts = tuple(store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                       for t in ("journal", "steps", "mail_notices", "versions"))
        deals = tuple((r.number, r.stage, r.version) for r in store.deals())
    finally:
        store.close()
    files = tuple(sorted((str(p.relative_to(ws.root)), hashlib.sha256(p.read_bytes()).hexdigest())
                         for folder in (ws.outbox, ws.clients) for p in folder.rglob("*")
                         if p.is_file() and "mail" not in p.parts and "Письма" not in p.parts))
    return deals, counts, files


def stage(ws: Workspace, number: str) -> str:
    store = open_store(ws.state)
    try:
        return store.deal(number).stage
    finally:
        store.close()


def start(tmp_path: Path, **app_kwargs) -> Iterator[World]:
    ws = board_workspace(tmp_path / "ws", extra=app_kwargs.pop("extra", ""))
    make_deals(ws)
    set_passwords(ws)
    with served(board_app(ws, **app_kwargs)) as url:
        yield World(ws, url)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    """Two deals at the lawyer, nobody decides here: for tests that only look."""
    yield from start(tmp_path_factory.mktemp("board"))


@pytest.fixture
def fresh(tmp_path) -> Iterator[World]:
    """The same, for a test that decides."""
    yield from start(tmp_path)


# nothing without a login


def test_nothing_of_a_deal_is_served_without_a_login(world):
    lawyer = world.login("lawyer@ams.example")
    deal_page = lawyer.get("/deals/2026-0001").text
    file_link = re.search(r'href="(/deals/2026-0001/files/[0-9a-f]+)"', deal_page).group(1)
    assert lawyer.get(file_link).status_code == 200
    stranger = world.client()
    for path in ("/", "/queue", "/register", "/register.xlsx", "/deals/2026-0001", "/deals/2026-0002",
                 "/deals/2026-0001/compare?old=1&new=1", file_link, "/deals/2026-9999"):
        answer = stranger.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
        assert not any(bit in answer.text for bit in SECRET_BITS), path
    assert stranger.get("/events").status_code == 401
    for path in ("/deals/2026-0001/approve", "/deals/2026-0001/return", "/logout"):
        assert stranger.post(path, data={"comment": "x"}).status_code == 401
    login_page = stranger.get("/login?next=/deals/2026-0001")
    assert login_page.status_code == 200 and not any(bit in login_page.text for bit in SECRET_BITS)


def test_the_api_wants_a_valid_token(world):
    for headers in ({}, {"Authorization": "Bearer dg_wrong"}, {"Authorization": "Basic bGF3eWVyOng="},
                    {"Authorization": "Bearer"}):
        client = world.client(**headers)
        for method, path in (("GET", "/api/deals"), ("GET", "/api/deals/2026-0001"),
                             ("POST", "/api/deals/2026-0001/approve"), ("POST", "/api/deals/2026-0001/return")):
            answer = client.request(method, path, json={"comment": "x"})
            assert answer.status_code == 401, (headers, path)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert not any(bit in answer.text for bit in SECRET_BITS)
    # a session cookie is no API credential: cookies would let another site's page decide
    assert world.login("lawyer@ams.example").get("/api/deals").status_code == 401


def test_every_answer_carries_the_safety_headers(world):
    for answer in (world.client().get("/login"), world.login("lawyer@ams.example").get("/")):
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"


# logging in


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_tls(world):
    client = world.client()
    token = token_in(client.get("/login").text)
    plain = client.post("/login", data={"csrf": token, "email": "lawyer@ams.example", "password": PASSWORD})
    cookie = plain.headers["set-cookie"].lower()
    assert "docgen_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    behind_tls = world.client(**{"X-Forwarded-Proto": "https"})  # from 127.0.0.1: a trusted proxy by default
    form = behind_tls.get("/login")
    assert "secure" in form.headers["set-cookie"].lower()
    form_cookie = re.search(r"docgen_login=([^;]+)", form.headers["set-cookie"]).group(1)
    secure = behind_tls.post("/login", data={"csrf": token_in(form.text), "email": "lawyer@ams.example",
                                             "password": PASSWORD}, headers={"Cookie": f"docgen_login={form_cookie}"})
    assert secure.status_code == 303
    assert "secure" in secure.headers["set-cookie"].lower() and "httponly" in secure.headers["set-cookie"].lower()


def test_a_login_needs_the_forms_own_token(world):
    client = world.client()
    client.get("/login")
    assert client.post("/login", data={"email": "lawyer@ams.example", "password": PASSWORD}).status_code == 403
    other = world.client()  # a token from someone else's login page, without its cookie
    token = token_in(client.get("/login").text)
    assert other.post("/login", data={"csrf": token, "email": "lawyer@ams.example",
                                      "password": PASSWORD}).status_code == 403


def test_a_wrong_password_or_a_stranger_does_not_get_in(world):
    client = world.client()
    for email, password in (("lawyer@ams.example", "не тот пароль"), ("nobody@ams.example", PASSWORD)):
        answer = client.post("/login", data={"csrf": token_in(client.get("/login").text), "email": email,
                                             "password": password})
        assert answer.status_code == 401 and "Неверный адрес или пароль" in answer.text
        assert "docgen_session" not in answer.headers.get("set-cookie", "")


def test_logout_ends_the_session(world):
    client = world.login("archive@ams.example")
    page = client.get("/")
    assert client.post("/logout", data={}).status_code == 403  # without its token, no logout either
    answer = client.post("/logout", data={"csrf": token_in(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_logins_are_rate_limited_per_address(tmp_path):
    clock = ManualClock(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC))
    for world in start(tmp_path, clock=clock):
        def attempt(email: str, password: str) -> httpx2.Response:
            client = world.client()
            token = token_in(client.get("/login").text)
            return client.post("/login", data={"csrf": token, "email": email, "password": password})

        assert [attempt("lawyer@ams.example", "угадываю").status_code for _ in range(5)] == [401] * 5
        blocked = attempt("lawyer@ams.example", PASSWORD)  # even the right password waits now
        assert blocked.status_code == 429 and "Попробуйте снова через 15 мин" in blocked.text
        assert attempt("finance@ams.example", PASSWORD).status_code == 303  # another address is not blocked
        clock.advance(15 * 60 + 1)
        assert attempt("lawyer@ams.example", PASSWORD).status_code == 303


# who sees what


@pytest.mark.parametrize(("email", "sees"), [
    ("lawyer@ams.example", {"2026-0001", "2026-0002"}),
    ("finance@ams.example", {"2026-0001", "2026-0002"}),
    ("economics@ams.example", {"2026-0001", "2026-0002"}),
    ("archive@ams.example", {"2026-0001", "2026-0002"}),
    ("director.metal@ams.example", {"2026-0001"}),
    ("support.concrete@ams.example", {"2026-0002"}),
    (MANAGER, {"2026-0001"}),
    (OTHER_MANAGER, {"2026-0002"}),
])
def test_each_person_sees_their_deals_on_the_board_in_the_api_and_the_register(world, email, sees):
    client = world.login(email)
    assert listed(client.get("/").text) == sees
    assert {n for n in ("2026-0001", "2026-0002") if n in client.get("/register").text} == sees
    api = world.api(email)
    assert {item["deal"] for item in api.get("/api/deals").json()} == sees
    for number in ("2026-0001", "2026-0002"):
        page, item = client.get(f"/deals/{number}"), api.get(f"/api/deals/{number}")
        assert (page.status_code, item.status_code) == ((200, 200) if number in sees else (403, 403)), number
        if number not in sees:
            assert not any(bit in page.text + item.text for bit in ("Бетон-Строй", "Ромашка", "2 023 980"))


def test_another_deals_file_is_not_served_and_no_path_is_taken_from_the_request(world):
    lawyer = world.login("lawyer@ams.example")
    link = re.search(r'href="/deals/2026-0002/files/([0-9a-f]+)"', lawyer.get("/deals/2026-0002").text).group(1)
    manager = world.login(MANAGER)
    assert manager.get(f"/deals/2026-0002/files/{link}").status_code == 403
    assert manager.get(f"/deals/2026-0001/files/{link}").status_code == 404  # not a file of this deal
    for bad in ("..%2F..%2Fdocgen.toml", "..%2F..%2F..%2F.docgen%2Fdocgen.sqlite3", "%2Fetc%2Fpasswd"):
        answer = manager.get(f"/deals/2026-0001/files/{bad}")
        assert answer.status_code == 404 and "[people]" not in answer.text and "SQLite" not in answer.text


def test_the_board_filters_and_searches(world):
    lawyer = world.login("lawyer@ams.example")
    assert listed(lawyer.get("/?division=concrete").text) == {"2026-0002"}
    assert listed(lawyer.get(f"/?manager={MANAGER}").text) == {"2026-0001"}
    assert listed(lawyer.get("/?stage=lawyer").text) == {"2026-0001", "2026-0002"}
    assert listed(lawyer.get("/?stage=signed").text) == set()
    assert listed(lawyer.get("/?q=ромашка").text) == {"2026-0001"}  # case does not matter, Cyrillic included
    assert listed(lawyer.get("/?q=0002").text) == {"2026-0002"}
    assert listed(lawyer.get("/?q=5027012348").text) == {"2026-0001", "2026-0002"}
    assert listed(lawyer.get("/?overdue=1").text) == set()


def test_my_queue_holds_what_waits_for_me(world):
    assert listed(world.login("lawyer@ams.example").get("/queue").text) == {"2026-0001", "2026-0002"}
    assert listed(world.login("finance@ams.example").get("/queue").text) == set()
    assert listed(world.login(MANAGER).get("/queue").text) == set()


# deciding


def test_a_decision_from_the_page_moves_the_deal_and_its_files_as_a_folder_move(fresh):
    ws = fresh.ws
    lawyer = fresh.login("lawyer@ams.example")
    page = lawyer.get("/deals/2026-0001")
    assert "Ваше решение — Юрист" in page.text
    answer = lawyer.post("/deals/2026-0001/approve", data={"csrf": token_in(page.text), "comment": "Без замечаний"})
    assert answer.status_code == 303 and answer.headers["location"] == "/deals/2026-0001?decided=approved"
    assert stage(ws, "2026-0001") == "finance"
    assert one(ws.review(Role.FINANCE), "2026-0001 v1 *.docx")
    assert not one(ws.review(Role.LAWYER), "2026-0001 *.docx")
    after = lawyer.get(answer.headers["location"]).text
    assert "Решение записано" in after and "Ваше решение" not in after
    store = open_store(ws.state)
    try:
        entry = store.journal("2026-0001")[-1]
    finally:
        store.close()
    assert (entry["actor"], entry["role"], entry["action"]) == ("Юрист Иванова", "lawyer", "approved")
    assert entry["detail"]["via"] == "web (lawyer@ams.example)"
    assert entry["detail"]["comments"] == ["Без замечаний"]


def test_a_refused_form_changes_nothing(fresh):
    ws = fresh.ws
    before = snapshot(ws)
    lawyer, manager = fresh.login("lawyer@ams.example"), fresh.login(MANAGER)
    token = token_in(lawyer.get("/deals/2026-0001").text)
    refusals = [
        (lawyer.post("/deals/2026-0001/approve", data={"comment": ""}), 403),  # no CSRF token
        (lawyer.post("/deals/2026-0001/approve", data={"csrf": "forged", "comment": ""}), 403),
        (lawyer.post("/deals/2026-0001/approve", data={"csrf": token},
                     headers={"Origin": "https://evil.example"}), 403),
        (lawyer.post("/deals/2026-0001/return", data={"csrf": token, "comment": "  "}), 400),  # remarks needed
        (manager.post("/deals/2026-0001/approve", data={"csrf": token_in(manager.get("/").text)}), 403),
        (manager.post("/deals/2026-0002/approve", data={"csrf": token_in(manager.get("/").text)}), 403),
    ]
    director = fresh.login("director.metal@ams.example")
    refusals.append((director.post("/deals/2026-0001/approve", data={"csrf": token_in(director.get("/").text)}), 409))
    assert [r.status_code for r, _ in refusals] == [code for _, code in refusals]
    assert snapshot(ws) == before


def test_the_api_decides_for_the_callers_role_only(fresh):
    ws = fresh.ws
    before = snapshot(ws)
    manager, director, lawyer = fresh.api(MANAGER), fresh.api("director.metal@ams.example"), fresh.api(
        "lawyer@ams.example")
    assert manager.post("/api/deals/2026-0001/approve", json={}).status_code == 403  # a manager decides nothing
    assert manager.post("/api/deals/2026-0002/approve", json={}).status_code == 403  # nor sees this one
    assert director.post("/api/deals/2026-0002/approve", json={}).status_code == 403  # another division's
    assert director.post("/api/deals/2026-0001/approve", json={}).status_code == 409  # not at the director yet
    assert lawyer.post("/api/deals/2026-0001/approve", content=b"{not json").status_code == 400
    assert lawyer.post("/api/deals/2026-0001/approve", json={"comment": 5}).status_code == 400
    assert lawyer.post("/api/deals/2026-0001/return", json={"comment": ""}).status_code == 400
    assert lawyer.post("/api/deals/2026-9999/approve", json={}).status_code == 404
    assert snapshot(ws) == before

    done = lawyer.post("/api/deals/2026-0001/approve", json={"comment": "Согласовано"})
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "finance" and "у руководителя Финансового департамента" in done.json()["result"]
    assert one(ws.review(Role.FINANCE), "2026-0001 v1 *.docx") and not one(ws.review(Role.LAWYER), "2026-0001 *")
    again = snapshot(ws)
    assert lawyer.post("/api/deals/2026-0001/approve", json={}).status_code == 409  # already decided
    assert snapshot(ws) == again
    returned = fresh.api("finance@ams.example").post("/api/deals/2026-0001/return", json={"comment": "Уточнить график"})
    assert returned.status_code == 200 and returned.json()["stage"] == "returned"
    item = lawyer.get("/api/deals/2026-0001").json()
    assert [(e["who"], e["action"]) for e in item["journal"]][-2:] == [("Юрист Иванова", "approved"),
                                                                      ("Финансы Петрова", "returned")]


def test_a_revoked_token_no_longer_opens_the_api(world):
    from docgen.web.accounts import Accounts

    store = open_store(world.ws.state)
    try:
        accounts = Accounts(store, clock=lambda: dt.datetime.now(dt.UTC))
        number, secret = accounts.issue_token("finance@ams.example")
        client = world.client(Authorization=f"Bearer {secret}")
        assert client.get("/api/deals").status_code == 200
        assert accounts.revoke("finance@ams.example", token_id=number) == 1
    finally:
        store.close()
    assert client.get("/api/deals").status_code == 401


# single sign-on


def test_the_user_header_is_believed_only_from_a_trusted_proxy(tmp_path):
    for world in start(tmp_path, extra='\n[web]\nuser_header = "X-Remote-User"\n'):
        assert listed(world.client(**{"X-Remote-User": MANAGER}).get("/").text) == {"2026-0001"}
        assert world.client(**{"X-Remote-User": "nobody@ams.example"}).get("/").status_code == 303
    for world in start(tmp_path / "untrusted", extra='\n[web]\nuser_header = "X-Remote-User"\n'
                                                     'trusted_proxies = ["10.9.9.9"]\n'):
        answer = world.client(**{"X-Remote-User": "lawyer@ams.example"}).get("/")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_everyone_named_may_have_an_account(world):
    for email in EVERYONE:
        assert world.login(email).get("/").status_code == 200


def test_an_oversized_request_is_refused_before_it_is_read(world):
    client = world.client()
    token = token_in(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "email": "lawyer@ams.example", "password": "x" * 2_000_000})
    assert answer.status_code == 413


def test_the_register_download_holds_only_the_deals_one_sees(world):
    import io

    from openpyxl import load_workbook

    answer = world.login(MANAGER).get("/register.xlsx")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["2026-0001"]


def test_the_comparison_page_knows_the_deals_versions_only(world):
    lawyer = world.login("lawyer@ams.example")
    same = lawyer.get("/deals/2026-0001/compare?old=1&new=1")
    assert same.status_code == 200 and "Текст договора не изменился" in same.text
    assert lawyer.get("/deals/2026-0001/compare?old=1&new=7").status_code == 404
    assert world.login(OTHER_MANAGER).get("/deals/2026-0001/compare?old=1&new=1").status_code == 403


def test_a_long_board_comes_a_page_at_a_time(tmp_path):
    from dataclasses import replace

    for world in start(tmp_path, extra="\n[web]\npage_size = 10\n"):
        store = open_store(world.ws.state)
        try:
            first = store.deal("2026-0001")
            with store.transaction():
                for n in range(3, 26):
                    store.insert_deal(replace(first, number=f"2026-{n:04d}", buyer_name=f"ООО «Клиент {n}»"))
        finally:
            store.close()
        lawyer = world.login("lawyer@ams.example")
        pages = [listed(lawyer.get(f"/?page={n}").text) for n in (1, 2, 3)]
        assert [len(p) for p in pages] == [10, 10, 5]
        assert set().union(*pages) == {f"2026-{n:04d}" for n in range(1, 26)}
        assert "2026-0025" in pages[0] and "2026-0001" in pages[2]  # newest first
        assert listed(lawyer.get("/?page=99").text) == pages[2]  # past the end: the last page
        assert listed(lawyer.get(f"/?page={10**30}").text) == pages[2]
        assert listed(lawyer.get("/?page=-3").text) == pages[0] == listed(lawyer.get("/?page=x").text)
        first_page = lawyer.get("/").text
        assert "страница 1 из 3" in first_page and 'href="?page=2"' in first_page
        assert 'href="?q=%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82&amp;page=2"' in lawyer.get("/?q=клиент").text
        assert "страница 2 из 3" in lawyer.get("/register?page=2").text


def test_a_decision_whose_files_fail_is_kept_and_finished_by_the_watcher(fresh):
    from web_kit import process

    ws = fresh.ws
    folder = ws.review(Role.FINANCE)
    folder.rename(folder.with_name("finance.away"))
    folder.write_text("не папка")  # the share lost the folder: the draft cannot be put there
    lawyer = fresh.login("lawyer@ams.example")
    token = token_in(lawyer.get("/deals/2026-0001").text)
    answer = lawyer.post("/deals/2026-0001/approve", data={"csrf": token})
    assert answer.status_code == 303 and answer.headers["location"].endswith("?decided=approved&pending=1")
    assert "служба docgen разложит" in lawyer.get(answer.headers["location"]).text
    assert stage(ws, "2026-0001") == "finance"
    folder.unlink()
    folder.with_name("finance.away").rename(folder)
    process(ws)  # the watcher's next pass
    assert one(ws.review(Role.FINANCE), "2026-0001 v1 *.docx")
    store = open_store(ws.state)
    try:
        assert store.planned_steps() == []
    finally:
        store.close()


def test_after_login_only_a_page_of_the_board_is_next(world):
    for target, expected in (("/deals/2026-0001", "/deals/2026-0001"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")):
        client = world.client()
        token = token_in(client.get("/login").text)
        answer = client.post("/login", data={"csrf": token, "email": "lawyer@ams.example", "password": PASSWORD,
                                             "next": target})
        assert answer.headers["location"] == expected, target


def test_a_deputy_decides_for_the_absent_lawyer_and_the_lawyer_still_may(tmp_path):
    today = dt.date.today()
    extra = (f'\n[[absences]]\nwho = "lawyer"\nfrom = {today - dt.timedelta(days=1)}\n'
             f'to = {today + dt.timedelta(days=1)}\ndeputy = "Заместитель Юриста <deputy@ams.example>"\n')
    for world in start(tmp_path, extra=extra):
        set_passwords(world.ws, ["deputy@ams.example"])
        deputy = world.login("deputy@ams.example")
        assert listed(deputy.get("/queue").text) == {"2026-0001", "2026-0002"}
        page = deputy.get("/deals/2026-0001")
        assert "Ваше решение — Юрист" in page.text and "(за Юрист Иванова)" in page.text
        assert deputy.post("/deals/2026-0001/approve", data={"csrf": token_in(page.text)}).status_code == 303
        lawyer = world.login("lawyer@ams.example")
        token = token_in(lawyer.get("/deals/2026-0002").text)
        assert lawyer.post("/deals/2026-0002/approve", data={"csrf": token}).status_code == 303
        economics = world.login("economics@ams.example")
        assert economics.post("/deals/2026-0002/return", data={"csrf": token_in(economics.get("/").text),
                                                               "comment": "x"}).status_code == 403
        store = open_store(world.ws.state)
        try:
            decided = {n: store.journal(n)[-1] for n in ("2026-0001", "2026-0002")}
        finally:
            store.close()
        assert [(d["actor"], d["detail"]["on_behalf_of"], d["detail"]["via"]) for d in decided.values()] == [
            ("Заместитель Юриста", "Юрист Иванова", "web (deputy@ams.example)"),
            ("Юрист Иванова", "", "web (lawyer@ams.example)")]
