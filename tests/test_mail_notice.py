"""Notices without a server: the texts, the recipients, and the headers a form's values can reach."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser
from pathlib import Path

import pytest

from docgen.errors import TemplateError
from docgen.mail import (
    NoticeKind, admin_notice, build_notice, compose, header_text, mailbox, message_id, parse_address, parse_recipients,
    recipients_for,
)
from docgen.mail.message import Attachment
from docgen.settings import load_settings
from docgen.workspace import Role, Workspace

COMMON = {
    "deal": "2026-0001", "version": 2, "client": "ООО «Ромашка & Ко»", "inn": "5027012348",
    "total": "2\u00a0023\u00a0980,00", "manager": "Петров Пётр Сергеевич",
}
WAITS = {"draft": "2026-0001 v2 Договор.docx", "role_title": "Юрист", "since": "26.11.2026 10:15",
         "due": "30.11.2026", "days_overdue": 2}
SPECIFIC = {
    NoticeKind.REJECTED: {"form": "ромашка.yaml", "faults": ["4. Поставка: адрес не указан"],
                          "folder": "inbox/rejected/"},
    NoticeKind.REVIEW: {"role_title": "Юрист Компании", "folder": "outbox/lawyer/"},
    NoticeKind.RETURNED: {"returned_by": "Юрист Компании", "comments": ["п. 5.2: уточнить срок"],
                          "folder": "outbox/lawyer/returned/"},
    NoticeKind.SIGNATURE: {"folder": "outbox/director/"},
    NoticeKind.SIGNED: {"folder": "clients/5027012348/2026-0001/"},
    NoticeKind.HANDOVER: {"folder": "outbox/economics/", "support": "Менеджер по сопровождению"},
    NoticeKind.ORIGINALS: {"folder": "clients/5027012348/2026-0001/", "originals": ["Договор — 2 экз."]},
    NoticeKind.TECHNICAL: {"folder": "outbox/technical/2026-0001/", "files": ["КМ.pdf", "Геология.pdf"],
                           "attached": True},
    NoticeKind.PRODUCTION: {"folder": "outbox/economics/", "support": "Менеджер по сопровождению",
                            "prepaid_on": "20.01.2027", "prepaid": "607\u00a0194,00", "delivery_due": "26.03.2027",
                            "delivery_term": "45 рабочих дней с даты поступления предоплаты"},
    NoticeKind.OBLIGATION: {"folder": "clients/5027012348/2026-0001/", "stage": "missed", "obligation": "payment",
                            "title": "Платёж 1: предоплата 30 %", "amount": "607\u00a0194,00",
                            "outstanding": "607\u00a0194,00", "due": "14.01.2027", "days_left": 0,
                            "overdue_days": 6, "penalty": "3\u00a0643,16", "rate": "0,1", "cap": "10",
                            "penalty_from": "15.01.2027"},
    NoticeKind.CLAIM: {"folder": "clients/5027012348/2026-0001/Претензии/", "on": "25.01.2027",
                       "debt": "307\u00a0194,00", "penalty": "4\u00a0579,14", "claim_total": "311\u00a0773,14",
                       "answer_days": 10},
    NoticeKind.REMINDER: {"folder": "outbox/lawyer/", **WAITS},
    NoticeKind.ESCALATION: {"folder": "outbox/lawyer/", "holder": "Юрист Компании", **WAITS},
    NoticeKind.ABSENCE: {"folder": "outbox/lawyer/", "stood_in_for": "Юрист Компании", "before": "", **WAITS},
    NoticeKind.WARNINGS: {"folder": "outbox/lawyer/", "warnings": ["Общие сведения, дата договора: уже прошла"]},
    NoticeKind.CANCELLED: {"folder": "clients/5027012348/2026-0001/", "cancelled_by": "Петров Пётр Сергеевич",
                           "reason": ["Клиент отказался от заказа"], "stage_was": "у юриста", "held_by": ["Юрист"]},
    NoticeKind.NO_COMMENTS: {"folder": "outbox/lawyer/", "draft": "2026-0001 v2 Договор.docx", "role_title": "Юрист"},
}
# Letters about a bank statement, not about one deal.
STATEMENT_KINDS = {
    NoticeKind.STATEMENT: {"statement": "kl_to_1c.txt", "folder": "inbox/bank/processed/", "documents": 3,
                           "incoming": 2, "new": 2, "matched": ["строка 20: … → сделка 2026-0001"],
                           "unmatched": ["строка 45: … — нет сделок с покупателем ИНН 7736207543"]},
    NoticeKind.STATEMENT_REJECTED: {"statement": "kl_to_1c.txt", "folder": "inbox/rejected/",
                                    "why": "строка 12: «Сумма=десять»: сумма должна быть положительным числом"},
}
SENDER = Address("Договорной отдел", "docgen", "example.ru")


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path, load_settings(tmp_path, {}))


@pytest.mark.parametrize("kind", [k for k in NoticeKind if k not in STATEMENT_KINDS
                                  and k not in (NoticeKind.ADMIN, NoticeKind.TRANSFER)])
def test_every_text_names_the_deal_client_total_folder_and_what_to_do(ws, kind):
    context = {**COMMON, **SPECIFIC[kind]}
    notice = build_notice(kind, ws=ws, event_id=f"2026-0001/v2/{kind}", to=["a@x.ru"], context=context)
    assert notice.subject and "\n" not in notice.subject
    assert "2026-0001" in notice.subject
    text = notice.body
    for needed in ("2026-0001", "ООО «Ромашка & Ко»", context["folder"], "Что нужно сделать"):
        assert needed in text, (kind, needed)
    if kind not in (NoticeKind.TECHNICAL,):
        assert "2\u00a0023\u00a0980,00" in text
    assert "{{" not in text and "{#" not in text


@pytest.mark.parametrize("kind", list(STATEMENT_KINDS))
def test_statement_letters_name_the_file_the_folder_and_what_to_do(ws, kind):
    context = STATEMENT_KINDS[kind]
    notice = build_notice(kind, ws=ws, event_id=f"bank/1/{kind}", to=["a@x.ru"], context=context)
    assert "kl_to_1c.txt" in notice.subject and "\n" not in notice.subject
    for needed in (context["folder"], "Что нужно сделать", *context.get("unmatched", []), context.get("why", "")):
        assert needed in notice.body, (kind, needed)
    assert "{{" not in notice.body and "{#" not in notice.body


def test_the_administrators_letter_says_what_where_and_what_to_do(ws):
    notice = admin_notice(ws, event="dossier/2026-0001", title="досье сделки 2026-0001 повреждено",
                          lines=["нет папки досье"], todo="восстановите папку", where="clients/x/2026-0001",
                          deal="2026-0001")
    assert notice.to == ("Администратор docgen <admin@localhost>",) and notice.event_id == "admin/dossier/2026-0001"
    assert notice.subject == "docgen: досье сделки 2026-0001 повреждено (сделка 2026-0001)"
    for needed in ("нет папки досье", "clients/x/2026-0001", str(ws.root), "Что нужно сделать: восстановите папку"):
        assert needed in notice.body
    silent = Workspace(ws.root, load_settings(ws.root, {"DOCGEN_PEOPLE__ADMIN": ""}))
    assert admin_notice(silent, event="e", title="t", lines=[], todo="x") is None


def test_a_value_of_megabytes_makes_a_subject_of_one_line(ws):
    huge = "Ромашка" * 500_000
    notice = build_notice(NoticeKind.REVIEW, ws=ws, event_id="e", to=["a@x.ru"],
                          context={**COMMON, "client": huge, **SPECIFIC[NoticeKind.REVIEW]})
    assert len(notice.subject) <= 300 and notice.subject.endswith("…")
    assert huge in notice.body


def test_kind_specific_context_reaches_the_text(ws):
    body = build_notice(NoticeKind.RETURNED, ws=ws, event_id="e", to=["a@x.ru"],
                        context={**COMMON, **SPECIFIC[NoticeKind.RETURNED]}).body
    assert "п. 5.2: уточнить срок" in body and "deal: 2026-0001" in body
    body = build_notice(NoticeKind.TECHNICAL, ws=ws, event_id="e", to=["a@x.ru"],
                        context={**COMMON, **SPECIFIC[NoticeKind.TECHNICAL]}).body
    assert "КМ.pdf" in body and "Геология.pdf" in body


def test_rejected_without_a_deal_number_or_client(ws):
    notice = build_notice(NoticeKind.REJECTED, ws=ws, event_id="rejected/x.yaml", to=["a@x.ru"],
                          context={"form": "x.yaml", "faults": ["пусто"], "folder": "inbox/rejected/"})
    assert notice.subject == "Форма «x.yaml» не принята"
    assert "номер ещё не присвоен" in notice.body and "пусто" in notice.body


def test_a_missing_name_is_a_template_error_naming_it(ws):
    with pytest.raises(TemplateError) as caught:
        build_notice(NoticeKind.REVIEW, ws=ws, event_id="e", to=["a@x.ru"], context=COMMON)
    assert caught.value.template == "review.txt"
    assert caught.value.variable in ("role_title", "folder")


def test_the_workspace_text_overrides_the_shipped_one(ws):
    ws.mail_templates.mkdir(parents=True)
    (ws.mail_templates / "signed.txt").write_text("{# свой #}\nТема: Подписано {{ deal }}\nУра.\n", "utf-8")
    notice = build_notice(NoticeKind.SIGNED, ws=ws, event_id="e", to=["a@x.ru"], context=COMMON)
    assert (notice.subject, notice.body) == ("Подписано 2026-0001", "Ура.\n")


def test_a_template_cannot_reach_python_internals(ws):
    ws.mail_templates.mkdir(parents=True)
    (ws.mail_templates / "signed.txt").write_text(
        "Тема: x\n{{ deal.__class__.__mro__[1].__subclasses__() }}\n", "utf-8")
    with pytest.raises(TemplateError):
        build_notice(NoticeKind.SIGNED, ws=ws, event_id="e", to=["a@x.ru"], context=COMMON)


def test_subject_line_is_required(ws):
    ws.mail_templates.mkdir(parents=True)
    (ws.mail_templates / "signed.txt").write_text("Подписано\n", "utf-8")
    with pytest.raises(TemplateError, match="Тема:"):
        build_notice(NoticeKind.SIGNED, ws=ws, event_id="e", to=["a@x.ru"], context=COMMON)


@pytest.mark.parametrize("entry, name, addr", [
    ('"Иванов, Иван" <ivanov@x.ru>', "Иванов, Иван", "ivanov@x.ru"),
    ("Иванов, Иван <ivanov@x.ru>", "Иванов, Иван", "ivanov@x.ru"),
    ("Юрист Компании <lawyer@localhost>", "Юрист Компании", "lawyer@localhost"),
    ("Имя\r\nBcc: evil@x.ru <a@b.ru>", "Имя Bcc: evil@x.ru", "a@b.ru"),
    ("plain@x.ru", "", "plain@x.ru"),
])
def test_one_entry_is_one_recipient(entry, name, addr):
    parsed = parse_recipients([entry])
    assert parsed.invalid == ()
    assert [(a.display_name, a.addr_spec) for a in parsed.valid] == [(name, addr)]


def test_invalid_entries_are_reported_and_the_rest_kept():
    parsed = parse_recipients(["Юрист <lawyer@x.ru>", "не адрес", "Имя <bad addr@x.ru>", "x@", "b@y.ru, c@z.ru"])
    assert [a.addr_spec for a in parsed.valid] == ["lawyer@x.ru", "b@y.ru", "c@z.ru"]
    assert parsed.invalid == ("не адрес", "Имя <bad addr@x.ru>", "x@")


def test_mailbox_quotes_a_name_from_a_form():
    entry = mailbox('Петров, "Пётр"\nBcc: x@y.ru', "petrov@ams.example")
    [address] = parse_recipients([entry]).valid
    assert address.display_name == 'Петров, "Пётр" Bcc: x@y.ru'
    assert address.addr_spec == "petrov@ams.example"


def test_header_text_removes_every_control_character():
    assert header_text("a\r\nb\tc\x00d\u2028e") == "a b c d e"
    assert header_text("2\u00a0023\u00a0980,00") == "2\u00a0023\u00a0980,00"


def test_recipients_per_kind(ws):
    s = ws.settings
    manager = mailbox("Петров Пётр", "petrov@ams.example")
    div = s.divisions["metal"]
    assert recipients_for(NoticeKind.REJECTED, s, manager=manager) == (manager,)
    assert recipients_for(NoticeKind.RETURNED, s, manager=manager) == (manager,)
    assert recipients_for(NoticeKind.SIGNED, s, manager=manager) == (manager,)
    assert recipients_for(NoticeKind.REVIEW, s, role=Role.LAWYER) == (s.people.lawyer,)
    assert recipients_for(NoticeKind.REVIEW, s, role=Role.FINANCE) == (s.people.finance,)
    assert recipients_for(NoticeKind.SIGNATURE, s, division="metal") == (div.director,)
    assert recipients_for(NoticeKind.HANDOVER, s, division="metal") == (s.people.economics, div.support)
    assert recipients_for(NoticeKind.ORIGINALS, s) == (s.people.finance,)
    assert recipients_for(NoticeKind.TECHNICAL, s) == (s.people.technical,)


def _roundtrip(ws, **context_over):
    notice = build_notice(NoticeKind.REVIEW, ws=ws, event_id="2026-0001/v2/review/lawyer",
                          to=['"Иванов, Иван" <ivanov@x.ru>'],
                          context={**COMMON, **SPECIFIC[NoticeKind.REVIEW], **context_over})
    msg = compose(notice, sender=SENDER, recipients=parse_recipients(notice.to).valid,
                  attachments=[Attachment("Договор 2026-0001.pdf", b"%PDF-1.4 test")],
                  date=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    raw = msg.as_bytes()
    return raw, BytesParser(policy=policy.default).parsebytes(raw)


def test_a_cr_lf_in_a_form_value_never_reaches_a_header(ws):
    raw, parsed = _roundtrip(ws, client="ООО Ромашка\r\nBcc: evil@x.ru", deal="2026-0001\nX-Evil: 1")
    assert b"\nBcc:" not in raw and b"\nX-Evil" not in raw
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert "ООО Ромашка Bcc: evil@x.ru" in parsed["Subject"]


def test_cyrillic_subject_names_and_attachment_decode_back(ws):
    raw, parsed = _roundtrip(ws)
    assert raw.isascii()  # everything is encoded: base64 body, RFC 2047 words, RFC 2231 names
    assert parsed["Subject"].startswith("На согласование (Юрист Компании): договор 2026-0001")
    [to] = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Иванов, Иван", "ivanov@x.ru")
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == "Договор 2026-0001.pdf"
    assert b"filename*=utf-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80" in raw
    assert part.get_content_type() == "application/pdf" and part.get_content() == b"%PDF-1.4 test"
    assert "Что нужно сделать" in parsed.get_body(("plain",)).get_content()


def test_message_id_is_fixed_by_the_event():
    one = message_id("2026-0001/v1/review/lawyer", sender=SENDER)
    assert one == message_id("2026-0001/v1/review/lawyer", sender=SENDER)
    assert one != message_id("2026-0001/v1/review/finance", sender=SENDER)
    assert one.startswith("<2026-0001.v1.review.lawyer.") and one.endswith("@example.ru>")
    assert parse_address("Договорной отдел <docgen@example.ru>") == SENDER


def test_attachment_paths_are_made_absolute(ws, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    notice = build_notice(NoticeKind.SIGNATURE, ws=ws, event_id="e", to=["a@x.ru"],
                          context={**COMMON, "folder": "outbox/director/"}, attachments=[Path("d.pdf")])
    assert notice.attachments == (tmp_path / "d.pdf",)


@pytest.mark.parametrize(("to", "expected"), [
    (["Смирнова Елена Викторовна <smirnova@x.ru>"], "Елена Викторовна, здравствуйте."),
    (['"Петров Пётр Сергеевич" <petrov@x.ru>'], "Пётр Сергеевич, здравствуйте."),
    (["Алиев Рашид Гейдар оглы <aliev@x.ru>"], "Рашид Гейдар оглы, здравствуйте."),
    (["Юрист Компании <lawyer@x.ru>"], "Здравствуйте."),  # a role, not a person
    (["lawyer@x.ru"], "Здравствуйте."),
    (["Смирнова Елена Викторовна <s@x.ru>", "Экономический отдел <e@x.ru>"], "Здравствуйте."),
    (["Смирнова Елена Викторовна <s@x.ru>", "Иванов Иван Иванович <i@x.ru>"],
     "Елена Викторовна, Иван Иванович, здравствуйте."),
])
def test_a_letter_greets_its_reader_by_first_name_and_patronymic(ws, to, expected):
    for kind in (NoticeKind.REVIEW, NoticeKind.RETURNED, NoticeKind.SIGNED, NoticeKind.TECHNICAL):
        notice = build_notice(kind, ws=ws, event_id="e", to=to, context={**COMMON, **SPECIFIC[kind]})
        assert notice.body.splitlines()[0] == expected, kind
        assert "Юрист Компании, здравствуйте" not in notice.body


def test_the_reviewers_subjects_differ_by_stage(ws):
    subjects = {build_notice(NoticeKind.REVIEW, ws=ws, event_id="e", to=["a@x.ru"],
                             context={**COMMON, **SPECIFIC[NoticeKind.REVIEW], "role_title": title}).subject
                for title in ("Юрист", "Руководитель Финансового департамента")}
    assert len(subjects) == 2 and all("2026-0001" in s for s in subjects)


@pytest.mark.parametrize("share", ["", "\\\\server\\Договоры", "/mnt/договоры"])
def test_a_folder_is_named_as_the_reader_sees_it(tmp_path, share):
    ws = Workspace(tmp_path, load_settings(tmp_path, {"DOCGEN_FOLDERS__SHARE_PATH": share}))
    lawyer = ws.review(Role.LAWYER)
    expected = {"": f"{tmp_path}/outbox/lawyer/", "\\\\server\\Договоры": "\\\\server\\Договоры\\outbox\\lawyer\\",
                "/mnt/договоры": "/mnt/договоры/outbox/lawyer/"}[share]
    assert ws.shown(lawyer) == expected
    assert ws.shown(lawyer / "x.docx", folder=False) == expected + "x.docx"
