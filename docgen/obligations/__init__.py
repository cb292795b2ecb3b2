"""The contract's life after signing: due dates, payments and deliveries, penalties, claims, bank statements.

A pure core (no IO, the day passed in):

    terms       what the contract promises: each payment of the schedule and the delivery
    events      what happened: payments, readiness, deliveries, and corrections that reverse them
    position    terms + events + the calendar + a day -> where each obligation stands (due, paid, penalty)
    penalty     the penalty of one obligation, period by period, capped and rounded to kopecks
    statement   the 1CClientBankExchange parser (bank statements)
    matching    incoming payments of a statement -> deals (payer's ИНН and the deal number)
    reminders   which notices an obligation is due on a day (soon, due, missed)
    claim       what the claim letter (претензия) says
    ical        the iCalendar export of due dates
    summary     what status, the register and the web board show; show: the same in the terminal

Over it, the store and the steps, which use the workflow's Services and record every side effect
before it acts (store.plan → files → store.finish with its letters), as everywhere in docgen:

    ledger      the store's tables of this room, and positions built from them
    record      `docgen record`: an event typed by hand, or a correction
    bank        a statement dropped into inbox/bank/
    notify      production may start; reminders; ObligationSchedule, the service's "due at time T"
    letters     `docgen claim`: the claim rendered into the dossier
    steps       the finishers the workflow engine calls after a crash
"""
