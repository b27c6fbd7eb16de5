from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedJSON, EncryptedText
from models.enums import ConsentMethod, NeedDomain, PlanStatus, ResponsibleParty, TaskStatus


class ServicePlan(Base):
    """서비스(개입)계획: versioned; the newest AGREED version of the episode is the one in force."""

    __tablename__ = "service_plans"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(StrEnumType(PlanStatus), default=PlanStatus.DRAFT)
    period_start: Mapped[date]
    period_end: Mapped[date]
    review_due: Mapped[date | None]
    agreed_at: Mapped[datetime | None]
    agreement_method: Mapped[ConsentMethod | None] = mapped_column(StrEnumType(ConsentMethod))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id"
    )
    tasks: Mapped[list[PlanTask]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanTask.id"
    )


class PlanGoal(Base):
    __tablename__ = "plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("service_plans.id", ondelete="CASCADE"), index=True)
    domain: Mapped[NeedDomain] = mapped_column(StrEnumType(NeedDomain))
    description: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    indicator: Mapped[str] = mapped_column(String(300))
    baseline: Mapped[str | None] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(200))
    target_date: Mapped[date]

    plan: Mapped[ServicePlan] = relationship(back_populates="goals")


class PlanTask(Base):
    __tablename__ = "plan_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("service_plans.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("plan_goals.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    responsible_party: Mapped[ResponsibleParty] = mapped_column(StrEnumType(ResponsibleParty))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), index=True)
    due_date: Mapped[date]
    status: Mapped[TaskStatus] = mapped_column(StrEnumType(TaskStatus), default=TaskStatus.OPEN)
    # 담당자: the staff member of the case's circle (its manager or a co-worker) whose task it is and
    # whom its TASK_DUE nudge goes to; NULL: the case manager's.
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL"), index=True
    )

    plan: Mapped[ServicePlan] = relationship(back_populates="tasks")


class PlanReview(Base):
    """계획 점검: a review of the plan in force, goal by goal (진전/유지/악화 and a comment).

    It moves the plan's next review date on; the plan keeps its version (a revision is a new plan).
    `progress` holds [{"goal_id": 3, "progress": "IMPROVED", "comment": "..."}], encrypted.
    """

    __tablename__ = "plan_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("service_plans.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_review_due: Mapped[date]
    progress: Mapped[list[dict[str, object]]] = mapped_column(EncryptedJSON(), default=list, info=SENSITIVE)
