"""The case timeline and the access log (R9). Both are append-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.audit import AuditLog, CaseEvent
from models.base import utcnow
from models.case import Case
from models.enums import AuditAction, StaffRole, Surface
from models.errors import NotAllowed
from models.services.context import Ctx
from models.staff import StaffMember


def record_access(
    db: Session, ctx: Ctx, case: Case | None, action: AuditAction, record: str, detail: str = ""
) -> None:
    db.add(
        AuditLog(
            at=ctx.now,
            actor_id=ctx.actor.id,
            actor_ref=ctx.actor.slack_user_id,
            action=action,
            record=record,
            case_id=case.id if case else None,
            case_code=case.code if case else None,
            surface=ctx.surface,
            detail=detail[:300] or None,
        )
    )


def record_event(db: Session, ctx: Ctx, case: Case, event: str, **data: object) -> None:
    """Append to the case timeline and log the write."""
    db.add(CaseEvent(case_id=case.id, actor_id=ctx.actor.id, event=event, data=data, at=ctx.now))
    record_access(db, ctx, case, AuditAction.UPDATE if event != "case_opened" else AuditAction.CREATE, event)


def record_refusal(db: Session, refusal: NotAllowed) -> None:
    db.add(
        AuditLog(
            at=utcnow(),
            actor_id=refusal.actor_id,
            actor_ref=refusal.actor_ref,
            action=AuditAction.REFUSED,
            record="case" if refusal.case_id else "access",
            case_id=refusal.case_id,
            case_code=refusal.case_code,
            surface=Surface(refusal.surface),
            detail=refusal.detail[:300] or None,
        )
    )


def trail(
    db: Session,
    *,
    case_code: str | None = None,
    person: str | None = None,
    team_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[AuditLog]:
    """The access log filtered by case, by person (Slack user id) or by the team whose cases were touched.

    The log keeps the case code itself, so the trail of a case outlives the case (R9, R10).
    """
    query = select(AuditLog).order_by(AuditLog.at, AuditLog.id)
    if case_code:
        query = query.where(AuditLog.case_code == case_code.strip().upper())
    if person:
        member_ids = select(StaffMember.id).where(StaffMember.slack_user_id == person)
        query = query.where(or_(AuditLog.actor_ref == person, AuditLog.actor_id.in_(member_ids)))
    if team_id is not None:
        query = query.where(AuditLog.case_id.in_(select(Case.id).where(Case.team_id == team_id)))
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def record_operator_export(db: Session, operator: str, what: str, detail: str, at: datetime) -> None:
    """An export made from the command line: no staff member, the operator's login is the actor."""
    db.add(
        AuditLog(
            at=at,
            actor_id=None,
            actor_ref=operator[:64],
            action=AuditAction.EXPORT,
            record=what,
            surface=Surface.CLI,
            detail=detail[:300] or None,
        )
    )


@dataclass(frozen=True)
class AccessReview:
    """A supervisor's look at who opened, changed or was refused the team's cases (R9: reviewed monthly)."""

    since: datetime
    by_person: list[tuple[str, int, int]]  # display name (or Slack id), reads, writes
    refusals: list[AuditLog]
    recent: list[AuditLog]
    names: dict[int, str]


def team_review(db: Session, ctx: Ctx, since: datetime, *, recent: int = 20) -> AccessReview:
    """The access log of the supervisor's team's cases since `since`, restricted cases they are not
    named on left out; reviewing it is itself logged."""
    from models.services import access

    access.require_role(ctx, StaffRole.SUPERVISOR, detail="access review")
    visible = (
        access.visible_cases_query(ctx.actor)
        .with_only_columns(Case.id)
        .where(Case.team_id == ctx.actor.team_id)
    )
    rows = list(
        db.scalars(
            select(AuditLog)
            .where(AuditLog.at >= since, AuditLog.case_id.in_(visible))
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        )
    )
    names = dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())
    counts: dict[str, list[int]] = {}
    for row in rows:
        who = names.get(row.actor_id, "") if row.actor_id else (row.actor_ref or "-")
        tally = counts.setdefault(who, [0, 0])
        if row.action == AuditAction.READ:
            tally[0] += 1
        elif row.action in (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.EXPORT, AuditAction.DESTROY):
            tally[1] += 1
    record_access(
        db, ctx, None, AuditAction.READ, "access_review", f"team {ctx.actor.team_id}: {len(rows)} rows"
    )
    return AccessReview(
        since=since,
        by_person=sorted(((who, r, w) for who, (r, w) in counts.items()), key=lambda t: -(t[1] + t[2])),
        refusals=[r for r in rows if r.action == AuditAction.REFUSED],
        recent=rows[:recent],
        names=names,
    )
