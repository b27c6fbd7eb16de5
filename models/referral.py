from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import NeedDomain, ReferralStatus, StatutoryBasis
from models.resource import Resource


class Referral(Base):
    """서비스 연계: a linkage to a resource; leaving DRAFT for SENT needs consent or a statute (R5)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    domain: Mapped[NeedDomain] = mapped_column(StrEnumType(NeedDomain))
    reason: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    status: Mapped[ReferralStatus] = mapped_column(StrEnumType(ReferralStatus), default=ReferralStatus.DRAFT)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"), index=True)
    statutory_basis: Mapped[StatutoryBasis | None] = mapped_column(StrEnumType(StatutoryBasis))
    statutory_note: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    response_due: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resource: Mapped[Resource] = relationship(lazy="joined")
