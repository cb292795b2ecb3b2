"""Benchmark: contracts rendered per second by docgen's render_contract against a bare docxtpl loop.

Run: .venv/bin/python -m bench.render_docx [SECONDS]   (same template and deal for both, one run)
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate

from docgen.form.deal import accept
from docgen.form.readers import read_form
from docgen.render.context import contract_context
from docgen.render.docx import render_contract
from docgen.render.filters import FILTERS
from docgen.settings import load_settings
from docgen.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
NUMBER = "2026-0001"


def _rate(work: Callable[[], object], seconds: float) -> float:
    """Documents per second over at least `seconds` (and at least 5 documents)."""
    count = 0
    start = time.perf_counter()
    while True:
        work()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 5:
            return count / elapsed


def main(seconds: float = 3.0) -> None:
    with tempfile.TemporaryDirectory() as empty:
        settings = load_settings(Path(empty), {})  # built-in defaults: the run does not depend on a docgen.toml
    ws = Workspace(REPO, settings)
    raw = read_form(REPO / "templates" / "forms" / "example.yaml", max_bytes=10**7)
    deal = accept(raw, source="example.yaml", settings=settings, contract_types=None, today=dt.date(2026, 11, 26))
    template = ws.contract_templates / "supply.docx"
    context = contract_context(deal, settings=settings, number=NUMBER, version=1)
    env = jinja2.Environment(autoescape=True)
    env.filters.update(FILTERS)

    def bare() -> None:
        doc = DocxTemplate(template)
        doc.render(context, env, autoescape=True)
        doc.save(io.BytesIO())

    def docgen() -> None:
        render_contract(deal, ws=ws, number=NUMBER, version=1)

    bare(), docgen()  # warm-up: imports, pymorphy3's dictionaries, docgen's template cache
    rates: dict[str, list[float]] = {"bare": [], "docgen": []}
    for _ in range(2):  # alternating rounds, so a slower stretch of the machine hits both sides alike
        rates["bare"].append(_rate(bare, seconds / 4))
        rates["docgen"].append(_rate(docgen, seconds / 4))
    bare_rate = sum(rates["bare"]) / 2
    docgen_rate = sum(rates["docgen"]) / 2
    print(f"template: {template.relative_to(REPO)}, deal: example.yaml ({len(deal.totals.lines)} rows)")
    print(f"bare docxtpl loop (DocxTemplate(path); render; save): {bare_rate:.1f} documents/s")
    print(f"docgen render_contract (sandbox, strict, context, properties): {docgen_rate:.1f} documents/s")
    print(f"ratio docgen / bare: {docgen_rate / bare_rate:.2f} (aim: at least 0.80)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
