"""The transactional outbox: notices recorded in the store's SQLite database with the event they belong to."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from docgen.mail.notice import Notice, NoticeKind

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS mail_notices (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id    TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        deal        TEXT,
        recipients  TEXT NOT NULL,             -- JSON list of "Имя <addr>"
        subject     TEXT NOT NULL,
        body        TEXT NOT NULL,
        attachments TEXT NOT NULL,             -- JSON list of absolute paths, read when sending
        dossier     TEXT,
        status      TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,             -- UTC ISO-8601, so text order is time order
        next_try    TEXT,
        lease_until TEXT,                      -- a sender is sending it until then (another must not)
        sent_at     TEXT,
        last_error  TEXT NOT NULL DEFAULT '',
        problems    TEXT NOT NULL DEFAULT '[]' -- JSON list: refused or invalid recipients, lost attachments
    )""",
    "CREATE INDEX IF NOT EXISTS mail_notices_due ON mail_notices (status, next_try)",
    "CREATE INDEX IF NOT EXISTS mail_notices_deal ON mail_notices (deal)",
)


_FREE = "(lease_until IS NULL OR lease_until <= ?)"


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class QueuedNotice:
    """A notice as the outbox holds it, with where its delivery stands."""

    notice: Notice
    status: MailStatus
    attempts: int
    created_at: dt.datetime
    next_try: dt.datetime | None
    sent_at: dt.datetime | None
    last_error: str
    problems: tuple[str, ...]

    @property
    def event_id(self) -> str:
        return self.notice.event_id


DB_NAME = "docgen.sqlite3"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def connect(path: Path) -> sqlite3.Connection:
    """A connection as the store opens it (autocommit, WAL): for `docgen mail`, tests and the benchmark."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class MailOutbox:
    """Notices in the store's database; the workflow owns the connection and its transactions."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], dt.datetime] = utc_now):
        self.conn = conn
        self.clock = clock

    def ensure_schema(self) -> None:
        """Create the mail_ tables if missing (DDL outside any transaction commits by itself)."""
        with self._own_transaction():
            for statement in _SCHEMA:
                self.conn.execute(statement)

    def enqueue(self, notice: Notice) -> bool:
        """Record `notice` inside the caller's transaction (no commit); the same event_id twice is ignored.

        True when it was recorded now, False when its event was recorded before."""
        now = _stamp(self.clock())
        cur = self.conn.execute(
            """INSERT OR IGNORE INTO mail_notices
               (event_id, kind, deal, recipients, subject, body, attachments, dossier, created_at, next_try)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (notice.event_id, str(notice.kind), notice.deal, json.dumps(list(notice.to), ensure_ascii=False),
             notice.subject, notice.body, json.dumps([str(p) for p in notice.attachments], ensure_ascii=False),
             str(notice.dossier) if notice.dossier else None, now, now),
        )
        return cur.rowcount == 1

    def known(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` the outbox already holds (in any state)."""
        found: set[str] = set()
        for start in range(0, len(event_ids), 500):  # SQLite's limit on bound parameters
            chunk = event_ids[start:start + 500]
            rows = self.conn.execute(f"SELECT event_id FROM mail_notices WHERE event_id IN "
                                     f"({', '.join('?' * len(chunk))})", chunk)
            found |= {row[0] for row in rows}
        return found

    def due(self, now: dt.datetime, *, force: bool = False) -> list[QueuedNotice]:
        """Queued notices whose next try has come; `force`: every queued and failed one, now."""
        stamp = _stamp(now)
        if force:
            where, args = "status IN ('queued', 'failed')", (stamp,)
        else:
            where, args = "status = 'queued' AND next_try <= ?", (stamp, stamp)
        rows = self.conn.execute(f"SELECT * FROM mail_notices WHERE {where} AND {_FREE} ORDER BY next_try, seq",
                                 args)
        return [_queued(row) for row in _dicts(rows)]

    def claim(self, item: QueuedNotice, *, now: dt.datetime, until: dt.datetime) -> bool:
        """Take `item` for sending until `until`; False when another sender (the watcher, or
        `docgen mail --retry`) holds it or it was sent meanwhile.

        A sender that dies mid-send leaves the notice free again at `until`, so nothing is lost.
        """
        with self._own_transaction():
            cur = self.conn.execute(
                f"UPDATE mail_notices SET lease_until = ? WHERE event_id = ? AND status = ? AND {_FREE}",
                (_stamp(until), item.event_id, str(item.status), _stamp(now)),
            )
        return cur.rowcount == 1

    def mark_sent(self, event_id: str, *, at: dt.datetime, problems: Sequence[str] = ()) -> None:
        """The server accepted the notice; `problems` are recipients it refused or files that were gone."""
        with self._own_transaction():
            self.conn.execute(
                """UPDATE mail_notices SET status = 'sent', sent_at = ?, next_try = NULL, lease_until = NULL,
                   last_error = '',
                   attempts = attempts + 1, problems = ? WHERE event_id = ?""",
                (_stamp(at), json.dumps(list(problems), ensure_ascii=False), event_id),
            )

    def mark_failed(self, event_id: str, *, error: str, next_try: dt.datetime | None,
                    problems: Sequence[str] = ()) -> None:
        """A failed try: queued again at `next_try`, or failed for good when it is None."""
        status = MailStatus.QUEUED if next_try is not None else MailStatus.FAILED
        with self._own_transaction():
            self.conn.execute(
                """UPDATE mail_notices SET status = ?, next_try = ?, lease_until = NULL, last_error = ?,
                   attempts = attempts + 1, problems = ? WHERE event_id = ?""",
                (str(status), _stamp_or_none(next_try), error,
                 json.dumps(list(problems), ensure_ascii=False), event_id),
            )

    def listing(self, *, deal: str | None = None, limit: int | None = None) -> list[QueuedNotice]:
        """Notices newest first, for `docgen mail` and for reporting on a deal."""
        sql, args = "SELECT * FROM mail_notices", []
        if deal is not None:
            sql, args = sql + " WHERE deal = ?", [deal]
        sql += " ORDER BY seq DESC" + (" LIMIT ?" if limit else "")
        rows = self.conn.execute(sql, (*args, limit) if limit else args)
        return [_queued(row) for row in _dicts(rows)]

    def counts(self) -> dict[MailStatus, int]:
        rows = self.conn.execute("SELECT status, count(*) FROM mail_notices GROUP BY status").fetchall()
        found = {MailStatus(status): n for status, n in rows}
        return {s: found.get(s, 0) for s in MailStatus}

    @contextmanager
    def _own_transaction(self) -> Iterator[None]:
        """Commit only a transaction we opened: inside the caller's, our writes ride on its commit."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


def _stamp(moment: dt.datetime) -> str:
    # Naive times are taken as UTC; a fixed width and zone keep the text comparable in SQL.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _stamp_or_none(moment: dt.datetime | None) -> str | None:
    return _stamp(moment) if moment is not None else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, object]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _queued(row: dict[str, object]) -> QueuedNotice:
    notice = Notice(
        event_id=str(row["event_id"]),
        kind=NoticeKind(str(row["kind"])),
        to=tuple(json.loads(str(row["recipients"]))),
        subject=str(row["subject"]),
        body=str(row["body"]),
        attachments=tuple(Path(p) for p in json.loads(str(row["attachments"]))),
        deal=str(row["deal"]) if row["deal"] is not None else None,
        dossier=Path(str(row["dossier"])) if row["dossier"] else None,
    )
    created = _moment(str(row["created_at"]))
    assert created is not None
    return QueuedNotice(
        notice=notice, status=MailStatus(str(row["status"])), attempts=int(str(row["attempts"])),
        created_at=created, next_try=_moment(_opt(row["next_try"])), sent_at=_moment(_opt(row["sent_at"])),
        last_error=str(row["last_error"]), problems=tuple(json.loads(str(row["problems"]))),
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
