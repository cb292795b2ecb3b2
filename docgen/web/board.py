"""The board and the queue: which deals a person sees, filtered, searched and a page at a time.

Filters that the store can answer (division, manager, stage, search) are SQL; only the page shown is
turned into status items (`docgen.workflow.status`, as `status --json` prints them). The overdue filter
needs the items' `overdue`, so it looks at the deals under way only.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from docgen.settings import Settings
from docgen.store import DealRow, Store
from docgen.web.people import Person, deciding_roles, queue_scope, resting_holder, stage_name
from docgen.workflow.deadlines import Deadlines
from docgen.workflow.stages import STAGE_TITLES
from docgen.workflow.status import status_item

_STAGE_MOVES = {"accepted", "sent_for_review", "approved", "returned"}  # journal actions that change the stage
MAX_PAGE = 1_000_000  # a page number past any board, yet far from overflowing SQLite's OFFSET
FOLD = "docgen_fold"  # SQL function: Python's casefold, so a search for «ромашка» finds «РОМАШКА»


def register_functions(store: Store) -> None:
    """The SQL functions the board's queries use, on this connection."""
    store.conn.create_function(FOLD, 1, lambda s: s.casefold() if isinstance(s, str) else s, deterministic=True)


@dataclass(frozen=True)
class Lens:
    """What the board sees deals through: the settings, the deadline rules, and the moment of the request."""

    settings: Settings
    deadlines: Deadlines
    now: dt.datetime

    @property
    def day(self) -> dt.date:
        return self.now.date()


@dataclass(frozen=True)
class Filters:
    division: str = ""
    manager: str = ""
    stage: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Filters:
        try:
            page = min(max(1, int(params.get("page", "1"))), MAX_PAGE)
        except ValueError:
            page = 1
        return cls(division=params.get("division", "").strip(), manager=params.get("manager", "").strip().lower(),
                   stage=params.get("stage", "").strip(), overdue=params.get("overdue", "") in ("1", "on", "true"),
                   q=params.get("q", "").strip()[:100], page=page)

    @property
    def any(self) -> bool:
        return bool(self.division or self.manager or self.stage or self.overdue or self.q)

    def link(self, **changes: Any) -> str:
        """The query string of these filters with `changes` (page 1 unless a page is given)."""
        changed = replace(self, **({"page": 1} | changes))
        pairs = [(k, v) for k, v in (("division", changed.division), ("manager", changed.manager),
                                     ("stage", changed.stage), ("overdue", "1" if changed.overdue else ""),
                                     ("q", changed.q), ("page", "" if changed.page == 1 else str(changed.page))) if v]
        return "?" + urlencode(pairs) if pairs else "?"


@dataclass(frozen=True)
class Choice:
    value: str
    title: str


@dataclass(frozen=True)
class BoardPage:
    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    filters: Filters
    divisions: list[Choice]
    managers: list[Choice]
    stages: list[Choice]


def _where(settings: Settings, person: Person, *, filters: Filters) -> tuple[str, list[Any]]:
    scope, params = person.scope()
    parts, values = [scope], list(params)
    for column, value in (("division", filters.division), ("stage", filters.stage)):
        if value:
            parts.append(f"{column} = ?")
            values.append(value)
    if filters.manager:
        parts.append("manager_email = ? COLLATE NOCASE")
        values.append(filters.manager)
    if filters.q:
        parts.append(f"(instr(number, ?) OR instr(buyer_inn, ?) OR instr({FOLD}(buyer_name), ?))")
        values += [filters.q, filters.q, filters.q.casefold()]
    if filters.overdue:
        roles = deciding_roles(settings)
        parts.append(f"stage IN ({', '.join('?' * len(roles))})")
        values += list(roles)
    return " AND ".join(parts), values


def board_page(store: Store, lens: Lens, *, person: Person, filters: Filters, page_size: int) -> BoardPage:
    """One page of the deals `person` sees under `filters`, newest first."""
    where, params = _where(lens.settings, person, filters=filters)
    if filters.overdue:
        rows, _ = _rows(store, where, params=params)
        overdue = [it for it in items(store, lens, rows=rows) if it.get("overdue")]
        total = len(overdue)
        start = (min(filters.page, _pages(total, page_size)) - 1) * page_size
        shown = overdue[start:start + page_size]
    else:
        rows, total = _rows(store, where, params=params, limit=page_size, offset=(filters.page - 1) * page_size)
        if not rows and total:  # a page past the end: the last one
            last = _pages(total, page_size)
            rows, total = _rows(store, where, params=params, limit=page_size, offset=(last - 1) * page_size)
        start = min(filters.page - 1, _pages(total, page_size) - 1) * page_size
        shown = items(store, lens, rows=rows)
    return BoardPage(items=shown, total=total, page=start // page_size + 1, pages=_pages(total, page_size),
                     filters=filters, **_choices(store, lens.settings, person=person))


@dataclass(frozen=True)
class RegisterPage:
    rows: list[DealRow]
    total: int
    page: int
    pages: int
    filters: Filters


def register_page(store: Store, *, person: Person, filters: Filters, page_size: int) -> RegisterPage:
    """One page of the register as `person` sees it, newest first."""
    where, params = person.scope()
    counted, counted_params = _office_scope(store, where, params)
    pages = _pages(store.conn.execute(f"SELECT count(*) FROM deals WHERE {counted}", counted_params).fetchone()[0],
                   page_size)
    page = min(filters.page, pages)
    rows, total = _rows(store, where, params=list(params), limit=page_size, offset=(page - 1) * page_size)
    return RegisterPage(rows=rows, total=total, page=page, pages=pages, filters=filters)


def _pages(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


def _rows(store: Store, where: str, *, params: list[Any], limit: int = -1,
          offset: int = 0) -> tuple[list[DealRow], int]:
    """The rows of one page, newest first, and how many match in all (one pass over the deals' index)."""
    where, scoped = _office_scope(store, where, tuple(params))
    params = list(scoped)
    query = f"SELECT number, count(*) OVER () FROM deals WHERE {where} ORDER BY number DESC LIMIT ? OFFSET ?"
    found = store.conn.execute(query, (*params, limit, offset)).fetchall()
    if not found:
        return [], store.conn.execute(f"SELECT count(*) FROM deals WHERE {where}", params).fetchone()[0]
    return _deals(store, [r[0] for r in found]), found[0][1]


def _deals(store: Store, numbers: list[str]) -> list[DealRow]:
    """The deals with these numbers, in this order."""
    by_number = {}
    for start in range(0, len(numbers), 500):  # SQLite's limit on parameters
        chunk = numbers[start:start + 500]
        query = f"SELECT * FROM deals WHERE number IN ({', '.join('?' * len(chunk))})"
        by_number |= {r["number"]: DealRow(**dict(r)) for r in store.conn.execute(query, chunk)}
    return [by_number[n] for n in numbers]


def _office_scope(store: Store, where: str, params: tuple) -> tuple[str, tuple]:
    """`where` within this office's deals ([store] office), as Store.deals() reads them."""
    return f"office = ? AND ({where})", (store.office, *params)


def _choices(store: Store, settings: Settings, *, person: Person) -> dict[str, list[Choice]]:
    scope, params = _office_scope(store, *person.scope())
    seen = store.conn.execute(f"SELECT DISTINCT manager_email COLLATE NOCASE, manager FROM deals WHERE {scope}",
                              params).fetchall()
    managers = sorted({email.lower(): name for email, name in seen}.items(), key=lambda kv: kv[1])
    stages = {r[0] for r in store.conn.execute(f"SELECT DISTINCT stage FROM deals WHERE {scope}", params)}
    divisions = [code for code in settings.divisions if person.sees_all or code in person.divisions]
    return {"divisions": [Choice(c, settings.divisions[c].title) for c in divisions],
            "managers": [Choice(email, name) for email, name in managers],
            "stages": [Choice(s, stage_name(settings, s)) for s in _stage_order(settings, stages)]}


def _stage_order(settings: Settings, seen: set[str]) -> list[str]:
    """The stages to filter by, in the route's order: those deals are in (all of them on an empty board)."""
    known = [*deciding_roles(settings), *(str(s) for s in STAGE_TITLES)]
    ordered = list(dict.fromkeys(known)) + sorted(seen - set(known))
    return [s for s in ordered if s in seen or not seen]


class _Journals:
    """The store, with the journals of many deals read in one query: status items ask for each deal's."""

    def __init__(self, store: Store, numbers: list[str]):
        self._store = store
        self._by_deal: dict[str, list[dict[str, Any]]] = {n: [] for n in numbers}
        for start in range(0, len(numbers), 500):  # SQLite's limit on parameters
            chunk = numbers[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for r in store.conn.execute(f"SELECT * FROM journal WHERE deal IN ({marks}) ORDER BY id", chunk):
                self._by_deal[r["deal"]].append({**dict(r), "detail": json.loads(r["detail"])})

    def journal(self, deal: str | None = None) -> list[dict[str, Any]]:
        return self._by_deal[deal] if deal in self._by_deal else self._store.journal(deal)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def items(store: Store, lens: Lens, *, rows: list[DealRow]) -> list[dict[str, Any]]:
    """The deals as the board shows them, in the order given."""
    preloaded = _Journals(store, [r.number for r in rows])
    return [item(preloaded, lens, row=r) for r in rows]  # type: ignore[arg-type]


def statuses(store: Store, lens: Lens, *, rows: list[DealRow]) -> list[dict[str, Any]]:
    """Many deals as `status --json` prints them, their journals read in one go."""
    preloaded = _Journals(store, [r.number for r in rows])
    return [deal_status(preloaded, lens, row=r) for r in rows]  # type: ignore[arg-type]


def deal_status(store: Store, lens: Lens, *, row: DealRow) -> dict[str, Any]:
    """The deal exactly as `docgen status --json` prints it (the API answers with this)."""
    return status_item(store, row, deadlines=lens.deadlines, now=lens.now)


def item(store: Store, lens: Lens, *, row: DealRow) -> dict[str, Any]:
    """A deal as `status --json` gives it, with who has it (a reviewer, the manager, support) and its division."""
    division = lens.settings.divisions.get(row.division)
    status = deal_status(store, lens, row=row)
    return status | {"holder": status.get("holder") or resting_holder(lens.settings, row),
                     "division_title": division.title if division else row.division,
                     "manager_email": row.manager_email, "since": status.get("stage_since") or _entered(status)}


def queue(store: Store, lens: Lens, *, person: Person) -> list[dict[str, Any]]:
    """What waits for `person`, oldest first."""
    where, params = queue_scope(lens.settings, person, day=lens.day)
    scope, visible = person.scope()
    rows, _ = _rows(store, f"{where} AND {scope}", params=[*params, *visible])
    return sorted(items(store, lens, rows=rows), key=lambda it: (it["since"], it["deal"]))


def _entered(status: dict[str, Any]) -> str:
    """When the deal came to its stage, from its journal (until status items carry `stage_since`)."""
    moves = [e["at"] for e in status.get("journal") or [] if e["action"] in _STAGE_MOVES]
    return moves[-1] if moves else status.get("created_at", "")
