"""The contract's life after signing: due dates, payments and deliveries, penalties, claims, bank statements.

A pure core (no IO, the day passed in) over which thin steps run:

    terms       what the contract promises: each payment of the schedule and the delivery
    events      what happened: payments, readiness, deliveries, and corrections that reverse them
    position    terms + events + the calendar + a day -> where each obligation stands (due, paid, penalty)
    penalty     the penalty of one obligation, period by period, capped and rounded to kopecks
    statement   the 1CClientBankExchange parser (bank statements)
    matching    incoming payments of a statement -> deals (payer's ИНН and the deal number)
    reminders   which notices an obligation is due on a day (soon, due, missed)
    claim       what the claim letter (претензия) says
    ical        the iCalendar export of due dates

The steps that record and act (ledger: the store's tables; record, bank, notices, claims) use the
workflow's Services: every side effect is recorded before it acts, as everywhere in docgen.
"""
