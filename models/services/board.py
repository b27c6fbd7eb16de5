"""The team board: each team's monitoring items due today or overdue, for the morning post in the
team's Slack channel, and the channel link itself. No Slack here (scheduler/board.py sends).

What is due comes from the record, not from the nudges: the reminder rows only find the candidate
cases cheaply (indexed), and `reminders.due_items` on those cases' snapshots decides what is still
owed. A nudge that was sent stays SENT after the work is done ("rows already sent are never
touched"), so a SENT row alone cannot say whether a contact is still due; the recomputation can.

The post is kept per team and day (`TeamBoardPost`, models/services/board_posts.py): a change to any
case of the team marks the team's current post dirty, and the scheduler re-renders it in place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session, aliased, lazyload

from models.board import TeamBoardPost
from models.case import Case
from models.enums import AuditAction, CaseStatus, ReminderKind, ReminderStatus, StaffRole
from models.errors import Message, RuleViolation
from models.reminder import Reminder
from models.services import access
from models.services.audit import record_access
from models.services.context import Ctx, Policy
from models.services.desk import snapshots
from models.services.reminders import due_items
from models.staff import StaffMember, Team

# Slack ids of channels a bot can post to: public (C…) and private (G…); never a DM (D…).
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")
# Closed and archived cases owe nothing; on-hold cases owe no monitoring (due_items agrees).
BOARD_STATUSES = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.AFTERCARE)
# Reminder rows that may still stand for an obligation (a sent or failed nudge is not a done task).
LIVE_STATUSES = (ReminderStatus.PENDING, ReminderStatus.CLAIMED, ReminderStatus.SENT, ReminderStatus.FAILED)


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
                Message("board.errors.run_team_s_channel"),
            )
        other = db.scalar(select(Team).where(Team.slack_channel_id == channel_id, Team.id != team.id))
        if other is not None:
            raise RuleViolation(
                "CHANNEL_TAKEN",
                Message("board.errors.channel_already_team_channel", name=other.name),
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
