"""`docgen record`, `claim`, `calendar` and `status --json` from a terminal: exit codes, Russian messages, files."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import icalendar
import pytest

from obligations_kit import Clock, signed_deal
from service_kit import make_workspace
from test_workflow_cli import docgen as docgen_process
from docgen.cli import main
from docgen.workflow.engine import close_workflow, open_workflow

TODAY = dt.date.today()  # the commands run on the real clock


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def docgen(capsys):
    """The CLI in this process (a subprocess per call is slow): exit code, standard output and error."""
    def run(ws, *args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as caught:
            main(["--root", str(ws.root), *args])
        captured = capsys.readouterr()
        return Result(caught.value.code or 0, captured.out, captured.err)
    return run


@pytest.fixture(scope="module")
def deal(tmp_path_factory):
    """A deal signed today, through the real workflow."""
    ws = make_workspace(tmp_path_factory.mktemp("cli") / "ws")
    clock = Clock(TODAY)
    wf = open_workflow(ws, clock=clock, log=logging.getLogger("docgen.tests.cli"))
    try:
        number = signed_deal(wf, clock, TODAY)
    finally:
        close_workflow(wf)
    return ws, number


def test_record_a_payment_see_it_in_status_and_correct_it(deal, docgen):
    ws, number = deal
    done = docgen(ws, "record", number, "payment", "100 000,00", "--date", f"{TODAY:%d.%m.%Y}", "--doc", "п/п № 7",
                  "--who", "Бухгалтер Иванова")
    assert done.returncode == 0, done.stderr
    assert f"сделка {number}: записана оплата на 100\u00a0000,00 руб." in done.stdout
    item = json.loads(docgen(ws, "status", number, "--json").stdout)[0]
    payment, final, delivery = item["obligations"]
    assert {"kind", "number", "amount", "due", "paid", "overdue_days", "penalty"} <= set(payment)
    assert (payment["kind"], payment["number"], payment["amount"], payment["paid"]) == (
        "payment", 1, "607194.00", "100000.00")
    assert payment["due"] and payment["overdue_days"] == 0 and payment["penalty"] == "0.00"
    assert final["due"] is None and final["waits_for"] == "delivery"
    assert delivery["kind"] == "delivery" and delivery["waits_for"] == "prepayment"
    (event,) = item["events"]
    assert (event["id"], event["who"], event["doc"]) == (1, "Бухгалтер Иванова", "п/п № 7")
    assert item["journal"][-1]["action_title"] == "записана оплата"
    shown = docgen(ws, "status", number)
    assert "Обязательства после подписания:" in shown.stdout and "№ 1: оплата 100 000,00 руб." in shown.stdout
    fixed = docgen(ws, "record", number, "correction", "--event", "1", "--comment", "платёж другой сделки")
    assert fixed.returncode == 0 and "запись № 1 отменена" in fixed.stdout
    item = json.loads(docgen(ws, "status", number, "--json").stdout)[0]
    assert item["obligations"][0]["paid"] == "0.00" and len(item["events"]) == 2


def test_wrong_records_are_refused_in_russian_without_a_traceback(deal, docgen):
    ws, number = deal
    future = docgen_process(ws, "record", number, "payment", "10", "--date", "2099-01-01")
    assert future.returncode == 1 and "ещё не наступила" in future.stderr
    unknown = docgen(ws, "record", "2026-9999", "payment", "10", "--date", f"{TODAY}")
    assert unknown.returncode == 1 and "Сделка 2026-9999 не найдена" in unknown.stderr
    no_amount = docgen(ws, "record", number, "payment", "--date", f"{TODAY}")
    assert no_amount.returncode == 2 and "укажите сумму оплаты" in no_amount.stderr
    bad_date = docgen(ws, "record", number, "readiness", "--date", "вчера")
    assert bad_date.returncode == 2 and "не дата" in bad_date.stderr
    no_reason = docgen(ws, "record", number, "correction", "--event", "1")
    assert no_reason.returncode == 2 and "почему запись отменяется" in no_reason.stderr
    nothing = docgen(ws, "claim", number)
    assert nothing.returncode == 1 and "претензию предъявлять не за что" in nothing.stderr
    for result in (future, unknown, no_amount, bad_date, no_reason, nothing):
        assert "Traceback" not in result.stderr


def test_the_calendar_is_valid_icalendar_with_every_known_due_date(deal, tmp_path, docgen):
    ws, number = deal
    target = tmp_path / "сроки.ics"
    done = docgen(ws, "calendar", "-o", str(target))
    assert done.returncode == 0, done.stderr
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    assert cal["version"] == "2.0" and cal["method"] == "PUBLISH" and cal["prodid"]
    events = list(cal.walk("VEVENT"))
    (prepayment,) = [e for e in events if str(e["uid"]) == f"{number}-payment-1@docgen"]
    assert isinstance(prepayment.decoded("dtstart"), dt.date)
    assert prepayment.decoded("dtend") - prepayment.decoded("dtstart") == dt.timedelta(days=1)
    assert str(prepayment["summary"]).startswith(f"Оплата 1: договор {number}, ООО «Ромашка & Ко»")
    assert len(events) == 1  # the final payment and the delivery wait for their events: no date yet
    again = tmp_path / "again.ics"
    docgen(ws, "calendar", "-o", str(again))
    assert [str(e["uid"]) for e in icalendar.Calendar.from_ical(again.read_bytes()).walk("VEVENT")] == \
        [str(e["uid"]) for e in events]
    wrong = docgen(ws, "calendar", "-o", str(tmp_path / "x.txt"))
    assert wrong.returncode == 2


def test_a_stage_deadline_joins_the_calendar_when_status_gives_one():
    from docgen.obligations.ical import calendar_ics, stage_entries

    item = {"deal": "2026-0007", "stage": "lawyer", "stage_title": "у юриста", "version": 2,
            "buyer": "ООО «Ромашка & Ко»", "due": "2026-12-01"}
    (entry,) = stage_entries(item)
    assert entry.uid == "2026-0007-stage-lawyer-v2@docgen" and entry.day == dt.date(2026, 12, 1)
    assert stage_entries({**item, "due": None}) == []
    cal = icalendar.Calendar.from_ical(calendar_ics([entry], now=dt.datetime(2026, 11, 27, tzinfo=dt.UTC)))
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == "Срок этапа «у юриста»: договор 2026-0007, ООО «Ромашка & Ко»"
