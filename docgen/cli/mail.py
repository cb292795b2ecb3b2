"""`docgen mail`: the notices queued, sent and failing; --retry sends what waits, now."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from docgen.cli import Env, app, out
from docgen.mail.notice import KIND_TITLES
from docgen.mail.outbox import MailOutbox, MailStatus, QueuedNotice, utc_now
from docgen.mail.sender import MailSender
from docgen.mail.transport import transport_for
from docgen.store import open_store, store_exists
from docgen.workspace import Workspace

STATUS_TITLES = {MailStatus.QUEUED: "в очереди", MailStatus.SENT: "отправлено", MailStatus.FAILED: "ошибка"}
STATUS_STYLES = {MailStatus.QUEUED: "yellow", MailStatus.SENT: "green", MailStatus.FAILED: "red"}


@app.command()
def mail(
    ctx: typer.Context,
    retry: Annotated[bool, typer.Option("--retry", help="отправить всё, что ждёт, не выжидая паузы")] = False,
    deal: Annotated[str | None, typer.Option("--deal", help="только письма этой сделки")] = None,
    limit: Annotated[int, typer.Option("--limit", help="сколько последних писем показать")] = 50,
) -> None:
    """Письма-уведомления: что в очереди, что отправлено, что не уходит."""
    env: Env = ctx.obj
    ws = env.existing_workspace
    if not store_exists(ws):
        out.print(Text("Писем пока нет."))
        return
    store = open_store(ws, create=False, timeout=ws.settings.store.lock_timeout)
    conn = store.conn
    try:
        outbox = MailOutbox(conn)
        unsent = _retry(outbox, ws=ws) if retry else 0
        if not retry:  # after --retry, its summary: the table is one `docgen mail` away
            rows = outbox.listing(deal=deal, limit=limit)
            out.print(_table(rows) if rows else Text("Писем пока нет."))
        out.print(_summary(outbox.counts()), markup=False, highlight=False)
    finally:
        conn.close()
    if unsent:
        raise typer.Exit(1)


def _retry(outbox: MailOutbox, *, ws: Workspace) -> int:
    """Send every queued or failed notice now and say how it went: how many were sent, which wait for the
    next try, which the server or the address refused for good; how many still did not go."""
    before = {row.event_id for row in outbox.listing()}
    waiting = outbox.due(utc_now(), force=True)
    sender = MailSender(outbox, transport_for(ws), ws=ws, clock=utc_now, log=logging.getLogger("docgen.mail"))
    sent = sender.deliver_due(force=True)
    after = {row.event_id: row for row in outbox.listing()}
    tried = [after[item.event_id] for item in waiting if item.event_id in after]
    later = [row for row in tried if row.status is not MailStatus.SENT and row.next_try is not None]
    refused = [row for row in tried if row.status is MailStatus.FAILED and row.next_try is None]
    lines = [f"Отправлено писем: {sent} из {len(waiting)}."]
    if later:
        lines.append(f"Ждут следующей попытки: {len(later)} — {_reason(later[0])}")
    if refused:
        lines.append(f"Не будут отправлены, пока причину не исправят: {len(refused)}")
        lines += [f"  — {_one_line(row)}" for row in refused]
    added = [row for event, row in after.items() if event not in before]
    if added:
        lines.append(f"Новых писем в очереди: {len(added)} ({', '.join(_kinds(added))})")
    out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=False)
    return len(waiting) - sent


def _reason(row: QueuedNotice) -> str:
    return row.last_error or "причина не записана"


def _one_line(row: QueuedNotice) -> str:
    return (f"{row.notice.deal or 'без сделки'}, {KIND_TITLES[row.notice.kind]}, кому: {', '.join(row.notice.to)}: "
            f"{_reason(row)}")


def _kinds(rows: Sequence[QueuedNotice]) -> list[str]:
    counted: dict[str, int] = {}
    for row in rows:
        counted[KIND_TITLES[row.notice.kind]] = counted.get(KIND_TITLES[row.notice.kind], 0) + 1
    return [f"{title}: {n}" for title, n in counted.items()]


def _table(rows: Sequence[QueuedNotice]) -> Table:
    table = Table(title="Уведомления")
    for heading in ("Создано", "Сделка", "Письмо", "Кому", "Состояние", "Попыток", "Когда", "Ошибка, замечания"):
        table.add_column(heading, overflow="fold")
    for row in rows:
        when = row.sent_at if row.status == MailStatus.SENT else row.next_try
        notes = "; ".join(filter(None, (row.last_error, *row.problems)))
        # Text cells, not markup: addresses and server replies may hold "[" that rich would parse.
        table.add_row(
            Text(_local(row.created_at)), Text(row.notice.deal or "—"), Text(KIND_TITLES[row.notice.kind]),
            Text(", ".join(row.notice.to)), Text(STATUS_TITLES[row.status], style=STATUS_STYLES[row.status]),
            Text(str(row.attempts)), Text(_local(when) if row.status != MailStatus.FAILED else "—"), Text(notes),
        )
    return table


def _summary(counts: dict[MailStatus, int]) -> str:
    return (f"В очереди: {counts[MailStatus.QUEUED]}, отправлено: {counts[MailStatus.SENT]}, "
            f"с ошибкой: {counts[MailStatus.FAILED]}.")


def _local(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone():%d.%m.%Y %H:%M:%S}" if moment else "—"
