from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import PII, Base, StrEnumType, utcnow
from models.crypto import EncryptedDate, EncryptedText
from models.enums import HousingType, LegalStanding, LifeStage


class Client(Base):
    """The person (or the household's index person) a case is about. No 주민등록번호, ever (R6)."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None under privacy_mode=strict: the person is known here only by `external_ref`.
    name: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    birth_date: Mapped[date | None] = mapped_column(EncryptedDate(), info=PII)
    sex: Mapped[str | None] = mapped_column(String(10))
    contact: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    address: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    life_stage: Mapped[LifeStage | None] = mapped_column(StrEnumType(LifeStage))
    characteristics: Mapped[list[str]] = mapped_column(JSON, default=list)
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    # The language an interpreter is needed for: encrypted (a rare language can point at a person), but
    # not tagged for the outbound gate, which would otherwise stop any message naming that language.
    interpreter_language: Mapped[str | None] = mapped_column(EncryptedText())
    benefits: Mapped[list[str] | None] = mapped_column(JSON, default=list)  # BenefitStatus values
    housing_type: Mapped[HousingType | None] = mapped_column(StrEnumType(HousingType))
    under14: Mapped[bool] = mapped_column(default=False)
    # Reference number in the agency's system of record (e.g. 행복e음), for privacy_mode=strict.
    external_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[list[HouseholdMember]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="HouseholdMember.id"
    )
    guardians: Mapped[list[Guardian]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Guardian.id"
    )


class HouseholdMember(Base):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    relation: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str | None] = mapped_column(String(20))  # a LifeStage value
    co_resident: Mapped[bool] = mapped_column(default=True)
    is_main_carer: Mapped[bool] = mapped_column(default=False)

    client: Mapped[Client] = relationship(back_populates="household")


class Guardian(Base):
    """법정대리인 or carer. An alleged abuser is never contacted or told anything (R12)."""

    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)  # None under strict mode
    relationship_kind: Mapped[str] = mapped_column(String(40))
    contact: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    legal_standing: Mapped[LegalStanding | None] = mapped_column(StrEnumType(LegalStanding))
    is_legal_representative: Mapped[bool] = mapped_column(default=False)
    is_alleged_abuser: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)

    client: Mapped[Client] = relationship(back_populates="guardians")
