"""Benchmark: a bank statement of 10,000 payments matched against 10,000 signed deals (aim: under a second).

Prints lines (payments) per second for reading the statement, for matching it, and for recording it in
the store as the service does, with the ratio to the floor; then the time to file it — kept as received
and an excerpt in the dossier of every deal it touched (here all 10,000: a file each, bound by the disk).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from stdnum.ru import inn as stdnum_inn

from docgen.layout import lay_out
from docgen.obligations.bank import _candidates, _record, finish_statement
from docgen.obligations.matching import DealIndex, incoming, match
from docgen.obligations.statement import parse
from docgen.settings import load_settings
from docgen.store import open_store
from docgen.workflow.engine import close_workflow, open_workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Role, Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "templates" / "forms" / "example.yaml"
FLOOR = 10_000  # lines per second: the whole statement of 10,000 lines in a second
SIGNED = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
PAID = dt.date(2026, 12, 3)


def inn_of(n: int) -> str:
    body = f"77{n:07d}"
    return body + stdnum_inn.calc_company_check_digit(body)


def workspace(root: Path, count: int) -> tuple[Workspace, list[str]]:
    """One deal signed by the real workflow, copied to `count` deals of as many buyers (rows only)."""
    lay_out(root)
    (root / "docgen.toml").write_text("[pdf]\nenabled = false\n", encoding="utf-8")
    ws = Workspace(root, load_settings(root, {}))
    (ws.inbox / "deal.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    wf = open_workflow(ws, clock=lambda: SIGNED, log=logging.getLogger("bench.bank"))
    try:
        wf.take(ws.inbox / "deal.yaml")
        for role in Role:
            wf.decide("2026-0001", role=role, decision=Decision.APPROVED)
    finally:
        close_workflow(wf)
    store = open_store(ws.state)
    numbers = ["2026-0001"]
    try:
        first = store.deal("2026-0001")
        signing = [e for e in store.journal("2026-0001") if e["role"] == "director"][-1]
        with store.transaction():
            store.update_deal("2026-0001", buyer_inn=inn_of(1))
            for n in range(2, count + 1):
                number = f"2026-{n:05d}"
                store.insert_deal(replace(first, number=number, buyer_inn=inn_of(n),
                                          dossier=first.dossier.replace("2026-0001", number)))
                store.journal_add(at=SIGNED, deal=number, version=1, actor=signing["actor"], role="director",
                                  action="approved", detail={})
                numbers.append(number)
    finally:
        store.close()
    return ws, numbers


def statement(numbers: list[str], *, account: str) -> bytes:
    """10,000 incoming payments in cp1251: the deal number written four ways, or left out."""
    forms = ("Оплата по договору № {n} от 20.11.2026", "Предоплата N{n}, в т.ч. НДС", "дог. {n}", "Оплата по счёту")
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", f"РасчСчет={account}",
             "СекцияРасчСчет", f"РасчСчет={account}", "КонецРасчСчет"]
    for i, number in enumerate(numbers, start=1):
        n = int(number.split("-")[1])
        lines += ["СекцияДокумент=Платежное поручение", f"Номер={i}", f"Дата={PAID:%d.%m.%Y}", "Сумма=1000.00",
                  f"ПлательщикСчет=407028100000{n:08d}", f"ДатаПоступило={PAID:%d.%m.%Y}",
                  f"Плательщик1=ООО «Покупатель {n}»", f"ПлательщикИНН={inn_of(n)}", f"ПолучательСчет={account}",
                  f"НазначениеПлатежа={forms[i % 4].format(n=number)}", "КонецДокумента"]
    lines.append("КонецФайла")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=10_000, help="deals, and payments in the statement")
    count = parser.parse_args(argv).deals
    with tempfile.TemporaryDirectory() as tmp:
        ws, numbers = workspace(Path(tmp) / "ws", count)
        data = statement(numbers, account=ws.settings.company.bank.account)
        wf = open_workflow(ws, clock=lambda: dt.datetime(2026, 12, 4, 8, tzinfo=SIGNED.tzinfo),
                           log=logging.getLogger("bench.bank"))
        try:
            start = time.perf_counter()
            parsed = parse(data)
            read = time.perf_counter() - start
            company = ws.settings.company
            docs = incoming(parsed, account=company.bank.account, company_inn=company.inn)
            start = time.perf_counter()
            index = DealIndex(_candidates(wf.svc)[0], pattern=ws.settings.numbering.pattern)
            matched = sum(1 for d in docs if match(d, index).matched)
            matching = time.perf_counter() - start
            path = ws.bank_inbox / "big.txt"
            path.write_bytes(data)
            start = time.perf_counter()
            step = _record(wf.svc, path, statement=parse(data), content=data)
            recording = time.perf_counter() - start
            start = time.perf_counter()
            account = finish_statement(wf.svc, step)
            filing = time.perf_counter() - start
        finally:
            close_workflow(wf)
    lines = len(docs)
    print(f"bank: statement of {lines:,} payments ({len(data) / 1e6:.1f} MB, cp1251) against {count:,} deals")
    print(f"bank: read   {read:.2f} s — {lines / read:,.0f} lines/s")
    print(f"bank: match  {matching:.2f} s — {lines / matching:,.0f} lines/s ({matched:,} matched)")
    print(f"bank: read, matched and recorded in the store (one transaction) {recording:.2f} s — "
          f"{lines / recording:,.0f} lines/s")
    print(f"bank: filed (kept as received, an excerpt in each of {matched:,} dossiers, fsynced; the letter) "
          f"{filing:.2f} s; {account}")
    print(f"bank: ratio to the floor of {FLOOR:,} lines/s: read+match {lines / (read + matching) / FLOOR:.1f}x, "
          f"read+match+record {lines / recording / FLOOR:.2f}x")


if __name__ == "__main__":
    main()
