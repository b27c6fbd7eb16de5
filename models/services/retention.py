"""Retention (R10): a case past its retention date is destroyed, irrecoverably, leaving counts only.

Before that, the supervisors who see a case are told its code 30 and 7 days before it is destroyed
(`due_for_destruction`, `notices_to_send`), and an operator may hold a case (an investigation, a court
order) and release it (`hold`, `release`): a hold stops the clock, a release restarts it, both logged.

`purge_expired` is the housekeeping task; `purge_case` destroys one case in one transaction: the
de-identified counts are added to `retention_statistics`, then the case row is deleted and the
database's ON DELETE CASCADE removes every record hanging off it (consents, assessments, plans,
referrals, notes, closures, after-care, reminders, conference entries, the timeline). The client
goes too unless another case still refers to them. The timeline is append-only; a
`purge_authorizations` row for the case, inserted and removed inside this transaction, is the only
thing its trigger lets through. The access log keeps its rows (codes only) and records the
destruction. SQLite overwrites deleted content (secure_delete); stored values were ciphertext anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.client import Client
from models.closure import Closure
from models.contact import ContactNote
from models.enums import AuditAction, CaseStatus, ClosureStatus, Surface
from models.errors import InvalidInput, Message, NotFound, RuleViolation
from models.household import Household, HouseholdCase
from models.referral import Referral
from models.retention import PurgeAuthorization, RetentionStatistic
from models.services import access, idempotency
from models.staff import StaffMember

PURGEABLE = (CaseStatus.CLOSED, CaseStatus.AFTERCARE, CaseStatus.ARCHIVED)
ACTOR = "system:retention"


@dataclass
class PurgeReport:
    destroyed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.destroyed:
            return "retention: nothing past its retention date"
        return f"retention: destroyed {len(self.destroyed)} case(s) past their retention date"


def _not_held(today: date) -> ColumnElement[bool]:
    """No hold in force today: none, or one whose last day has passed (the clock runs again)."""
    return or_(Case.retention_hold_until.is_(None), Case.retention_hold_until < today)


def expired_case_ids(db: Session, today: date) -> list[int]:
    return list(
        db.scalars(
            select(Case.id)
            .where(Case.retention_until < today, Case.status.in_(PURGEABLE), _not_held(today))
            .order_by(Case.retention_until, Case.id)
        )
    )


# ------------------------------------------------------------------ notice before destruction (D-30, D-7)

NOTICE_DAYS = (30, 7)


@dataclass(frozen=True)
class DueForDestruction:
    case_id: int
    code: str
    team_id: int
    destroy_on: date  # the first day the daily purge may destroy it (the day after retention_until)
    days: int  # the notice: 30 or 7


def due_for_destruction(db: Session, today: date) -> list[DueForDestruction]:
    """Cases whose destruction comes within 30 days (the D-30 notice) or 7 (the D-7 notice), held ones
    left out; each (case, notice, date) is told once by the caller (an idempotency key)."""
    horizon = today + timedelta(days=max(NOTICE_DAYS))
    rows = db.execute(
        select(Case.id, Case.code, Case.team_id, Case.retention_until, Case.retention_hold_until).where(
            Case.retention_until < horizon, Case.status.in_(PURGEABLE)
        )
    ).all()
    due = []
    for case_id, code, team_id, until, held in rows:
        destroy_on = max(until, held or until) + timedelta(days=1)  # a hold moves the first purge day
        left = (destroy_on - today).days
        if 0 < left <= max(NOTICE_DAYS):
            days = min(d for d in NOTICE_DAYS if left <= d)
            due.append(DueForDestruction(case_id, code, team_id, destroy_on, days))
    return sorted(due, key=lambda d: (d.destroy_on, d.code))


def notice_key(item: DueForDestruction) -> str:
    return f"retention-notice:{item.case_id}:{item.days}:{item.destroy_on.isoformat()}"


# ------------------------------------------------------------------------------- holds (PIPA §21①)


def hold(
    db: Session, code: str, *, reason: str, until: date, operator: str, now: datetime, today: date
) -> Case:
    """Stop the clock: the case is not destroyed before `until` (nor notified as due); logged."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": Message("retention.errors.reason_needed")})
    if until < today:
        raise InvalidInput({"until": Message("retention.errors.until_past")})
    case = _case(db, code)
    case.retention_hold_until = until
    case.retention_hold_reason = reason
    _log(db, case, "retention_held", operator, now, until=until.isoformat())
    return case


def release(db: Session, code: str, *, operator: str, now: datetime) -> Case:
    """Restart the clock: the retention date applies again (a case already past it goes at the next
    run); logged."""
    case = _case(db, code)
    if case.retention_hold_until is None:
        raise RuleViolation("R10", Message("retention.errors.not_held", code=case.code))
    case.retention_hold_until = None
    case.retention_hold_reason = None
    _log(db, case, "retention_released", operator, now)
    return case


def _case(db: Session, code: str) -> Case:
    case = db.scalar(select(Case).where(Case.code == code.strip().upper()))
    if case is None:
        raise NotFound(Message("export.errors.no_case", code=code))
    return case


def _log(db: Session, case: Case, event: str, operator: str, now: datetime, **data: object) -> None:
    """On the timeline (no staff member: the operator's login in the data) and in the access log."""
    db.add(CaseEvent(case_id=case.id, actor_id=None, event=event, data={"by": operator[:64], **data}, at=now))
    db.add(
        AuditLog(
            at=now,
            actor_id=None,
            actor_ref=operator[:64],
            action=AuditAction.UPDATE,
            record=event,
            case_id=case.id,
            case_code=case.code,
            surface=Surface.CLI,
            detail=", ".join(f"{k}={v}" for k, v in data.items()) or None,
        )
    )
    db.flush()


def purge_expired(
    db: Session, today: date, now: datetime, zone: ZoneInfo, *, limit: int = 500
) -> PurgeReport:
    report = PurgeReport()
    for case_id in expired_case_ids(db, today)[:limit]:
        report.destroyed.append(purge_case(db, case_id, now=now, zone=zone))
    return report


def purge_case(db: Session, case_id: int, *, now: datetime, zone: ZoneInfo) -> str:
    """Destroy one case; returns its code (kept in the access log, which holds codes only)."""
    case = db.get_one(Case, case_id)
    code, client_id = case.code, case.client_id
    _count(db, case, zone)
    db.add(PurgeAuthorization(case_id=case.id, created_at=now))
    db.flush()
    db.expunge(case)
    db.execute(delete(Case).where(Case.id == case_id))
    db.execute(delete(Client).where(Client.id == client_id, ~exists().where(Case.client_id == Client.id)))
    # A household none of whose cases is left goes too, with its members and rating (cascade).
    db.execute(delete(HouseholdCase).where(HouseholdCase.case_id == case_id))
    db.execute(delete(Household).where(~exists().where(HouseholdCase.household_id == Household.id)))
    db.execute(delete(PurgeAuthorization).where(PurgeAuthorization.case_id == case_id))
    db.add(
        AuditLog(
            at=now,
            actor_id=None,
            actor_ref=ACTOR,
            action=AuditAction.DESTROY,
            record="case",
            case_id=case_id,
            case_code=code,
            surface=Surface.SYSTEM,
            detail=f"retention ended {case.retention_until}",
        )
    )
    db.flush()
    db.expire_all()  # nothing of the destroyed case may linger in the session
    return code


def _count(db: Session, case: Case, zone: ZoneInfo) -> None:
    """Add the case to the de-identified counts: no code, no date finer than the year."""
    closed = case.closed_at or case.updated_at
    reason = db.scalar(
        select(Closure.reason)
        .where(Closure.case_id == case.id, Closure.status == ClosureStatus.APPROVED)
        .order_by(Closure.decided_at.desc())
        .limit(1)
    )
    key = {
        "year_closed": closed.astimezone(zone).year,
        "profile": case.profile.value,
        "team_id": case.team_id,
        "intensity": case.intensity.value if case.intensity else "-",
        "closure_reason": reason.value if reason else "-",
    }
    row = db.scalar(select(RetentionStatistic).filter_by(**key))
    if row is None:
        row = RetentionStatistic(**key, cases=0, total_days_open=0, contacts=0, referrals=0)
        db.add(row)
    row.cases += 1
    row.total_days_open += max((closed - case.referred_at).days, 0)
    row.contacts += db.scalar(select(func.count()).where(ContactNote.case_id == case.id)) or 0
    row.referrals += db.scalar(select(func.count()).where(Referral.case_id == case.id)) or 0


def notices_to_send(db: Session, today: date) -> dict[tuple[str, str], list[DueForDestruction]]:
    """(supervisor's Slack id, stored language) → the cases due for destruction not yet told to them:
    the supervisors who see each case (a restricted case's named ones only, R9)."""
    by_person: dict[tuple[str, str], list[DueForDestruction]] = {}
    for item in due_for_destruction(db, today):
        if idempotency.remembered(db, notice_key(item)) is not None:
            continue
        case = db.get_one(Case, item.case_id)
        for staff_id in access.case_supervisors(db, case, today=today):
            member = db.get_one(StaffMember, staff_id)
            by_person.setdefault((member.slack_user_id, member.locale or ""), []).append(item)
    return by_person
