"""DOCX documents from templates: a sandboxed, strict, autoescaping docxtpl render, stamped with the deal.

Templates are kept in memory per path and modification time, together with the XML docxtpl
prepared and the Jinja templates compiled from it, so a render re-parses only the document itself.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from markupsafe import Markup

from docgen.errors import TemplateError
from docgen.form.deal import Deal
from docgen.render.context import Approval, approval_context, contract_context, handover_context
from docgen.render.filters import FILTERS
from docgen.render.tags import describe_error, normalize_tags
from docgen.workspace import Workspace

CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CORE_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
}
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one format id Word uses for user properties
DEAL_PROPERTY = "docgen-deal"
VERSION_PROPERTY = "docgen-version"

# Characters XML 1.0 cannot hold; docxtpl also reads \a and \f in values as paragraph and page breaks,
# which a form value must never produce.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _finalize(value: Any) -> Any:
    """What `{{ }}` prints: None as nothing, strings without characters that would break the XML."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _XML_INVALID.sub("", value)
    return value


def make_environment() -> SandboxedEnvironment:
    """The one Jinja environment of documents: sandboxed, strict about unknown names, escaping XML."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True, finalize=_finalize)
    env.filters.update(FILTERS)
    return env


ENV = make_environment()


@dataclass
class _Source:
    """A template file in memory, with what docxtpl and Jinja made of its XML parts."""

    name: str
    data: bytes
    patched: dict[str, str] = field(default_factory=dict)
    compiled: dict[str, jinja2.Template] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_SOURCES: dict[Path, tuple[tuple[int, int], _Source]] = {}
_SOURCES_LOCK = threading.Lock()


def load_source(path: Path) -> _Source:
    """The template at `path`, read again only when its size or modification time changed."""
    try:
        stat = path.stat()
    except OSError:
        raise TemplateError(f"Шаблона «{path.name}» нет: {path}", template=path.name) from None
    key = (stat.st_mtime_ns, stat.st_size)
    with _SOURCES_LOCK:
        cached = _SOURCES.get(path)
        if cached and cached[0] == key:
            return cached[1]
    source = _Source(name=path.name, data=path.read_bytes())
    with _SOURCES_LOCK:
        _SOURCES[path] = (key, source)
    return source


class CachedTemplate(DocxTemplate):
    """docxtpl's DocxTemplate reading from memory and reusing the prepared XML and compiled Jinja."""

    def __init__(self, source: _Source) -> None:
        super().__init__(io.BytesIO(source.data))
        self.source = source

    def patch_xml(self, src_xml: str) -> str:
        cached = self.source.patched.get(src_xml)
        if cached is None:
            cached = normalize_tags(super().patch_xml(src_xml))
            with self.source.lock:
                self.source.patched[src_xml] = cached
        return cached

    def render_xml_part(self, src_xml: str, part: Any, context: dict, jinja_env: Any = None) -> str:
        self.current_rendering_part = part
        template = self.compile(src_xml, jinja_env or ENV)
        dst_xml = template.render(context)
        dst_xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", dst_xml)
        # docxtpl's own escapes for literal braces ({_{ … }_}), as its render_xml_part does
        dst_xml = dst_xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.resolve_listing(dst_xml)

    def compile(self, src_xml: str, env: jinja2.Environment) -> jinja2.Template:
        """The Jinja template of one XML part; one paragraph per line, so errors point to a paragraph."""
        template = self.source.compiled.get(src_xml)
        if template is None:
            lined = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml)
            try:
                template = env.from_string(lined)
            except jinja2.TemplateSyntaxError as exc:
                exc.source = lined
                raise
            with self.source.lock:
                self.source.compiled[src_xml] = template
        return template


def render_document(template: Path, context: dict, *, number: str, version: int, title: str) -> bytes:
    """DOCX bytes of `template` rendered with `context`, carrying the deal number and version."""
    source = load_source(template)
    doc = open_template(source)
    try:
        doc.render(context, ENV, autoescape=True)
    except jinja2.TemplateError as exc:
        raise describe_error(exc, template=source.name, source_xml=_all_xml(doc)) from None
    except (ValueError, TypeError, ArithmeticError) as exc:  # a filter given what it cannot format
        raise TemplateError(f"Шаблон «{source.name}»: ошибка при подстановке: {exc}",
                            template=source.name) from None
    stamp(doc.docx, number=number, version=version, title=title)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def open_template(source: _Source) -> CachedTemplate:
    """A template ready to render; TemplateError when the file is not a Word document."""
    doc = CachedTemplate(source)
    try:
        doc.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(f"Шаблон «{source.name}» не читается как документ Word (DOCX): {exc}",
                            template=source.name) from None
    return doc


def _all_xml(doc: CachedTemplate) -> str:
    return "\n".join(doc.source.patched.values())


def stamp(document: Any, *, number: str, version: int, title: str) -> None:
    """The deal number and version in the core properties and, for Word's «Другие свойства», custom ones."""
    props = document.core_properties
    props.identifier = number
    props.version = str(version)
    props.title = title
    props.subject = f"Сделка {number}, версия {version}"
    props.keywords = f"docgen {number} v{version}"
    set_custom_properties(document.part.package, {DEAL_PROPERTY: number, VERSION_PROPERTY: str(version)})


def restamp(docx: bytes, *, number: str, version: int) -> bytes:
    """A reviewer's edited DOCX carrying the number and version it became (its title kept); the same bytes
    in give the same bytes out."""
    import docx as python_docx

    document = python_docx.Document(io.BytesIO(docx))
    stamp(document, number=number, version=version, title=document.core_properties.title)
    out = io.BytesIO()
    document.save(out)
    return steady_package(out.getvalue())


# The time every entry of a package docgen rewrites carries (the ZIP format's earliest).
_STEADY_TIME = (1980, 1, 1, 0, 0, 0)


def steady_package(docx: bytes) -> bytes:
    """The same package with every entry's time fixed: the same input always gives the same bytes, so a step
    repeated after a crash finds the very file it wrote (python-docx stamps each entry with the current time)."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            steady = zipfile.ZipInfo(info.filename, date_time=_STEADY_TIME)
            steady.compress_type = zipfile.ZIP_DEFLATED
            steady.external_attr = info.external_attr
            target.writestr(steady, source.read(info))
    return out.getvalue()


def set_custom_properties(package: Any, values: dict[str, str]) -> None:
    """Write string properties into docProps/custom.xml, keeping whatever a company's template had."""
    part = next((r.target_part for r in package.rels.values()
                 if r.reltype == RT.CUSTOM_PROPERTIES and not r.is_external), None)
    root = etree.fromstring(part.blob) if part is not None and part.blob else \
        etree.Element(f"{{{_CUSTOM_NS}}}Properties", nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    pids = [int(p.get("pid", "1")) for p in root]
    for name, value in values.items():
        prop = next((p for p in root if p.get("name") == name), None)
        if prop is None:
            pid = max([1, *pids]) + 1
            pids.append(pid)
            prop = etree.SubElement(root, f"{{{_CUSTOM_NS}}}property",
                                    fmtid=_FMTID, pid=str(pid), name=name)
        for child in list(prop):
            prop.remove(child)
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = value
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if part is not None:
        part._blob = blob
    else:
        package.relate_to(Part(PackURI("/docProps/custom.xml"), CUSTOM_CT, blob, package), RT.CUSTOM_PROPERTIES)


def read_identity(document: Path | bytes) -> tuple[str, int] | None:
    """(deal number, version) a rendered document carries, even renamed or re-saved by Word; else None."""
    try:
        data = document if isinstance(document, bytes) else Path(document).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            found = _custom_identity(archive) if "docProps/custom.xml" in names else None
            if found is None and "docProps/core.xml" in names:
                found = _core_identity(archive)
    except (OSError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None
    return found


def read_property(document: bytes, name: str) -> str | None:
    """A custom property (Word's «Другие свойства») of a DOCX, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(document)) as archive:
            if "docProps/custom.xml" not in archive.namelist():
                return None
            root = etree.fromstring(archive.read("docProps/custom.xml"))
    except (OSError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError):
        return None
    found = next((p for p in root if p.get("name") == name), None)
    return "".join(found.itertext()).strip() if found is not None else None


def _custom_identity(archive: zipfile.ZipFile) -> tuple[str, int] | None:
    root = etree.fromstring(archive.read("docProps/custom.xml"))
    values = {p.get("name"): "".join(p.itertext()).strip() for p in root}
    return _identity(values.get(DEAL_PROPERTY), values.get(VERSION_PROPERTY))


def _core_identity(archive: zipfile.ZipFile) -> tuple[str, int] | None:
    root = etree.fromstring(archive.read("docProps/core.xml"))
    number = root.findtext("dc:identifier", namespaces=_CORE_NS)
    version = root.findtext("cp:version", namespaces=_CORE_NS)
    return _identity(number, version)


def _identity(number: str | None, version: str | None) -> tuple[str, int] | None:
    if not number or not version or not version.strip().isdigit():
        return None
    return number.strip(), int(version)


def render_contract(deal: Deal, *, ws: Workspace, number: str, version: int) -> bytes:
    """The contract of a deal from templates/contracts/<contract_type>.docx."""
    context = contract_context(deal, settings=ws.settings, number=number, version=version)
    template = ws.contract_templates / f"{deal.form.contract_type}.docx"
    return render_document(template, context, number=number, version=version,
                           title=f"{context['title']} № {number}")


def render_handover(deal: Deal, *, ws: Workspace, number: str, version: int, approvals: list[Approval],
                    files: list[str] | None = None, signed_on: dt.date | None = None,
                    prepayment_date: dt.date | None = None) -> bytes:
    """«Ввод в Производство» of a signed deal from templates/handover/production-launch.docx; `files` are
    the technical documents passed on, `signed_on` dates the terms that count from signing, and
    `prepayment_date` (once the payments due before production are in) those that count from it."""
    context = handover_context(deal, settings=ws.settings, number=number, version=version, approvals=approvals,
                               files=files, signed_on=signed_on, prepayment_date=prepayment_date)
    return render_document(ws.handover_templates / "production-launch.docx", context, number=number,
                           version=version, title=f"Ввод в Производство — договор № {number}")


def render_approval_sheet(deal: Deal, *, ws: Workspace, number: str, version: int, sha256: str,
                          approvals: list[Approval], signed_sha256: str | None = None) -> bytes:
    """The approval sheet of a contract version from templates/contracts/approval-sheet.docx."""
    context = approval_context(deal, settings=ws.settings, number=number, version=version,
                               sha256=sha256, approvals=approvals, signed_sha256=signed_sha256)
    return render_document(ws.contract_templates / "approval-sheet.docx", context, number=number,
                           version=version, title=f"Лист согласования к договору № {number}")
