"""What changed in a version since the one last approved: lines for the letter, a comparison beside the draft.

A corrected form is rendered afresh from the template, so an edit a reviewer approved in an earlier version (the
lawyer's clause in v3) is not in it unless the template has it. Each reviewer of such a version is shown what
differs from the version approved last — in the letter, clause by clause, and in a comparison document (Word
tracked changes) beside the draft — so an edit that did not survive is seen, and the reviewer decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docgen.compare import changed_clauses, compare_paragraphs, paragraphs
from docgen.errors import DocumentUnreadable
from docgen.files import entry_reason, fit_name, free_name, move_into, sha256_bytes, write_atomic
from docgen.render.comparison import comparison_docx
from docgen.store import DealRow
from docgen.workflow.dossier import draft_stem
from docgen.workflow.services import Services
from docgen.workflow.stages import Decision

LETTER_LINES = 15  # changed paragraphs named in a letter; the rest are counted, and all are in the document
COMPARISON_MARK = " — изменения против v"


@dataclass(frozen=True)
class Changes:
    """The differences of a version from version `base`, the last approved: letter lines and the files written."""

    base: int
    lines: list[str]
    files: list[Path]  # the comparison document in the dossier (to attach)

    def context(self) -> dict[str, object]:
        return {"changes": self.lines, "compared_with": self.base} if self.lines else {}


def last_approved_before(svc: Services, number: str, version: int) -> int | None:
    """The latest version of the deal, older than `version`, that a reviewer approved (as it came out of their
    decision: an approval with edits approved the version it made)."""
    approved = [int(entry["detail"].get("new_version") or entry["version"]) for entry in svc.store.journal(number)
                if entry["action"] == Decision.APPROVED and entry["version"] is not None]
    older = [v for v in approved if v < version]
    return max(older) if older else None


def since_approved(svc: Services, row: DealRow, *, version: int, docx: bytes, folder: Path) -> Changes | None:
    """The changes of `docx` (version `version`) from the last approved version, with the comparison document
    written into the dossier and beside the draft in `folder`; None when no earlier version was approved."""
    base = last_approved_before(svc, row.number, version)
    recorded = svc.store.version(row.number, base) if base is not None else None
    if recorded is None or not recorded["file"]:
        return None
    try:
        old = paragraphs(svc.at_root(recorded["file"]).read_bytes())
        new = paragraphs(docx)
    except (OSError, DocumentUnreadable) as exc:
        svc.log.warning("сделка %s: версия %s не сравнена с согласованной версией %s: %s", row.number, version,
                        base, exc)
        return None
    comparison = compare_paragraphs(old, new)
    if comparison.identical:
        return Changes(base, [], [])
    lines = changed_clauses(comparison, old, new)
    shown = lines[:LETTER_LINES] + ([f"… и ещё {len(lines) - LETTER_LINES}: все изменения — в файле сравнения"]
                                    if len(lines) > LETTER_LINES else [])
    name = comparison_name(row, version=version, base=base)
    data = comparison_docx(
        comparison, old=old, new=new, at=svc.now(), mark=f"{row.number} v{base} → v{version}",
        title=f"Договор {row.number}: версия {version} против согласованной версии {base}",
        intro=[f"Клиент: {row.buyer_name}, ИНН {row.buyer_inn}.",
               f"Что изменилось в версии {version} по сравнению с версией {base}, которую уже согласовывали: "
               "удалённое зачёркнуто, добавленное подчёркнуто (исправления Word). Показаны только изменённые "
               "абзацы и по абзацу вокруг них. Это не проект договора: решение принимается по самому проекту."])
    kept = svc.dossier(row).versions / name
    write_atomic(kept, data)
    write_atomic(folder / name, data)
    return Changes(base, shown, [kept])


def comparison_name(row: DealRow, *, version: int, base: int) -> str:
    stem = draft_stem(number=row.number, version=version, client=row.buyer_name)
    return fit_name(f"{stem}{COMPARISON_MARK}{base}.docx")


def collect_comparisons(svc: Services, row: DealRow, *, role: str, version: int) -> None:
    """The comparison documents docgen left beside a decided draft go to the dossier (where their copy is)."""
    stem = draft_stem(number=row.number, version=version, client=row.buyer_name)
    versions = svc.dossier(row).versions
    folder = svc.ws.review(role)
    left_there = sorted(p for p in folder.iterdir() if p.name.startswith(f"{stem}{COMPARISON_MARK}")) \
        if folder.is_dir() else []
    for left in left_there:
        if entry_reason(left) or not left.is_file():
            continue
        target = versions / left.name
        if target.exists() and sha256_bytes(target.read_bytes()) != sha256_bytes(left.read_bytes()):
            target = free_name(versions, left.name)
        move_into(left, target)


def record_comparison(svc: Services, row: DealRow, *, version: int, changes: Changes | None, to: str) -> None:
    """The journal's line for a comparison sent with a version (inside the caller's transaction)."""
    if changes is None or not changes.lines:
        return
    svc.store.journal_add(at=svc.now(), deal=row.number, version=version, actor="docgen", role="system",
                          action="compared", detail={"with": changes.base, "to": to, "changes": changes.lines,
                                                     "file": changes.files[0].name if changes.files else None})
