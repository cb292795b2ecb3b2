"""Where each deal stands, as `status --json`, the web board and the API all show it (one query, no IO but the store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from docgen.calendar import WorkCalendar
from docgen.obligations import ledger
from docgen.obligations.events import ACTION_TITLES as OBLIGATION_ACTIONS
from docgen.obligations.position import Position
from docgen.obligations.summary import deal_summary, obligations_json
from docgen.store import DealRow, Store
from docgen.workflow.stages import ACTION_TITLES, STAGE_TITLES
from docgen.workspace import Stage

_TITLES = ACTION_TITLES | OBLIGATION_ACTIONS


def status_item(store: Store, row: DealRow, *, today: dt.date | None = None, calendar: WorkCalendar | None = None,
                position: Position | None = None) -> dict[str, Any]:
    """One deal as a plain JSON-ready dict: at least deal, stage, version, buyer_inn, total, obligations.

    The obligations of a signed deal are counted through `today` on `calendar` (the workspace's, from
    `WorkCalendar.from_settings`); a caller that has them computed already passes `position`.
    """
    if position is None and row.stage == Stage.SIGNED:
        position = ledger.position_of(store, row, calendar=calendar or WorkCalendar(),
                                      today=today or dt.date.today())
    item = {
        "deal": row.number, "stage": row.stage, "stage_title": STAGE_TITLES[Stage(row.stage)],
        "version": row.version, "buyer_inn": row.buyer_inn, "buyer": row.buyer_name,
        "total": row.total, "manager": row.manager, "contract_date": row.contract_date,
        "created_at": row.created_at, "dossier": row.dossier,
        "journal": [{"at": e["at"], "who": e["actor"], "role": e["role"], "action": e["action"],
                     "action_title": _TITLES.get(e["action"], e["action"]), "version": e["version"],
                     "comments": e["detail"].get("comments", [])} for e in store.journal(row.number)],
        "obligations": obligations_json(position) if position else [],
        "events": _events(store, row.number) if position else [],
    }
    if position:
        item.update(deal_summary(position))
    return item


def status_items(store: Store, rows: Sequence[DealRow], *, today: dt.date,
                 calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Every deal of `rows`, the signed ones' obligations computed in one pass over the store."""
    positions = ledger.positions(store, rows, calendar=calendar, today=today)
    return [status_item(store, row, today=today, calendar=calendar, position=positions.get(row.number))
            for row in rows]


def _events(store: Store, deal: str) -> list[dict[str, Any]]:
    """What was recorded after signing, with who recorded it and from where; corrections included."""
    return [{"id": r.event.id, "kind": str(r.event.kind), "day": r.event.day.isoformat(),
             "amount": None if r.event.amount is None else f"{r.event.amount:f}", "doc": r.event.doc,
             "reverses": r.event.reverses, "comment": r.comment, "who": r.actor, "source": r.source,
             "recorded_at": r.recorded_at} for r in ledger.recorded(store, deal)]
