from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, StrEnumType, utcnow
from models.enums import Profile, StaffRole


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Case codes are <prefix>-<year>-<sequence>; the prefix is chosen per team, never from client data.
    case_code_prefix: Mapped[str] = mapped_column(String(10), default="C")
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    # The team's practice profile (a deployment may run a welfare-centre team and a school social-work
    # team side by side); None follows the deployment's PROFILE setting. `casebot team profile` sets it;
    # the rules that differ by profile read it (models/services/profiles.py).
    profile: Mapped[Profile | None] = mapped_column(StrEnumType(Profile))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[StaffMember]] = relationship(back_populates="team")


class StaffMember(Base):
    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[StaffRole] = mapped_column(StrEnumType(StaffRole))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    tz: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship(back_populates="members", lazy="joined")

    @property
    def is_supervisor(self) -> bool:
        return self.role == StaffRole.SUPERVISOR

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN

    @property
    def is_school_staff(self) -> bool:
        return self.role == StaffRole.SCHOOL_STAFF


class DataHandlingApproval(Base):
    """The head of the school's approval (학교장 승인) for one staff member to handle student data
    (학생맞춤통합지원법 §17⑦, domain.md R9). Under the SCHOOL profile nobody handles case data without
    a current one. Rows are history: a revocation or a newer approval closes a row, nothing deletes it."""

    __tablename__ = "data_handling_approvals"
    __table_args__ = (
        # At most one open (unrevoked) approval per person, so "the current approval" is unambiguous.
        Index(
            "uq_data_handling_approvals_open_staff_id",
            "staff_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    # The head's name and title as written on the approval, e.g. "교장 김가상".
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[date]
    # The school's document or register number for the approval (e.g. 결재 문서번호).
    reference: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[date | None]
    # Who typed it in: an operator reference such as "cli:admin", as in the access log.
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(String(300))

    def standing_on(self, day: date) -> str:
        """ "revoked", "not yet" (given for a later day), "expired" (past its end date) or "approved"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.approved_on > day:
            return "not yet"
        if self.valid_until is not None and self.valid_until < day:
            return "expired"
        return "approved"

    def current_on(self, day: date) -> bool:
        """In force on that day: not revoked, already given and not past its end date."""
        return self.standing_on(day) == "approved"
