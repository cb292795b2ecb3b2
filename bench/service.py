"""Benchmark of the service: pickup latency (rename into inbox/ → draft in outbox/lawyer/) and a burst
of 1,000 forms processed exactly once, against rendering the same contracts alone (the floor).

Aims (issue 4): median latency under 1 s with native events; burst throughput within 1.5× of
rendering alone; peak memory of the service under 300 MB. PDF renditions are off here: they are
measured by bench.pdf_convert, and by `--pdf`: the same burst with PDF renditions on, through
[pdf] workers = 1 and then 2 (issue 16), with the service's and LibreOffice's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from docgen.form.deal import accept
from docgen.form.readers import RawForm
from docgen.layout import lay_out
from docgen.render.docx import render_contract
from docgen.settings import load_settings
from docgen.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = yaml.safe_load((REPO / "templates" / "forms" / "example.yaml").read_text(encoding="utf-8"))


def form_text(n: int) -> str:
    data = yaml.safe_load(yaml.safe_dump(EXAMPLE))
    data["subject"]["items"][0]["quantity"] = str(n + 1)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def start_service(root: Path, *, polling: bool, pdf_workers: int = 0) -> subprocess.Popen:
    """`pdf_workers` 0: PDF renditions off; else on, through that many LibreOffice processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env["DOCGEN_PDF__ENABLED"] = "true" if pdf_workers else "false"
    env["DOCGEN_PDF__WORKERS"] = str(max(pdf_workers, 1))
    args = [sys.executable, "-m", "docgen", "--root", str(root), "watch"] + (["--polling"] if polling else [])
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until(predicate, *, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the service did not finish in time")
        time.sleep(0.002)
    return time.monotonic()


def drafts(root: Path, suffix: str = ".docx") -> int:
    return sum(1 for p in (root / "outbox" / "lawyer").glob(f"*{suffix}"))


def drop(root: Path, n: int) -> None:
    aside = root / f".form-{n}.tmp"
    aside.write_text(form_text(n), encoding="utf-8")
    aside.replace(root / "inbox" / f"form-{n:04d}.yaml")


def latency(root: Path, *, polling: bool, count: int) -> list[float]:
    service = start_service(root, polling=polling)
    try:
        wait_until(lambda: (root / ".docgen" / "docgen.log").exists(), timeout=30)
        time.sleep(0.5)  # let the observer finish its start-up
        out = []
        for n in range(count):
            start = time.monotonic()
            drop(root, n)
            out.append(wait_until(lambda: drafts(root) == n + 1, timeout=30) - start)
        return out
    finally:
        service.terminate()
        service.wait(timeout=60)


def burst(root: Path, *, count: int, pdf_workers: int = 0) -> tuple[float, float, float]:
    """Seconds to process `count` forms dropped at once, the service's peak memory in MB, and the sum of
    its LibreOffice processes' peaks in MB (0 with PDFs off). With PDFs on, a form is done with its PDF."""
    service = start_service(root, polling=False, pdf_workers=pdf_workers)
    suffix = ".pdf" if pdf_workers else ".docx"
    try:
        wait_until(lambda: (root / ".docgen" / "docgen.log").exists(), timeout=30)
        time.sleep(0.5)
        start = time.monotonic()
        for n in range(count):
            drop(root, 10_000 + n)
        end = wait_until(lambda: drafts(root, suffix) >= count, timeout=7200)
        peak, office = _peak_mb(service.pid), sum(_peak_mb(pid) for pid in _offices(root))
        return end - start, peak, office
    finally:
        service.terminate()
        service.wait(timeout=120)


def _offices(root: Path) -> list[int]:
    """The soffice.bin processes started for this workspace (their profiles lie in its .docgen/)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "soffice.bin" \
                    and str(root / ".docgen") in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def render_alone(root: Path, *, count: int) -> float:
    """Seconds to check the same forms and render their contracts, with nothing else: the floor."""
    ws = Workspace(root, load_settings(root, {}))
    start = time.monotonic()
    for n in range(count):
        data = yaml.safe_load(form_text(n))
        deal = accept(RawForm(data), source="f.yaml", settings=ws.settings, contract_types={"supply", "works"},
                      today=dt.date(2026, 11, 26))
        render_contract(deal, ws=ws, number=f"2026-{n:04d}", version=1)
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.service")
    parser.add_argument("--count", type=int, default=1000, help="forms in the burst")
    parser.add_argument("--drops", type=int, default=20, help="single drops for the latency")
    parser.add_argument("--pdf", action="store_true", help="only the burst, with PDF renditions on, workers 1 and 2")
    args = parser.parse_args(argv if argv is not None else [])
    if args.pdf:
        pdf_bursts(args.count)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for polling in (False, True):
            root = Path(tmp) / f"latency-{polling}"
            lay_out(root)
            lat = sorted(latency(root, polling=polling, count=args.drops))
            p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
            mode = "polling" if polling else "native "
            print(f"service: pickup latency, {mode}: median {statistics.median(lat):.2f} s, "
                  f"p95 {p95:.2f} s over {len(lat)} drops (aim: median < 1 s native)")
        root = Path(tmp) / "burst"
        lay_out(root)
        alone = render_alone(root, count=args.count)
        seconds, peak, _ = burst(root, count=args.count)
        print(f"service: burst of {args.count} forms: {seconds:.1f} s, {args.count / seconds:.1f} forms/s, "
              f"each exactly once ({drafts(root)} drafts); peak memory {peak:.0f} MB (aim < 300 MB)")
        print(f"service: checking and rendering alone: {alone:.1f} s, {args.count / alone:.1f} forms/s")
        print(f"service: burst time / rendering alone = {seconds / alone:.2f} (aim <= 1.5)")


def pdf_bursts(count: int) -> None:
    """The burst with PDF renditions on, through one LibreOffice and then two, in fresh workspaces."""
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            root = Path(tmp) / f"pdf-{workers}"
            lay_out(root)
            load = os.getloadavg()[0]
            seconds, peak, office = burst(root, count=count, pdf_workers=workers)
            rates[workers] = count / seconds
            print(f"service: burst of {count} forms with PDFs, [pdf] workers = {workers}: {seconds:.1f} s, "
                  f"{rates[workers]:.2f} forms/s ({drafts(root, '.pdf')} drafts with PDF); peak memory: service "
                  f"{peak:.0f} MB, LibreOffice {office:.0f} MB in all; load average at start {load:.1f}")
    print(f"service: burst with PDFs, workers 2 / workers 1 = {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
