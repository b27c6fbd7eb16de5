"""가구: a household that several cases belong to (one case per household member who is a client),
its members who are not clients, and one need rating for the household as a whole.

The household's code (`H-<year>-<sequence>`) is a pseudonym like a case code. Which cases belong to a
household is shown to a viewer only for the cases they may see themselves (models.services.households).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import PII, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import HouseholdRelation, LifeStage, NeedDomain, Severity


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cases: Mapped[list[HouseholdCase]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="HouseholdCase.id"
    )
    people: Mapped[list[HouseholdPerson]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="HouseholdPerson.id"
    )
    needs: Mapped[list[HouseholdNeed]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="HouseholdNeed.id"
    )


class HouseholdCase(Base):
    """A case of a household member (its client), linked to the household; a case is in one at most."""

    __tablename__ = "household_cases"
    __table_args__ = (UniqueConstraint("case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(back_populates="cases")


class HouseholdPerson(Base):
    """A household member who is not a client: relation and age band; a name only if given, encrypted."""

    __tablename__ = "household_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    relation: Mapped[HouseholdRelation] = mapped_column(StrEnumType(HouseholdRelation))
    age_band: Mapped[LifeStage | None] = mapped_column(StrEnumType(LifeStage))
    name: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(back_populates="people")


class HouseholdNeed(Base):
    """The household's need in one domain, on the assessment's severity scale (0-4), rated once for the
    household rather than in each member's case; a new rating replaces it."""

    __tablename__ = "household_needs"
    __table_args__ = (UniqueConstraint("household_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    domain: Mapped[NeedDomain] = mapped_column(StrEnumType(NeedDomain))
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity))
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(back_populates="needs")
