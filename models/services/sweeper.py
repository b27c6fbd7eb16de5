"""Claiming due reminders exactly once, and recording what became of them.

A claim is one statement: `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING`.
On PostgreSQL, SKIP LOCKED lets two sweepers take disjoint rows; on SQLite the single UPDATE holds
the write lock, so no row is claimed twice either. Sending happens after the claim commits; the
row is then stamped SENT with the message ts, or put back to be tried again later.

A claim names its holder (`process_holder()`: host, process id, a token of this process's start) and
holds a lease (`LEASE`, renewed by a long sweep). Claims go back to the queue when their holder is gone
(a process of this host that no longer runs, or an earlier run of this very process id) or their lease
has run out (a process of another host), see `release_stale_claims`; a process that stops releases
its own with `release_unsent_claims`.

A send that fails for a passing reason (Slack down, rate limits, the network) is never given up on:
the row waits `backoff(attempts)` (doubling, at most `BACKOFF_CAP`) in `retry_at` and is tried again,
as long as it is pending. One that can no longer be delivered (`UNDELIVERABLE`: the recipient left, the
channel is gone) ends FAILED with the reason in `last_error`; `desk.undelivered()` lists those for
the supervisors.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from models.case import Case
from models.conference import CaseConference
from models.enums import CaseStatus, ReminderKind, ReminderStatus
from models.errors import Message, NotFound
from models.reminder import Reminder
from models.services.conferences import PRE_MEETING_KINDS, STEP_ORDER, stale_reason
from models.services.context import Policy
from models.services.reminders import OWED_AFTER_CLOSURE, refresh
from models.staff import StaffMember

# Slack errors after which the message can never be delivered as addressed: no retry, a reason to show.
UNDELIVERABLE = frozenset({"user_not_found", "account_inactive", "channel_not_found", "is_archived"})
# Errors that say Slack (or the way to it) is down, not that this message is wrong: a sweep stops trying
# after a run of them, and the first message Slack takes again wakes every row waiting on one of them.
SLACK_DOWN = frozenset(
    {
        "slack_unreachable",
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)
BACKOFF_CAP = timedelta(hours=1)  # never longer than this between two tries of a due reminder
LEASE = timedelta(minutes=2)  # a claim of a process on another host is released after this, unless renewed

_holder: tuple[int, str] | None = None


def process_holder() -> str:
    """This process's name on its claims: `host:pid:token`. The token is new at each start, so a
    restarted process (a container whose process is pid 1 again) does not take an earlier run's
    claims for its own."""
    global _holder
    if _holder is None or _holder[0] != os.getpid():  # a forked child is a process of its own
        _holder = (os.getpid(), f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}")
    return _holder[1]


def holder_gone(holder: str) -> bool:
    """True when `holder` is certainly not running: a process of this host whose pid is gone, or an
    earlier run of this process's own pid. A holder of another host is not known here (its lease
    decides)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    mine = process_holder()
    if host != mine.split(":", 1)[0] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return holder != mine
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # some other user's process has that pid: running, as far as we can tell
    return False


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 2, 4, 8, 16, 32 minutes, then an hour each time."""
    return min(timedelta(minutes=2 ** min(attempts, 10)), BACKOFF_CAP)


def _due_query(now: datetime) -> Select:
    return select(Reminder.id).where(
        Reminder.status == ReminderStatus.PENDING,
        Reminder.due_at <= now,
        or_(Reminder.retry_at.is_(None), Reminder.retry_at <= now),
    )


def due(db: Session, now: datetime, limit: int = 1000) -> list[Reminder]:
    """What a sweep at `now` would send (read only)."""
    ids = _due_query(now).order_by(Reminder.due_at, Reminder.id).limit(limit)
    return list(
        db.scalars(select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.due_at, Reminder.id))
    )


def claim(db: Session, now: datetime, limit: int = 1000, *, holder: str | None = None) -> list[int]:
    """At most `limit` due rows, marked CLAIMED by `holder` (this process by default) with a lease
    of `LEASE` from `now`, in one statement; the ids are returned."""
    return _claim(db, _due_query(now).order_by(Reminder.due_at, Reminder.id).limit(limit), now, holder)


def claim_probe(db: Session, now: datetime, *, holder: str | None = None) -> list[int]:
    """One due row waiting out a back-off because Slack was down, claimed now (the one whose retry
    comes first): a sweep with nothing else to send asks Slack with it whether it is back, so that
    recovery is noticed within a sweep, not at the end of an hour's back-off."""
    probe = (
        select(Reminder.id)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at <= now,
            Reminder.retry_at > now,
            Reminder.last_error.in_(sorted(SLACK_DOWN)),
        )
        .order_by(Reminder.retry_at, Reminder.id)
        .limit(1)
    )
    return _claim(db, probe, now, holder)


def _claim(db: Session, candidates: Select, now: datetime, holder: str | None) -> list[int]:
    mark = update(Reminder).values(
        status=ReminderStatus.CLAIMED,
        claimed_at=now,
        claimed_by=holder or process_holder(),
        lease_until=now + LEASE,
        attempts=Reminder.attempts + 1,
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
    """Claims whose holder is gone (`holder_gone`) or whose lease ran out before `now` go back to the
    queue, the try they counted uncounted (nothing was sent: a row posted but not stamped is the one
    message a crash can repeat). Every sweep calls this first, so a process that starts takes over
    at once what a dead one held. Returns how many rows were released."""
    holders = set(
        db.scalars(select(Reminder.claimed_by).where(Reminder.status == ReminderStatus.CLAIMED).distinct())
    )
    gone = sorted(h for h in holders if h is not None and holder_gone(h))
    stale = or_(
        Reminder.lease_until < now,
        Reminder.claimed_by.in_(gone),
        # Claims made before leases existed: the old ten-minute rule.
        (Reminder.lease_until.is_(None)) & (Reminder.claimed_at < now - timedelta(minutes=10)),
    )
    return _release(db, (Reminder.status == ReminderStatus.CLAIMED) & stale)


def release_unsent_claims(db: Session, holder: str | None = None) -> int:
    """Put back every reminder `holder` (this process by default) claimed and has not sent, so that
    another process, or this one after a restart, sends it at once; returns how many.

    For a graceful stop: call it (in its own unit of work) once the sweep in progress has stopped
    between two messages (`scheduler.sweep.sweep(stop=...)`). A message already posted has been
    stamped SENT by then, so nothing is sent twice and nothing is left claimed."""
    return _release(
        db,
        (Reminder.status == ReminderStatus.CLAIMED) & (Reminder.claimed_by == (holder or process_holder())),
    )


def release(db: Session, ids: list[int]) -> int:
    """Claimed rows this sweep did not try (it stopped, or Slack is down) go back as they were."""
    if not ids:
        return 0
    return _release(db, (Reminder.status == ReminderStatus.CLAIMED) & Reminder.id.in_(ids))


def _release(db: Session, where) -> int:  # type: ignore[no-untyped-def]
    result = db.execute(
        update(Reminder)
        .where(where)
        .values(
            status=ReminderStatus.PENDING,
            claimed_by=None,
            lease_until=None,
            attempts=Reminder.attempts - 1,  # the claim counted a try that was never made
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def renew_lease(db: Session, ids: list[int], until: datetime, holder: str | None = None) -> None:
    """A long sweep keeps its claims: the rows it still holds are leased until `until`."""
    if ids:
        db.execute(
            update(Reminder)
            .where(
                Reminder.id.in_(ids),
                Reminder.status == ReminderStatus.CLAIMED,
                Reminder.claimed_by == (holder or process_holder()),
            )
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )


def deadline_of(reminder: Reminder, zone: ZoneInfo) -> date:
    """The deadline a nudge shows: its task's own, whenever the nudge fires (a warning before it, an
    escalation after it, a snooze or a retry later still). Rows written before the deadline was kept
    fall back to the day they were due."""
    return reminder.deadline_on or reminder.due_at.astimezone(zone).date()


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
        closed = case_status.get(row.case_id) in (CaseStatus.CLOSED, CaseStatus.ARCHIVED)
        # A closed case's reminders are stale, but for what it still owes (the referrer's answer, 회신).
        if row.case_id and closed and row.kind not in OWED_AFTER_CLOSURE:
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
        if row.kind == ReminderKind.SUPERVISION_FOLLOW_UP:  # each follow-up its own message
            groups.setdefault(("supervision", row.key), []).append(row)
            continue
        groups.setdefault((row.case_id, row.kind, row.recipient_id, row.slack_channel_id), []).append(row)
    return [Batch(group) for group in groups.values()], stale


def mark_sent(
    db: Session, ids: list[int], *, ts: str | None, now: datetime, channel: str | None = None
) -> None:
    """`ts` and `channel`: where the message is, to change it once its task is done (`to_settle`)."""
    db.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids))
        .values(
            status=ReminderStatus.SENT,
            sent_at=now,
            message_ts=ts,
            message_channel=channel,
            unneeded=False,
            settled_at=None,
            last_error=None,
            retry_at=None,
            claimed_by=None,
            lease_until=None,
        )
    )


def mark_cancelled(db: Session, ids: list[int]) -> None:
    db.execute(update(Reminder).where(Reminder.id.in_(ids)).values(status=ReminderStatus.CANCELLED))


def mark_failed(db: Session, ids: list[int], *, error: str, now: datetime) -> list[int]:
    """Record a failed send. `error` is Slack's error code (or the exception's type name). One of
    `UNDELIVERABLE` ends the rows FAILED with it as their reason (their ids are returned); any other
    puts them back to be tried again after `backoff(attempts)`, however many tries it has been."""
    given_up = []
    for reminder in db.scalars(select(Reminder).where(Reminder.id.in_(ids))):
        reminder.last_error = error[:500]
        reminder.claimed_by = None
        reminder.lease_until = None
        if error in UNDELIVERABLE:
            reminder.status = ReminderStatus.FAILED
            given_up.append(reminder.id)
        else:
            reminder.status = ReminderStatus.PENDING
            reminder.retry_at = now + backoff(reminder.attempts)
    return given_up


def wake_retries(db: Session, now: datetime) -> int:
    """Slack answers again: rows waiting out a back-off because Slack was down (`SLACK_DOWN`) are due
    at once; rows that failed for a reason of their own keep their back-off."""
    result = db.execute(
        update(Reminder)
        .where(
            Reminder.retry_at > now,
            Reminder.status == ReminderStatus.PENDING,
            Reminder.last_error.in_(sorted(SLACK_DOWN)),
        )
        .values(retry_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def snooze(db: Session, actor_id: int, reminder_id: int, until: datetime) -> Reminder:
    """The recipient puts a nudge off; it comes back at `until` (a working morning)."""
    reminder = db.get(Reminder, reminder_id)
    if reminder is None or reminder.recipient_id != actor_id:
        raise NotFound(Message("sweeper.errors.no_reminder"))
    if reminder.status == ReminderStatus.CANCELLED:
        return reminder  # the obligation went away meanwhile: nothing to put off
    reminder.status = ReminderStatus.PENDING
    reminder.snoozed_until = until
    reminder.due_at = until
    reminder.retry_at = None
    return reminder


@dataclass(frozen=True)
class Snoozed:
    """What a snoozed nudge was about: its case code ("" for a conference's item) and its kind."""

    code: str
    kind: ReminderKind


def snooze_nudge(db: Session, actor_id: int, reminder_id: int, until: datetime) -> Snoozed:
    """`snooze`, answered with what the button's message should say."""
    reminder = snooze(db, actor_id, reminder_id, until)
    case = db.get(Case, reminder.case_id) if reminder.case_id else None
    return Snoozed(code=case.code if case is not None else "", kind=reminder.kind)


@dataclass(frozen=True)
class Unneeded:
    """A sent nudge whose task is no longer due, with what its message is to say instead."""

    ids: list[int]
    channel: str
    ts: str
    kind: ReminderKind
    code: str | None
    locale: str | None


def to_settle(db: Session, limit: int = 200) -> list[Unneeded]:
    """Sent nudges whose task is done (or no longer due) and whose message still offers it, one per
    message (a message may stand for several reminders folded in)."""
    rows = db.execute(
        select(Reminder, Case.code, StaffMember.locale)
        .outerjoin(Case, Case.id == Reminder.case_id)
        .outerjoin(StaffMember, StaffMember.id == Reminder.recipient_id)
        .where(
            Reminder.unneeded.is_(True),
            Reminder.settled_at.is_(None),
            Reminder.message_ts.is_not(None),
            Reminder.message_channel.is_not(None),
        )
        .order_by(Reminder.id)
        .limit(limit)
    ).all()
    messages: dict[tuple[str, str], Unneeded] = {}
    for reminder, code, locale in rows:
        where = (str(reminder.message_channel), str(reminder.message_ts))
        if where in messages:
            messages[where].ids.append(reminder.id)
        else:
            messages[where] = Unneeded([reminder.id], *where, reminder.kind, code, locale)
    return list(messages.values())


def mark_settled(db: Session, ids: list[int], now: datetime) -> None:
    db.execute(update(Reminder).where(Reminder.id.in_(ids)).values(settled_at=now))


# Cases that still take nudges (a closed or archived case takes none).
_LIVE = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.AFTERCARE)


def _refresh_cases(db: Session, case_ids: set[int], policy: Policy, today: date) -> int:
    found = list(
        db.scalars(select(Case).where(Case.id.in_(case_ids), Case.status.in_(_LIVE)).order_by(Case.id))
    )
    for case in found:
        refresh(db, case, policy, today=today)
    return len(found)


def readdress_departed(db: Session, policy: Policy, now: datetime) -> int:
    """Case nudges still waiting for a case manager no longer active (deactivated before their cases
    were refreshed), or for a plan task's worker who left: their cases' reminders are derived again,
    which addresses them to the case manager (a task's) or the case's supervisors (`reminders.due_items`).
    Returns how many cases."""
    case_ids = set(
        db.scalars(
            select(Reminder.case_id)
            .join(StaffMember, StaffMember.id == Reminder.recipient_id)
            .join(Case, Case.id == Reminder.case_id)
            .where(
                # the case manager's nudges, or a plan task's whose worker left
                or_(Case.case_manager_id == Reminder.recipient_id, Reminder.kind == ReminderKind.TASK_DUE),
                Reminder.status == ReminderStatus.PENDING,
                Reminder.case_id.is_not(None),
                Reminder.slack_channel_id.is_(None),
                StaffMember.active.is_(False),
            )
            .distinct()
        )
    )
    if not case_ids:
        return 0
    return _refresh_cases(db, case_ids, policy, now.astimezone(policy.zone).date())


def rearm_escalations(db: Session, ids: list[int], policy: Policy, now: datetime) -> int:
    """After overdue-contact escalations were sent: their cases' reminders are derived again, which
    adds the next escalation (one cadence interval later) while no contact is logged. Returns how many
    cases."""
    if not ids:
        return 0
    case_ids = set(
        db.scalars(
            select(Reminder.case_id).where(
                Reminder.id.in_(ids),
                Reminder.kind == ReminderKind.CONTACT_OVERDUE,
                Reminder.status == ReminderStatus.SENT,
                Reminder.case_id.is_not(None),
            )
        )
    )
    if not case_ids:
        return 0
    return _refresh_cases(db, case_ids, policy, now.astimezone(policy.zone).date())
