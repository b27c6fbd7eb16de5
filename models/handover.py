from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import SENSITIVE, Base, utcnow
from models.crypto import EncryptedText


class AfterCareHandover(Base):
    """사후관리 인계 (public teams): at closure a 희망복지지원단 case's after-care goes to the 읍면동
    (domain.md §1 "after-care done by 읍면동" [V2 S6]). To whom (an office or team, never a client
    detail), on which day, and a note (encrypted: it may speak of the client)."""

    __tablename__ = "aftercare_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    handed_to: Mapped[str] = mapped_column(String(200))
    handed_over_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
