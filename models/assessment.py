from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedJSON, EncryptedText
from models.enums import AssessmentKind, AssessmentStatus, NeedDomain, StatutoryBasis


class Assessment(Base):
    """사정: a rating of every need domain of the profile, strengths, supports and the crisis screen.

    A DRAFT keeps whatever was typed so far, so a closed modal or an error loses nothing.
    """

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[AssessmentKind] = mapped_column(StrEnumType(AssessmentKind))
    status: Mapped[AssessmentStatus] = mapped_column(
        StrEnumType(AssessmentStatus), default=AssessmentStatus.DRAFT
    )
    assessor_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    # Crisis screen: self-harm, abuse or violence, loss of income or housing, loss of carer.
    screen_self_harm: Mapped[bool] = mapped_column(default=False)
    screen_abuse: Mapped[bool] = mapped_column(default=False)
    screen_loss_of_income_or_housing: Mapped[bool] = mapped_column(default=False)
    screen_loss_of_carer: Mapped[bool] = mapped_column(default=False)

    strengths_personal: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    strengths_family: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    strengths_social: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    strengths_community: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    informal_supports: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    client_goals: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    genogram_ref: Mapped[str | None] = mapped_column(String(300))
    # R4 (PIPA §23①2): the law that allows processing health data without a SENSITIVE consent, if any.
    sensitive_basis: Mapped[StatutoryBasis | None] = mapped_column(StrEnumType(StatutoryBasis))
    sensitive_basis_note: Mapped[str | None] = mapped_column(Text)
    # The step a multi-step dialogue was on, so a draft resumes where it stopped.
    draft_step: Mapped[int] = mapped_column(Integer, default=0)
    # Everything typed so far, narratives included: encrypted like the finished record.
    draft_state: Mapped[dict[str, object]] = mapped_column(EncryptedJSON(), default=dict, info=SENSITIVE)

    ratings: Mapped[list[AssessmentRating]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentRating.id"
    )

    @property
    def crisis_screen_positive(self) -> bool:
        return (
            self.screen_self_harm
            or self.screen_abuse
            or self.screen_loss_of_income_or_housing
            or self.screen_loss_of_carer
        )

    @property
    def max_severity(self) -> int:
        return max((r.severity for r in self.ratings), default=0)


class AssessmentRating(Base):
    __tablename__ = "assessment_ratings"
    __table_args__ = (UniqueConstraint("assessment_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    domain: Mapped[NeedDomain] = mapped_column(StrEnumType(NeedDomain))
    severity: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(default=False)
    client_priority: Mapped[int | None] = mapped_column(Integer)
    narrative: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    evidence_source: Mapped[str | None] = mapped_column(String(200))

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")
