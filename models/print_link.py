"""One-time links to a printed form (the 인쇄 button of `/case history`), served by Casebot's own HTTP
server. Only a hash of the link's token is stored; a link is for one person, one download, ten minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PrintLink(Base):
    __tablename__ = "print_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    form: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
