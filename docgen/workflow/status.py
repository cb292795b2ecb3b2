"""Where each deal stands, as `status --json`, the web board and the API all show it (one query, no IO but the store)."""

from __future__ import annotations

from typing import Any

from docgen.store import DealRow, Store
from docgen.workflow.stages import ACTION_TITLES, STAGE_TITLES
from docgen.workspace import Stage


def status_item(store: Store, row: DealRow) -> dict[str, Any]:
    """One deal as a plain JSON-ready dict: at least deal, stage, version, buyer_inn, total."""
    return {
        "deal": row.number, "stage": row.stage, "stage_title": STAGE_TITLES[Stage(row.stage)],
        "version": row.version, "buyer_inn": row.buyer_inn, "buyer": row.buyer_name,
        "total": row.total, "manager": row.manager, "contract_date": row.contract_date,
        "created_at": row.created_at, "dossier": row.dossier,
        "journal": [{"at": e["at"], "who": e["actor"], "role": e["role"], "action": e["action"],
                     "action_title": ACTION_TITLES.get(e["action"], e["action"]), "version": e["version"],
                     "comments": e["detail"].get("comments", [])} for e in store.journal(row.number)],
    }
