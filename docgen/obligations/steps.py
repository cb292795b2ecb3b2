"""The obligations' steps the workflow finishes after a crash: statements, refusals, production, claims."""

from __future__ import annotations

from docgen.obligations import bank, letters, notify

FINISHERS = {
    "bank": bank.finish_statement,
    "bank-reject": bank.finish_reject,
    notify.PRODUCTION: notify.finish_production,
    letters.CLAIM: letters.finish_claim,
}
