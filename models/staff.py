from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, StrEnumType, utcnow
from models.enums import StaffRole


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Case codes are <prefix>-<year>-<sequence>; the prefix is chosen per team, never from client data.
    case_code_prefix: Mapped[str] = mapped_column(String(10), default="C")
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
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
