from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import NeedDomain, ReferralStatus, ResourceCategory, StatutoryBasis
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
    # The outcome dialogue: the day it happened and, for a decline, the reason's code (encrypted as the
    # note is: a reason such as "not eligible" says something about the client).
    outcome_on: Mapped[date | None]
    outcome_reason: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    no_alternative: Mapped[bool] = mapped_column(default=False)
    # A referral made from an after-care check that found a need to link (사후관리 → 연계).
    aftercare_check_id: Mapped[int | None] = mapped_column(
        ForeignKey("aftercare_checks.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    resource: Mapped[Resource] = relationship(lazy="joined")


class UnmetNeed(Base):
    """미충족 욕구: a declined referral with no alternative resource; counted by domain and category."""

    __tablename__ = "unmet_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), unique=True)
    domain: Mapped[NeedDomain] = mapped_column(StrEnumType(NeedDomain))
    category: Mapped[ResourceCategory] = mapped_column(StrEnumType(ResourceCategory))
    recorded_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
