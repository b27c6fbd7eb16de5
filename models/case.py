from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import PII, SENSITIVE, Base, StrEnumType, utcnow
from models.client import Client
from models.crypto import EncryptedText
from models.enums import (
    CaseIntensity,
    CaseStatus,
    IntakeRoute,
    MissingConsent,
    NextStep,
    Profile,
    ReminderKind,
    ReplyMethod,
    Stage,
)
from models.handover import AfterCareHandover
from models.staff import StaffMember, Team


class Case(Base):
    """One episode of case management. Stage and next step are derived (models.services.lifecycle)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    profile: Mapped[Profile] = mapped_column(StrEnumType(Profile))
    status: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus), default=CaseStatus.OPEN, index=True)
    intensity: Mapped[CaseIntensity | None] = mapped_column(StrEnumType(CaseIntensity))
    crisis: Mapped[bool] = mapped_column(default=False)
    restricted: Mapped[bool] = mapped_column(default=False)

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    case_manager_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)

    referral_source: Mapped[str | None] = mapped_column(String(100))
    # Referral-in (stage 0): the referring organisation or person, and the reason as they wrote it.
    referrer: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    referral_reason: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    # The reply to the referrer (회신), once sent: the day and how.
    referrer_replied_on: Mapped[date | None]
    referrer_reply_method: Mapped[ReplyMethod | None] = mapped_column(StrEnumType(ReplyMethod))
    # On hold (보류): why, and the day to look again (a nudge that morning).
    hold_reason: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    hold_until: Mapped[date | None]
    presenting_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    intake_summary: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    confidentiality_notice_given: Mapped[bool] = mapped_column(default=False)
    intake_route: Mapped[IntakeRoute | None] = mapped_column(StrEnumType(IntakeRoute))
    # CrisisFlag values ticked at intake, and when: the supervisors were told, and a first response is
    # due within `crisis_first_response_hours` of it (a reminder until a contact is reached).
    crisis_flags: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    crisis_flagged_at: Mapped[datetime | None]

    referred_at: Mapped[datetime] = mapped_column(default=utcnow)
    intake_at: Mapped[datetime | None]
    classified_at: Mapped[datetime | None]
    # Reopening from after-care starts a new episode; reminders and stage look at the current one.
    episode: Mapped[int] = mapped_column(Integer, default=1)
    # Start of the current episode: the intake, or the moment a closed case was reopened.
    episode_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    reassessment_requested_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Stored so that "my cases by next due date" is one indexed read (recomputed with the reminders):
    # the earliest deadline of the case's open tasks and which task it is (`reminders.case_deadlines`),
    # and the next step's own deadline. Deadlines, never the time a nudge fires or returns from a snooze.
    next_due_on: Mapped[date | None] = mapped_column(index=True)
    next_due_kind: Mapped[ReminderKind | None] = mapped_column(StrEnumType(ReminderKind))
    next_step_due_on: Mapped[date | None]
    # The derived stage and next step, stored for the same reason (`lifecycle.store_state`, called by
    # `reminders.refresh` with every change). They hold from `state_valid_from` to the day before
    # `state_valid_until` (None: no bound): a collection-and-use consent starting or ending changes the
    # derivation with no change to the record. Outside that window, or NULL, they are derived afresh.
    stage: Mapped[Stage | None] = mapped_column(StrEnumType(Stage))
    next_step: Mapped[NextStep | None] = mapped_column(StrEnumType(NextStep))
    # A school case's next step RECORD_CONSENT: whose student-support consent is missing.
    next_step_consent: Mapped[MissingConsent | None] = mapped_column(StrEnumType(MissingConsent))
    state_valid_from: Mapped[date | None]
    state_valid_until: Mapped[date | None]
    retention_until: Mapped[date | None]
    # A hold (an investigation, a court order, another law: PIPA §21① proviso) stops the destruction
    # until this day or until released (`casebot retention hold|release`); the reason is encrypted.
    retention_hold_until: Mapped[date | None]
    retention_hold_reason: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    client: Mapped[Client] = relationship(lazy="joined")
    team: Mapped[Team] = relationship()
    case_manager: Mapped[StaffMember] = relationship()
    workers: Mapped[list[CaseWorker]] = relationship(back_populates="case", cascade="all, delete-orphan")
    # Public teams: after-care handed over to the 읍면동 (models/handover.py).
    handovers: Mapped[list[AfterCareHandover]] = relationship(
        order_by=AfterCareHandover.id, cascade="all, delete-orphan", passive_deletes=True
    )


class CaseWorker(Base):
    """A co-worker with access to a case beside its case manager."""

    __tablename__ = "case_workers"
    __table_args__ = (UniqueConstraint("case_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="workers")
    staff: Mapped[StaffMember] = relationship()


class CaseAccessGrant(Base):
    """A person named on a restricted case (family violence, child protection): with the case manager and
    co-workers, the only ones who see it; team supervisors too only when named."""

    __tablename__ = "case_access_grants"
    __table_args__ = (UniqueConstraint("case_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseCodeCounter(Base):
    """The last sequence number handed out per (prefix, year), so codes never repeat."""

    __tablename__ = "case_code_counters"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
