"""What the digests say: due items per person, by local day. Codes and kinds only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.enums import ReminderKind, ReminderStatus, StaffRole
from models.reminder import Reminder
from models.services.access import handles_case_data
from models.services.context import Policy
from models.staff import StaffMember


@dataclass(frozen=True)
class DueLine:
    code: str
    kind: ReminderKind
    due_on: date


def due_between(db: Session, staff_id: int, first: date, last: date, policy: Policy) -> list[DueLine]:
    """Pending reminders for one person falling due on local days first..last, by time."""
    start = datetime.combine(first, time(0), tzinfo=policy.zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=policy.zone)
    rows = db.execute(
        select(Case.code, Reminder.kind, Reminder.due_at)
        .join(Case, Case.id == Reminder.case_id)
        .where(
            Reminder.recipient_id == staff_id,
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at >= start,
            Reminder.due_at < end,
            handles_case_data(staff_id, first),  # school cases: approved staff only (§17⑦)
        )
        .order_by(Reminder.due_at, Case.code)
    ).all()
    return [DueLine(code, kind, due_at.astimezone(policy.zone).date()) for code, kind, due_at in rows]


def digest_recipients(db: Session, *, supervisors_only: bool = False) -> list[StaffMember]:
    roles = (StaffRole.SUPERVISOR,) if supervisors_only else (StaffRole.CASE_MANAGER, StaffRole.SUPERVISOR)
    return list(
        db.scalars(
            select(StaffMember)
            .where(StaffMember.active.is_(True), StaffMember.role.in_(roles))
            .order_by(StaffMember.id)
        )
    )
