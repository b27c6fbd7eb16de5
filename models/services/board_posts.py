"""The team board's posts, one per team and day (`TeamBoardPost`): the write side of the board.

A change to a case marks its team's current post dirty (`mark_team_dirty`, from
`models.services.changes`), and the scheduler claims, posts and re-renders posts (scheduler/board.py).
What the board shows is read in models/services/board.py. This module depends on no other service, so
every service that changes a case can use it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.board import TeamBoardPost
from models.staff import Team

# A first post that failed (or whose sender died) is tried again after this long.
RETRY_AFTER = timedelta(minutes=5)


def mark_team_dirty(db: Session, team_id: int, today: date) -> None:
    """A case of the team changed: its current post (the latest up to today) needs a re-render.

    The latest rather than exactly today's: an operator moving time (`reminders send --as-of`) keeps
    an earlier day's post current; the scheduler only ever re-renders today's. One indexed lookup and
    at most one row written, inside the caller's transaction.
    """
    post_id = db.scalar(
        select(TeamBoardPost.id)
        .where(TeamBoardPost.team_id == team_id, TeamBoardPost.day <= today)
        .order_by(TeamBoardPost.day.desc())
        .limit(1)
    )
    if post_id is not None:
        db.execute(
            update(TeamBoardPost)
            .where(TeamBoardPost.id == post_id, TeamBoardPost.dirty.is_(False))
            .values(dirty=True)
        )


def teams_due_a_post(db: Session, day: date, now: datetime) -> list[int]:
    """Teams with a channel and no post for `day` yet (none tried, or a failed try due again)."""
    done_or_trying = exists().where(
        TeamBoardPost.team_id == Team.id,
        TeamBoardPost.day == day,
        or_(TeamBoardPost.message_ts.is_not(None), TeamBoardPost.posted_at > now - RETRY_AFTER),
    )
    return list(
        db.scalars(
            select(Team.id).where(Team.slack_channel_id.is_not(None), ~done_or_trying).order_by(Team.id)
        )
    )


def claim_first_post(db: Session, team_id: int, day: date, now: datetime) -> TeamBoardPost | None:
    """Take the job of posting the team's board for `day`, or None if it is done or someone has it.

    The claim commits before Slack is called: the unique (team, day) row stops a second sender (the
    09:00 job and the minute job, or the CLI, at once). A failed try keeps the row without a ts and
    `posted_at` as the time of the try, so it is taken again after RETRY_AFTER.
    """
    team = db.get(Team, team_id)
    if team is None or team.slack_channel_id is None:
        return None
    post = db.scalar(select(TeamBoardPost).where(TeamBoardPost.team_id == team_id, TeamBoardPost.day == day))
    if post is None:
        post = TeamBoardPost(
            team_id=team_id, day=day, slack_channel_id=team.slack_channel_id, dirty=False, posted_at=now
        )
        try:
            with db.begin_nested():
                db.add(post)
        except IntegrityError:
            return None
        return post
    if post.message_ts is not None:
        return None
    taken = db.execute(
        update(TeamBoardPost)
        .where(
            TeamBoardPost.id == post.id,
            TeamBoardPost.message_ts.is_(None),
            or_(TeamBoardPost.posted_at.is_(None), TeamBoardPost.posted_at <= now - RETRY_AFTER),
        )
        .values(posted_at=now, slack_channel_id=team.slack_channel_id, dirty=False)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    db.refresh(post)
    return post


def record_posted(db: Session, post_id: int, ts: str, content_hash: str, now: datetime) -> None:
    post = db.get_one(TeamBoardPost, post_id)
    post.message_ts, post.content_hash, post.posted_at = ts, content_hash, now


def dirty_posts(db: Session, day: date) -> list[int]:
    return list(
        db.scalars(
            select(TeamBoardPost.id)
            .where(
                TeamBoardPost.day == day,
                TeamBoardPost.dirty.is_(True),
                TeamBoardPost.message_ts.is_not(None),
            )
            .order_by(TeamBoardPost.id)
        )
    )


def take_dirty(db: Session, post_id: int) -> TeamBoardPost | None:
    """Clear the dirty flag before rendering (commit it alone, then render): a change committed after
    the clear marks the post again, and on PostgreSQL the clear waits for a request that is marking the
    post, so the render that follows sees that request's change. Nothing is lost either way."""
    taken = db.execute(
        update(TeamBoardPost)
        .where(TeamBoardPost.id == post_id, TeamBoardPost.dirty.is_(True))
        .values(dirty=False)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    post = db.get_one(TeamBoardPost, post_id)
    db.refresh(post)
    return post


def record_updated(db: Session, post_id: int, content_hash: str) -> None:
    db.get_one(TeamBoardPost, post_id).content_hash = content_hash


def mark_dirty(db: Session, post_id: int) -> None:
    """An update failed: try again on the next run."""
    db.execute(
        update(TeamBoardPost)
        .where(TeamBoardPost.id == post_id)
        .values(dirty=True)
        .execution_options(synchronize_session=False)
    )


def forget_message(db: Session, post_id: int) -> None:
    """The message is gone (deleted in Slack): the next run posts the board afresh."""
    db.execute(
        update(TeamBoardPost)
        .where(TeamBoardPost.id == post_id)
        .values(message_ts=None, content_hash=None, posted_at=None, dirty=False)
        .execution_options(synchronize_session=False)
    )
