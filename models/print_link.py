"""One-time links to a printed form (the 인쇄 button of `/case history`) or to a month's statistics
workbook (the button of `/case stats`), served by Casebot's own HTTP server. Only a hash of the link's
token is stored; a link is for one person, one download, ten minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PrintLink(Base):
    __tablename__ = "print_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The case of a printed form; none for the statistics workbook, which is of a team's month.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    form: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(5))
    period: Mapped[str | None] = mapped_column(String(7))  # the statistics' month, YYYY-MM
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
