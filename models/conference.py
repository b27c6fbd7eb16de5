from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import PII, SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import (
    AgendaRequestStatus,
    ConferencePurpose,
    ConferenceRecurrence,
    ConferenceStatus,
    ConferenceType,
    TaskStatus,
)


class CaseConference(Base):
    """사례회의: cases are listed by code only; externals need a confidentiality pledge."""

    __tablename__ = "case_conferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    conference_type: Mapped[ConferenceType] = mapped_column(StrEnumType(ConferenceType))
    status: Mapped[ConferenceStatus] = mapped_column(
        StrEnumType(ConferenceStatus), default=ConferenceStatus.SCHEDULED
    )
    scheduled_at: Mapped[datetime] = mapped_column(index=True)
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    chair_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    # A recurring series (e.g. a monthly integrated conference) shares one series key.
    series_key: Mapped[str | None] = mapped_column(String(64), index=True)
    recurrence: Mapped[ConferenceRecurrence] = mapped_column(
        StrEnumType(ConferenceRecurrence), default=ConferenceRecurrence.NONE
    )
    minutes_ref: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    cancelled_at: Mapped[datetime | None]
    # When the chair recorded decisions and action items (the conference was held).
    recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    participants: Mapped[list[ConferenceParticipant]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="ConferenceParticipant.id"
    )
    cases: Mapped[list[ConferenceCase]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="ConferenceCase.id"
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="ActionItem.id"
    )


class ConferenceParticipant(Base):
    __tablename__ = "conference_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("case_conferences.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    external_name: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    organisation: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    external: Mapped[bool] = mapped_column(default=False)
    confidentiality_pledge: Mapped[bool] = mapped_column(default=False)

    conference: Mapped[CaseConference] = relationship(back_populates="participants")


class ConferenceCase(Base):
    __tablename__ = "conference_cases"
    __table_args__ = (UniqueConstraint("conference_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("case_conferences.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConferencePurpose] = mapped_column(StrEnumType(ConferencePurpose))
    question: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    decision: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)

    conference: Mapped[CaseConference] = relationship(back_populates="cases")


class ActionItem(Base):
    __tablename__ = "conference_action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("case_conferences.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    owner_external: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[date]
    status: Mapped[TaskStatus] = mapped_column(StrEnumType(TaskStatus), default=TaskStatus.OPEN)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conference: Mapped[CaseConference] = relationship(back_populates="action_items")


class AgendaRequest(Base):
    """통합사례회의: a case of another team of the deployment asked onto the agenda. It goes on the
    agenda (a ConferenceCase) only when a supervisor of that team agrees."""

    __tablename__ = "conference_agenda_requests"
    __table_args__ = (UniqueConstraint("conference_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("case_conferences.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConferencePurpose] = mapped_column(StrEnumType(ConferencePurpose))
    question: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    status: Mapped[AgendaRequestStatus] = mapped_column(
        StrEnumType(AgendaRequestStatus), default=AgendaRequestStatus.PENDING
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    decided_at: Mapped[datetime | None]
