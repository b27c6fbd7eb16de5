"""What the digests say: each person's tasks by their own deadline. Codes and kinds only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, lazyload

from models.case import Case
from models.enums import CaseStatus, ReminderKind, ReminderStatus, StaffRole
from models.reminder import Reminder
from models.services.access import case_supervisors, handles_case_data
from models.services.context import Policy
from models.services.desk import snapshots
from models.services.reminders import departed, due_items
from models.staff import StaffMember


@dataclass(frozen=True)
class DueLine:
    code: str
    kind: ReminderKind  # the task (an escalation is listed as the task it is about)
    due_on: date  # the task's own deadline, never when a nudge about it fires

    def days_late(self, today: date) -> int:
        return max((today - self.due_on).days, 0)


# Cases that still owe work (closed and archived ones owe nothing).
OWING_STATUSES = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.AFTERCARE)


def due_between(db: Session, staff_id: int, first: date, last: date, policy: Policy) -> list[DueLine]:
    """One person's open tasks whose deadline is on or before `last` (those before `first` are
    overdue), by deadline: what the record owes, not what the reminder rows say (a sent nudge stays
    SENT after the work is done). An escalation makes a task the person's once it has fired.

    The person's live reminder rows find the candidate cases (indexed); `reminders.due_items` on those
    cases' snapshots decides, as for the team board.
    """
    start_of_tomorrow = datetime.combine(first + timedelta(days=1), time(0), tzinfo=policy.zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=policy.zone)
    ids = set(
        db.scalars(
            select(Reminder.case_id)
            .join(Case, Case.id == Reminder.case_id)
            .where(
                Reminder.recipient_id == staff_id,
                Reminder.status != ReminderStatus.CANCELLED,
                or_(
                    Reminder.deadline_on <= last,
                    and_(Reminder.deadline_on.is_(None), Reminder.due_at < end),
                ),
                Case.status.in_(OWING_STATUSES),
                handles_case_data(staff_id, first),  # school cases: approved staff only (§17⑦)
            )
            .distinct()
        )
    )
    if not ids:
        return []
    cases = list(db.scalars(select(Case).where(Case.id.in_(ids)).options(lazyload(Case.client))))
    found: set[DueLine] = set()
    for snap in snapshots(db, cases):
        supervisors = case_supervisors(db, snap.case, today=first)
        for item in due_items(snap, policy, supervisors, today=first, departed=departed(db, snap)):
            if item.recipient_id != staff_id or item.deadline > last:
                continue
            if item.escalation and item.due_at >= start_of_tomorrow:
                continue  # not this person's yet (the supervisor hears of a contact when it escalates)
            found.add(DueLine(snap.case.code, item.task, item.deadline))
    return sorted(found, key=lambda line: (line.due_on, line.code, line.kind.value))


def digest_recipients(db: Session, *, supervisors_only: bool = False) -> list[StaffMember]:
    roles = (StaffRole.SUPERVISOR,) if supervisors_only else (StaffRole.CASE_MANAGER, StaffRole.SUPERVISOR)
    return list(
        db.scalars(
            select(StaffMember)
            .where(StaffMember.active.is_(True), StaffMember.role.in_(roles))
            .order_by(StaffMember.id)
        )
    )
