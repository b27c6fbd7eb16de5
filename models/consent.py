from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import PII, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import ConsentMethod, ConsentScope, SignerRelationship


class Consent(Base):
    """One consent record per scope (R3): purposes, items, recipients, retention and refusal notice."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    scope: Mapped[ConsentScope] = mapped_column(StrEnumType(ConsentScope))
    # None under privacy_mode=strict: the signed form is kept in the agency's system of record.
    signer_name: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    signer_relationship: Mapped[SignerRelationship] = mapped_column(StrEnumType(SignerRelationship))
    purposes: Mapped[str] = mapped_column(Text)
    items: Mapped[str] = mapped_column(Text)
    # Resource ids (or free names for recipients outside the directory) that THIRD_PARTY consent names.
    recipient_resource_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    recipient_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention: Mapped[str] = mapped_column(String(200))
    refusal_notice_given: Mapped[bool] = mapped_column(default=False)
    method: Mapped[ConsentMethod] = mapped_column(StrEnumType(ConsentMethod))
    guardian_verified: Mapped[bool] = mapped_column(default=False)
    given_on: Mapped[date]
    expires_on: Mapped[date | None]
    withdrawn_at: Mapped[datetime | None]
    # The day the person withdrew (may precede the recording) and why, in their words (encrypted).
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    # A renewal names the consent it carries on.
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def active_on(self, day: date) -> bool:
        if self.withdrawn_at is not None:
            return False
        return self.given_on <= day and (self.expires_on is None or day <= self.expires_on)
