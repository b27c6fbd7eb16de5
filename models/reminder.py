from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, utcnow
from models.enums import ReminderKind, ReminderStatus


class Reminder(Base):
    """A due item: what, for whom, when. The scheduler sends PENDING rows whose time has come.

    The `key` names the obligation (case, kind and what it is about) so that recomputing a case's
    reminders updates the row in place instead of adding a second one.
    """

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ReminderKind] = mapped_column(StrEnumType(ReminderKind))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    conference_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_conferences.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    # When the nudge fires (moved by a snooze or a retry); never shown as the task's deadline.
    due_at: Mapped[datetime]
    # The task's own deadline, the agency's date: what the nudge shows, and counts "N days late" from.
    # NULL on rows written before it was kept, and on conference reminders (about a meeting, not a task).
    deadline_on: Mapped[date | None]
    status: Mapped[ReminderStatus] = mapped_column(
        StrEnumType(ReminderStatus), default=ReminderStatus.PENDING
    )
    # A snoozed nudge is not due before this, whatever the recomputation says.
    snoozed_until: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    # Who holds a CLAIMED row ("host:pid:token", models/services/sweeper.py) and until when.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    # After a failed send for a passing reason: not tried again before this (due_at stays the obligation's).
    retry_at: Mapped[datetime | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    message_channel: Mapped[str | None] = mapped_column(String(32))  # where the sent nudge is (a DM's D…)
    # A sent nudge whose task is no longer due (done, or the case moved on): its message is to say so
    # (the sweep's `settle`), then `settled_at` is stamped. Never set on a row not sent.
    unneeded: Mapped[bool] = mapped_column(default=False)
    settled_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
