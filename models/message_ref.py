from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class MessageRef(Base):
    """A message the app posted and changes later: where it is (channel, ts) and what it is about.

    Today: each supervisor's DM asking to approve a closure, updated in every DM once one of them
    decides (the others keep no live buttons). Only ids and Slack coordinates, never text.
    """

    __tablename__ = "message_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    closure_id: Mapped[int | None] = mapped_column(ForeignKey("closures.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
