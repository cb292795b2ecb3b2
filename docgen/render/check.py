"""`docgen templates check`: every template of a workspace against the names the deal model provides.

Three passes per template: the tags must parse (after docxtpl joined the runs Word split and the
quotes Word curled were straightened); every name and attribute chain must exist in the context
its kind of document gets; and rendering with sample deals (the example form and a variant with
the optional fields empty) must succeed.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2 import meta, nodes

from docgen.errors import DocgenError, TemplateError
from docgen.form.deal import Deal, accept
from docgen.form.readers import read_form
from docgen.layout import DEFAULT_TEMPLATES
from docgen.render import tags
from docgen.render.context import Approval, approval_context, contract_context, handover_context
from docgen.render.docx import ENV, CachedTemplate, load_source, open_template, render_document
from docgen.render.offer import offer_context
from docgen.render.transfer import TEMPLATE as TRANSFER_TEMPLATE
from docgen.render.transfer import read_transfer_form, transfer_context
from docgen.settings import Settings
from docgen.workspace import NON_CONTRACT_TEMPLATES, Workspace

SAMPLE_NUMBER = "2026-0001"
SAMPLE_SHA = "0" * 64
_ANY = object()  # a value the checker cannot know (a `set` variable, a filter's result, …)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, with fatal=False, fixed on the fly) in one template."""

    template: str
    message: str
    variable: str = ""
    fatal: bool = True


def check_workspace(ws: Workspace, *, today: dt.date) -> tuple[list[Path], list[Problem]]:
    """Check every template of the workspace; returns the templates checked and the problems found."""
    samples = Samples(ws, today=today)
    checked: list[Path] = []
    problems: list[Problem] = []
    for path, contexts in samples.templates():
        checked.append(path)
        problems.extend(check_template(path, contexts))
    return checked, problems


class Samples:
    """Sample contexts per kind of template, built from the workspace's example forms."""

    def __init__(self, ws: Workspace, *, today: dt.date) -> None:
        self.ws = ws
        self.today = today
        self.deals = self._deals()

    def templates(self) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
        for path in sorted(self.ws.contract_templates.glob("*.docx")):
            if path.name.startswith("~$"):
                continue
            if path.stem == "approval-sheet":
                yield path, [self._approval(d) for d in self.deals]
            elif path.name == TRANSFER_TEMPLATE:
                yield path, [self._transfer()]
            elif path.stem not in NON_CONTRACT_TEMPLATES:
                yield path, [self._contract(d, path.stem) for d in self.deals]
        for path in sorted(self.ws.handover_templates.glob("*.docx")):
            if not path.name.startswith("~$"):
                yield path, [self._handover(d) for d in self.deals]
        for path in sorted(self.ws.letter_templates.glob("*.docx")):
            if not path.name.startswith("~$"):
                yield path, [self._claim(d) for d in self.deals]
        for path in sorted(self.ws.offer_templates.glob("*.docx")):
            if not path.name.startswith("~$"):
                yield path, [offer_context(d, settings=self.ws.settings, number="20261126-1", today=self.today)
                             for d in self.deals]

    def _form_path(self, name: str) -> Path:
        own = self.ws.form_templates / name
        return own if own.is_file() else DEFAULT_TEMPLATES / "forms" / name

    def _deals(self) -> list[Deal]:
        raw = read_form(self._form_path("example.yaml"), max_bytes=self.ws.settings.limits.max_form_bytes)
        variant = copy.deepcopy(raw)
        variant.data = sparse_variant(raw.data)
        return [self._accept(r) for r in (raw, variant)]

    def _accept(self, raw: Any) -> Deal:
        try:
            return accept(raw, source="example.yaml", settings=_with_samples(self.ws.settings), contract_types=None,
                          today=self.today)
        except DocgenError as exc:
            raise TemplateError(f"Образец формы для проверки шаблонов не принят: {exc}") from None

    def _contract(self, deal: Deal, contract_type: str) -> dict[str, Any]:
        context = contract_context(deal, settings=self.ws.settings, number=SAMPLE_NUMBER, version=1)
        context["contract_type"] = contract_type
        return context

    def _approval(self, deal: Deal) -> dict[str, Any]:
        return approval_context(deal, settings=self.ws.settings, number=SAMPLE_NUMBER, version=3,
                                sha256=SAMPLE_SHA, approvals=sample_approvals(), signed_sha256="1" * 64)

    def _handover(self, deal: Deal) -> dict[str, Any]:
        return handover_context(deal, settings=self.ws.settings, number=SAMPLE_NUMBER, version=3,
                                approvals=sample_approvals(), files=list(deal.form.attachments) or ["КМ.pdf"],
                                signed_on=self.today)

    def _claim(self, deal: Deal) -> dict[str, Any]:
        from docgen.obligations.claim import sample_context

        return sample_context(deal, settings=self.ws.settings, number=SAMPLE_NUMBER)

    def _transfer(self) -> dict[str, Any]:
        form = read_transfer_form(self._form_path("client-transfer.yaml"),
                                  max_bytes=self.ws.settings.limits.max_form_bytes)
        return transfer_context(form, settings=self.ws.settings)


def _with_samples(settings: Settings) -> Settings:
    """The settings the sample forms are accepted with: a basis for «без НДС» and a warehouse for pickup where
    the company has not set them, and no Seller's ИНН for the sample buyer to collide with — templates are
    checked on every branch, whichever the company uses and whoever it is."""
    vat = settings.vat if settings.vat.no_vat_basis else settings.vat.model_copy(
        update={"no_vat_basis": "в связи с применением Продавцом упрощённой системы налогообложения"})
    company = settings.company.model_copy(update={"warehouse": settings.company.warehouse or settings.company.address,
                                                  "inn": ""})
    return settings.model_copy(update={"vat": vat, "company": company})


def sparse_variant(data: dict[str, Any]) -> dict[str, Any]:
    """The example form with every optional field empty and the other branches of the templates taken:
    an entrepreneur (12-digit ИНН, no КПП), pickup, no VAT, no prepayment."""
    data = copy.deepcopy(data)
    buyer = data["buyer"]
    buyer.update(name="ИП Петрова Анна Сергеевна", inn="500100732259", kpp=None, ogrn=None, email=None, phone=None)
    buyer["signatory"] = {"name": "Петрова Анна Сергеевна", "position": "Индивидуальный предприниматель",
                          "basis": "листа записи ЕГРИП"}
    data["delivery"].update(method="pickup", address=None, after="signing")
    data["price"].update(vat_rate="без НДС",
                         payments=[{"share": "100", "kind": "final", "due_days": 0, "after": "delivery"}])
    return data


def sample_approvals() -> list[Approval]:
    """A returned version 1, then version 2 approved with an edit by the lawyer, approved and signed."""
    at = dt.datetime(2026, 11, 26, 10, 0)
    return [
        Approval("lawyer", "Юрист Компании", "returned", at, "Исправить адрес", 1, SAMPLE_SHA, 1),
        Approval("lawyer", "Юрист Компании", "approved", at, "", 2, SAMPLE_SHA, 3),
        Approval("finance", "Руководитель Финансового департамента", "approved", at, "Согласовано", 3, SAMPLE_SHA),
        Approval("director", "Директор Направления", "signed", at, "", 3, SAMPLE_SHA),
    ]


def check_template(path: Path, contexts: list[dict[str, Any]]) -> list[Problem]:
    """Every problem of one template: broken file, syntax, unknown names, failing renders."""
    try:
        doc = open_template(load_source(path))
    except TemplateError as exc:
        return [Problem(path.name, str(exc))]
    problems: list[Problem] = []
    parts = prepared_parts(doc)
    problems += _quote_notices(path.name, doc)
    parsed = _parse_parts(path.name, doc, parts, problems)
    if problems and any(p.fatal for p in problems):
        return _unique(problems)
    for xml, ast in parsed:
        problems += _unknown_names(path.name, xml, ast, contexts[0])
    if not any(p.fatal for p in problems):
        problems += _render_samples(path, contexts)
    return _unique(problems)


def prepared_parts(doc: CachedTemplate) -> list[str]:
    """The XML of the body, headers and footers as Jinja will see it (runs joined, quotes straightened)."""
    parts = [doc.patch_xml(doc.get_xml())]
    for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
        for _, part in doc.get_headers_footers(uri):
            parts.append(doc.patch_xml(doc.get_part_xml(part)))
    return parts


def _quote_notices(name: str, doc: CachedTemplate) -> list[Problem]:
    """Tags whose quotes were straightened: they work, but the author should know Word curled them."""
    raw = DocxTemplate.patch_xml(doc, doc.get_xml())
    fixed = {t for t in tags.TAG.findall(raw) if tags.straighten(t) != t}
    return [Problem(name, f"Шаблон «{name}»: в теге {tags.text_of(t)} типографские кавычки заменены на прямые; "
                          "лучше исправить в Word (Файл → Параметры → Правописание → Автоформат)", fatal=False)
            for t in sorted(fixed)]


def _parse_parts(name: str, doc: CachedTemplate, parts: list[str],
                 problems: list[Problem]) -> list[tuple[str, nodes.Template]]:
    parsed = []
    for xml in parts:
        try:
            doc.compile(xml, ENV)  # compiling also finds unknown filters and tests
            parsed.append((xml, ENV.parse(xml)))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(name, str(tags.describe_error(exc, template=name))))
    return parsed


def _unknown_names(name: str, xml: str, ast: nodes.Template, context: dict[str, Any]) -> list[Problem]:
    known = set(context) | set(ENV.globals)
    found = [(n, n) for n in sorted(meta.find_undeclared_variables(ast) - known)]
    found += unknown_attributes(ast, context)
    problems = []
    for dotted, missing in found:
        tag, _ = tags.tag_using(xml, missing)
        where = f" в теге {tag}" if tag else ""
        problems.append(Problem(name, f"Шаблон «{name}»: неизвестное имя «{dotted}»{where}", variable=dotted))
    return problems


def _render_samples(path: Path, contexts: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    for context in contexts:
        try:
            render_document(path, context, number=SAMPLE_NUMBER, version=1, title="проверка шаблона")
        except TemplateError as exc:
            problems.append(Problem(path.name, str(exc), variable=exc.variable))
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.template, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


# --- attribute chains against a sample context ----------------------------------------------------

def unknown_attributes(ast: nodes.Node, context: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted expression, missing name) for each `a.b.c` whose part is not in the sample context,
    in every branch of the template, taken or not; loop variables stand for their list's first item."""
    found: list[tuple[str, str]] = []
    _visit(ast, dict(context), found)
    return found


def _visit(node: nodes.Node, scope: dict[str, Any], found: list) -> None:
    if isinstance(node, nodes.For):
        _visit(node.iter, scope, found)
        inner = dict(scope, loop=_ANY)
        for target in node.target.find_all(nodes.Name):
            inner[target.name] = _ANY
        if isinstance(node.target, nodes.Name):
            inner[node.target.name] = _first(_resolve(node.iter, scope, found=None))
        for child in [*node.body, *([node.test] if node.test else [])]:
            _visit(child, inner, found)
        for child in node.else_:
            _visit(child, scope, found)
        return
    for target in node.find_all(nodes.Name) if isinstance(node, (nodes.Assign, nodes.AssignBlock,
                                                                    nodes.Macro, nodes.CallBlock,
                                                                    nodes.With)) else ():
        if target.ctx in ("store", "param"):
            scope[target.name] = _ANY
    if isinstance(node, (nodes.Getattr, nodes.Getitem)):
        _resolve(node, scope, found)
        return
    for child in node.iter_child_nodes():
        _visit(child, scope, found)


def _resolve(node: nodes.Node, scope: dict[str, Any], found: list | None) -> Any:
    if isinstance(node, nodes.Name):
        return scope.get(node.name, _ANY)
    if isinstance(node, nodes.Getattr):
        return _lookup(node, _resolve(node.node, scope, found), node.attr, found)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return _lookup(node, _resolve(node.node, scope, found), node.arg.value, found)
    if found is not None:
        for child in node.iter_child_nodes():
            _visit(child, scope, found)
    return _ANY


def _lookup(node: nodes.Node, base: Any, name: str, found: list | None) -> Any:
    if base is _ANY or base is None:
        return _ANY
    if isinstance(base, dict):
        if name in base:
            return base[name]
    elif hasattr(base, name):
        return getattr(base, name)
    if found is not None:
        found.append((_dotted(node), name))
    return _ANY


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}[{node.arg.value!r}]"
    return "…"


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and value:
        return value[0]
    return _ANY
