"""Helpers for the obligations tests (no tests here): a deal's contract from the example form, events."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
from decimal import Decimal

import yaml

from conftest import EXAMPLE
from docgen.form.deal import Deal, accept
from docgen.form.readers import RawForm
from docgen.obligations.events import Event, EventKind
from docgen.obligations.terms import Contract, contract_of
from docgen.settings import load_settings

D = dt.date


def example_form() -> dict:
    return copy.deepcopy(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))


def deal_of(data: dict | None = None, *, tmp_path) -> Deal:
    settings = load_settings(tmp_path, {})
    return accept(RawForm(data or example_form(), {}), source="form.yaml", settings=settings,
                  contract_types=None, today=D(2026, 11, 26))


def contract(data: dict | None = None, *, tmp_path, number: str = "2026-0001") -> Contract:
    return contract_of(deal_of(data, tmp_path=tmp_path), number=number)


class Events:
    """Events numbered in the order the test writes them."""

    def __init__(self) -> None:
        self.items: list[Event] = []

    def add(self, kind: EventKind, day: dt.date, amount: str | None = None, *, reverses: int | None = None) -> int:
        event = Event(id=len(self.items) + 1, kind=kind, day=day,
                      amount=Decimal(amount) if amount is not None else None, reverses=reverses)
        self.items.append(event)
        return event.id

    def pay(self, day: dt.date, amount: str) -> int:
        return self.add(EventKind.PAYMENT, day, amount)

    def deliver(self, day: dt.date, amount: str) -> int:
        return self.add(EventKind.DELIVERY, day, amount)

    def ready(self, day: dt.date) -> int:
        return self.add(EventKind.READINESS, day)

    def correct(self, event: int, day: dt.date) -> int:
        return self.add(EventKind.CORRECTION, day, reverses=event)


MSK = dt.timezone(dt.timedelta(hours=3))


class Clock:
    """The workflow's clock, set by the test to a day and hour (Moscow time)."""

    def __init__(self, day: dt.date, hour: int = 10):
        self.at = dt.datetime.combine(day, dt.time(hour), tzinfo=MSK)

    def __call__(self) -> dt.datetime:
        return self.at

    def set(self, day: dt.date, hour: int = 10) -> None:
        self.at = dt.datetime.combine(day, dt.time(hour), tzinfo=MSK)


def signed_deal(wf, clock: Clock, day: dt.date, data: dict | None = None) -> str:
    """A deal accepted and signed through the real workflow on `day`."""
    from test_archive_kit import new_deal, sign

    clock.set(day, 9)
    number = new_deal(wf, data)
    clock.set(day, 15)
    sign(wf, number)
    return number


@contextlib.contextmanager
def signed_workflow(root, day: dt.date, *, pdf: bool = False, converter=None):
    """A fresh workspace's workflow on a clock the test sets, and a deal signed on `day`: (wf, clock, number)."""
    from service_kit import make_workspace
    from docgen.workflow.engine import close_workflow, open_workflow

    clock = Clock(day)
    wf = open_workflow(make_workspace(root, pdf=pdf), clock=clock, log=logging.getLogger("docgen.tests.obligations"),
                       converter=converter)
    try:
        yield wf, clock, signed_deal(wf, clock, day)
    finally:
        close_workflow(wf)
