"""Helpers for the archive tests (no tests here): signed deals made by the real workflow, archives rewritten."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import zipfile
from pathlib import Path

import yaml
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from conftest import EXAMPLE
from service_kit import drop, make_workspace
from docgen.settings import ArchiveSettings
from docgen.workflow.engine import Workflow, close_workflow, open_workflow
from docgen.workflow.stages import Decision
from docgen.workspace import Role, Workspace

LOG = logging.getLogger("docgen.tests.archive")
MSK = dt.timezone(dt.timedelta(hours=3))
LIMITS = ArchiveSettings()
_SEQ = [0]


class Clock:
    """A clock the test sets: deals get the acceptance dates the period tests need."""

    def __init__(self, at: dt.datetime = dt.datetime(2026, 11, 26, 10, 0, tzinfo=MSK)):
        self.at = at

    def __call__(self) -> dt.datetime:
        self.at += dt.timedelta(seconds=1)
        return self.at


def workspace(tmp_path: Path, *, extra: str = "") -> Workspace:
    return make_workspace(tmp_path / "ws", pdf=False, extra=extra)


def open_wf(ws: Workspace, clock: Clock | None = None, *, converter=None) -> Workflow:
    return open_workflow(ws, clock=clock or Clock(), log=LOG, converter=converter)


def client(data: dict, *, inn_prefix: str, name: str) -> dict:
    """The example form for another buyer: a valid ИНН built from nine digits, another name."""
    data = copy.deepcopy(data)
    data["buyer"]["inn"] = inn_prefix + stdnum_inn.calc_company_check_digit(inn_prefix)
    data["buyer"]["name"] = name
    data["buyer"]["ogrn"] = "102" + inn_prefix + stdnum_ogrn.calc_check_digit("102" + inn_prefix + "0")
    return data


def new_deal(wf: Workflow, data: dict | None = None) -> str:
    """Drop a form into the inbox and take it; the new deal's number. Each form gets its own order
    number in the subject, since the same form twice is (rightly) refused as a duplicate."""
    data = copy.deepcopy(data or yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    _SEQ[0] += 1
    data["subject"]["summary"] += f" (заказ № {_SEQ[0]})"
    path = drop(wf.svc.ws, f"deal-{_SEQ[0]}.yaml", data)
    account = wf.take(path)
    assert account.startswith("принята"), account
    return account.split("сделка ")[1].split(",")[0]


def sign(wf: Workflow, number: str) -> None:
    for role in Role:
        wf.decide(number, role=role, decision=Decision.APPROVED)


def signed_deal(ws: Workspace, data: dict | None = None, *, clock: Clock | None = None) -> str:
    wf = open_wf(ws, clock)
    try:
        number = new_deal(wf, data)
        sign(wf, number)
    finally:
        close_workflow(wf)
    return number


def manifest_of(archive: Path) -> dict:
    with zipfile.ZipFile(archive) as zf:
        return json.loads(zf.read("manifest.json"))


def names_of(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        return zf.namelist()


def rewrite(archive: Path, target: Path, *, change: dict[str, bytes | None] | None = None,
            add: dict[str, bytes] | None = None) -> Path:
    """A copy of `archive` with entries replaced (bytes) or dropped (None), and entries added."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as sink:
        for info in source.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    sink.writestr(info.filename, change[info.filename])
                continue
            sink.writestr(info, source.read(info))
        for name, data in add.items():
            sink.writestr(name, data)
    return target
