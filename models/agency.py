"""Several agencies on one case: the lead agency (주사례관리기관) and partner agencies with their roles.

An agency is a directory resource (models/resource.py) or an organisation typed by name; a typed name
and a role are free text, so they are stored encrypted (they could name a person).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from models.base import PII, SENSITIVE, Base, utcnow
from models.crypto import EncryptedText


class CaseAgency(Base):
    __tablename__ = "case_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    lead: Mapped[bool] = mapped_column(default=False)  # 주사례관리기관: one per case
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"))
    organisation: Mapped[str | None] = mapped_column(EncryptedText(), info=PII)
    role: Mapped[str | None] = mapped_column(EncryptedText(), info=SENSITIVE)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
