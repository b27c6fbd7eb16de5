from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedJSON, EncryptedText
from models.enums import ContactKind, ContactOutcome, ContactType, MonitoringResult


class ContactNote(Base):
    """과정기록 / 점검: one contact with the client or about the case."""

    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    contact_at: Mapped[datetime]
    contact_type: Mapped[ContactType] = mapped_column(StrEnumType(ContactType))
    kind: Mapped[ContactKind] = mapped_column(StrEnumType(ContactKind), default=ContactKind.REGULAR)
    participants: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    outcome: Mapped[ContactOutcome] = mapped_column(StrEnumType(ContactOutcome))
    result: Mapped[MonitoringResult | None] = mapped_column(StrEnumType(MonitoringResult))
    plan_adherence: Mapped[int | None] = mapped_column(Integer)  # 1-5
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1-5
    risk_changed: Mapped[bool] = mapped_column(default=False)
    # How long the contact took (상담 시간), for the monthly statistics; None when not given.
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    next_action: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    next_contact_on: Mapped[date | None]
    # Where a note captured from a Slack message came from (a permalink, never the text itself).
    source_ref: Mapped[str | None] = mapped_column(String(300))
    # 점검표: per-goal progress and each linked service's state at this contact, encrypted:
    # {"goals": {"<goal id>": "IMPROVED"}, "referrals": {"<referral id>": "IN_SERVICE"}}.
    monitoring: Mapped[dict[str, object] | None] = mapped_column(EncryptedJSON(), info=SENSITIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
