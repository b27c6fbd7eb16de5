from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import SENSITIVE, Base, StrEnumType, utcnow
from models.crypto import EncryptedText
from models.enums import ReportAgency


class MandatoryReport(Base):
    """신고의무: a report of suspected abuse to 112 or a protection agency, with its reference number.

    The reference and the reporter are encrypted: the reporter's identity is kept secret (아동학대처벌법
    §10③), shown only to the case's circle and never counted with the statistics.
    """

    __tablename__ = "mandatory_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    reported_at: Mapped[datetime]
    agency: Mapped[ReportAgency] = mapped_column(StrEnumType(ReportAgency))
    reference: Mapped[str] = mapped_column(EncryptedText(), info=SENSITIVE)
    # The staff id of the person who reported, encrypted (not a foreign key: nobody joins on it). Not
    # tagged for the outbound gate: a staff number is no client data, and a short number would match
    # every date; messages never carry it (the report is shown in modals only).
    reporter: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
