"""Retention (R10): a case past its retention date is destroyed, irrecoverably, leaving counts only.

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
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from models.audit import AuditLog
from models.case import Case
from models.client import Client
from models.closure import Closure
from models.contact import ContactNote
from models.enums import AuditAction, CaseStatus, ClosureStatus, Surface
from models.referral import Referral
from models.retention import PurgeAuthorization, RetentionStatistic

PURGEABLE = (CaseStatus.CLOSED, CaseStatus.AFTERCARE, CaseStatus.ARCHIVED)
ACTOR = "system:retention"


@dataclass
class PurgeReport:
    destroyed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.destroyed:
            return "retention: nothing past its retention date"
        return f"retention: destroyed {len(self.destroyed)} case(s) past their retention date"


def expired_case_ids(db: Session, today: date) -> list[int]:
    return list(
        db.scalars(
            select(Case.id)
            .where(Case.retention_until < today, Case.status.in_(PURGEABLE))
            .order_by(Case.retention_until, Case.id)
        )
    )


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
