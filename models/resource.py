from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, utcnow
from models.enums import ResourceCategory, ResourceSector, WeeLevel


class Resource(Base):
    """A community resource in the directory (the seed's 경제·의료·문화·교육·복지 networks and more)."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("name", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[ResourceCategory] = mapped_column(StrEnumType(ResourceCategory), index=True)
    sector: Mapped[ResourceSector] = mapped_column(StrEnumType(ResourceSector))
    contact: Mapped[str | None] = mapped_column(String(200))
    eligibility: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[str | None] = mapped_column(String(100))
    has_mou: Mapped[bool] = mapped_column(default=False)
    # A Wee resource's step on the Wee ladder (school teams: models/profiles.py `next_wee_level`).
    wee_level: Mapped[WeeLevel | None] = mapped_column(StrEnumType(WeeLevel))
    active: Mapped[bool] = mapped_column(default=True)
    last_verified_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
