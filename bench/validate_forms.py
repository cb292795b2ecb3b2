"""Benchmark: example forms read and validated per second on one core (aim: at least 2,000)."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from docgen.form.deal import accept
from docgen.form.readers import read_form
from docgen.settings import load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "templates" / "forms" / "example.yaml"


def rate(fn, *, seconds: float = 2.0) -> float:
    """Calls per second of fn over about `seconds`."""
    fn()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def main() -> None:
    settings = load_settings(Path(tempfile.gettempdir()), {})
    today = dt.date(2026, 11, 26)
    limit = settings.limits.max_form_bytes

    def full() -> None:
        raw = read_form(EXAMPLE, max_bytes=limit)
        accept(raw, source=EXAMPLE.name, settings=settings, contract_types={"supply", "works"}, today=today)

    raw = read_form(EXAMPLE, max_bytes=limit)

    def checks_only() -> None:
        accept(raw, source=EXAMPLE.name, settings=settings, contract_types={"supply", "works"}, today=today)

    with_reading = rate(full)
    without_reading = rate(checks_only)
    print(f"validate: example form read from disk and checked: {with_reading:,.0f} forms/s (aim >= 2,000)")
    print(f"validate: checks and totals alone:                 {without_reading:,.0f} forms/s")
    print(f"validate: ratio to the aim: {with_reading / 2000:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
