from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PurgeAuthorization(Base):
    """Lets the retention purge delete one case's timeline, which triggers otherwise keep append-only.

    The purge inserts the row, deletes, and removes the row in one transaction, so no other
    transaction ever sees it (R10: destroy without delay, R9: no other way to edit the timeline).
    """

    __tablename__ = "purge_authorizations"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetentionStatistic(Base):
    """What is kept of destroyed cases: counts by year, profile, team, intensity and closure reason.

    Aggregates only, never one row per case, so nothing can be re-identified (R8, R10).
    """

    __tablename__ = "retention_statistics"
    __table_args__ = (
        UniqueConstraint(
            "year_closed",
            "profile",
            "team_id",
            "intensity",
            "closure_reason",
            name="uq_retention_statistics_group",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year_closed: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int] = mapped_column(Integer)  # no foreign key: statistics outlive a team's rename
    intensity: Mapped[str] = mapped_column(String(40))
    closure_reason: Mapped[str] = mapped_column(String(40))
    cases: Mapped[int] = mapped_column(Integer, default=0)
    total_days_open: Mapped[int] = mapped_column(Integer, default=0)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    referrals: Mapped[int] = mapped_column(Integer, default=0)
