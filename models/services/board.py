"""The team board: each team's monitoring items due today or overdue, for the morning post in the
team's Slack channel, and the channel link itself. No Slack here (scheduler/board.py sends).

What is due comes from the record, not from the nudges: the reminder rows only find the candidate
cases cheaply (indexed), and `reminders.due_items` on those cases' snapshots decides what is still
owed. A nudge that was sent stays SENT after the work is done ("rows already sent are never
touched"), so a SENT row alone cannot say whether a contact is still due; the recomputation can.

The post is kept per team and day (`TeamBoardPost`): a change to any case of the team marks the
team's current post dirty, and the scheduler re-renders it in place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, lazyload

from models.board import TeamBoardPost
from models.case import Case
from models.enums import AuditAction, CaseStatus, ReminderKind, ReminderStatus, StaffRole
from models.errors import Message, RuleViolation
from models.reminder import Reminder
from models.services import access
from models.services.audit import record_access
from models.services.context import Ctx, Policy
from models.services.reminders import due_items
from models.staff import StaffMember, Team

# Slack ids of channels a bot can post to: public (C…) and private (G…); never a DM (D…).
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")
# Closed and archived cases owe nothing; on-hold cases owe no monitoring (due_items agrees).
BOARD_STATUSES = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.AFTERCARE)
# Reminder rows that may still stand for an obligation (a sent or failed nudge is not a done task).
LIVE_STATUSES = (ReminderStatus.PENDING, ReminderStatus.CLAIMED, ReminderStatus.SENT, ReminderStatus.FAILED)
# A first post that failed (or whose sender died) is tried again after this long.
RETRY_AFTER = timedelta(minutes=5)


class BoardKind(StrEnum):
    """What the board shows; each opens one dialogue."""

    CONTACT = "contact"  # NEXT_CONTACT; CONTACT_OVERDUE is the escalation of the same contact
    PLAN_REVIEW = "plan_review"
    AFTERCARE = "aftercare"


KIND_OF: dict[ReminderKind, BoardKind] = {
    ReminderKind.NEXT_CONTACT: BoardKind.CONTACT,
    ReminderKind.PLAN_REVIEW: BoardKind.PLAN_REVIEW,
    ReminderKind.AFTERCARE_CHECK: BoardKind.AFTERCARE,
}
# Kinds with one obligation at a time per case: a newer row of the kind means an older one is history.
SINGLE_OBLIGATION = (ReminderKind.NEXT_CONTACT, ReminderKind.PLAN_REVIEW)


@dataclass(frozen=True)
class BoardItem:
    code: str
    kind: BoardKind
    due_on: date  # the earliest due date of this kind on the case (local date)
    days_overdue: int  # 0 when due today


@dataclass(frozen=True)
class ManagerGroup:
    manager_id: int
    name: str
    items: list[BoardItem]


@dataclass(frozen=True)
class Board:
    team_id: int
    team_name: str
    day: date
    groups: list[ManagerGroup] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(g.items) for g in self.groups)


# ------------------------------------------------------------------ what is due


def _candidate_cases(db: Session, team_id: int, end: datetime) -> list[int]:
    """Cases of the team with a live row of a board kind due before `end` (or snoozed past it).

    Superseded rows are skipped in SQL: for a contact or a plan review, only the newest row of the
    kind can be the current obligation. After-care checks are several at once, but bounded per case.
    """
    newer = aliased(Reminder)
    superseded = exists().where(
        newer.case_id == Reminder.case_id,
        newer.kind == Reminder.kind,
        newer.id > Reminder.id,
        newer.status != ReminderStatus.CANCELLED,
    )
    rows = db.scalars(
        select(Reminder.case_id)
        .join(Case, Case.id == Reminder.case_id)
        .where(
            Case.team_id == team_id,
            Case.status.in_(BOARD_STATUSES),
            Reminder.kind.in_(list(KIND_OF)),
            Reminder.status.in_(LIVE_STATUSES),
            # A snoozed nudge is still owed work: the board shows the real due date.
            or_(Reminder.due_at < end, Reminder.snoozed_until.is_not(None)),
            or_(Reminder.kind.not_in(SINGLE_OBLIGATION), ~superseded),
        )
        .distinct()
    )
    return sorted(set(rows))


def board_items(db: Session, team_id: int, today: date, policy: Policy) -> Board:
    """The team's contacts, plan reviews and after-care checks due today or overdue, by case manager.

    Case codes only. Queries: one for candidate cases, a few to load their records (one per record
    type, whatever the number of cases), one for the managers' names.
    """
    # Imported here: desk imports services that import models.services.changes, which imports us.
    from models.services.desk import snapshots

    team = db.get_one(Team, team_id)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=policy.zone)
    ids = _candidate_cases(db, team_id, end)
    cases = (
        list(db.scalars(select(Case).where(Case.id.in_(ids)).options(lazyload(Case.client)))) if ids else []
    )
    by_manager: dict[int, dict[tuple[str, BoardKind], date]] = defaultdict(dict)
    for snap in snapshots(db, cases):
        for item in due_items(snap, policy, today=today):
            kind = KIND_OF.get(item.kind)
            due_on = item.deadline  # the task's own deadline (the same date its nudges show)
            if kind is None or due_on > today:
                continue
            key = (snap.case.code, kind)
            earliest = by_manager[snap.case.case_manager_id].get(key)
            by_manager[snap.case.case_manager_id][key] = min(due_on, earliest or due_on)
    names = dict(
        db.execute(
            select(StaffMember.id, StaffMember.display_name).where(StaffMember.id.in_(list(by_manager)))
        ).all()
        if by_manager
        else []
    )
    order = list(BoardKind)
    groups = [
        ManagerGroup(
            manager_id,
            names.get(manager_id, ""),
            [
                BoardItem(code, kind, due_on, (today - due_on).days)
                for (code, kind), due_on in sorted(
                    items.items(), key=lambda entry: (entry[0][0], order.index(entry[0][1]))
                )
            ],
        )
        for manager_id, items in by_manager.items()
    ]
    groups.sort(key=lambda g: (g.name, g.manager_id))
    return Board(team_id=team.id, team_name=team.name, day=today, groups=groups)


# ------------------------------------------------------------------ the channel link


@dataclass(frozen=True)
class ChannelLink:
    team_name: str
    channel_id: str | None
    previous: str | None

    @property
    def changed(self) -> bool:
        return self.channel_id != self.previous


def _require_linker(ctx: Ctx) -> None:
    access.require_role(ctx, StaffRole.SUPERVISOR, StaffRole.ADMIN, detail="team channel")


def channel_link(db: Session, ctx: Ctx) -> ChannelLink:
    """The actor's team's channel, unchanged (supervisors and admins only)."""
    _require_linker(ctx)
    team = db.get_one(Team, ctx.actor.team_id)
    return ChannelLink(team.name, team.slack_channel_id, team.slack_channel_id)


def link_channel(db: Session, ctx: Ctx, channel_id: str | None) -> ChannelLink:
    """Link the actor's team to a channel (None unlinks); supervisors and admins only, audited.

    One channel per team: a channel another team uses is refused, so no team's codes land in a
    channel that another team's board occupies by mistake.
    """
    _require_linker(ctx)
    team = db.get_one(Team, ctx.actor.team_id)
    if channel_id is not None:
        if not CHANNEL_ID.match(channel_id):
            raise RuleViolation(
                "CHANNEL",
                Message(
                    "팀 채널에서 실행해 주세요 (DM에는 연결할 수 없습니다).",
                    "Run this in the team's channel (a DM cannot be linked).",
                ),
            )
        other = db.scalar(select(Team).where(Team.slack_channel_id == channel_id, Team.id != team.id))
        if other is not None:
            raise RuleViolation(
                "CHANNEL_TAKEN",
                Message(
                    f"이 채널은 이미 {other.name}의 팀 채널입니다.",
                    f"This channel is already the team channel of {other.name}.",
                ),
            )
    previous = team.slack_channel_id
    link = ChannelLink(team.name, channel_id, previous)
    if link.changed:
        team.slack_channel_id = channel_id
        # Today's post stays in the old channel as it is (no more edits there); the new channel gets
        # its own board on the scheduler's next run instead of waiting for tomorrow.
        db.execute(
            delete(TeamBoardPost).where(TeamBoardPost.team_id == team.id, TeamBoardPost.day >= ctx.today)
        )
        record_access(
            db,
            ctx,
            None,
            AuditAction.UPDATE,
            "team_channel",
            f"team {team.id}: {previous or '-'} -> {channel_id or '-'}",
        )
    return link


def channel_keepers(db: Session, team_id: int) -> list[StaffMember]:
    """Who can fix a team channel (invite the bot, link another channel): its supervisors and admins."""
    return list(
        db.scalars(
            select(StaffMember)
            .where(
                StaffMember.team_id == team_id,
                StaffMember.active.is_(True),
                StaffMember.role.in_([StaffRole.SUPERVISOR, StaffRole.ADMIN]),
            )
            .order_by(StaffMember.id)
        )
    )


# ------------------------------------------------------------------ the posts


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
