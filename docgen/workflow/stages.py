"""Stages and decisions: the pure rules of where a deal goes next, and their Russian names."""

from __future__ import annotations

from enum import StrEnum

from docgen.errors import WorkflowError
from docgen.workspace import Role, Stage


class Decision(StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"


STAGE_OF_ROLE = {Role.LAWYER: Stage.LAWYER, Role.FINANCE: Stage.FINANCE, Role.DIRECTOR: Stage.DIRECTOR}
_NEXT = {Stage.LAWYER: Stage.FINANCE, Stage.FINANCE: Stage.DIRECTOR, Stage.DIRECTOR: Stage.SIGNED}

STAGE_TITLES = {
    Stage.LAWYER: "у юриста",
    Stage.FINANCE: "у руководителя Финансового департамента",
    Stage.DIRECTOR: "у директора направления",
    Stage.RETURNED: "возвращена менеджеру",
    Stage.SIGNED: "подписана",
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


def after_decision(stage: Stage, *, role: Role, decision: Decision) -> Stage:
    """The stage a deal moves to when `role` decides; WorkflowError if the deal is not with `role`."""
    if stage is not STAGE_OF_ROLE[role]:
        raise WorkflowError(
            f"сделка сейчас {STAGE_TITLES[stage]}, а решение принято за роль «{ROLE_TITLES[role]}»"
        )
    return _NEXT[stage] if decision is Decision.APPROVED else Stage.RETURNED


def role_of_stage(stage: Stage) -> Role | None:
    for role, s in STAGE_OF_ROLE.items():
        if s is stage:
            return role
    return None

ACTION_TITLES = {
    "accepted": "форма принята",
    "sent_for_review": "проект отправлен юристу",
    "approved": "согласовано",
    "returned": "возвращено на доработку",
    "rejected": "форма не принята",
    "duplicate": "повторная подача той же формы",
    "unrecognized": "файл не распознан",
    "comments_added": "добавлены примечания",
}
