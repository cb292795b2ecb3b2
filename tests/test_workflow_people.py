"""People told by name, as they read their letters: the real watcher, files moved between folders, the .eml spool."""

from __future__ import annotations

import email
import json
import zipfile
from email import policy
from pathlib import Path

from service_kit import drop, files, make_workspace, one, service, stage_of, wait_for
from docgen.workspace import Role

PEOPLE = """
[people]
lawyer = "Смирнова Елена Викторовна <lawyer@ams.example>"
finance = "Кузнецов Андрей Павлович <finance@ams.example>"

[folders]
share_path = '\\\\server\\Договоры'
"""


def _mails(ws) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files(ws.mail_spool, "*.eml")]


def _letter(ws, subject: str) -> email.message.EmailMessage:
    return wait_for(lambda: next((m for m in _mails(ws) if str(m["Subject"]).startswith(subject)), None),
                    what=f"the letter «{subject}…»")


def _body(letter) -> str:
    return letter.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _move(ws, role: Role, decision: str, pattern: str = "*.docx") -> Path:
    draft = wait_for(lambda: one(ws.review(role), pattern), what=f"a draft in {role}")
    target = ws.review(role) / decision / draft.name
    draft.replace(target)
    return target


def _bundle(tmp_path: Path, data: dict) -> Path:
    data["attachments"] = ["КМ-1.pdf"]
    data["contract_date"] = None  # dated on acceptance: no warning letter
    bundle = tmp_path / "deal.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("deal.yaml", json.dumps(data, default=str, ensure_ascii=False))
        archive.writestr("КМ-1.pdf", b"%PDF-1.4 KM drawings")
    return bundle


def test_reviewers_are_greeted_by_name_and_told_the_folder_as_they_see_it(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws", extra=PEOPLE)
    with service(ws):
        drop(ws, "deal.zip", source=_bundle(tmp_path, example_data))
        lawyer = _letter(ws, "На согласование (Юрист)")
        _move(ws, Role.LAWYER, "approved")
        finance = _letter(ws, "На согласование (Руководитель Финансового департамента)")
        returned = _move(ws, Role.FINANCE, "returned")
        returned.with_suffix(".txt").write_text("Уточните порядок оплаты", encoding="utf-8")
        back = _letter(ws, "Возвращён на доработку")
    assert _body(lawyer).startswith("Елена Викторовна, здравствуйте.\n")
    assert "\\\\server\\Договоры\\outbox\\lawyer\\" in _body(lawyer)
    assert _body(finance).startswith("Андрей Павлович, здравствуйте.\n")
    assert "\\\\server\\Договоры\\outbox\\finance\\" in _body(finance)
    assert _body(back).startswith("Пётр Сергеевич, здравствуйте.\n")  # the manager of the form, by name
    assert "Уточните порядок оплаты" in _body(back)
    [draft] = back.iter_attachments()  # the returned draft itself, to read the reviewer's edits
    assert draft.get_filename().startswith("2026-0001 v1") and draft.get_filename().endswith(".docx")
    assert draft.get_content()[:2] == b"PK"


def test_the_technical_department_gets_the_files_attached_or_the_folder_named(tmp_path, example_data):
    for limit, attached in ((10_000_000, True), (5, False)):
        ws = make_workspace(tmp_path / f"ws{limit}", extra=f"[smtp]\nattach_max_bytes = {limit}\n")
        with service(ws):
            drop(ws, "deal.zip", source=_bundle(tmp_path, dict(example_data)))
            for role in (Role.LAWYER, Role.FINANCE, Role.DIRECTOR):
                _move(ws, role, "approved")
                wait_for(lambda r=role: stage_of(ws, "2026-0001") not in ("", r), what=f"past {role}")
            letter = _letter(ws, "Техническая документация")
        names = [(p.get_filename(), p.get_content()) for p in letter.iter_attachments()]
        assert names == ([("КМ-1.pdf", b"%PDF-1.4 KM drawings")] if attached else []), limit
        assert ("приложены к письму" in _body(letter)) is attached
        assert f"{ws.root}/outbox/technical/2026-0001/" in _body(letter)


def _waiting(tmp_path, seconds: float):
    from docgen.settings import load_settings
    from docgen.workspace import Workspace

    ws = make_workspace(tmp_path / "ws", extra=PEOPLE)
    return Workspace(ws.root, load_settings(ws.root, {"DOCGEN_WATCH__COMMENTS_WAIT_SECONDS": str(seconds)}))


def test_comments_that_come_just_after_their_document_make_one_letter(tmp_path):
    ws = _waiting(tmp_path, 30)
    with service(ws):
        drop(ws, "deal.yaml")
        returned = _move(ws, Role.LAWYER, "returned")
        wait_for(lambda: "ждёт" in (ws.state / "docgen.log").read_text(encoding="utf-8"), what="the return held")
        note = returned.with_suffix(".txt")
        (ws.root / ".note.tmp").write_text("Уточните адрес поставки", encoding="utf-8")
        (ws.root / ".note.tmp").replace(note)
        back = _letter(ws, "Возвращён на доработку")
        wait_for(lambda: stage_of(ws, "2026-0001") == "returned", what="returned")
    letters = [m for m in _mails(ws) if str(m["Subject"]).startswith("Возвращён")]
    assert len(letters) == 1
    assert "Уточните адрес поставки" in _body(back) and "не приложены" not in _body(back)
    assert not files(ws.review(Role.LAWYER) / "returned")


def test_a_return_without_any_comments_goes_back_to_the_reviewer(tmp_path):
    ws = _waiting(tmp_path, 1)
    with service(ws):
        drop(ws, "deal.yaml")
        returned = _move(ws, Role.LAWYER, "returned")
        refused = _letter(ws, "Возврат не принят")
        back = wait_for(lambda: one(ws.review(Role.LAWYER), returned.name), what="the draft back with the lawyer")
        assert stage_of(ws, "2026-0001") == "lawyer"
        back.replace(ws.review(Role.LAWYER) / "approved" / back.name)  # and then the lawyer approves it
        wait_for(lambda: stage_of(ws, "2026-0001") == "finance", what="approved after all")
    assert not [m for m in _mails(ws) if str(m["Subject"]).startswith("Возвращён")]
    # (the address only: Python's parser adds a space inside a name split between encoded words, python/cpython#128110)
    assert [a.addr_spec for a in refused["To"].addresses] == ["lawyer@ams.example"]
    body = _body(refused)
    assert body.startswith("Елена Викторовна, здравствуйте.\n")
    assert f"\\\\server\\Договоры\\outbox\\lawyer\\{returned.name}" in body and "замечания" in body


def _admin_letters(ws) -> list:
    return [m for m in _mails(ws) if "admin@localhost" in str(m["To"])]


def test_a_rejected_correction_names_its_deal_and_greets_the_manager(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws", extra=PEOPLE)
    with service(ws):
        drop(ws, "deal.yaml")
        returned = _move(ws, Role.LAWYER, "returned")
        returned.with_suffix(".txt").write_text("Уточните срок поставки", encoding="utf-8")
        wait_for(lambda: stage_of(ws, "2026-0001") == "returned", what="returned")
        # A correction whose YAML does not read, and one without the manager's e-mail: both name the deal.
        broken = tmp_path / "broken.yaml"
        broken.write_text("deal: 2026-0001\nbuyer: [не закрыта\n", encoding="utf-8")
        drop(ws, "исправление.yaml", source=broken)
        nameless = {**example_data, "deal": "2026-0001", "manager": {"name": "", "email": ""}}
        drop(ws, "без менеджера.yaml", nameless)
        wait_for(lambda: len([m for m in _mails(ws) if "не принята" in str(m["Subject"])]) == 2, what="two rejections")
    for letter in (m for m in _mails(ws) if "не принята" in str(m["Subject"])):
        body = _body(letter)
        assert "(сделка 2026-0001): ООО «Ромашка & Ко»" in str(letter["Subject"])
        assert body.startswith("Пётр Сергеевич, здравствуйте.\n"), body
        assert "Клиент: ООО «Ромашка & Ко», ИНН 5027012348" in body
        assert "Сумма договора (версия 1): 2 023 980,00 руб." in body.replace("\u00a0", " ")
        assert "не указан" not in body and "не подсчитана" not in body and "<petrov@" not in body
        assert [a.addr_spec for a in letter["To"].addresses] == ["petrov@ams.example"]
    assert not _admin_letters(ws)  # the store knew the manager: nobody else needed to be told


def test_the_administrator_hears_of_what_no_one_else_would(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws", extra=PEOPLE)
    with service(ws):
        drop(ws, "ничья.yaml", {**example_data, "manager": {"name": "Петров", "email": "не адрес"}})
        stranger = ws.review(Role.LAWYER) / "approved" / "письмо клиенту.docx"
        stranger.parent.mkdir(parents=True, exist_ok=True)
        stranger.write_bytes(b"PK not a contract")
        wait_for(lambda: len(_admin_letters(ws)) == 2, what="two letters to the administrator")
    subjects = sorted(str(m["Subject"]) for m in _admin_letters(ws))
    assert subjects == ["docgen: файл «письмо клиенту.docx» не распознан и отложен",
                        "docgen: форма «ничья.yaml» не принята, а менеджеру не сообщить"]
    bodies = "\n".join(_body(m) for m in _admin_letters(ws))
    assert "\\\\server\\Договоры\\inbox\\rejected\\ничья.yaml" in bodies
    assert "\\\\server\\Договоры\\outbox\\lawyer\\unrecognized\\письмо клиенту.docx" in bodies
    assert not [m for m in _mails(ws) if "не принята" in str(m["Subject"]) and "admin" not in str(m["To"])]


class _ExplorerInfo(zipfile.ZipInfo):
    """A member as Windows Explorer writes it: the name in the OEM code page (cp866), no UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own hook
        return self.filename.encode("cp866"), self.flag_bits & ~0x800


def _explorer_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(_ExplorerInfo(name), data)
    with zipfile.ZipFile(path) as archive:  # as written: no flag, so zipfile itself would read cp437 mojibake
        assert all(not m.flag_bits & 0x800 for m in archive.infolist())
        assert "Сделка/deal.yaml" not in archive.namelist()
    return path


def test_a_zip_from_windows_explorer_reaches_the_dossier_and_the_technical_letter(tmp_path, example_data):
    ws = make_workspace(tmp_path / "ws", extra=PEOPLE)
    first = dict(example_data, contract_date=None, attachments=["КМ/Лист 1.pdf", "КЖ/Лист 1.pdf"])
    v1 = _explorer_zip(tmp_path / "Сделка.zip", {
        "Сделка/deal.yaml": json.dumps(first, default=str, ensure_ascii=False).encode("utf-8"),
        "Сделка/КМ/Лист 1.pdf": b"%PDF km v1", "Сделка/КЖ/Лист 1.pdf": b"%PDF kzh v1"})
    second = dict(first, deal="2026-0001", attachments=["КМ/Лист 1.pdf", "КЖ/Лист 1.pdf"])
    v2 = _explorer_zip(tmp_path / "Сделка v2.zip", {
        "Сделка/deal.yaml": json.dumps(second, default=str, ensure_ascii=False).encode("utf-8"),
        "Сделка/КМ/Лист 1.pdf": b"%PDF km v2", "Сделка/КЖ/Лист 1.pdf": b"%PDF kzh v1"})
    with service(ws):
        drop(ws, "Сделка.zip", source=v1)
        returned = _move(ws, Role.LAWYER, "returned")
        returned.with_suffix(".txt").write_text("Новый лист КМ", encoding="utf-8")
        wait_for(lambda: stage_of(ws, "2026-0001") == "returned", what="returned")
        drop(ws, "Сделка v2.zip", source=v2)
        for role in (Role.LAWYER, Role.FINANCE, Role.DIRECTOR):
            _move(ws, role, "approved", "2026-0001 v2 *.docx")
            wait_for(lambda r=role: stage_of(ws, "2026-0001") not in ("", r), what=f"past {role}")
        letter = _letter(ws, "Техническая документация")
    technical = next(ws.clients.glob("*/2026-0001")) / "Техническая документация"
    assert {p.relative_to(technical).as_posix(): p.read_bytes() for p in technical.rglob("*") if p.is_file()} == {
        "v1/КМ/Лист 1.pdf": b"%PDF km v1", "v1/КЖ/Лист 1.pdf": b"%PDF kzh v1",
        "v2/КМ/Лист 1.pdf": b"%PDF km v2", "v2/КЖ/Лист 1.pdf": b"%PDF kzh v1"}
    assert sorted((p.get_filename(), p.get_content()) for p in letter.iter_attachments()) == [
        ("КЖ — Лист 1.pdf", b"%PDF kzh v1"), ("КМ — Лист 1.pdf", b"%PDF km v2")]  # the signed version's
    assert "КЖ/Лист 1.pdf" in _body(letter) and "КМ/Лист 1.pdf" in _body(letter)
