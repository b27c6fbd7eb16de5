"""Claiming due reminders exactly once, and recording what became of them.

A claim is one statement: `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING`.
On PostgreSQL, SKIP LOCKED lets two sweepers take disjoint rows; on SQLite the single UPDATE holds
the write lock, so no row is claimed twice either. Sending happens after the claim commits; the
row is then stamped SENT with the message ts, or put back with a later due time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from models.case import Case
from models.conference import CaseConference
from models.enums import CaseStatus, ReminderStatus
from models.errors import Message, NotFound
from models.reminder import Reminder
from models.services.conferences import PRE_MEETING_KINDS, STEP_ORDER, stale_reason

MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=10)  # a claim older than this belongs to a sender that died


def _due_query(now: datetime) -> Select:
    return select(Reminder.id).where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)


def due(db: Session, now: datetime, limit: int = 1000) -> list[Reminder]:
    """What a sweep at `now` would send (read only)."""
    ids = _due_query(now).order_by(Reminder.due_at, Reminder.id).limit(limit)
    return list(
        db.scalars(select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.due_at, Reminder.id))
    )


def claim(db: Session, now: datetime, limit: int = 1000) -> list[int]:
    """At most `limit` due rows, marked CLAIMED in one statement; the ids are returned."""
    candidates = _due_query(now).order_by(Reminder.due_at, Reminder.id).limit(limit)
    mark = update(Reminder).values(
        status=ReminderStatus.CLAIMED, claimed_at=now, attempts=Reminder.attempts + 1
    )
    if db.get_bind().dialect.name == "postgresql":
        # The ids are picked once, in a MATERIALIZED CTE: as a plain subquery the planner may rescan
        # it inside a join, and each rescan skips the rows this statement just locked and takes the
        # next ones, so one claim could take every due row. FOR UPDATE re-checks each row's status
        # as it locks it, and SKIP LOCKED leaves rows another sweeper holds to that sweeper.
        picked = candidates.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        statement = mark.where(Reminder.id == picked.c.id)
    else:
        # SQLite: the single UPDATE holds the database's write lock, so the subquery's rows are still
        # PENDING when they are marked.
        statement = mark.where(Reminder.id.in_(candidates.scalar_subquery()))
    return sorted(db.scalars(statement.returning(Reminder.id)))


def release_stale_claims(db: Session, now: datetime) -> int:
    """Rows claimed by a sender that died before stamping them go back to the queue."""
    result = db.execute(
        update(Reminder)
        .where(Reminder.status == ReminderStatus.CLAIMED, Reminder.claimed_at < now - CLAIM_TIMEOUT)
        .values(status=ReminderStatus.PENDING)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Batch:
    """Claimed reminders to send as one message: late ones of the same kind for the same case coalesce."""

    reminders: list[Reminder]

    @property
    def lead(self) -> Reminder:
        # On a tie (a D-1 moved back onto the D-3 day) the later step of a conference speaks.
        return max(self.reminders, key=lambda r: (r.due_at, STEP_ORDER.get(r.kind, 0)))


def batches(db: Session, ids: list[int], now: datetime | None = None) -> tuple[list[Batch], list[Reminder]]:
    """Group the claimed rows; rows of cases closed since they were due are returned as stale.

    Conference rows are grouped per conference, and the reminders before a meeting fold into the
    latest one due (a sweep after an outage sends the D-1 reminder, not also the papers and agenda calls). Rows
    of a cancelled conference, and pre-meeting rows once it has started (at `now`), are stale.
    """
    rows = list(db.scalars(select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.due_at)))
    case_status = dict(
        db.execute(
            select(Case.id, Case.status).where(Case.id.in_({r.case_id for r in rows if r.case_id}))
        ).all()
    )
    conference_ids = {r.conference_id for r in rows if r.conference_id}
    conferences = (
        {c.id: c for c in db.scalars(select(CaseConference).where(CaseConference.id.in_(conference_ids)))}
        if conference_ids
        else {}
    )
    groups: dict[tuple, list[Reminder]] = {}
    stale = []
    for row in rows:
        if row.case_id and case_status.get(row.case_id) in (CaseStatus.CLOSED, CaseStatus.ARCHIVED):
            stale.append(row)
            continue
        conference = conferences.get(row.conference_id) if row.conference_id else None
        if conference is not None and row.case_id is None:
            if stale_reason(row, conference, now or row.due_at) is not None:
                stale.append(row)
                continue
            kind = "before_meeting" if row.kind in PRE_MEETING_KINDS else row.kind.value
            groups.setdefault(
                ("conference", conference.id, kind, row.recipient_id, row.slack_channel_id), []
            ).append(row)
            continue
        groups.setdefault((row.case_id, row.kind, row.recipient_id, row.slack_channel_id), []).append(row)
    return [Batch(group) for group in groups.values()], stale


def mark_sent(db: Session, ids: list[int], *, ts: str | None, now: datetime) -> None:
    db.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids))
        .values(status=ReminderStatus.SENT, sent_at=now, message_ts=ts, last_error=None)
    )


def mark_cancelled(db: Session, ids: list[int]) -> None:
    db.execute(update(Reminder).where(Reminder.id.in_(ids)).values(status=ReminderStatus.CANCELLED))


def mark_failed(db: Session, ids: list[int], *, error: str, now: datetime) -> list[int]:
    """Back to the queue with an exponential back-off; FAILED after MAX_ATTEMPTS (returned)."""
    given_up = []
    for reminder in db.scalars(select(Reminder).where(Reminder.id.in_(ids))):
        reminder.last_error = error[:500]
        if reminder.attempts >= MAX_ATTEMPTS:
            reminder.status = ReminderStatus.FAILED
            given_up.append(reminder.id)
        else:
            reminder.status = ReminderStatus.PENDING
            reminder.due_at = now + timedelta(minutes=2**reminder.attempts)
    return given_up


def snooze(db: Session, actor_id: int, reminder_id: int, until: datetime) -> Reminder:
    """The recipient puts a nudge off; it comes back at `until` (a working morning)."""
    reminder = db.get(Reminder, reminder_id)
    if reminder is None or reminder.recipient_id != actor_id:
        raise NotFound(Message("이 알림을 찾을 수 없습니다.", "No such reminder for you."))
    if reminder.status == ReminderStatus.CANCELLED:
        return reminder  # the obligation went away meanwhile: nothing to put off
    reminder.status = ReminderStatus.PENDING
    reminder.snoozed_until = until
    reminder.due_at = until
    return reminder
