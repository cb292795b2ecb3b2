"""The shipped DOCX templates are the source of the legal text: their Word structure and their names, held here.

No script writes them: a lawyer edits them in Word. These tests keep what a layout needs (rows that never
split, header rows that repeat, numbered clauses, the signing-date field, the bookmarked claims clause,
Times New Roman) and keep docs/templates.md naming every name and filter they use.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from docgen.render.docx import ENV

REPO = Path(__file__).resolve().parent.parent
DEFAULTS = REPO / "docgen" / "defaults"
SHIPPED = sorted(DEFAULTS.glob("*/*.docx"))
CONTRACTS = [DEFAULTS / "contracts" / "supply.docx", DEFAULTS / "contracts" / "works.docx"]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(name))


def text_parts(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if re.match(r"word/(document|header\d*|footer\d*)\.xml$", n)]
        return "\n".join("".join(t.text or "" for t in etree.fromstring(archive.read(n)).iter(f"{W}t"))
                         + "\n" for n in names)


def test_every_template_is_shipped():
    assert {p.relative_to(DEFAULTS).as_posix() for p in SHIPPED} == {
        "contracts/supply.docx", "contracts/works.docx", "contracts/approval-sheet.docx",
        "contracts/client-transfer.docx", "handover/production-launch.docx", "offers/offer.docx",
        "letters/claim.docx"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_rows_never_split_and_headers_repeat(path):
    body = part(path, "word/document.xml")
    for table in body.iter(f"{W}tbl"):
        rows = table.findall(f"{W}tr")
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows), f"{path.name}: a row may split"
        style = table.find(f"{W}tblPr/{W}tblStyle")
        if style is not None and style.get(f"{W}val") == "TableGrid":  # a bordered table has a header row
            assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None, f"{path.name}: header row does not repeat"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_times_new_roman_and_russian(path):
    styles = part(path, "word/styles.xml")
    normal = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "Normal")
    fonts = normal.find(f"{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}ascii") == fonts.get(f"{W}hAnsi") == "Times New Roman"
    assert normal.find(f"{W}rPr/{W}lang").get(f"{W}val") == "ru-RU"


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.name)
def test_contracts_number_their_clauses_and_keep_signatures_with_requisites(path):
    styles = {s.get(f"{W}styleId"): s for s in part(path, "word/styles.xml").iter(f"{W}style")}
    for style, level in (("Section", None), ("Clause", "1"), ("Subclause", "2")):
        numpr = styles[style].find(f"{W}pPr/{W}numPr")
        assert numpr is not None, f"{style} is not a numbered style"
        ilvl = numpr.find(f"{W}ilvl")
        assert (ilvl.get(f"{W}val") if ilvl is not None else None) == level
    body = part(path, "word/document.xml")
    tables = body.findall(f".//{W}tbl")
    heading, requisites, signatories, lines = tables[-1].findall(f"{W}tr")
    assert "АДРЕСА, РЕКВИЗИТЫ И ПОДПИСИ СТОРОН" in "".join(heading.itertext())
    assert "ИНН" in "".join(requisites.itertext()) and "signatory.position" in "".join(signatories.itertext())
    assert "______________ /" in "".join(lines.itertext())
    for row in (heading, requisites, signatories):
        assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in row.iter(f"{W}p")), \
            "the heading, requisites and signatories are not kept with the signature lines"
    text = "".join(body.itertext())
    assert not re.search(r"\d+\.\d+\.\s", text), "a clause number typed by hand instead of Word's numbering"


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.name)
def test_contracts_date_field_and_claims_bookmark(path):
    tags = []
    for name in ("word/document.xml", "word/footer1.xml"):
        root = part(path, name)
        tags += [t.get(f"{W}val") for t in root.iter(f"{W}tag")]
    assert "docgen:contract-date:date_ru" in tags and "docgen:contract-date:date_short" in tags
    marks = [b.get(f"{W}name") for b in part(path, "word/document.xml").iter(f"{W}bookmarkStart")]
    assert "docgen_claim_answer" in marks


def names_used(path: Path) -> tuple[set[str], set[str]]:
    """(dotted names, filters) of every tag of a template; loop variables left out."""
    tags = TAG.findall(text_parts(path))
    source = " ".join(tags)
    loops = set(re.findall(r"for\s+(\w+)\s+in", source)) | {"loop"}
    strings = re.compile(r"'[^']*'|\"[^\"]*\"")
    names, filters = set(), set()
    for tag in tags:
        tag = strings.sub("''", tag)
        filters |= set(re.findall(r"\|\s*(\w+)", tag))
        for dotted in re.findall(r"(?<![\w.|])([a-z_]\w*(?:\.\w+)*)", re.sub(r"\|\s*\w+", "", tag)):
            head = dotted.split(".")[0]
            if head in loops or head in KEYWORDS:
                continue
            names.add(dotted)
    return names, filters


KEYWORDS = {"if", "else", "elif", "endif", "for", "endfor", "in", "not", "and", "or", "is", "tr", "p", "none",
            "true", "false", "set"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_templates_md_names_every_name_and_filter_used(path):
    manual = (REPO / "docs" / "templates.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([^`]+)`", manual))
    words = {w for item in documented for w in re.findall(r"[\w.]+", item)}
    names, filters = names_used(path)
    missing = sorted(n for n in names if n not in words and n.split(".")[-1] not in words)
    assert not missing, f"{path.name}: docs/templates.md does not name {missing}"
    assert filters <= set(ENV.filters), filters - set(ENV.filters)
    undocumented = sorted(f for f in filters if f not in words)
    assert not undocumented, f"{path.name}: docs/templates.md does not document the filters {undocumented}"
