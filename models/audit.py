from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, StrEnumType, utcnow
from models.enums import AuditAction, Surface
from models.errors import NotAllowed


class CaseEvent(Base):
    """The case timeline: one row per change, in order. Append-only (enforced by the database)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    # Codes and ids only (e.g. {"from": "DRAFT", "to": "SENT"}); never client details.
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who read or changed what, when, from where; refusals too (R9). Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    # The Slack user id as seen, so that refusals of unknown users are logged too.
    actor_ref: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[AuditAction] = mapped_column(StrEnumType(AuditAction))
    record: Mapped[str] = mapped_column(String(60))
    # No foreign key: the access log must outlive the case it speaks of (R9, R10).
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_code: Mapped[str | None] = mapped_column(String(32))
    surface: Mapped[Surface] = mapped_column(StrEnumType(Surface))
    detail: Mapped[str | None] = mapped_column(String(300))


def record_refusal(db: Session, refusal: NotAllowed) -> None:
    """Log a permission refusal, dated when it was refused. The unit of work calls this after rolling the
    refused request back (models/db.py), so it lives beside the table rather than in a service."""
    db.add(
        AuditLog(
            at=refusal.at,
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
