"""Benchmark: PDFs per second through the kept-running LibreOffice against one soffice per file (aim: 4x),
and a pool of two LibreOffice processes ([pdf] workers = 2) against one, on the same documents given
all at once (aim: 1.6x on 2 cores)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from docgen.errors import ConversionError
from docgen.render.pdf import KeptConverter, OneShotConverter, check_docx, find_soffice, find_uno_python
from docgen.render.pdfpool import ConverterPool, convert_all

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "contracts" / "supply.docx"
AIM = 4.0
POOL_AIM = 1.6


def sample_docx(folder: Path) -> Path:
    """A copy of the supply contract template as it is (tags and all), else a plain three-page contract."""
    if TEMPLATE.is_file():
        copy = folder / TEMPLATE.name
        shutil.copyfile(TEMPLATE, copy)  # a snapshot: the template may be rewritten while we measure
        try:
            check_docx(copy)
            return copy
        except ConversionError:
            pass
    from docx import Document

    doc = Document()
    for page in range(3):
        doc.add_heading(f"Договор поставки № 2026-0001, раздел {page + 1}", level=1)
        for _ in range(12):
            doc.add_paragraph(
                "Покупатель в лице Генерального директора Иванова Ивана Ивановича, действующего на основании "
                "Устава, оплачивает 2 023 980,00 руб., в т.ч. НДС 22 %, в порядке и сроки, указанные ниже."
            )
        doc.add_page_break()
    path = folder / "sample.docx"
    doc.save(str(path))
    return path


def timed(convert: Callable[[Path, Path], None], docx: Path, out: Path, count: int) -> list[float]:
    """Seconds taken by each of `count` conversions of the same document."""
    spans = []
    for n in range(count):
        start = time.perf_counter()
        convert(docx, out / f"{n}.pdf")
        spans.append(time.perf_counter() - start)
    return spans


def pooled(pool: ConverterPool, docx: Path, out: Path, count: int) -> float:
    """Seconds for `count` conversions of `docx` handed to the pool at once (its offices already started)."""
    for member in pool.members:
        member.warm_up()  # type: ignore[attr-defined]
    jobs = [(docx, out / f"{n}.pdf") for n in range(count)]
    start = time.perf_counter()
    errors = convert_all(pool, jobs)
    seconds = time.perf_counter() - start
    if any(errors):
        raise SystemExit(f"pdf: the pool failed: {[e for e in errors if e][0]}")
    return seconds


def pool_of(workers: int, *, soffice: str, python: str, profiles: Path) -> ConverterPool:
    return ConverterPool([KeptConverter(soffice=soffice, python=python, profile_dir=profiles, attempts=1)
                          for _ in range(workers)])


def main(count: int = 20) -> None:
    soffice = find_soffice()
    python = find_uno_python(soffice) if soffice else None
    if soffice is None or python is None:
        print("pdf: skipped: LibreOffice or python3-uno not installed")
        return
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        work = Path(tmp)
        docx = sample_docx(work)
        with KeptConverter(soffice=soffice, python=python, profile_dir=work / "profiles") as kept:
            kept_spans = timed(kept.convert, docx, _folder(work / "kept"), count)
        with OneShotConverter(soffice=soffice, profile_dir=work / "profiles") as one:
            one_spans = timed(one.convert, docx, _folder(work / "oneshot"), count)
        pool_count = max(count, 40)
        with pool_of(1, soffice=soffice, python=python, profiles=work / "profiles") as single:
            single_s = pooled(single, docx, _folder(work / "pool-1"), pool_count)
        with pool_of(2, soffice=soffice, python=python, profiles=work / "profiles") as double:
            double_s = pooled(double, docx, _folder(work / "pool-2"), pool_count)
    kept_rate, one_rate = count / sum(kept_spans), count / sum(one_spans)
    warm_rate = (count - 1) / sum(kept_spans[1:]) if count > 1 else kept_rate
    print(f"pdf: document: {docx.name}, {count} conversions each")
    print(f"pdf: kept-running LibreOffice:         {kept_rate:6.2f} PDFs/s "
          f"(first one, with start-up: {kept_spans[0]:.2f} s)")
    print(f"pdf: kept-running, once started:       {warm_rate:6.2f} PDFs/s")
    print(f"pdf: one soffice --convert-to per file: {one_rate:6.2f} PDFs/s")
    print(f"pdf: ratio {kept_rate / one_rate:.1f}x (aim >= {AIM:g}x)")
    load = os.getloadavg()[0]
    print(f"pdf: [pdf] workers = 1: {pool_count / single_s:6.2f} PDFs/s ({pool_count} documents given at once, "
          f"offices started)")
    print(f"pdf: [pdf] workers = 2: {pool_count / double_s:6.2f} PDFs/s")
    print(f"pdf: workers 2 / workers 1 = {single_s / double_s:.2f}x (aim >= {POOL_AIM:g}x on {os.cpu_count()} cores; "
          f"load average {load:.1f})")


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20, help="conversions through each converter")
    sys.exit(main(parser.parse_args().count))
