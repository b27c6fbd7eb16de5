"""The case timeline and the access log (R9). Both are append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.audit import AuditLog, CaseEvent, record_refusal
from models.case import Case
from models.enums import AuditAction, Surface
from models.services.context import Ctx
from models.staff import StaffMember

__all__ = ["record_access", "record_event", "record_operator_export", "record_refusal", "trail"]


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
