"""`docgen templates check` on the mail texts: each one against the names its kind of notice gets."""

from __future__ import annotations

import pytest

from docgen.cli import main
from docgen.layout import lay_out
from docgen.mail.check import SAMPLE, check_mail_templates
from docgen.mail.notice import CONTEXT_NAMES, OPTIONAL_NAMES, NoticeKind
from docgen.settings import load_settings
from docgen.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    lay_out(tmp_path)
    return Workspace(tmp_path, load_settings(tmp_path, {}))


def spoil(ws, kind: str, old: str, new: str) -> None:
    path = ws.mail_templates / f"{kind}.txt"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_letters_pass_and_every_name_has_a_sample(ws):
    checked, problems = check_mail_templates(ws)
    assert sorted(checked) == sorted(f"{k}.txt" for k in NoticeKind) and problems == []
    assert set(CONTEXT_NAMES) == set(NoticeKind)
    for kind in NoticeKind:
        assert CONTEXT_NAMES[kind] | OPTIONAL_NAMES.get(kind, frozenset()) <= set(SAMPLE)


def test_a_typo_in_the_review_letter_fails_templates_check(ws, capsys):
    spoil(ws, "review", "{{ client }}", "{{ clientt }}")
    with pytest.raises(SystemExit) as done:
        main(["--root", str(ws.root), "templates", "check"])
    out = capsys.readouterr().out
    assert done.value.code == 1
    assert "Шаблон письма review.txt: неизвестное имя «clientt»" in out
    assert f"Проверено шаблонов писем: {len(NoticeKind)}; с ошибками: 1 (review.txt)" in out


@pytest.mark.parametrize(("kind", "old", "new", "expected"), [
    ("signed", "{{ greeting }}", "{% if false %}{{ manger }}{% endif %}", "неизвестное имя «manger»"),
    ("signature", "{{ client }}", "{{ role_title }}", "неизвестное имя «role_title»"),  # another kind's name
    ("technical", "{{ deal }}", "{{ deal.number }}", "неизвестное имя «number»"),
    ("originals", "{% endfor %}", "", "блок «for» не закрыт"),
    ("handover", "Тема:", "Subject:", "первая строка должна начинаться с «Тема:»"),
])
def test_faults_of_a_letter_are_named(ws, kind, old, new, expected):
    spoil(ws, kind, old, new)
    problems = [p for p in check_mail_templates(ws)[1] if p.fatal]
    assert [p.template for p in problems] == [f"{kind}.txt"]
    assert expected in problems[0].message, problems[0].message


def test_an_optional_name_of_the_rejection_letter_is_allowed_but_must_be_guarded(ws):
    letter = ws.mail_templates / "rejected.txt"
    letter.write_text("Тема: Форма «{{ form }}» не принята\nКлиент: {{ client }}\n", encoding="utf-8")
    [problem] = check_mail_templates(ws)[1]
    assert "неизвестное имя «client»" in problem.message  # a new form's rejection knows no client
    letter.write_text("Тема: Форма «{{ form }}» не принята\nКлиент: {{ client|default('не указан') }}\n",
                      encoding="utf-8")
    assert check_mail_templates(ws)[1] == []


def test_a_letter_docgen_never_sends_is_a_remark(ws):
    (ws.mail_templates / "greeting.txt").write_text("Тема: x\n", encoding="utf-8")  # reminder.txt is sent now
    [problem] = check_mail_templates(ws)[1]
    assert not problem.fatal and "не используется" in problem.message
