from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ProcessedRequest(Base):
    """A Slack request (view submission, button, event) already acted on, with what it produced.

    Slack retries and double clicks arrive with the same key; the second one gets the first's result.
    """

    __tablename__ = "processed_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    result: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
