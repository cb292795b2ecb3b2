"""Due dates, payments applied in order, penalties to the kopeck: the pure core on real calendar cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from obligations_kit import D, Events, contract, example_form
from docgen.calendar import WorkCalendar
from docgen.obligations.penalty import Settlement, accrue
from docgen.obligations.position import position
from docgen.obligations.terms import Trigger

CAL = WorkCalendar()
PREPAYMENT = Decimal("607194.00")   # 30 % of 2 023 980,00
FINAL = Decimal("1416786.00")       # the remaining 70 %


def at(c, events: Events, *, signed: dt.date, today: dt.date):
    return position(c, signed_on=signed, events=events.items, calendar=CAL, today=today)


def test_a_signed_deal_across_the_new_year_holidays(tmp_path):
    # Signed on Tuesday 29 December 2026: 5 banking days are 30 December, then (31 December and
    # 1-10 January being days off) 11, 12, 13 and 14 January 2027.
    p = at(contract(tmp_path=tmp_path), Events(), signed=D(2026, 12, 29), today=D(2026, 12, 30))
    first, final = p.payments
    assert first.due == D(2027, 1, 14) and first.term.amount == PREPAYMENT
    assert final.due is None and final.waits_for is Trigger.DELIVERY
    assert p.delivery.due is None and p.delivery.waits_for is Trigger.PREPAYMENT
    assert not p.overdue and first.penalty.total == 0


def test_a_term_across_the_may_holidays(tmp_path):
    # Signed on Wednesday 28 April 2027: 29 and 30 April, then 3 May is a day off: 4, 5, 6 May.
    p = at(contract(tmp_path=tmp_path), Events(), signed=D(2027, 4, 28), today=D(2027, 4, 28))
    assert p.payments[0].due == D(2027, 5, 6)


def test_a_late_prepayment_to_the_kopeck_and_the_delivery_term_from_it(tmp_path):
    events = Events()
    events.pay(D(2027, 1, 20), "607194.00")
    p = at(contract(tmp_path=tmp_path), events, signed=D(2026, 12, 29), today=D(2027, 2, 1))
    first = p.payments[0]
    # Due 14 January; late from the 15th through the 20th, the day the money came: 6 days.
    # 607 194,00 × 0,1 % × 6 = 3 643,164 → 3 643,16.
    assert first.penalty.overdue_days == 6
    assert [(r.first, r.last, r.days, r.owed) for r in first.penalty.periods] == [
        (D(2027, 1, 15), D(2027, 1, 20), 6, PREPAYMENT)]
    assert first.penalty.total == Decimal("3643.16")
    assert not first.is_open and first.settled_on == D(2027, 1, 20)
    # The delivery counts 45 working days from the prepayment: 21 January … (the working Saturday
    # 20 February counts, 22-23 February and 8 March do not) … 26 March 2027.
    assert p.prepaid_on == D(2027, 1, 20)
    assert p.delivery.due == D(2027, 3, 26)
    assert p.payments[1].due is None
    assert not p.overdue


def test_a_partial_payment_reduces_the_overdue_sum_after_its_day(tmp_path):
    events = Events()
    events.pay(D(2027, 1, 18), "300000.00")
    events.pay(D(2027, 1, 22), "307194.00")
    p = at(contract(tmp_path=tmp_path), events, signed=D(2026, 12, 29), today=D(2027, 1, 25))
    periods = p.payments[0].penalty.periods
    # 15-18 January (4 days) on 607 194,00 = 2 428,776 → 2 428,78;
    # 19-22 January (4 days) on 307 194,00 = 1 228,776 → 1 228,78.
    assert [(r.first, r.last, r.owed, r.amount) for r in periods] == [
        (D(2027, 1, 15), D(2027, 1, 18), PREPAYMENT, Decimal("2428.78")),
        (D(2027, 1, 19), D(2027, 1, 22), Decimal("307194.00"), Decimal("1228.78"))]
    assert p.payments[0].penalty.total == Decimal("3657.56")
    assert p.prepaid_on == D(2027, 1, 22)


def test_an_unpaid_payment_accrues_through_today_and_is_marked_overdue(tmp_path):
    events = Events()
    events.pay(D(2027, 1, 12), "100000.00")  # before the due date: never overdue
    p = at(contract(tmp_path=tmp_path), events, signed=D(2026, 12, 29), today=D(2027, 1, 19))
    first = p.payments[0]
    assert first.overdue and first.overdue_amount == Decimal("507194.00")
    assert first.penalty.overdue_days == 5
    assert first.penalty.total == Decimal("2535.97")  # 507 194 × 0,1 % × 5 = 2 535,97
    assert p.overdue and p.delivery.due is None


def test_the_cap_is_reached(tmp_path):
    # 10 % of 607 194,00 = 60 719,40, reached after 100 days at 0,1 % a day.
    p = at(contract(tmp_path=tmp_path), Events(), signed=D(2026, 12, 29), today=D(2027, 6, 13))
    penalty = p.payments[0].penalty
    assert penalty.overdue_days == 150
    assert penalty.accrued == Decimal("91079.10")
    assert penalty.capped and penalty.total == Decimal("60719.40")


def test_payments_fill_the_schedule_in_order_and_a_surplus_is_kept(tmp_path):
    events = Events()
    events.pay(D(2027, 1, 11), "700000.00")   # the prepayment and 92 806,00 of the final payment
    events.pay(D(2027, 5, 4), "1400000.00")
    p = at(contract(tmp_path=tmp_path), events, signed=D(2026, 12, 29), today=D(2027, 5, 4))
    first, final = p.payments
    assert first.done == PREPAYMENT and p.prepaid_on == D(2027, 1, 11)
    assert final.done == Decimal("1416786.00") and not final.is_open
    assert p.surplus == Decimal("76020.00") and p.paid == Decimal("2100000.00")


def test_partial_deliveries_by_price_and_the_sellers_penalty(tmp_path):
    events = Events()
    events.pay(D(2027, 1, 14), "607194.00")       # on time: delivery due 45 working days after
    events.deliver(D(2027, 3, 22), "1000000.00")
    events.deliver(D(2027, 3, 31), "1023980.00")
    p = at(contract(tmp_path=tmp_path), events, signed=D(2026, 12, 29), today=D(2027, 4, 30))
    delivery = p.delivery
    # Due 45 working days after 14 January: 22 March, when the first part came (in time).
    assert delivery.due == D(2027, 3, 22)
    # 23-31 March (9 days) on what was not delivered, 1 023 980,00: 9 215,82.
    assert [(r.first, r.last, r.owed) for r in delivery.penalty.periods] == [
        (D(2027, 3, 23), D(2027, 3, 31), Decimal("1023980.00"))]
    assert delivery.penalty.total == Decimal("9215.82")
    assert delivery.penalty.cap == Decimal("102398.00")  # 10 % of the sum late on the first day
    # The final payment is due 10 banking days after the delivery was complete (31 March).
    assert p.events[Trigger.DELIVERY] == D(2027, 3, 31)
    assert p.payments[1].due == D(2027, 4, 14)


def test_a_correction_reverses_a_wrong_payment(tmp_path):
    events = Events()
    wrong = events.pay(D(2027, 1, 12), "607194.00")
    events.correct(wrong, D(2027, 1, 13))
    events.pay(D(2027, 1, 15), "607194.00")
    p = at(contract(tmp_path=tmp_path), events, signed=D(2026, 12, 29), today=D(2027, 1, 20))
    assert p.prepaid_on == D(2027, 1, 15)
    assert p.payments[0].penalty.total == Decimal("607.19")  # one day late


def test_a_payment_after_readiness(tmp_path):
    data = example_form()
    data["price"]["payments"] = [
        {"share": "50", "kind": "prepayment", "due_days": 3, "after": "signing"},
        {"share": "50", "kind": "interim", "due_days": 2, "after": "readiness"}]
    events = Events()
    events.ready(D(2027, 2, 19))
    p = at(contract(data, tmp_path=tmp_path), events, signed=D(2027, 2, 1), today=D(2027, 2, 19))
    # Friday 19 February 2027 + 2 banking days: Saturday the 20th is a working day, 22-23 are not: 24th.
    assert p.payments[1].due == D(2027, 2, 24)


def test_a_deal_with_nothing_due_before_production_may_start_at_signing(tmp_path):
    data = example_form()
    data["price"]["payments"] = [{"share": "100", "kind": "final", "due_days": 5, "after": "delivery"}]
    data["delivery"]["after"] = "signing"
    p = at(contract(data, tmp_path=tmp_path), Events(), signed=D(2026, 12, 1), today=D(2026, 12, 1))
    assert p.prepaid_on == D(2026, 12, 1)
    assert p.delivery.due == CAL.add_workdays(D(2026, 12, 1), 45)


@pytest.mark.parametrize(("today", "days", "total"), [
    (D(2027, 1, 14), 0, "0.00"),      # on the due date itself: not late
    (D(2027, 1, 15), 1, "100.00"),    # the first day of delay
    (D(2027, 4, 24), 100, "10000.00"),
    (D(2027, 4, 25), 101, "10000.00"),  # the cap: 10 % of 100 000,00
])
def test_the_penalty_counts_calendar_days_from_the_day_after_the_due_date(today, days, total):
    penalty = accrue(amount=Decimal("100000.00"), due=D(2027, 1, 14), settled=[], rate=Decimal("0.1"),
                     cap=Decimal("10"), today=today)
    assert penalty.overdue_days == days and penalty.total == Decimal(total)


def test_two_payments_on_one_day_and_one_before_the_due_date():
    penalty = accrue(amount=Decimal("1000.00"), due=D(2027, 3, 1), rate=Decimal("1"), cap=Decimal("100"),
                     today=D(2027, 3, 10), settled=[Settlement(D(2027, 2, 27), Decimal("200.00")),
                                                    Settlement(D(2027, 3, 3), Decimal("300.00")),
                                                    Settlement(D(2027, 3, 3), Decimal("500.00"))])
    # 2-3 March on 800,00 at 1 %: 16,00; paid in full on the 3rd.
    assert [(r.first, r.last, r.owed, r.amount) for r in penalty.periods] == [
        (D(2027, 3, 2), D(2027, 3, 3), Decimal("800.00"), Decimal("16.00"))]
    assert penalty.overdue_days == 2
