"""A matrix of varied deals taken to signed PDFs with one kept-running LibreOffice, and reading PDFs back.

Used by test_document_matrix.py; `python tests/document_matrix.py OUT` writes the same PDFs to OUT
for looking at them page by page (pdftoppm -png).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import datetime as dt
import hashlib
import logging
import re
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_fixtures import NBSP, example_data  # noqa: E402

from docgen.form.deal import Deal, accept  # noqa: E402
from docgen.form.money import format_money  # noqa: E402
from docgen.form.readers import RawForm  # noqa: E402
from docgen.render import pdfmarks  # noqa: E402
from docgen.render.context import Approval  # noqa: E402
from docgen.render.dating import fill_contract_date  # noqa: E402
from docgen.render.docx import render_approval_sheet, render_contract, render_handover  # noqa: E402
from docgen.render.offer import render_offer  # noqa: E402
from docgen.settings import load_settings  # noqa: E402
from docgen.workflow.documents import Documents  # noqa: E402
from docgen.workspace import Workspace  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 26)
SIGNED_ON = dt.date(2026, 11, 27)
WAREHOUSE = "140009, Московская обл., г. Люберцы, Складской пр., д. 1, склад № 3"
SETTINGS = f"""
[company]
warehouse = "{WAREHOUSE}"

[vat]
no_vat_basis = "в связи с применением Продавцом упрощённой системы налогообложения (ст. 346.11 НК РФ)"

[divisions.metal]
title = "Направление металлоконструкций"
director = "Кузнецова-Смирнова Ольга Викторовна <director.metal@localhost>"
support = "Менеджер по сопровождению <support.metal@localhost>"
signatory = {{ name = "Кузнецова-Смирнова Ольга Викторовна", position = "Директор направления металлоконструкций", basis = "доверенности № 17 от 12.01.2026" }}

[divisions.concrete]
title = "Направление бетонных работ"
director = "Орлов Павел Андреевич <director.concrete@localhost>"
support = "Белова Ирина Юрьевна <support.concrete@localhost>"
"""
TECHNICAL = ["КЖ-1 Фундаменты.pdf", "КМ-2 Лестница.pdf", "Геология участка.pdf"]


@dataclass
class Rendered:
    """One deal's documents: the deal, its PDFs by kind and the figures every document must print whole."""

    name: str
    deal: Deal
    signed: Deal
    pdfs: dict[str, Path] = field(default_factory=dict)

    @property
    def figures(self) -> list[str]:
        totals = self.deal.totals
        money = [totals.subtotal, totals.total] + ([totals.vat] if totals.vat_rate is not None else [])
        money += [line.amount for line in totals.lines] + [line.unit_price for line in totals.lines]
        return [plain(format_money(m)) for m in money]

    @property
    def payments(self) -> list[str]:
        return [plain(format_money(p.amount)) for p in self.deal.totals.installments]


def plain(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def matrix_forms() -> dict[str, dict]:
    """Five deals that between them take every branch the issue names."""
    base = example_data()
    forms = {}

    tiny = copy.deepcopy(base)  # a legal entity, one item, 22 %, 0,61 in all, one payment, delivery, supply
    tiny.update(division="concrete")
    tiny["subject"].update(summary="Поставка крепежа", items=[
        {"name": "Болт М12", "unit": "шт", "quantity": "1", "unit_price": "0.50"}])
    tiny["price"]["payments"] = [{"share": "100", "kind": "final", "due_days": 10, "after": "delivery"}]
    tiny["delivery"]["after"] = "signing"
    forms["tiny"] = tiny

    poa = copy.deepcopy(base)  # a female signatory by power of attorney, compound position, no VAT, pickup
    poa.update(contract_date=None, division="metal")
    poa["buyer"]["signatory"] = {"name": "Петрова-Водкина Анна Сергеевна",
                                 "position": "Заместитель генерального директора — коммерческий директор",
                                 "basis": "доверенности № 12 от 01.02.2026"}
    poa["buyer"]["contact"] = "Смирнов Олег, +7 916 000-00-01"
    poa["subject"].update(summary="Поставка металлических ворот", items=[
        {"name": f"Ворота откатные В-{i}", "unit": "компл", "quantity": "1", "unit_price": "285000000.00"}
        for i in range(1, 6)])
    poa["price"].update(vat_rate="без НДС", payments=[
        {"share": "50", "kind": "prepayment", "due_days": 5, "after": "signing"},
        {"share": "50", "kind": "final", "due_days": 5, "after": "readiness"}])
    poa["delivery"].update(method="pickup", address=None)
    forms["poa"] = poa

    big = copy.deepcopy(base)  # 200 items, sums near 999 999 999 999,99, a surname in capitals, 3 payments
    big.update(division="concrete")
    big["buyer"]["signatory"]["name"] = "ИВАНОВ Иван Иванович"
    big["subject"].update(summary="Металлоконструкции цеха", items=[
        {"name": f"Конструкция КМ-{i}", "unit": "т", "quantity": "1",
         "unit_price": str(Decimal("4098360655.73") - Decimal(i) / 100)} for i in range(1, 201)])
    big["price"]["payments"] = [
        {"share": "30", "kind": "prepayment", "due_days": 5, "after": "signing"},
        {"share": "40", "kind": "interim", "due_days": 5, "after": "readiness"},
        {"share": "30", "kind": "final", "due_days": 10, "after": "delivery"}]
    forms["big"] = big

    site = copy.deepcopy(base)  # a sole trader, works on site, dated before the VAT change, 3 payments, ZIP
    site.update(contract_type="works", contract_date="2025-12-10", division="metal", attachments=TECHNICAL)
    site["buyer"].update(name="ИП Сидоренко-Ким Ольга Павловна", inn="500100732259", kpp=None, ogrn=None)
    site["buyer"]["signatory"] = {"name": "Сидоренко-Ким Ольга Павловна",
                                  "position": "Индивидуальный предприниматель",
                                  "basis": "листа записи ЕГРИП от 10.03.2020"}
    site["subject"].update(summary="Монтаж лестницы", items=[
        {"name": "Монтаж металлической лестницы Л-1", "unit": "т", "quantity": "2.35", "unit_price": "48500.00"},
        {"name": "Устройство ограждений", "unit": "м", "quantity": "18", "unit_price": "3200.00"}])
    site["price"]["payments"] = [
        {"share": "30", "kind": "prepayment", "due_days": 3, "after": "signing"},
        {"share": "40", "kind": "interim", "due_days": 5, "after": "readiness"},
        {"share": "30", "kind": "final", "due_days": 10, "after": "delivery"}]
    forms["site"] = site

    shop = copy.deepcopy(base)  # works in the shop, picked up at an address the form gives, one payment
    shop.update(contract_type="works", division="concrete")
    shop["subject"].update(summary="Изготовление металлоконструкций по чертежам КМД", items=[
        {"name": "Изготовление балок Б-1", "unit": "т", "quantity": "12.5", "unit_price": "96000.00"}])
    shop["price"]["payments"] = [{"share": "100", "kind": "final", "due_days": 5, "after": "delivery"}]
    shop["delivery"].update(method="pickup", address="141006, Московская обл., г. Мытищи, Промзона, д. 4",
                            after="signing", due_days=50)
    forms["shop"] = shop
    return forms


def matrix_workspace(root: Path) -> Workspace:
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
    (root / "docgen.toml").write_text(SETTINGS, encoding="utf-8")
    return Workspace(root, load_settings(root, {}))


def approvals(version: int) -> list[Approval]:
    """Version 1 returned by the lawyer; version `version` approved by all three, the director's decision
    the signature (docgen.workflow.signing.approvals_of), whoever signs the paper for the Seller."""
    at = dt.datetime.combine(SIGNED_ON, dt.time(9, 30))
    return [
        Approval("lawyer", "Юрист Компании", "returned", at - dt.timedelta(days=2), "Уточнить адрес", 1, "1" * 64),
        Approval("lawyer", "Юрист Компании", "approved", at - dt.timedelta(hours=5), "", version, "2" * 64),
        Approval("finance", "Руководитель Финансового департамента", "approved", at - dt.timedelta(hours=2), "",
                 version, "2" * 64),
        Approval("director", "Директор направления", "signed", at, "", version,
                 "2" * 64),
    ]


def render_matrix(ws: Workspace, documents: Documents, out: Path) -> dict[str, Rendered]:
    """Every deal of the matrix: the draft, the signed contract with its sheet, «Ввод в Производство»
    and, for two of them, the commercial proposal, as PDFs in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    done = {}
    for name, data in matrix_forms().items():
        raw = RawForm(data, {n: b"%PDF-1.4 drawing" for n in data.get("attachments", [])})
        deal = accept(raw, source=f"{name}.yaml", settings=ws.settings, contract_types={"supply", "works"},
                      today=TODAY)
        number = f"2026-{len(done) + 1:04d}"
        draft = render_contract(deal, ws=ws, number=number, version=2)
        signed_docx, signed = draft, deal
        if deal.date_open:
            signed_docx, places = fill_contract_date(draft, SIGNED_ON)
            assert places == 2, f"{name}: the date filled in {places} places"
            signed = dataclasses.replace(deal, contract_date=SIGNED_ON, date_open=False)
        decisions = approvals(2)
        sheet = render_approval_sheet(signed, ws=ws, number=number, version=2, sha256=_sha(draft),
                                      approvals=decisions, signed_sha256=_sha(signed_docx))
        handover = render_handover(signed, ws=ws, number=number, version=2, approvals=decisions,
                                   files=list(data.get("attachments", [])), signed_on=SIGNED_ON)
        item = Rendered(name, deal, signed)
        pdfs = {
            "draft": documents.pdf(draft, title="Проект", number=number, version=2, draft=True),
            "contract": documents.pdf(signed_docx, title="Договор", number=number, version=2, appendix=sheet),
            "handover": documents.pdf(handover, title="Ввод", number=number, version=2),
        }
        if name in ("poa", "site"):
            pdfs["offer"] = documents.convert(render_offer(deal, ws=ws, number="20261126-1", today=TODAY))
        for kind, pdf in pdfs.items():
            assert pdf is not None, "no LibreOffice"
            path = out / f"{name}-{kind}.pdf"
            path.write_bytes(pdf)
            item.pdfs[kind] = path
        done[name] = item
    return done


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- reading PDFs back

@functools.lru_cache(maxsize=256)  # the tests read the same PDFs many times; pdftotext is not free
def page_lines(pdf: Path, *, footer: bool = True) -> list[list[str]]:
    """The lines of every page as pdftotext lays them out (-bbox-layout): a figure wrapped inside its
    cell is two lines here, so `figure in line` for some line means it was printed whole. Without
    `footer`, the lines in the bottom margin (below 2 cm from the edge) are left out."""
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                          timeout=120)
    root = etree.fromstring(done.stdout, etree.XMLParser(recover=True, huge_tree=True))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in root.iterfind(".//x:page", ns):
        bottom = float(page.get("height")) - BOTTOM_MARGIN
        lines = []
        for line in page.iterfind(".//x:line", ns):
            if footer or float(line.get("yMin")) < bottom:
                lines.append(plain(" ".join(w.text or "" for w in line.iterfind("x:word", ns))))
        pages.append(lines)
    return pages


BOTTOM_MARGIN = 2 / 2.54 * 72  # points


@functools.lru_cache(maxsize=256)
def layout_text(pdf: Path) -> str:
    """The text as `pdftotext -layout` places it, whitespace collapsed: a table row reads as one line."""
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=120)
    return "\n".join(plain(line) for line in done.stdout.decode("utf-8").splitlines() if line.strip())


def page_texts(pdf: Path) -> list[str]:
    return [" ".join(lines) for lines in page_lines(pdf)]


@functools.lru_cache(maxsize=256)
def unembedded(pdf: Path) -> list[str]:
    """Fonts pdffonts lists as not embedded."""
    done = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True, timeout=60)
    rows = done.stdout.splitlines()[2:]
    return [row.split()[0] for row in rows if re.search(r"\s(no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)]


if __name__ == "__main__":
    from docgen.render.pdf import open_converter

    target = Path(sys.argv[1])
    workspace = matrix_workspace(target / "ws")
    converter = open_converter(profile_dir=target / "lo")
    docs = Documents(workspace, converter, log=logging.getLogger("matrix"))
    try:
        for rendered in render_matrix(workspace, docs, target / "pdf").values():
            print(rendered.name, {k: pdfmarks.page_count(v.read_bytes()) for k, v in rendered.pdfs.items()})
    finally:
        docs.close()
