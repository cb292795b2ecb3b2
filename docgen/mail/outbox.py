"""The transactional outbox: notices recorded in the store's SQLite database with the event they belong to."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from docgen.mail.notice import Notice, NoticeKind
from docgen.migrations import backup_beside, migrate

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


def connect(path: Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection as the store opens it (autocommit, WAL): for the sender's own thread, tests and the benchmark."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class MailOutbox:
    """Notices in the store's database; the workflow owns the connection and its transactions."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], dt.datetime] = utc_now):
        self.conn = conn
        self.clock = clock
        self.queued_since_asked = False  # set by enqueue; the service wakes the sender when it sees it

    def ensure_schema(self) -> None:
        """Bring the database to the store's schema (the mail tables are part of it), as the store does."""
        migrate(self.conn, backup=lambda version: backup_beside(self.conn, version))

    def enqueue(self, notice: Notice) -> bool:
        """Record `notice` inside the caller's transaction (no commit); the same event_id twice is ignored.

        True when it was recorded now, False when its event was recorded before."""
        now = _stamp(self.clock())
        self.queued_since_asked = True
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

    def take_queued_flag(self) -> bool:
        """Whether a notice was queued since the last call (committed by now, if the caller waits for that)."""
        queued, self.queued_since_asked = self.queued_since_asked, False
        return queued

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
        """The server accepted the notice; `problems` are recipients it refused or files that were gone.
        A notice with a dossier is marked as owing its copy there until `mark_copied`."""
        with self._own_transaction():
            self.conn.execute(
                """UPDATE mail_notices SET status = 'sent', sent_at = ?, next_try = NULL, lease_until = NULL,
                   last_error = '', copy_pending = CASE WHEN dossier IS NULL THEN 0 ELSE 1 END,
                   attempts = attempts + 1, problems = ? WHERE event_id = ?""",
                (_stamp(at), json.dumps(list(problems), ensure_ascii=False), event_id),
            )

    def mark_copied(self, event_id: str) -> None:
        with self._own_transaction():
            self.conn.execute("UPDATE mail_notices SET copy_pending = 0 WHERE event_id = ?", (event_id,))

    def copies_pending(self) -> list[QueuedNotice]:
        """Sent notices whose dossier copy a killed process did not write."""
        rows = self.conn.execute("SELECT * FROM mail_notices WHERE status = 'sent' AND copy_pending = 1 ORDER BY seq")
        return [_queued(row) for row in _dicts(rows)]

    def mark_ambiguous(self, event_id: str) -> int:
        """Count a failure after the message went out; returns how many such the notice has had."""
        with self._own_transaction():
            self.conn.execute("UPDATE mail_notices SET ambiguous = ambiguous + 1 WHERE event_id = ?", (event_id,))
            row = self.conn.execute("SELECT ambiguous FROM mail_notices WHERE event_id = ?", (event_id,)).fetchone()
        return int(row[0]) if row else 0

    def scrub_stored(self, secrets: Sequence[str]) -> int:
        """Blot `secrets` out of every stored error and problem (a server may have echoed them before
        docgen knew to hide them); returns how many notices were cleaned."""
        cleaned = 0
        with self._own_transaction():
            for secret in (s for s in secrets if s):
                pattern = f"%{secret}%"
                rows = self.conn.execute("SELECT event_id, last_error, problems FROM mail_notices "
                                         "WHERE last_error LIKE ? OR problems LIKE ?", (pattern, pattern)).fetchall()
                for event_id, error, problems in rows:
                    self.conn.execute("UPDATE mail_notices SET last_error = ?, problems = ? WHERE event_id = ?",
                                      (error.replace(secret, "***"), problems.replace(secret, "***"), event_id))
                    cleaned += 1
        return cleaned

    def next_due(self) -> dt.datetime | None:
        """When the earliest queued notice is due (None when nothing waits)."""
        row = self.conn.execute("SELECT min(next_try) FROM mail_notices WHERE status = 'queued'").fetchone()
        return _moment(row[0]) if row and row[0] else None

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

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Group several outbox writes (a failed notice and the administrator's letter about it) in one commit."""
        return self._own_transaction()

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
