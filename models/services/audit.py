"""The case timeline and the access log (R9). Both are append-only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.audit import AuditLog, CaseEvent
from models.base import utcnow
from models.case import Case
from models.enums import AuditAction, Surface
from models.errors import NotAllowed
from models.services.context import Ctx


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
