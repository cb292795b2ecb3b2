"""The claim letter: rendered from templates/letters/claim.docx through the workflow, read back from DOCX and PDF."""

from __future__ import annotations

import logging
import subprocess
from decimal import Decimal

import docx
import pytest

from obligations_kit import D, signed_workflow
from docgen.errors import ObligationError
from docgen.mail.outbox import MailOutbox
from docgen.obligations.events import EventKind
from docgen.obligations.letters import CLAIMS_IN_DOSSIER, draft_claim
from docgen.obligations.record import record
from docgen.render.docx import read_identity
from docgen.render.pdf import open_converter
from docgen.settings import BankSettings

LOG = logging.getLogger("docgen.tests.claim")


def text_of(path) -> str:
    """Every paragraph and table cell of a DOCX, no-break spaces read as spaces."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts).replace("\u00a0", " ")


@pytest.fixture(scope="module")
def claim(tmp_path_factory):
    """A deal signed 29.12.2026: the prepayment came late and in two parts, nothing else was paid."""
    tmp = tmp_path_factory.mktemp("claim")
    converter = open_converter(profile_dir=tmp / "lo", log=LOG)
    with signed_workflow(tmp / "ws", D(2026, 12, 29), pdf=True, converter=converter) as (wf, clock, number):
        clock.set(D(2027, 1, 18))
        record(wf.svc, number, kind=EventKind.PAYMENT, day=D(2027, 1, 18), amount=Decimal("300000.00"),
               actor="Бухгалтер", source="command")
        clock.set(D(2027, 1, 25))
        account = draft_claim(wf.svc, number)
        folder = wf.svc.dossier(wf.svc.store.deal(number)).root / CLAIMS_IN_DOSSIER
        mails = [q.notice for q in MailOutbox(wf.svc.store.conn).listing() if q.notice.kind == "claim"]
    return number, account, folder, mails


def test_the_claim_says_what_is_owed_and_the_penalty_period_by_period(claim):
    number, account, folder, _ = claim
    (path,) = folder.glob("*.docx")
    assert path.name == f"Претензия {number} от 2027-01-25.docx"
    text = text_of(path)
    # 15-18 January on 607 194,00 = 2 428,78; 19-25 January (7 days) on 307 194,00 = 2 150,36.
    for needle in ("ПРЕТЕНЗИЯ", f"по договору № {number} от «20» ноября 2026 г.",
                   "1 | Платёж 1: предоплата 30 % | 607 194,00 | 14.01.2027 | 300 000,00 | 11 | 307 194,00",
                   "1 | 15.01.2027 — 18.01.2027 | 4 | 607 194,00 | 0,1 | 2 428,78",
                   "1 | 19.01.2027 — 25.01.2027 | 7 | 307 194,00 | 0,1 | 2 150,36",
                   "Итого пеня | 4 579,14", "Итого задолженность | 307 194,00",
                   "всего 311 773,14 руб. (триста одиннадцать тысяч семьсот семьдесят три рубля 14 копеек)",
                   "в течение 10 рабочих дней с даты получения настоящей претензии",
                   "пунктом 10.2 Договора", "«Поставщик»",  # the signed contract's claims clause "«Покупатель»", f"р/с {BankSettings().account}",
                   "Кому:", "ООО «Ромашка & Ко»", "А. Н. Сидоров", "Исполнитель: Петров Пётр Сергеевич"):
        assert needle in text, needle
    assert "{{" not in text and "{%" not in text
    assert read_identity(path) == (number, 1)
    assert "311 773,14" in account.replace("\u00a0", " ")


def test_the_claim_pdf_reads_the_same_and_the_manager_is_told(claim):
    number, _, folder, mails = claim
    (pdf,) = folder.glob("*.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout.decode()
    text = " ".join(text.replace("\u00a0", " ").split())
    for needle in ("ПРЕТЕНЗИЯ", "15.01.2027 — 18.01.2027", "2 428,78", "4 579,14", "311 773,14"):
        assert needle in text, needle
    (mail,) = mails
    assert mail.subject.startswith(f"Претензия по договору {number} готова")
    assert [p.suffix for p in mail.attachments] == [".pdf", ".docx"]
    assert mail.to == ("Петров Пётр Сергеевич <petrov@ams.example>",)


def test_nothing_to_claim_is_said_so(tmp_path):
    with signed_workflow(tmp_path / "ws", D(2026, 12, 29)) as (wf, clock, number):
        clock.set(D(2027, 1, 14))  # the prepayment's last day: not late yet
        with pytest.raises(ObligationError, match="претензию предъявлять не за что"):
            draft_claim(wf.svc, number)
