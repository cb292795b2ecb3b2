"""Deputies: while someone is away their deputy gets the letters and decides for them, recorded as such."""

from __future__ import annotations

import datetime as dt
import json

import yaml

from conftest import EXAMPLE, ManualClock
from deadline_kit import accept, at, letters, walk, workflow
from service_kit import make_workspace, one
from docgen.archive.journal import journal_text
from docgen.mail.notice import NoticeKind
from docgen.render.docx import render_approval_sheet
from docgen.workflow.comments import document_text
from docgen.workflow.signing import approvals_of
from docgen.workflow.stages import Decision
from docgen.workflow.status import status_item

AWAY = """
[[absences]]
who = "lawyer"
from = 2026-12-01
to = 2026-12-04
deputy = "Заместитель юриста <deputy@localhost>"

[[absences]]
who = "finance@localhost"
from = 2026-12-01
to = 2026-12-31
deputy = "Заместитель финансов <fdeputy@localhost>"
"""


def test_a_deputy_is_told_reminded_decides_for_the_absent_and_the_role_comes_back(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra=AWAY)
    clock = ManualClock(at(2026, 11, 30, 10))  # Monday; the lawyer is away from Tuesday to Friday
    with workflow(ws, clock) as wf:
        first = accept(ws, wf, name="first.yaml")
        assert letters(wf, NoticeKind.REVIEW)[0].notice.to == ("Юрист Компании <lawyer@localhost>",)
        walk(wf, clock, until=at(2026, 12, 1, 10))
        [handed] = letters(wf, NoticeKind.ABSENCE)  # the deputy hears of what waits for the absent lawyer
        assert handed.notice.to == ("Заместитель юриста <deputy@localhost>",)
        assert "вы замещаете: Юрист Компании" in handed.notice.subject
        second = _accept_second(ws, wf, clock)
        review = letters(wf, NoticeKind.REVIEW)[-1].notice
        assert review.to == ("Заместитель юриста <deputy@localhost>",)
        assert "как заместитель: Юрист Компании отсутствует" in review.body
        walk(wf, clock, until=at(2026, 12, 3, 10))  # the first deal is overdue: the deputy is reminded
        reminder = letters(wf, NoticeKind.REMINDER)[0].notice
        assert reminder.to == ("Заместитель юриста <deputy@localhost>",) and "Юрист Компании отсутствует" in reminder.body
        draft = one(ws.review("lawyer"), f"{first} v1 *.docx")
        draft.replace(ws.review("lawyer") / "approved" / draft.name)
        assert "согласовано" in wf.take(ws.review("lawyer") / "approved" / draft.name)
        item = status_item(wf.svc.store, wf.svc.store.deal(second), deadlines=wf.svc.deadlines, now=clock.now)
        assert (item["holder"], item["deputy_for"]) == ("Заместитель юриста", "Юрист Компании")
        walk(wf, clock, until=at(2026, 12, 7, 10))  # Monday: the lawyer is back; the deal that came meanwhile
        back = [q.notice for q in letters(wf, NoticeKind.ABSENCE) if q.notice.to == ("Юрист Компании <lawyer@localhost>",)]
        assert len(back) == 1 and second in back[0].subject and "снова за вами" in back[0].body
        decision = [e for e in wf.svc.store.journal(first) if e["action"] == "approved"][0]
        assert decision["actor"] == "Заместитель юриста"
        assert decision["detail"]["on_behalf_of"] == "Юрист Компании"
        row = wf.svc.store.deal(first)
        text = journal_text(row, versions=wf.svc.store.versions(first), entries=wf.svc.store.journal(first))
    assert "Заместитель юриста (Юрист, за Юрист Компании) — Согласовано" in text  # the archive's account
    assert "напоминание о сроке" in text and "кому: Заместитель юриста <deputy@localhost>" in text


def _accept_second(ws, wf, clock) -> str:
    """A second, different form (another quantity), accepted on Wednesday while the lawyer is away."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["subject"]["items"][0]["quantity"] = "13"
    clock.now = at(2026, 12, 2, 11)
    return accept(ws, wf, data, name="second.yaml")


def test_a_deputys_command_is_for_the_absent_and_shows_on_the_approval_sheet(tmp_path):
    ws = make_workspace(tmp_path / "ws", extra=AWAY)
    clock = ManualClock(at(2026, 12, 2, 10))
    with workflow(ws, clock) as wf:
        number = accept(ws, wf)
        wf.decide(number, role="lawyer", decision=Decision.APPROVED, comment="Согласовано на время отпуска")
        forward = letters(wf, NoticeKind.REVIEW)[-1].notice  # finance is away too: by e-mail
        assert forward.to == ("Заместитель финансов <fdeputy@localhost>",)
        wf.decide(number, role="finance", decision=Decision.APPROVED)
        clock.now = at(2026, 12, 7, 10)  # the lawyer is back, finance is not
        wf.decide(number, role="director", decision=Decision.APPROVED)
        approvals = approvals_of(wf.svc, number)
        assert [(a.person, a.on_behalf_of) for a in approvals] == [
            ("Заместитель юриста", "Юрист Компании"),
            ("Заместитель финансов", "Руководитель Финансового департамента"),
            ("Директор Направления", "")]
        row = wf.svc.store.deal(number)
        sheet = render_approval_sheet(wf.svc.deal_of(row), ws=ws, number=number, version=row.version, sha256="0" * 64,
                                      approvals=approvals)
        items = json.dumps(status_item(wf.svc.store, row, deadlines=wf.svc.deadlines, now=clock.now), ensure_ascii=False)
    text = document_text(sheet)
    assert "Заместитель юриста за Юрист Компании" in text
    assert "Заместитель финансов за Руководитель Финансового департамента" in text
    assert "Директор Направления за" not in text
    assert '"on_behalf_of": "Юрист Компании"' in items


def test_absences_by_role_and_by_email_and_their_edges(tmp_path):
    from docgen.settings import load_settings
    from docgen.workflow.people import holder, substitute

    (tmp_path / "docgen.toml").write_text(AWAY, encoding="utf-8")
    s = load_settings(tmp_path, {})
    day = dt.date
    assert holder(s, "lawyer", division="metal", day=day(2026, 11, 30)).for_person == ""
    assert holder(s, "lawyer", division="metal", day=day(2026, 12, 1)).person == "Заместитель юриста"
    assert holder(s, "lawyer", division="metal", day=day(2026, 12, 4)).person == "Заместитель юриста"
    assert holder(s, "lawyer", division="metal", day=day(2026, 12, 5)).person == "Юрист Компании"
    assert holder(s, "finance", division="metal", day=day(2026, 12, 31)).person == "Заместитель финансов"
    to, absent = substitute(s, ["Юрист Компании <LAWYER@localhost>", "m@x.ru", "deputy@localhost"],
                            day=day(2026, 12, 2))
    assert to == ["Заместитель юриста <deputy@localhost>", "m@x.ru"]  # the deputy once, the rest as they were
    assert absent == ["Юрист Компании"]
