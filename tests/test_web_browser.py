"""The board in a real browser (Debian's chromium through its chromedriver), beside the real watcher.

Head of finance logs in, finds the deal, reads what the lawyer changed, approves; the draft moves from
outbox/finance/ to outbox/director/, and the director's board, left open in a second browser, shows it
without a reload. The screenshots of the docs are taken here: `DOCGEN_SCREENSHOTS=docs/img` copies them.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO
from service_kit import drop, one, service, stage_of, wait_for
from web_kit import PASSWORD, board_app, board_workspace, edited_docx, example_form, served, set_passwords
from docgen.workspace import Role

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="нет chromium и chromium-driver (Debian; .ci/run ставит их)")
# As root, in a closed network: no sandbox, and none of the background traffic Chromium starts on its own.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1360,1000", "--lang=ru-RU")


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver, url: str, email: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/")
    assert "/login" in driver.current_url
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "header .who .name"), what=f"{email} logged in")


def row_stage(driver, number: str) -> str:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        cells = driver.find_elements(By.CSS_SELECTOR, f'tr[data-deal="{number}"] td.stage')
        return cells[0].text if cells else ""
    except StaleElementReferenceException:  # the live board replaced the table meanwhile
        return ""


def keep_screenshot(driver, tmp_path: Path, name: str) -> Path:
    """Into tmp_path always; into the folder DOCGEN_SCREENSHOTS names (docs/img) when asked."""
    shot = tmp_path / name
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get("DOCGEN_SCREENSHOTS")
    if target:
        shutil.copyfile(shot, REPO / target / name)
    return shot


def lawyer_edits(ws) -> None:
    """The lawyer opens the draft in Word, shortens the delivery term, and moves it into approved/."""
    draft = wait_for(lambda: one(ws.review(Role.LAWYER), "2026-0001 v1 *.docx"), what="the draft")
    edited = edited_docx(draft.read_bytes(), near="45 рабочих дней", old="45", new="30")
    aside = ws.root / ".edited.tmp"
    aside.write_bytes(edited)
    aside.replace(ws.review(Role.LAWYER) / "approved" / draft.name)
    wait_for(lambda: stage_of(ws, "2026-0001") == "finance", what="the lawyer's decision")


def more_deals(ws) -> None:
    for n, (buyer, quantity) in enumerate((("ООО «Северсталь-Комплект»", "20"), ("ИП Соколов Д. А.", "2"))):
        data = copy.deepcopy(example_form())
        data["buyer"]["name"] = buyer
        data["subject"]["items"][0]["quantity"] = quantity
        drop(ws, f"more-{n}.yaml", data)
    wait_for(lambda: stage_of(ws, "2026-0003") == "lawyer", what="two more deals")


def test_finance_approves_in_the_browser_and_the_directors_open_board_follows(tmp_path):
    from selenium.webdriver.common.by import By

    ws = board_workspace(tmp_path / "ws")
    with service(ws):
        drop(ws, "deal.yaml", example_form())
        lawyer_edits(ws)
        more_deals(ws)
        set_passwords(ws, ["finance@ams.example", "director.metal@ams.example"])
        with served(board_app(ws)) as url, chromium(tmp_path / "finance") as finance, \
                chromium(tmp_path / "director") as director:
            log_in(director, url, "director.metal@ams.example")
            assert row_stage(director, "2026-0001") == "у руководителя Финансового департамента"

            log_in(finance, url, "finance@ams.example")
            search = finance.find_element(By.NAME, "q")
            search.send_keys("ромашка")
            search.submit()
            wait_for(lambda: "q=" in finance.current_url, what="the search")
            rows = finance.find_elements(By.CSS_SELECTOR, "table.deals tbody tr")
            assert [r.get_attribute("data-deal") for r in rows] == ["2026-0001"]
            finance.find_element(By.LINK_TEXT, "2026-0001").click()
            wait_for(lambda: finance.find_elements(By.ID, "versions"), what="the deal page")

            changes = finance.find_element(By.CSS_SELECTOR, "#versions details.changes")
            assert changes.get_attribute("open") is not None  # the newest comparison is open
            assert [e.text for e in changes.find_elements(By.TAG_NAME, "del")] == ["45"]
            assert [e.text for e in changes.find_elements(By.TAG_NAME, "ins")] == ["30"]
            versions = finance.find_element(By.ID, "versions").text
            assert "правка: Юрист" in versions and "Изменено абзацев: 1, добавлено: 0, удалено: 0" in versions
            finance.set_window_size(1360, 1560)  # down to what changed, for the docs
            keep_screenshot(finance, tmp_path, "deal.png")

            finance.find_element(By.LINK_TEXT, "Сравнение на отдельной странице").click()
            wait_for(lambda: "/compare" in finance.current_url, what="the comparison page")
            assert finance.find_element(By.CSS_SELECTOR, ".diff .para.changed del").text == "45"
            finance.back()

            comment = wait_for(lambda: finance.find_elements(By.NAME, "comment"), what="the decision form")[0]
            comment.send_keys("Срок поставки 30 дней согласован с производством")
            finance.find_element(By.CSS_SELECTOR, "button.approve").click()
            wait_for(lambda: "decided=approved" in finance.current_url, what="the decision")
            assert "у директора направления" in finance.find_element(By.ID, "state").text
            assert "Решение записано" in finance.find_element(By.CSS_SELECTOR, ".flash.ok").text

            assert one(ws.review(Role.DIRECTOR), "2026-0001 v2 *.docx")
            assert not one(ws.review(Role.FINANCE), "2026-0001 *.docx")
            assert stage_of(ws, "2026-0001") == "director"
            wait_for(lambda: row_stage(director, "2026-0001") == "у директора направления", timeout=15,
                     what="the director's open board to follow")
            assert director.find_element(By.ID, "live-note").is_displayed()
            keep_screenshot(director, tmp_path, "board.png")
