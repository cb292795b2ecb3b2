"""Stages and decisions: the pure rules of where a deal goes next, and their Russian names."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from docgen.errors import WorkflowError
from docgen.workspace import RESTING_STAGES, Role, Stage

if TYPE_CHECKING:
    from docgen.workflow.route import Route


class Decision(StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"


STAGE_TITLES = {
    Stage.LAWYER: "у юриста",
    Stage.FINANCE: "у руководителя Финансового департамента",
    Stage.DIRECTOR: "у директора направления",
    Stage.RETURNED: "возвращена менеджеру",
    Stage.SIGNED: "подписана",
    Stage.CANCELLED: "отменена",
}
ROLE_TITLES = {
    Role.LAWYER: "Юрист",
    Role.FINANCE: "Руководитель Финансового департамента",
    Role.DIRECTOR: "Директор направления",
}
DECISION_TITLES = {
    (Role.LAWYER, Decision.APPROVED): "согласовано",
    (Role.FINANCE, Decision.APPROVED): "согласовано",
    (Role.DIRECTOR, Decision.APPROVED): "подписано",
    (Role.LAWYER, Decision.RETURNED): "возвращено на доработку",
    (Role.FINANCE, Decision.RETURNED): "возвращено на доработку",
    (Role.DIRECTOR, Decision.RETURNED): "возвращено на доработку",
}


def holds(stage: str) -> bool:
    """Whether someone holds a deal in `stage` (a role's stage), rather than it resting."""
    return stage not in RESTING_STAGES


def stage_title(stage: str, route: Route | None = None) -> str:
    """«у юриста», «подписана»; a route rule's stage by its title: «на согласовании: Генеральный директор»."""
    if stage in STAGE_TITLES:
        return STAGE_TITLES[stage]
    return f"на согласовании: {route.title(stage) if route else stage}"


def role_title(role: str, route: Route | None = None) -> str:
    """«Юрист»; a route rule's role by the title its rule gave it."""
    if route is not None:
        return route.title(role)
    return ROLE_TITLES.get(role, role)  # type: ignore[call-overload]


def decision_title(role: str, decision: Decision) -> str:
    """«согласовано», «подписано» (the director's approval), «возвращено на доработку»."""
    return DECISION_TITLES.get((role, decision)) or DECISION_TITLES[(Role.LAWYER, decision)]  # type: ignore[index]


def after_decision(stage: str, *, role: str, decision: Decision, route: Route) -> str:
    """The stage a deal moves to when `role` decides; WorkflowError if the deal is not with `role`."""
    if stage != role:
        raise WorkflowError(
            f"сделка сейчас {stage_title(stage, route)}, а решение принято за роль «{role_title(role, route)}»"
        )
    return route.after(role) if decision == Decision.APPROVED else str(Stage.RETURNED)


ACTION_TITLES = {
    "accepted": "форма принята",
    "sent_for_review": "проект отправлен на согласование",
    "approved": "согласовано",
    "returned": "возвращено на доработку",
    "rejected": "форма не принята",
    "duplicate": "повторная подача той же формы",
    "unrecognized": "файл не распознан",
    "comments_added": "добавлены примечания",
    "reminded": "напоминание о сроке",
    "escalated": "сообщено о просрочке",
    "absence_notice": "сообщено о сделке на время отсутствия",
    "cancelled": "сделка отменена",
    "cancel_refused": "отмена не принята",
    "acknowledged": "получение подтверждено",
    "client_transferred": "клиент передан другому менеджеру",
}
