"""A reviewer's comments: Word comments inside the DOCX and a .txt with the same name beside it."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def word_comments(docx: bytes) -> list[str]:
    """Each comment of a DOCX as «Автор: текст»; an unreadable file has none."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            xml = archive.read("word/comments.xml")
    except (zipfile.BadZipFile, KeyError):
        return []
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return []
    out = []
    for comment in root.iter(f"{_W}comment"):
        paragraphs = ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in comment.iter(f"{_W}p")]
        text = "\n".join(p for p in paragraphs if p.strip()).strip()
        if text:
            author = comment.get(f"{_W}author", "").strip()
            out.append(f"{author}: {text}" if author else text)
    return out


def text_comments(content: bytes) -> list[str]:
    """Non-empty paragraphs of a comments .txt, read as UTF-8 or Windows-1251."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1251", errors="replace")
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b]


def document_text(docx: bytes) -> str:
    """The visible text of a DOCX body, to tell a real edit from a save without changes."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            xml = archive.read("word/document.xml")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return ""
    return "\n".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p"))
