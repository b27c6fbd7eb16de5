from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    ClosureReason,
    ClosureStatus,
    ContactType,
    GoalAttainment,
)


class Closure(Base):
    """평가·종결: a request that needs a supervisor's sign-off before the case closes."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[ClosureStatus] = mapped_column(StrEnumType(ClosureStatus), default=ClosureStatus.PENDING)
    reason: Mapped[ClosureReason] = mapped_column(StrEnumType(ClosureReason))
    client_evaluation: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    worker_evaluation: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    client_informed: Mapped[bool] = mapped_column(default=False)
    aftercare_plan: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    handover_target: Mapped[str | None] = mapped_column(String(200))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    decided_at: Mapped[datetime | None]
    supervisor_comment: Mapped[str | None] = mapped_column(Text)

    attainments: Mapped[list[GoalAttainmentRecord]] = relationship(
        back_populates="closure", cascade="all, delete-orphan", order_by="GoalAttainmentRecord.id"
    )


class GoalAttainmentRecord(Base):
    __tablename__ = "goal_attainments"
    __table_args__ = (UniqueConstraint("closure_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    closure_id: Mapped[int] = mapped_column(ForeignKey("closures.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goals.id", ondelete="CASCADE"), index=True)
    attainment: Mapped[GoalAttainment] = mapped_column(StrEnumType(GoalAttainment))

    closure: Mapped[Closure] = relationship(back_populates="attainments")


class AfterCareCheck(Base):
    __tablename__ = "aftercare_checks"
    # One pending check per case and day. Cancelled and done checks stay as history: a case closed,
    # reopened and closed again on the same day (or two closing days that fall on the same month end)
    # gets new checks on the old dates.
    __table_args__ = (
        Index(
            "uq_aftercare_checks_pending_case_id_due_on",
            "case_id",
            "due_on",
            unique=True,
            sqlite_where=text("done_at IS NULL AND NOT cancelled"),
            postgresql_where=text("done_at IS NULL AND NOT cancelled"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]
    method: Mapped[ContactType | None] = mapped_column(StrEnumType(ContactType))
    status: Mapped[AfterCareStatus | None] = mapped_column(StrEnumType(AfterCareStatus))
    action: Mapped[AfterCareAction | None] = mapped_column(StrEnumType(AfterCareAction))
    note: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
