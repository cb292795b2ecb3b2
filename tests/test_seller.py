"""The Seller: an unconfigured workspace prints an obvious example and the service says so at start."""

from __future__ import annotations

import threading

from render_fixtures import docx_text
from service_kit import drop, make_workspace, one

from docgen.service import run_service, service_log

SELLER = """
[company]
name = "ООО «Вектор»"
full_name = "Общество с ограниченной ответственностью «Вектор»"
inn = "5027012348"
kpp = "502701001"
ogrn = "1025001234565"
address = "140000, Московская обл., г. Люберцы, ул. Заводская, д. 3"
email = "office@vector.example"
phone = "+7 495 111-22-33"

[company.signatory]
name = "Орлов Пётр Ильич"

[company.bank]
name = "АО «Банк»"
bik = "044525225"
account = "40702810640000012345"
corr_account = "30101810400000000225"
"""


def _draft_and_log(ws) -> tuple[str, str]:
    drop(ws, "deal.yaml")
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
    draft = one(ws.review("lawyer"), "*.docx")
    assert draft is not None
    return docx_text(draft.read_bytes()), (ws.state / "docgen.log").read_text(encoding="utf-8")


def test_an_unconfigured_workspace_prints_the_example_seller_and_warns(tmp_path):
    text, log = _draft_and_log(make_workspace(tmp_path))
    assert "ООО «Образец» (реквизиты Продавца не заданы), именуемое в дальнейшем «Поставщик»" in text
    assert "ИНН 1234567894" in text
    assert "WARNING РЕКВИЗИТЫ ПРОДАВЦА НЕ ЗАДАНЫ" in log and "company.inn" in log


def test_a_configured_seller_is_printed_and_nothing_is_said(tmp_path):
    text, log = _draft_and_log(make_workspace(tmp_path, extra=SELLER))
    assert "ООО «Вектор», именуемое в дальнейшем «Поставщик», в лице Генерального директора Орлова Петра Ильича" in text
    assert "не заданы" not in text and "Образец" not in text
    assert "РЕКВИЗИТЫ ПРОДАВЦА" not in log
