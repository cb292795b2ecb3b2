"""A deal's route: the stages it passes, fixed when its version is accepted (pure, no IO).

The built-in route is lawyer → finance → director. A route rule (`[[route.rules]]`, the Company
Code's conditions) adds its stage before a named one when any of its conditions holds for the deal;
the route is recorded with the version, so a later change of the rules does not reroute a deal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from docgen.form.deal import Deal
from docgen.settings import RouteRule
from docgen.workflow.stages import ROLE_TITLES
from docgen.workspace import Stage


@dataclass(frozen=True)
class RouteStage:
    role: str
    title: str


@dataclass(frozen=True)
class Route:
    """The stages of one deal version, in order; the last one signs."""

    stages: tuple[RouteStage, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(s.role for s in self.stages)

    @property
    def first(self) -> str:
        return self.stages[0].role

    def title(self, role: str) -> str:
        """The Russian name of `role` on this route (a built-in role's own name if it is not on it)."""
        for stage in self.stages:
            if stage.role == role:
                return stage.title
        return ROLE_TITLES.get(role, role)  # type: ignore[call-overload]

    def after(self, role: str) -> str:
        """The stage that follows `role`'s approval: the next role, or `signed` after the last."""
        index = self.roles.index(role)
        return self.roles[index + 1] if index + 1 < len(self.stages) else str(Stage.SIGNED)

    def to_json(self) -> str:
        return json.dumps([[s.role, s.title] for s in self.stages], ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> Route:
        """A recorded route; a version recorded before routes were kept went the built-in way."""
        if not text:
            return BUILT_IN_ROUTE
        return cls(tuple(RouteStage(role, title) for role, title in json.loads(text)))


BUILT_IN_ROUTE = Route(tuple(RouteStage(str(role), title) for role, title in ROLE_TITLES.items()))


def route_for(deal: Deal, rules: Sequence[RouteRule]) -> Route:
    """The built-in route with the stage of every rule that holds for `deal`, each before its `before`."""
    stages = list(BUILT_IN_ROUTE.stages)
    placed = {rule.role: rule.before for rule in rules}
    for rule in rules:
        if not applies(rule, deal):
            continue
        anchor = _anchor(rule.before, present={s.role for s in stages}, placed=placed)
        index = next(i for i, s in enumerate(stages) if s.role == anchor)
        stages.insert(index, RouteStage(rule.role, rule.title))
    return Route(tuple(stages))


def _anchor(before: str, *, present: set[str], placed: dict[str, str]) -> str:
    """`before`, or where its own rule would have put it when that stage is not on the route."""
    while before not in present:
        before = placed[before]  # the settings allow only built-in roles and earlier rules' roles
    return before


def applies(rule: RouteRule, deal: Deal) -> bool:
    """Whether any condition of `rule` holds; a rule with no condition always adds its stage."""
    checks = list(_checks(rule, deal))
    return any(checks) if checks else True


def _checks(rule: RouteRule, deal: Deal) -> Iterable[bool]:
    if rule.when_total_above is not None:
        yield deal.totals.total > rule.when_total_above
    if rule.when_procedure:
        yield str(deal.form.price.procedure) in rule.when_procedure
    if rule.when_prepayment_below is not None:
        yield prepayment_share(deal) < rule.when_prepayment_below


def prepayment_share(deal: Deal) -> Decimal:
    """The share of the price due before production, %."""
    return sum((i.share for i in deal.totals.installments if i.before_production), Decimal(0))
