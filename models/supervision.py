from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import SENSITIVE, Base, utcnow
from models.crypto import EncryptedText
from models.staff import StaffMember


class SupervisionSession(Base):
    """슈퍼비전: one session of a supervisor with a worker of their team.

    The issues raised and the guidance given are the supervisor's words about the worker and their
    clients: encrypted at rest and never sent to Slack's history. The cases discussed are kept as links
    (`SupervisionCase`), the follow-ups as tasks with their own due dates that nudge the worker.
    """

    __tablename__ = "supervision_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    issues: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    guidance: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[StaffMember] = relationship(foreign_keys=[worker_id])
    cases: Mapped[list[SupervisionCase]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SupervisionCase.id"
    )
    follow_ups: Mapped[list[SupervisionFollowUp]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SupervisionFollowUp.number"
    )


class SupervisionCase(Base):
    """A case discussed in a session (by reference: a destroyed case takes the link with it)."""

    __tablename__ = "supervision_cases"
    __table_args__ = (UniqueConstraint("session_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_sessions.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)

    session: Mapped[SupervisionSession] = relationship(back_populates="cases")


class SupervisionFollowUp(Base):
    """A follow-up agreed in a session: the worker's task, nudged on its due date (its text stays here)."""

    __tablename__ = "supervision_follow_ups"
    __table_args__ = (UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_sessions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 as on the form
    text: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]

    session: Mapped[SupervisionSession] = relationship(back_populates="follow_ups")
