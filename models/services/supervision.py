"""슈퍼비전: a supervisor records a session with a worker of their team; its follow-ups nudge the worker.

Only a supervisor of the worker's team may record one. The cases discussed are named by code and must
be cases the worker manages that the supervisor may see (a restricted case they are not named on is
neither offered nor accepted). The issues, the guidance and the follow-ups' words are narrative about
the worker and their clients: encrypted at rest, read back only by the two of them, and never sent to
Slack's history; the nudges name the session's date, the supervisor and the due date, nothing more.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cadence import at_local
from models.case import Case
from models.enums import AuditAction, ReminderKind, ReminderStatus, StaffRole
from models.errors import InvalidInput, Message, NotFound
from models.reminder import Reminder
from models.schemas import SupervisionInput
from models.services import access
from models.services.audit import record_access
from models.services.context import Ctx
from models.services.desk import DESK_STATUSES, INTENSITY_WEIGHTS, OPEN_STATUSES
from models.staff import StaffMember
from models.supervision import SupervisionCase, SupervisionFollowUp, SupervisionSession

FOLLOW_UP_KEY = re.compile(r"^supervision:(\d+):f(\d+)$")
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

NOT_OF_TEAM = Message("supervision.errors.not_of_team")
NOT_SELF = Message("supervision.errors.not_self")
NOT_WORKER = Message("supervision.errors.not_worker")


def follow_up_key(session_id: int, number: int) -> str:
    return f"supervision:{session_id}:f{number}"


# ------------------------------------------------------------------ who


def find_worker(db: Session, ref: str) -> StaffMember:
    """The staff member named in `/case supervision @person`: a Slack mention (`<@U…|name>`), a user id,
    or a display name with or without the @. NotFound (in words, without quoting the text back)."""
    text = ref.strip()
    match = _MENTION.match(text)
    slack_id = match.group(1) if match else (text if _SLACK_ID.match(text) else None)
    name = text.lstrip("@").strip()
    if slack_id is not None:
        found = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == slack_id))
    elif not name or len(name) > 100 or any(unicodedata.category(ch) == "Cc" for ch in name):
        found = None  # no display name looks like that (and a NUL would not even reach PostgreSQL)
    else:
        named = list(
            db.scalars(
                select(StaffMember).where(
                    func.lower(StaffMember.display_name) == name.lower(), StaffMember.active.is_(True)
                )
            )
        )
        found = named[0] if len(named) == 1 else None
    if found is None or not found.active:
        raise NotFound(Message("supervision.errors.no_such_worker_mention"))
    return found


def require_supervisor_of(ctx: Ctx, worker: StaffMember) -> None:
    """Refused (and logged) unless the actor is a supervisor of the worker's team."""
    access.require_role(ctx, StaffRole.SUPERVISOR, detail="supervision")
    if worker.team_id != ctx.actor.team_id:
        raise access.refuse(ctx, None, f"supervision of staff {worker.id} of another team", NOT_OF_TEAM)
    if worker.id == ctx.actor.id:
        raise access.refuse(ctx, None, "supervision of oneself", NOT_SELF)
    if worker.role not in access.CASE_OWNER_ROLES:
        raise access.refuse(ctx, None, f"supervision of staff {worker.id} who carries no cases", NOT_WORKER)


def discussable_cases(db: Session, ctx: Ctx, worker: StaffMember) -> list[str]:
    """Codes of the cases the worker manages (open or in after-care) that the supervisor may see."""
    query = (
        access.visible_cases_query(ctx.actor, today=ctx.today)
        .with_only_columns(Case.code)
        .where(Case.case_manager_id == worker.id, Case.status.in_(DESK_STATUSES))
        .order_by(Case.code)
    )
    return list(db.scalars(query))


@dataclass(frozen=True)
class SessionForm:
    """What the supervision modal offers: the worker and the codes of their cases (no client data)."""

    worker_id: int
    worker_name: str
    codes: list[str]
    weighted: float
    threshold: float
    last_on: date | None


def session_form(db: Session, ctx: Ctx, ref: str) -> SessionForm:
    """For `/case supervision @person`: refusals in words (not a supervisor, another team's worker)."""
    access.require_role(ctx, StaffRole.SUPERVISOR, detail="supervision")
    worker = find_worker(db, ref)
    require_supervisor_of(ctx, worker)
    codes = discussable_cases(db, ctx, worker)
    last = db.scalar(
        select(func.max(SupervisionSession.held_on)).where(SupervisionSession.worker_id == worker.id)
    )
    record_access(
        db, ctx, None, AuditAction.READ, "supervision_form", f"staff {worker.id}: {len(codes)} cases"
    )
    return SessionForm(
        worker.id,
        worker.display_name,
        codes,
        weighted_load(db, worker.id),
        ctx.policy.caseload_threshold,
        last,
    )


def weighted_load(db: Session, staff_id: int) -> float:
    """The worker's intensity-weighted open caseload now (as on the supervisor's Home)."""
    rows = db.execute(
        select(Case.intensity, func.count())
        .where(Case.case_manager_id == staff_id, Case.status.in_(OPEN_STATUSES))
        .group_by(Case.intensity)
    ).all()
    return sum(INTENSITY_WEIGHTS.get(intensity, 1.0) * count for intensity, count in rows)


# ------------------------------------------------------------------ recording


def record_session(db: Session, ctx: Ctx, worker_id: int, data: SupervisionInput) -> SupervisionSession:
    """Check everything, then store the session, its cases and follow-ups, and the follow-ups' nudges.
    Bad input is a field error (InvalidInput) and nothing is written."""
    access.require_role(ctx, StaffRole.SUPERVISOR, detail="supervision")
    worker = db.get(StaffMember, worker_id)
    if worker is None or not worker.active:
        raise NotFound(Message("supervision.errors.no_such_worker"))
    require_supervisor_of(ctx, worker)
    errors: dict[str, Message] = {}
    if data.held_on > ctx.today:
        errors["held_on"] = Message("supervision.errors.future_date")
    if not data.issues:
        errors["issues"] = Message("supervision.errors.issues_required")
    if not data.guidance:
        errors["guidance"] = Message("supervision.errors.guidance_required")
    allowed = set(discussable_cases(db, ctx, worker))
    codes = list(dict.fromkeys(code.strip().upper() for code in data.case_codes))
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        errors["case_codes"] = Message("supervision.errors.case_not_offered")
    for item in data.follow_ups:
        if item.due_on < data.held_on:
            errors[f"follow_up_{item.number}_due"] = Message("supervision.errors.follow_up_before_session")
    if errors:
        raise InvalidInput(errors)
    case_ids = dict(db.execute(select(Case.code, Case.id).where(Case.code.in_(codes))).all()) if codes else {}
    session = SupervisionSession(
        team_id=worker.team_id,
        worker_id=worker.id,
        supervisor_id=ctx.actor.id,
        held_on=data.held_on,
        issues=data.issues,
        guidance=data.guidance,
        created_at=ctx.now,
        cases=[SupervisionCase(case_id=case_ids[code]) for code in codes],
        follow_ups=[
            SupervisionFollowUp(number=item.number, text=item.text, due_on=item.due_on)
            for item in data.follow_ups
        ],
    )
    db.add(session)
    db.flush()
    for item in session.follow_ups:
        db.add(
            Reminder(
                key=follow_up_key(session.id, item.number),
                kind=ReminderKind.SUPERVISION_FOLLOW_UP,
                recipient_id=worker.id,
                due_at=at_local(item.due_on, ctx.policy.zone, ctx.policy.workday_start_hour),
                deadline_on=item.due_on,
                status=ReminderStatus.PENDING,
                attempts=0,
            )
        )
    record_access(
        db,
        ctx,
        None,
        AuditAction.CREATE,
        "supervision_session",
        f"session {session.id} with staff {worker.id}: {len(codes)} cases, {len(session.follow_ups)} follow-ups",
    )
    db.flush()
    return session


# ------------------------------------------------------------------ nudges


@dataclass(frozen=True)
class FollowUpNudge:
    """What a follow-up's nudge says: no words of the session, only when, who and by when."""

    session_id: int
    number: int
    held_on: date
    supervisor: str
    due_on: date
    done: bool


def follow_up_of(db: Session, reminder: Reminder) -> FollowUpNudge | None:
    """The follow-up a SUPERVISION_FOLLOW_UP reminder is about; None if it is gone."""
    match = FOLLOW_UP_KEY.match(reminder.key)
    if reminder.kind != ReminderKind.SUPERVISION_FOLLOW_UP or match is None:
        return None
    row = db.execute(
        select(SupervisionFollowUp.number, SupervisionFollowUp.due_on, SupervisionFollowUp.done_at)
        .add_columns(SupervisionSession.held_on, StaffMember.display_name)
        .join(SupervisionSession, SupervisionSession.id == SupervisionFollowUp.session_id)
        .join(StaffMember, StaffMember.id == SupervisionSession.supervisor_id)
        .where(
            SupervisionFollowUp.session_id == int(match.group(1)),
            SupervisionFollowUp.number == int(match.group(2)),
        )
    ).one_or_none()
    if row is None:
        return None
    number, due_on, done_at, held_on, supervisor = row
    return FollowUpNudge(int(match.group(1)), number, held_on, supervisor, due_on, done_at is not None)


@dataclass(frozen=True)
class LoadWarning:
    """A worker's weighted caseload above the threshold, with what one more case would make it."""

    weighted: float
    threshold: float
    with_one_more: float


def over_threshold(db: Session, ctx: Ctx, staff_id: int) -> LoadWarning | None:
    """For the intake: a warning when the worker the new case goes to is over the threshold already,
    or will be with it (a new case is weighted as unclassified). None otherwise; never a refusal."""
    weighted = weighted_load(db, staff_id)
    more = weighted + INTENSITY_WEIGHTS[None]
    threshold = ctx.policy.caseload_threshold
    return LoadWarning(weighted, threshold, more) if more > threshold else None


# ------------------------------------------------------------------ follow-ups read back and done


@dataclass(frozen=True)
class FollowUpItem:
    """A follow-up as its two readers see it (the worker and the supervisor who recorded the session)."""

    session_id: int
    number: int
    text: str
    held_on: date
    supervisor: str
    worker: str
    due_on: date
    done: bool
    mine: bool  # the actor's own task (the worker's); otherwise one the actor gave


def _follow_up_items(db: Session, ctx: Ctx, rows: list[SupervisionFollowUp]) -> list[FollowUpItem]:
    names = dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())
    return [
        FollowUpItem(
            session_id=row.session_id,
            number=row.number,
            text=row.text,
            held_on=row.session.held_on,
            supervisor=names.get(row.session.supervisor_id, ""),
            worker=names.get(row.session.worker_id, ""),
            due_on=row.due_on,
            done=row.done_at is not None,
            mine=row.session.worker_id == ctx.actor.id,
        )
        for row in rows
    ]


def open_follow_ups(db: Session, ctx: Ctx, *, limit: int = 20) -> list[FollowUpItem]:
    """The actor's open follow-ups (as the worker) and those they gave (as the supervisor), soonest due
    first. The words are read back, so the read is logged."""
    access.require_active(ctx)
    actor = ctx.actor.id
    rows = list(
        db.scalars(
            select(SupervisionFollowUp)
            .join(SupervisionSession, SupervisionSession.id == SupervisionFollowUp.session_id)
            .where(
                SupervisionFollowUp.done_at.is_(None),
                (SupervisionSession.worker_id == actor) | (SupervisionSession.supervisor_id == actor),
            )
            .order_by(SupervisionFollowUp.due_on, SupervisionFollowUp.id)
            .limit(limit)
        )
    )
    if rows:
        record_access(
            db, ctx, None, AuditAction.READ, "supervision_follow_up", f"{len(rows)} open follow-ups"
        )
    return _follow_up_items(db, ctx, rows)


def complete_follow_up(db: Session, ctx: Ctx, session_id: int, number: int) -> FollowUpItem:
    """The worker, or the supervisor who gave it, marks a follow-up done; its nudge is cancelled. A second
    click changes nothing. Anyone else is refused and logged, and learns nothing of it."""
    access.require_active(ctx)
    row = db.scalar(
        select(SupervisionFollowUp).where(
            SupervisionFollowUp.session_id == session_id, SupervisionFollowUp.number == number
        )
    )
    if row is None:
        raise NotFound(Message("supervision.errors.no_follow_up"))
    if ctx.actor.id not in (row.session.worker_id, row.session.supervisor_id):
        raise access.refuse(
            ctx,
            None,
            f"follow-up {session_id}/{number} of another person",
            Message("supervision.errors.not_yours"),
        )
    if row.done_at is None:
        row.done_at = ctx.now
        for reminder in db.scalars(
            select(Reminder).where(
                Reminder.key == follow_up_key(session_id, number),
                Reminder.status.in_([ReminderStatus.PENDING, ReminderStatus.FAILED]),
            )
        ):
            reminder.status = ReminderStatus.CANCELLED
        record_access(
            db,
            ctx,
            None,
            AuditAction.UPDATE,
            "supervision_follow_up",
            f"session {session_id} follow-up {number} done",
        )
        db.flush()
    return _follow_up_items(db, ctx, [row])[0]
