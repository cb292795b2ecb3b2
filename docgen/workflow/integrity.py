"""The store against the folders: a store that does not belong to this workspace (lost, emptied,
restored from an old copy, or the workspace path mistyped) is refused before it can reuse a deal
number; a deal whose dossier was damaged by hand is not moved on.

A dossier is a folder `clients/<client>/<deal>/` holding «Формы» or «Версии»; every one must be a
deal the store knows. docgen never writes a new deal into a folder that already exists.
"""

from __future__ import annotations

import os
from pathlib import Path

from docgen.errors import DossierDamaged, StoreError
from docgen.store import DealRow, Store
from docgen.workflow.dossier import Dossier
from docgen.workspace import Workspace

RESTORE = ("восстановите базу из резервной копии (docgen restore; docs/admin.md, «Резервные копии и "
           "восстановление»), или проверьте --root и DOCGEN_ROOT: возможно, это другое рабочее пространство")
RESTORE_STEPS = (
    "Как восстановить базу: остановите службу (systemctl stop docgen), затем docgen restore ФАЙЛ --force с "
    "копией, сделанной docgen backup, затем docgen doctor — расхождений быть не должно, и запустите службу. "
    "Если копия старше последних сделок, их досье docgen назовёт неизвестными: возьмите более свежую копию или "
    "перенесите эти досье из clients/ в другую папку и подайте их формы (папка «Формы» досье) заново")
_SHOWN = 10


class StoreMismatch(StoreError):
    """The store does not describe the dossiers of this workspace."""


def dossier_folders(ws: Workspace) -> list[str]:
    """Every deal folder under clients/, relative to the workspace root (POSIX separators)."""
    found = []
    try:
        clients = sorted(p for p in ws.clients.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []
    for client in clients:
        try:
            deals = sorted(client.iterdir())
        except OSError:
            continue
        for deal in deals:
            if deal.is_dir() and ((deal / "Формы").is_dir() or (deal / "Версии").is_dir()):
                found.append(deal.relative_to(ws.root).as_posix())
    return found


def unknown_dossiers(ws: Workspace, store: Store) -> list[str]:
    """Deal folders under clients/ that no deal of the store owns."""
    known = {Path(row.dossier).as_posix() for row in store.deals()}
    return [folder for folder in dossier_folders(ws) if folder not in known]


def check_store(ws: Workspace, store: Store) -> None:
    """StoreMismatch with a Russian explanation when the store is not this workspace's."""
    problem = store_problem(ws, store)
    if problem:
        raise StoreMismatch(problem)


def store_problem(ws: Workspace, store: Store) -> str | None:
    """Why the store does not match the workspace, or None; `docgen doctor` shows the same text."""
    unknown = unknown_dossiers(ws, store)
    if not unknown:
        return None
    deals = len(store.deals())
    shown = ", ".join(unknown[:_SHOWN]) + (f" и ещё {len(unknown) - _SHOWN}" if len(unknown) > _SHOWN else "")
    state = "пуста" if deals == 0 else f"знает {deals} сделок, но не эти"
    return (f"база docgen ({store.location}) не соответствует рабочему пространству {ws.root}: в папке клиентов есть "
            f"досье сделок, которых нет в базе ({shown}); база {state}. Так бывает, когда база потеряна, заменена "
            f"пустой или старой копией. docgen не продолжит работу, чтобы не выдать новой сделке номер существующей "
            f"и не записать её файлы в чужое досье: {RESTORE}")


def refuse_taken_number(ws: Workspace, number: str) -> None:
    """StoreMismatch if a dossier of `number` already exists for any client (the store lost count)."""
    try:
        clients = [p for p in ws.clients.iterdir() if p.is_dir()]
    except OSError:
        return
    taken = [c / number for c in clients if os.path.lexists(c / number)]
    if taken:
        raise StoreMismatch(f"номер {number}, следующий по базе, уже занят досье {taken[0].relative_to(ws.root)}: "
                            f"база docgen отстаёт от папок; новые сделки не принимаются, пока это не исправлено — "
                            f"{RESTORE}")


def dossier_damage(ws: Workspace, row: DealRow, *, version_file: str | None) -> str | None:
    """What is missing from a deal's dossier that the store says it holds, or None."""
    dossier = Dossier(ws.root / row.dossier)
    if not dossier.root.is_dir():
        return f"нет папки досье {row.dossier}"
    if version_file and not (ws.root / version_file).is_file():
        return f"нет файла текущей версии договора {version_file}"
    if not dossier.forms.is_dir():
        return f"нет папки форм {row.dossier}/Формы"
    return None


def check_dossier(ws: Workspace, store: Store, row: DealRow) -> None:
    """DossierDamaged when the deal cannot go on: its dossier lost what the store recorded."""
    recorded = store.version(row.number, row.version)
    why = dossier_damage(ws, row, version_file=recorded["file"] if recorded is not None else None)
    if why:
        raise DossierDamaged(row.number, why)


def doctor_findings(ws: Workspace) -> list[str]:
    """For `docgen doctor`: each way the store and the folders disagree, ending with how to restore from a
    backup; empty when they agree. Reads the store read-only (the service may run)."""
    from docgen.store import DB_NAME, read_snapshot, store_exists

    if not store_exists(ws):
        found = dossier_folders(ws)
        if not found:
            return []
        return [f"базы docgen нет ({ws.state / DB_NAME}), а в папке клиентов {len(found)} досье сделок: "
                "служба откажется работать, пока база не восстановлена", RESTORE_STEPS]
    try:
        with read_snapshot(ws) as store:
            findings = [store_problem(ws, store)] + [_damaged_line(ws, store, row) for row in store.deals()]
    except StoreError as exc:
        return [str(exc), RESTORE_STEPS]
    findings = [f for f in findings if f]
    return findings + [RESTORE_STEPS] if findings else []


def _damaged_line(ws: Workspace, store: Store, row: DealRow) -> str | None:
    recorded = store.version(row.number, row.version)
    why = dossier_damage(ws, row, version_file=recorded["file"] if recorded is not None else None)
    return f"сделка {row.number}: досье повреждено — {why}" if why else None
