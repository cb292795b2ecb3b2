"""A bank statement dropped into inbox/bank/: its incoming payments recorded against their deals.

The statement is read whole first (a malformed one goes to inbox/rejected/ with a Russian report
naming the line, and finance is told). Then, in one transaction, the statement, each new payment
(matched or not: a payment seen in an earlier statement is skipped by its identity) and the events
of the matched ones are recorded with the planned step; the files follow — the statement kept as
received in inbox/bank/processed/, and in the dossier of each deal it touched the same statement
with that deal's payments only (the bank's lines unchanged: a statement of thousands of payments is
not copied thousands of times) — and the step finishes with the letter listing to finance what
could not be matched, and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from docgen.errors import StatementInvalid
from docgen.files import free_name, move_into, read_plain, sha256_bytes, write_atomic
from docgen.form.money import format_money
from docgen.mail.notice import NoticeKind, build_notice
from docgen.obligations import ledger
from docgen.obligations.events import EventKind, effective
from docgen.obligations.matching import Candidate, DealIndex, Match, incoming, match
from docgen.obligations.statement import Document, Excerpts, Statement, parse
from docgen.store import Step
from docgen.workflow.services import Services
from docgen.workspace import Stage

MAX_STATEMENT_BYTES = 200_000_000
STATEMENTS_IN_DOSSIER = "Выписки"
SOURCE = "банковская выписка"


def take_statement(svc: Services, path: Path) -> str:
    """Take one file from inbox/bank/; returns the account for the log."""
    content, st = read_plain(path, limit=MAX_STATEMENT_BYTES)  # never through a link, never a pipe
    if len(content) > MAX_STATEMENT_BYTES:
        return reject(svc, path, content=b"", why=StatementInvalid(
            f"файл слишком большой: {st.st_size:,} байт при пределе {MAX_STATEMENT_BYTES:,}".replace(",", " ")))
    unfinished = _planned_with(svc, sha256_bytes(content))
    if unfinished is not None:  # a crash came between the record and the files
        return finish_statement(svc, unfinished)
    try:
        statement = parse(content)
    except StatementInvalid as exc:
        return reject(svc, path, content=content, why=exc)
    step = _record(svc, path, statement=statement, content=content)
    return finish_statement(svc, step)


def _planned_with(svc: Services, sha: str) -> Step | None:
    row = svc.store.conn.execute("SELECT key FROM steps WHERE kind = 'bank' AND state = 'planned' AND sha256 = ? "
                                 "ORDER BY created_at LIMIT 1", (sha,)).fetchone()
    return svc.store.step(row[0]) if row else None


def _record(svc: Services, path: Path, *, statement: Statement, content: bytes) -> Step:
    company = svc.settings.company
    documents = incoming(statement, account=company.bank.account, company_inn=company.inn)
    now = svc.now()
    with svc.store.transaction():
        new = _unseen(svc, documents)
        candidates, deals = _candidates(svc)
        index = DealIndex(candidates, pattern=svc.settings.numbering.pattern)
        kept = free_name(svc.ws.bank_processed, path.name)
        cur = svc.store.conn.execute(
            "INSERT INTO bank_statements(sha256, name, received_at, kept_as, documents, incoming, recorded) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (sha256_bytes(content), path.name, now.isoformat(timespec="seconds"),
                                             svc.rel(kept), len(statement.documents), len(documents), len(new)))
        statement_id = int(cur.lastrowid)
        matches = [match(doc, index) for doc in new]
        typed = _typed_by_hand(svc)
        svc.store.conn.executemany(
            "INSERT INTO bank_payments(identity, statement, line, number, day, amount, payer_inn, payer, purpose, "
            "deal, event, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_payment_row(svc, m, statement_id=statement_id, name=path.name, at=now, deals=deals, typed=typed)
             for m in matches])
        key = f"bank:{statement_id}"
        svc.store.plan(key=key, kind="bank", at=now, source=path.name, sha256=sha256_bytes(content), content=content,
                       payload=_payload(svc, path, kept=kept, statement=statement, documents=documents,
                                        matches=matches, statement_id=statement_id, deals=deals))
        return svc.store.step(key)


def _unseen(svc: Services, documents: list[Document]) -> list[Document]:
    """The documents whose payment no earlier statement (nor this one, further up) recorded."""
    seen: set[str] = set()
    ids = [d.identity for d in documents]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = svc.store.conn.execute(
            f"SELECT identity FROM bank_payments WHERE identity IN ({', '.join('?' * len(chunk))})", chunk)
        seen.update(r[0] for r in rows)
    out = []
    for doc in documents:
        if doc.identity not in seen:
            seen.add(doc.identity)
            out.append(doc)
    return out


@dataclass(frozen=True)
class _Deal:
    version: int
    dossier: str


def _candidates(svc: Services) -> tuple[list[Candidate], dict[str, _Deal]]:
    """Every deal with what it still owes (its total less the payments that stand), and its version and dossier."""
    paid: dict[str, Decimal] = {}
    for deal, events in ledger.events_by_deal(svc.store).items():
        paid[deal] = sum((e.amount or Decimal(0) for e in effective(events) if e.kind is EventKind.PAYMENT),
                         Decimal(0))
    rows = svc.store.conn.execute("SELECT number, buyer_inn, stage, total, version, dossier FROM deals "
                                  "WHERE office = ?", (svc.store.office,)).fetchall()
    candidates = [Candidate(number, inn, stage == Stage.SIGNED, Decimal(total) - paid.get(number, Decimal(0)))
                  for number, inn, stage, total, _, _ in rows]
    return candidates, {r[0]: _Deal(r[4], r[5]) for r in rows}


def _payment_row(svc: Services, m: Match, *, statement_id: int, name: str, at: dt.datetime,
                 deals: dict[str, _Deal], typed: set[str]) -> tuple:
    """The bank_payments row of one payment, its event recorded first when it matched a deal."""
    doc = m.document
    event = None
    if m.deal is not None:
        event = _event_for(svc, m, name=name, at=at, version=deals[m.deal].version, typed=m.deal in typed)
    return (doc.identity, statement_id, doc.line, doc.number, doc.day.isoformat(), f"{doc.amount:f}", doc.payer_inn,
            doc.payer, doc.purpose, m.deal, event, m.how)


def _event_for(svc: Services, m: Match, *, name: str, at: dt.datetime, version: int, typed: bool) -> int:
    """The payment's event: one recorded by hand for the same day and sum is this payment; else a new one."""
    doc, deal = m.document, m.deal
    paper = f"п/п № {doc.number} от {doc.date:%d.%m.%Y}"
    where = f"{SOURCE} «{name}», строка {doc.line}"
    manual = _manual_twin(svc, deal, day=doc.day, amount=doc.amount) if typed else None
    if manual is not None:
        svc.store.journal_add(at=at, deal=deal, version=version, actor="docgen", role="bank",
                              action="payment_matched", detail={"event": manual, "doc": paper, "via": where})
        return manual
    event = ledger.add_event(svc.store, deal=deal, kind=EventKind.PAYMENT, day=doc.day, amount=doc.amount, doc=paper,
                             comment=m.how, actor="docgen", source=where, at=at)
    svc.store.journal_add(at=at, deal=deal, version=version, actor="docgen", role="bank",
                          action="payment_recorded", detail={"event": event, "day": doc.day.isoformat(),
                                                             "amount": f"{doc.amount:f}", "doc": paper, "via": where,
                                                             "payer": doc.payer, "purpose": doc.purpose})
    return event


def _typed_by_hand(svc: Services) -> set[str]:
    """The deals that have payments recorded by hand and not yet met in a statement."""
    rows = svc.store.conn.execute(
        "SELECT DISTINCT e.deal FROM obligation_events e WHERE e.kind = 'payment' "
        "AND NOT EXISTS (SELECT 1 FROM bank_payments b WHERE b.event = e.id)")
    return {r[0] for r in rows}


def _manual_twin(svc: Services, deal: str, *, day: dt.date, amount: Decimal) -> int | None:
    rows = svc.store.conn.execute(
        "SELECT e.id FROM obligation_events e WHERE e.deal = ? AND e.kind = 'payment' AND e.day = ? AND e.amount = ? "
        "AND NOT EXISTS (SELECT 1 FROM bank_payments b WHERE b.event = e.id) "
        "AND NOT EXISTS (SELECT 1 FROM obligation_events c WHERE c.reverses = e.id) ORDER BY e.id LIMIT 1",
        (deal, day.isoformat(), f"{amount:f}")).fetchone()
    return rows[0] if rows else None


def _payload(svc: Services, path: Path, *, kept: Path, statement: Statement, documents: list[Document],
             matches: list[Match], statement_id: int, deals: dict[str, _Deal]) -> dict:
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in matches:
        if m.deal is not None:
            spans.setdefault(m.deal, []).append((m.document.line, m.document.end))
    dossiers = {n: {"file": f"{deals[n].dossier}/{STATEMENTS_IN_DOSSIER}/{path.name}", "spans": lines}
                for n, lines in sorted(spans.items())}
    return {
        "id": statement_id, "inbox": svc.rel(path), "kept_as": svc.rel(kept), "dossiers": dossiers,
        "head_lines": statement.head_lines,
        "documents": len(statement.documents), "incoming": len(documents), "new": len(matches),
        "matched": [_line(m) for m in matches if m.matched],
        "unmatched": [_line(m) for m in matches if not m.matched],
    }


def _line(m: Match) -> str:
    doc = m.document
    who = f"{doc.payer or 'плательщик не указан'}, ИНН {doc.payer_inn or '—'}"
    head = (f"строка {doc.line}: п/п № {doc.number} от {doc.date:%d.%m.%Y}, {format_money(doc.amount)} руб., {who}; "
            f"назначение: «{doc.purpose or '—'}»")
    return f"{head} → сделка {m.deal}" if m.deal else f"{head} — {m.how}"


def finish_statement(svc: Services, step: Step) -> str:
    """The statement kept as received and in each dossier, then the letter to finance; repeatable after a crash."""
    p = step.payload
    kept = svc.at_root(p["kept_as"])
    move_into(svc.at_root(p["inbox"]), kept, content=step.content, copy=True)
    excerpts = Excerpts(kept.read_bytes(), head_lines=p["head_lines"])
    for entry in p["dossiers"].values():  # each dossier: the statement with this deal's payments only
        target = svc.at_root(entry["file"])
        if not target.exists():
            write_atomic(target, excerpts.of([tuple(s) for s in entry["spans"]]))
    report = _report(step)
    write_atomic(kept.with_name(kept.name + ".итоги.txt"), report.encode("utf-8"))
    now = svc.now()
    with svc.store.transaction():
        if p["unmatched"]:
            svc.outbox.enqueue(build_notice(
                NoticeKind.STATEMENT, ws=svc.ws, event_id=f"bank/{p['id']}/unmatched", to=[svc.settings.people.finance],
                attachments=[kept.with_name(kept.name + ".итоги.txt")], context={
                    "statement": step.source, "folder": svc.ws.shown(kept.parent), "documents": p["documents"],
                    "incoming": p["incoming"], "new": p["new"], "matched": p["matched"], "unmatched": p["unmatched"]}))
        svc.store.journal_add(at=now, deal=None, version=None, actor="docgen", role="bank", action="statement_taken",
                              detail={"file": step.source, "kept_as": p["kept_as"], "new": p["new"],
                                      "matched": len(p["matched"]), "unmatched": len(p["unmatched"])})
        svc.store.finish(step.key, at=now)
    svc.register_dirty = True
    _after_payments(svc, list(p["dossiers"]))
    return (f"выписка: {p['incoming']} поступлений, новых {p['new']}, разнесено {len(p['matched'])}, "
            f"не сопоставлено {len(p['unmatched'])} → {p['kept_as']}")


def _after_payments(svc: Services, deals: list[str]) -> None:
    """Production may start for the deals whose prepayment this statement completed."""
    from docgen.obligations.notify import calendar_of, check_production

    rows = [svc.store.deal(n) for n in deals]
    found = ledger.positions(svc.store, rows, calendar=calendar_of(svc), today=svc.now().date())
    for row in rows:
        try:
            check_production(svc, row, found.get(row.number))
        except Exception:  # the payment is recorded; the schedule's catch-up tries the notice again
            svc.log.exception("сделка %s: извещение о запуске производства не подготовлено", row.number)


def _report(step: Step) -> str:
    p = step.payload
    lines = [f"Банковская выписка «{step.source}»",
             f"Документов в выписке: {p['documents']}; поступлений на счёт Компании: {p['incoming']}; "
             f"новых (не из прежних выписок): {p['new']}.", ""]
    lines += [f"Разнесено по сделкам: {len(p['matched'])}"] + [f"  {x}" for x in p["matched"]] + [""]
    lines += [f"Не сопоставлено: {len(p['unmatched'])}"] + [f"  {x}" for x in p["unmatched"]]
    if p["unmatched"]:
        lines += ["", "Несопоставленную оплату записывают вручную: docgen record СДЕЛКА payment СУММА "
                      "--date ГГГГ-ММ-ДД --doc «п/п № …»"]
    return "\n".join(lines) + "\n"


def reject(svc: Services, path: Path, *, content: bytes, why: StatementInvalid) -> str:
    """Record the refusal, then move the file to inbox/rejected/ with the Russian report beside it."""
    now = svc.now()
    sha = sha256_bytes(content) if content else f"size:{path.stat().st_size}"
    key = f"bank-reject:{sha}:{path.stat().st_mtime_ns}"
    target = free_name(svc.ws.rejected, path.name)
    report = (f"Банковская выписка «{path.name}» не принята: {why}.\n\n"
              "Ни один платёж из неё не записан. Выгрузите выписку из банк-клиента заново в формате 1С "
              "(1CClientBankExchange, «Выгрузка в 1С:Бухгалтерию») и положите файл в inbox/bank/.\n")
    with svc.store.transaction():
        if svc.store.step(key) is None:
            svc.store.journal_add(at=now, deal=None, version=None, actor="docgen", role="bank",
                                  action="statement_rejected", detail={"file": path.name, "why": str(why)})
            svc.store.plan(key=key, kind="bank-reject", at=now, source=path.name, sha256=sha, content=content or None,
                           payload={"inbox": svc.rel(path), "target": svc.rel(target), "report": report,
                                    "why": str(why)})
    return finish_reject(svc, svc.store.step(key))


def finish_reject(svc: Services, step: Step) -> str:
    target = svc.at_root(step.payload["target"])
    move_into(svc.at_root(step.payload["inbox"]), target, content=step.content, copy=True)
    errors = target.with_name(target.name + ".errors.txt")
    write_atomic(errors, step.payload["report"].encode("utf-8"))
    with svc.store.transaction():
        svc.outbox.enqueue(build_notice(
            NoticeKind.STATEMENT_REJECTED, ws=svc.ws, event_id=step.key.replace("bank-reject:", "bank-rejected/", 1),
            to=[svc.settings.people.finance], attachments=[errors],
            context={"statement": step.source, "why": step.payload["why"], "folder": svc.ws.shown(target.parent)}))
        svc.store.finish(step.key, at=svc.now())
    return f"выписка не принята: {svc.rel(target)} (причина — в {errors.name})"
