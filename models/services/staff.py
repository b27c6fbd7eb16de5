"""Staff and teams. A Slack user who is not active staff can do nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.errors import InvalidInput, Message, NotFound
from models.schemas import StaffInput
from models.staff import StaffMember, Team


def get_or_create_team(db: Session, name: str) -> Team:
    team = db.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.add(team)
        db.flush()
    return team


def team_by_name(db: Session, name: str) -> Team | None:
    return db.scalar(select(Team).where(Team.name == name))


def add_staff(db: Session, data: StaffInput) -> StaffMember:
    if db.scalar(select(StaffMember).where(StaffMember.slack_user_id == data.slack_user_id)) is not None:
        raise InvalidInput(
            {
                "slack_user_id": Message(
                    "이미 등록된 Slack 사용자입니다.", "This Slack user is already registered."
                )
            }
        )
    team = get_or_create_team(db, data.team)
    member = StaffMember(
        slack_user_id=data.slack_user_id,
        display_name=data.display_name,
        role=data.role,
        team=team,
        active=True,
    )
    db.add(member)
    db.flush()
    return member


def list_staff(db: Session, *, include_inactive: bool = True) -> list[StaffMember]:
    query = select(StaffMember).order_by(StaffMember.team_id, StaffMember.display_name)
    if not include_inactive:
        query = query.where(StaffMember.active.is_(True))
    return list(db.scalars(query))


def find_staff(db: Session, ref: str) -> StaffMember:
    """By numeric id or Slack user id."""
    member = db.get(StaffMember, int(ref)) if ref.isdigit() else None
    member = member or db.scalar(select(StaffMember).where(StaffMember.slack_user_id == ref))
    if member is None:
        raise NotFound(Message(f"직원 {ref}을(를) 찾을 수 없습니다.", f"No staff member {ref}."))
    return member


def deactivate(db: Session, ref: str, *, now: datetime | None = None) -> StaffMember:
    member = find_staff(db, ref)
    member.active = False
    member.deactivated_at = now or utcnow()
    db.flush()
    return member


def actor_for_slack_user(db: Session, slack_user_id: str) -> StaffMember | None:
    """The active staff member behind a Slack user id, or None (the caller refuses politely)."""
    member = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == slack_user_id))
    return member if member is not None and member.active else None
