from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class TeamBoardPost(Base):
    """A team channel's morning post for one working day, kept so it is updated in place
    (`chat.update`) as items are done instead of being posted again.

    `dirty` is set when a case of the team changes; the scheduler re-renders dirty posts, so a
    user's request never waits on Slack for it.
    """

    __tablename__ = "team_board_posts"
    __table_args__ = (UniqueConstraint("team_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    slack_channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # A digest of what the post shows: an update is skipped when nothing it shows has changed.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    dirty: Mapped[bool] = mapped_column(default=False)
    posted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
