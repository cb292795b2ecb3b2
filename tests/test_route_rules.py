"""Route rules: an extra stage before a named one when a condition holds, fixed with the version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml

from conftest import EXAMPLE, REPO, TODAY, ManualClock
from deadline_kit import accept, at, letters, workflow
from service_kit import make_workspace, one
from docgen.errors import SettingsError
from docgen.form.deal import accept as accept_form
from docgen.form.readers import parse_form
from docgen.layout import folders
from docgen.mail.notice import NoticeKind
from docgen.service import local_now
from docgen.settings import RouteRule, load_settings
from docgen.workflow.route import BUILT_IN_ROUTE, Route, route_for
from docgen.workflow.signing import approvals_of
from docgen.workflow.stages import Decision
from docgen.workflow.status import status_item

CEO = """
[people]
ceo = "Генеральный директор <ceo@localhost>"

[deadlines]
ceo = 3

[[route.rules]]
role = "ceo"
title = "Генеральный директор"
before = "director"
when_total_above = {above}
"""


@pytest.fixture(scope="module")
def example_deal(tmp_path_factory):
    settings = load_settings(tmp_path_factory.mktemp("s"), {})
    raw = parse_form("example.yaml", EXAMPLE.read_bytes(), max_bytes=1_000_000)
    return accept_form(raw, source="example.yaml", settings=settings, contract_types={"supply"}, today=TODAY)


def rule(**given) -> RouteRule:
    return RouteRule(**{"role": "ceo", "title": "Генеральный директор", **given})


@pytest.mark.parametrize(
    ("given", "added"),
    [
        ({"when_total_above": Decimal("1000000")}, True),  # the example's total is 2 023 980,00
        ({"when_total_above": Decimal("2023980")}, False),  # «above» is strictly above
        ({"when_procedure": ["calculation"]}, False),  # the example's price is fixed
        ({"when_procedure": ["fixed", "calculation"]}, True),
        ({"when_prepayment_below": Decimal("50")}, True),  # 30 % is due before production
        ({"when_prepayment_below": Decimal("30")}, False),
        ({"when_total_above": Decimal("5000000"), "when_prepayment_below": Decimal("31")}, True),  # any one holds
        ({}, True),  # no condition: always
    ],
)
def test_a_rule_adds_its_stage_when_any_condition_holds(example_deal, given, added):
    route = route_for(example_deal, [rule(**given)])
    assert route.roles == (("lawyer", "finance", "ceo", "director") if added else BUILT_IN_ROUTE.roles)


def test_rules_place_their_stages_before_a_named_one_even_one_not_on_the_route(example_deal):
    rules = [rule(when_procedure=["calculation"]),  # does not hold
             RouteRule(role="security", title="Служба безопасности", before="ceo"),
             RouteRule(role="tender", title="Тендерный комитет", before="lawyer")]
    route = route_for(example_deal, rules)
    assert route.roles == ("tender", "lawyer", "finance", "security", "director")
    assert Route.from_json(route.to_json()) == route
    assert route.after("security") == "director" and route.after("director") == "signed"
    assert route.title("security") == "Служба безопасности"


def test_an_extra_stage_has_its_folders_person_deadline_and_status(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra=CEO.format(above=1000000))
    for folder in folders(ws):  # as the service lays them out when it starts
        folder.mkdir(parents=True, exist_ok=True)
    assert ws.review("ceo") / "approved" in folders(ws)
    clock = ManualClock(at(2026, 11, 23, 10))
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        item = status_item(wf.svc.store, wf.svc.store.deal(number), deadlines=wf.svc.deadlines, now=clock.now)
        assert [(s["role"], s["state"], s["days"]) for s in item["route"]] == [
            ("lawyer", "current", 2), ("finance", "ahead", 1), ("ceo", "ahead", 3), ("director", "ahead", 1)]
        for role in ("lawyer", "finance"):
            draft = one(ws.review(role), "*.docx")
            draft.replace(ws.review(role) / "approved" / draft.name)
            wf.take(ws.review(role) / "approved" / draft.name)
        assert one(ws.review("ceo"), f"{number} v1 *.docx"), "the draft waits in outbox/ceo/"
        review = letters(wf, NoticeKind.REVIEW)[-1].notice
        assert review.to == ("Генеральный директор <ceo@localhost>",) and "На согласование (Генеральный директор)" in review.subject
        item = status_item(wf.svc.store, wf.svc.store.deal(number), deadlines=wf.svc.deadlines, now=clock.now)
        assert (item["stage"], item["stage_title"], item["due"]) == (
            "ceo", "на согласовании: Генеральный директор", "2026-11-26")  # 3 working days from Monday
        assert item["holder"] == "Генеральный директор"
        draft = one(ws.review("ceo"), "*.docx")
        draft.replace(ws.review("ceo") / "approved" / draft.name)
        assert "Генеральный директор: согласовано" in wf.take(ws.review("ceo") / "approved" / draft.name)
        signature = letters(wf, NoticeKind.SIGNATURE)[-1].notice
        assert "Юрист, Руководитель Финансового департамента, Генеральный директор" in signature.body
        wf.decide(number, role="director", decision=Decision.APPROVED)
        assert [a.role for a in approvals_of(wf.svc, number)] == [
            "Юрист", "Руководитель Финансового департамента", "Генеральный директор", "Директор направления"]
        assert wf.svc.store.deal(number).stage == "signed"


def test_a_small_deal_skips_the_stage_and_a_changed_rule_does_not_reroute_a_deal_on_its_way(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra=CEO.format(above=1000000))
    clock = ManualClock(at(2026, 11, 23, 10))
    small = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    small["subject"]["items"] = small["subject"]["items"][:1]
    small["subject"]["items"][0]["quantity"] = "1"  # 85 000 + VAT
    with workflow(ws, clock) as wf:
        big = accept(ws, wf)
        little = accept(ws, wf, small, name="small.yaml")
        assert wf.svc.route_of(wf.svc.store.deal(little)).roles == BUILT_IN_ROUTE.roles
    ws = make_workspace(ws.root, extra=CEO.format(above=5000000))  # the rule changes meanwhile
    with workflow(ws, clock) as wf:
        for role in ("lawyer", "finance"):
            wf.decide(big, role=role, decision=Decision.APPROVED)
        assert wf.svc.store.deal(big).stage == "ceo"  # its route was fixed when it was accepted
        again = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
        again["subject"]["items"][0]["quantity"] = "11"
        later = accept(ws, wf, again, name="later.yaml")
        assert "ceo" not in wf.svc.route_of(wf.svc.store.deal(later)).roles  # the new rule: 5 000 000


def test_rules_are_checked_when_the_settings_are_read(tmp_path):
    (tmp_path / "docgen.toml").write_text(
        '[[route.rules]]\nrole = "ceo"\ntitle = "ГД"\nbefore = "board"\n\n'
        '[[route.rules]]\nrole = "finance"\ntitle = "Ещё раз"\n\n'
        '[deadlines]\nceo = 2\nceo_typo = 1\n', encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, {})
    message = str(caught.value)
    for expected in ("route.rules[1].before: «board»", "route.rules[1]: нет адреса [people].ceo",
                     "route.rules[2].role: имя «finance» уже занято", "deadlines.ceo_typo: такого этапа нет"):
        assert expected in message, message


def docgen(ws, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    return subprocess.run([sys.executable, "-m", "docgen", "--root", str(ws.root), *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


def test_the_extra_role_from_the_terminal(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra=CEO.format(above=1000000))
    with workflow(ws, local_now) as wf:  # the deal on its way, on the real clock as the terminal has it
        accept(ws, wf)
        for role in ("lawyer", "finance"):
            wf.decide("2026-0001", role=role, decision=Decision.APPROVED)
    wrong = docgen(ws, "approve", "2026-0001", "--role", "chief")
    assert wrong.returncode == 2 and "«chief» не из списка: 'lawyer', 'finance', 'director', 'ceo'." in wrong.stderr
    [item] = json.loads(docgen(ws, "status", "--json").stdout)
    assert item["stage"] == "ceo" and item["stage_since"] and item["due"] and item["overdue"] is False
    text = docgen(ws, "status", "2026-0001").stdout
    assert "Маршрут: Юрист ✓ → Руководитель Финансового департамента ✓ → [Генеральный директор — сейчас] → " \
           "Директор направления (1 раб. дн.)" in text
    run = docgen(ws, "return", "2026-0001", "--role", "ceo", "--comment", "Снизить предоплату")
    assert run.returncode == 0, run.stderr
    assert "Генеральный директор: возвращено на доработку" in run.stdout


def test_a_stage_whose_rule_was_removed_holds_up_nothing_else(tmp_path, caplog):
    ws = make_workspace(tmp_path / "ws", extra=CEO.format(above=1000000))
    clock = ManualClock(at(2026, 11, 23, 10))
    small = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    small["subject"]["items"][0]["quantity"] = "1"
    with workflow(ws, clock) as wf:
        stuck = accept(ws, wf)
        for role in ("lawyer", "finance"):
            wf.decide(stuck, role=role, decision=Decision.APPROVED)
    ws = make_workspace(ws.root)  # the rule and its [people] entry removed while the deal waits at its stage
    with workflow(ws, clock) as wf:
        other = accept(ws, wf, small, name="other.yaml")
        assert "ceo" in wf.roles()  # its folders are still watched
        clock.now = at(2026, 12, 1, 10)
        with caplog.at_level("ERROR", logger="docgen.test.deadlines"):
            wf.tick()
        assert [q.notice.deal for q in letters(wf, NoticeKind.REMINDER)] == [other]
        assert any(stuck in r.getMessage() and "[people].ceo" in r.getMessage() for r in caplog.records)
        item = status_item(wf.svc.store, wf.svc.store.deal(stuck), deadlines=wf.svc.deadlines, now=clock.now)
        assert (item["stage"], item["holder"], item["overdue"]) == ("ceo", None, True)
