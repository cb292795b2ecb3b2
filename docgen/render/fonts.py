"""The fonts a DOCX template asks for, and whether this machine can typeset them (fontconfig).

A PDF made by LibreOffice with a font that is not installed silently takes another one, and the
lines, pages and signatures move. `template_fonts` reads which fonts the text of a template uses
(the styles its paragraphs and runs use, through their `basedOn` chain, the document defaults and the
theme); `missing_fonts` names those that fontconfig neither has nor replaces by a metric-compatible
font (Liberation for Times New Roman, Arial and Courier New; Carlito and Caladea for Calibri and Cambria).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.etree import ElementTree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_TEXT_PARTS = ("word/document.xml", "word/header", "word/footer")

# Fonts fontconfig (and LibreOffice) replace by a font of the same metrics: the layout does not move.
METRIC_COMPATIBLE = {
    "Times New Roman": "Liberation Serif", "Times": "Liberation Serif",
    "Arial": "Liberation Sans", "Helvetica": "Liberation Sans",
    "Courier New": "Liberation Mono", "Courier": "Liberation Mono",
    "Calibri": "Carlito", "Cambria": "Caladea",
}


def template_fonts(docx: Path) -> set[str]:
    """The font families the text of `docx` is set in."""
    with zipfile.ZipFile(docx) as archive:
        names = archive.namelist()
        styles = _xml(archive, "word/styles.xml")
        theme = _xml(archive, "word/theme/theme1.xml")
        parts = [_xml(archive, n) for n in names if n.startswith(_TEXT_PARTS) and n.endswith(".xml")]
    themed = _theme_fonts(theme)
    by_id = {s.get(f"{W}styleId"): s for s in styles.iter(f"{W}style")} if styles is not None else {}
    default_font = _font_of(styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"), themed) if styles is not None else None
    used = {_default_paragraph_style(by_id)}
    fonts: set[str] = set()
    for part in (p for p in parts if p is not None):
        used |= {e.get(f"{W}val") for e in part.iter() if e.tag in (f"{W}pStyle", f"{W}rStyle")}
        fonts |= {f for e in part.iter(f"{W}rPr") if (f := _font_of(e, themed))}
    for style_id in used - {None}:
        font = _style_font(style_id, by_id, themed)
        fonts.add(font or default_font or "")
    return fonts - {""}


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(archive.read(name))
    except (KeyError, ElementTree.ParseError):
        return None


def _theme_fonts(theme: ElementTree.Element | None) -> dict[str, str]:
    if theme is None:
        return {}
    found = {}
    for kind in ("major", "minor"):
        latin = theme.find(f".//{A}{kind}Font/{A}latin")
        if latin is not None and latin.get("typeface"):
            found[kind] = latin.get("typeface", "")
    return found


def _font_of(rpr: ElementTree.Element | None, themed: dict[str, str]) -> str | None:
    fonts = rpr.find(f"{W}rFonts") if rpr is not None else None
    if fonts is None:
        return None
    if fonts.get(f"{W}ascii"):
        return fonts.get(f"{W}ascii")
    theme = fonts.get(f"{W}asciiTheme") or ""
    return themed.get("major" if theme.startswith("major") else "minor") if theme else None


def _default_paragraph_style(by_id: dict) -> str | None:
    for style_id, style in by_id.items():
        if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in ("1", "true"):
            return style_id
    return None


def _style_font(style_id: str, by_id: dict, themed: dict[str, str]) -> str | None:
    seen: set[str] = set()
    while style_id and style_id not in seen and style_id in by_id:
        seen.add(style_id)
        style = by_id[style_id]
        font = _font_of(style.find(f"{W}rPr"), themed)
        if font:
            return font
        based = style.find(f"{W}basedOn")
        style_id = based.get(f"{W}val") if based is not None else ""
    return None


def installed_families() -> set[str] | None:
    """Font families fontconfig knows (`fc-list`), or None when fontconfig's tools are not installed."""
    listed = _fontconfig("fc-list", ":", "family")
    if listed is None:
        return None
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}


def missing_fonts(fonts: Iterable[str], installed: set[str]) -> dict[str, str]:
    """Each font neither installed nor replaced by its metric-compatible font → what fontconfig uses instead."""
    missing = {}
    for font in sorted(fonts):
        if font in installed or METRIC_COMPATIBLE.get(font) in installed:
            continue
        missing[font] = (_fontconfig("fc-match", "-f", "%{family[0]}", font) or "?").strip()
    return missing


def _fontconfig(*argv: str) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
