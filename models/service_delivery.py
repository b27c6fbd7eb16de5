from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import ResourceCategory, ServiceUnit


class ServiceDelivery(Base):
    """서비스 제공기록: what was given to the client, how much, by whom and from which fund.

    The provider is a directory resource or a staff member (one of the two); the delivery may carry out
    a plan task or a referral. The description is the worker's words and stays encrypted; the figures
    (category, units, amount, funding source) are what the statistics add up.
    """

    __tablename__ = "service_deliveries"
    __table_args__ = (
        CheckConstraint("amount_won >= 0", name="amount_not_negative"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    delivered_on: Mapped[date] = mapped_column(index=True)
    category: Mapped[ResourceCategory] = mapped_column(StrEnumType(ResourceCategory))
    description: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[ServiceUnit] = mapped_column(StrEnumType(ServiceUnit))
    amount_won: Mapped[int] = mapped_column(Integer, default=0)
    # One of the agency's funding sources (후원금, 사업비, 공적급여, 기타 and any the agency added):
    # kept as the name, so a source taken off the catalog later still reads back.
    funding_source: Mapped[str] = mapped_column(String(40))
    provider_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), index=True)
    provider_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    plan_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_tasks.id", ondelete="SET NULL"), index=True
    )
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="SET NULL"), index=True
    )
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
