"""Jinja tags inside Word's XML: quotes Word typed straightened, and template errors told in Russian."""

from __future__ import annotations

import re

import jinja2

from docgen.errors import TemplateError

# Word's autocorrect turns " and ' into typographic quotes as the author types a tag; Russian Word
# makes «ёлочки». docxtpl's patch_xml straightens “ ” ‘ ’ only (elapouya/python-docx-template#85,
# #156), and unconditionally, so the rest are handled here, outside straight-quoted strings.
_DOUBLE = "“”„‟«»″"
_SINGLE = "‘’‚‛′"
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_XML_TAG = re.compile(r"<[^>]+>")


def normalize_tags(xml: str) -> str:
    """`xml` with typographic quotes inside every {{ }} and {% %} made straight."""
    return TAG.sub(lambda m: straighten(m.group(0)), xml)


def straighten(tag: str) -> str:
    """Curly quotes → straight ones; quotes inside a straight-quoted string are kept as text."""
    out: list[str] = []
    quote = ""  # the straight quote that closes the current string, if any
    curly = False  # the current string was opened by a typographic quote
    for ch in tag:
        kind = '"' if ch in _DOUBLE else "'" if ch in _SINGLE else ""
        if quote:
            if ch == quote or (curly and kind):
                out.append(quote)
                quote, curly = "", False
            else:
                out.append(ch)
            continue
        if kind or ch in "\"'":
            quote, curly = kind or ch, bool(kind)
        out.append(kind or ch)
    return "".join(out)


def text_of(xml: str) -> str:
    """The visible text of a piece of WordprocessingML, for pointing at a place in a template."""
    text = _XML_TAG.sub("", xml)
    return " ".join(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split())


def paragraph_at(source: str, lineno: int | None) -> str:
    """The text of the paragraph on line `lineno` of a part prepared one paragraph per line."""
    if not source or not lineno:
        return ""
    lines = source.splitlines()
    if not 0 < lineno <= len(lines):
        return ""
    return _shorten(text_of(lines[lineno - 1]))


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_UNDEFINED = (
    re.compile(r"^'([^']+)' is undefined"),
    re.compile(r"has no attribute '([^']+)'"),
    re.compile(r"has no element '?([^']+?)'?$"),
)


def undefined_name(exc: jinja2.UndefinedError) -> str:
    """The name an UndefinedError is about: «kppp» from «'…Namespace object' has no attribute 'kppp'»."""
    message = str(exc)
    for pattern in _UNDEFINED:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return message


def tag_using(source: str, name: str) -> str:
    """The first tag in `source` that mentions `name`, and its dotted expression: («{{ buyer.kppp }}», «buyer.kppp»)."""
    word = re.compile(rf"[\w.]*(?<![\w])({re.escape(name)})(?![\w])")
    for match in TAG.finditer(source):
        tag = text_of(match.group(0))
        found = word.search(tag)
        if found:
            return tag, found.group(0)
    return "", name


_SYNTAX = (
    (re.compile(r"unexpected char '(.+?)'"), "недопустимый символ «{0}» внутри тега"),
    (re.compile(r"Encountered unknown tag '(\w+)'.*closed is '(\w+)'"),
     "тег «{0}» не на месте: сначала нужно закрыть блок «{1}» тегом «end{1}»"),
    (re.compile(r"Encountered unknown tag '(\w+)'"), "неизвестный тег «{0}» (или end-тег без начала блока)"),
    (re.compile(r"Unexpected end of template.*closed is '(\w+)'"),
     "шаблон кончился, а блок «{0}» не закрыт: нет тега «end{0}»"),
    (re.compile(r"Unexpected end of template"), "шаблон кончился посреди незакрытого тега или блока"),
    (re.compile(r"No filter named '(\w+)'"), "нет фильтра «{0}»"),
    (re.compile(r"No test named '(\w+)'"), "нет проверки «{0}»"),
    (re.compile(r"expected token '(.+?)', got '(.+?)'"), "ожидалось «{0}», а встретилось «{1}»"),
    (re.compile(r"unexpected '(.+?)'"), "лишний или неожиданный «{0}»"),
)


_TOKENS = {"end of print statement": "}}", "end of statement block": "%}", "end of template": "конец шаблона"}


def syntax_message(message: str) -> str:
    """jinja2's syntax message in Russian where it is a common one, else as it is."""
    for token, shown in _TOKENS.items():
        message = message.replace(f"'{token}'", f"'{shown}'")
    for pattern, text in _SYNTAX:
        found = pattern.search(message)
        if found:
            return text.format(*found.groups())
    return message


def describe_error(exc: jinja2.TemplateError, *, template: str, source_xml: str = "") -> TemplateError:
    """A TemplateError in Russian naming the template and, for an unknown name, the variable."""
    if isinstance(exc, jinja2.UndefinedError):
        name = undefined_name(exc)
        tag, variable = tag_using(source_xml, name)
        where = f" в теге {tag}" if tag else ""
        return TemplateError(
            f"Шаблон «{template}»: неизвестное имя «{variable}»{where} — у сделки такого значения нет; "
            "список имён — в docs/templates.md",
            template=template, variable=variable,
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = paragraph_at(getattr(exc, "source", None) or "", exc.lineno)
        place = f" в абзаце «{where}»" if where else ""
        return TemplateError(
            f"Шаблон «{template}»: ошибка в теге{place}: {syntax_message(exc.message or str(exc))}",
            template=template,
        )
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return TemplateError(f"Шаблон «{template}»: недопустимое действие в теге: {exc}", template=template)
    return TemplateError(f"Шаблон «{template}»: ошибка при подстановке: {exc}", template=template)
