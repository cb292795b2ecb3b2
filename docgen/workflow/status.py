"""Where each deal stands, as `status --json`, the web board and the API all show it (no IO but the store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from docgen.errors import SettingsError
from docgen.obligations import ledger
from docgen.obligations.events import ACTION_TITLES as OBLIGATION_ACTIONS
from docgen.obligations.position import Position
from docgen.obligations.summary import deal_summary, obligations_json
from docgen.store import DealRow, Store
from docgen.workflow.acks import TITLES as ACK_TITLES
from docgen.workflow.acks import Closing, closing_of
from docgen.workflow.deadlines import Deadlines, Timing, parse_since
from docgen.workflow.people import holder
from docgen.workflow.route import Route
from docgen.workflow.stages import ACTION_TITLES, holds, stage_title
from docgen.workspace import Stage

_TITLES = ACTION_TITLES | OBLIGATION_ACTIONS


def status_item(store: Store, row: DealRow, *, deadlines: Deadlines, now: dt.datetime,
                position: Position | None = None, closing: Closing | None = None) -> dict[str, Any]:
    """One deal as a plain JSON-ready dict: at least deal, stage, version, buyer_inn, total; its stage's
    `stage_since`, `due` (YYYY-MM-DD or None) and `overdue`; who holds it; the route and the journal; and
    once signed, its `obligations` (counted through `now` on the deadlines' calendar) and their `events`.
    A signed deal's `acknowledged` (what → when, who) and `unacknowledged` (originals, production,
    technical: what its departments have not confirmed yet).
    A caller that has the position and the closing computed already (`status_items`) passes them."""
    route = Route.from_json(store.route(row.number, row.version))
    timing = deadlines.timing(row.stage, parse_since(row.stage_since), now=now)
    journal = store.journal(row.number)
    if position is None and row.stage == Stage.SIGNED:
        position = ledger.position_of(store, row, calendar=deadlines.calendar, today=now.date())
    if closing is None and row.stage == Stage.SIGNED:
        closing = closing_of(store, [row.number]).get(row.number)
    item = {
        "deal": row.number, "stage": row.stage, "stage_title": stage_title(row.stage, route),
        "version": row.version, "buyer_inn": row.buyer_inn, "buyer": row.buyer_name,
        "total": row.total, "manager": row.manager, "contract_date": row.contract_date,
        "created_at": row.created_at, "dossier": row.dossier, "division": row.division,
        "stage_since": row.stage_since or None, "due": timing.due.isoformat() if timing.due else None,
        "overdue": timing.overdue, "days_overdue": timing.days_overdue,
        **_holder(row, deadlines=deadlines, now=now),
        "route": route_view(route, stage=row.stage, deadlines=deadlines, timing=timing,
                            cancelled_at=_cancelled_at(journal) if row.stage == Stage.CANCELLED else None),
        "journal": [{"at": e["at"], "who": e["actor"], "role": e["role"], "action": e["action"],
                     "action_title": _TITLES.get(e["action"], e["action"]), "version": e["version"],
                     "comments": e["detail"].get("comments", []),
                     "on_behalf_of": e["detail"].get("on_behalf_of") or None} for e in journal],
        "obligations": obligations_json(position) if position else [],
        "events": _events(store, row.number) if position else [],
        "acknowledged": [{"what": str(what), "title": ACK_TITLES[what], "at": at, "who": who}
                         for what, (at, who) in closing.acknowledged.items()] if closing else [],
        "unacknowledged": [str(what) for what in closing.pending] if closing else [],
    }
    if position:
        item.update(deal_summary(position))
    return item


def status_items(store: Store, rows: Sequence[DealRow], *, deadlines: Deadlines,
                 now: dt.datetime) -> list[dict[str, Any]]:
    """Every deal of `rows`, the signed ones' obligations computed in one pass over the store."""
    positions = ledger.positions(store, rows, calendar=deadlines.calendar, today=now.date())
    signed = [row.number for row in rows if row.stage == Stage.SIGNED]
    closings = closing_of(store, signed if len(signed) <= 500 else None) if signed else {}
    return [status_item(store, row, deadlines=deadlines, now=now, position=positions.get(row.number),
                        closing=closings.get(row.number)) for row in rows]


def _events(store: Store, deal: str) -> list[dict[str, Any]]:
    """What was recorded after signing, with who recorded it and from where; corrections included."""
    return [{"id": r.event.id, "kind": str(r.event.kind), "day": r.event.day.isoformat(),
             "amount": None if r.event.amount is None else f"{r.event.amount:f}", "doc": r.event.doc,
             "reverses": r.event.reverses, "comment": r.comment, "who": r.actor, "source": r.source,
             "recorded_at": r.recorded_at} for r in ledger.recorded(store, deal)]


def _holder(row: DealRow, *, deadlines: Deadlines, now: dt.datetime) -> dict[str, str | None]:
    """Who holds the deal now (a deputy while its owner is away) and for whom."""
    if not holds(row.stage):
        return {"holder": None, "deputy_for": None}
    try:
        found = holder(deadlines.settings, row.stage, division=row.division, day=now.date())
    except SettingsError:  # a stage whose rule and person were removed from the settings: nobody
        return {"holder": None, "deputy_for": None}
    return {"holder": found.person, "deputy_for": found.for_person or None}


def _cancelled_at(journal: list[dict[str, Any]]) -> str | None:
    """The stage a cancelled deal was taken from (docgen.workflow.cancel journals it)."""
    found = [e["detail"].get("stage") for e in journal if e["action"] == "cancelled"]
    return found[-1] if found else None


def route_view(route: Route, *, stage: str, deadlines: Deadlines, timing: Timing,
               cancelled_at: str | None = None) -> list[dict[str, Any]]:
    """The whole route: each stage `passed`, `current` or `ahead`, with its working days (and the current
    one's deadline). A returned deal's route is the one its corrected version will be given anew; a cancelled
    one's stage where it was cancelled is `cancelled`."""
    roles = route.roles
    where = cancelled_at if cancelled_at in roles else stage
    at = roles.index(where) if where in roles else (len(roles) if stage == Stage.SIGNED else -1)
    out = []
    for index, role in enumerate(roles):
        state = "passed" if index < at else "current" if index == at else "ahead"
        if state == "current" and cancelled_at is not None:
            state = "cancelled"
        out.append({"role": role, "title": route.title(role), "state": state,
                    "days": deadlines.settings.deadlines.days(role),
                    "due": timing.due.isoformat() if state == "current" and timing.due else None})
    return out
