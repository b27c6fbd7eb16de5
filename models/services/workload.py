"""How heavy each worker's caseload is, now and over the last weeks, and who has gone without supervision.

The weights say how much work a case of each intensity is, relative to a GENERAL case [P]. The trend is
computed from the record, not from a snapshot table: a case counts in a week when it was registered
(`referred_at`) before the week's end and not closed (`closed_at`) by then, weighted by its intensity.
What the record does not keep is taken as it is now: the case's intensity (a re-classification
re-weights its past weeks) and its case manager (a transferred case counts for the new manager
throughout). Cases in after-care have a closure date and count as closed, as in the open caseload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from models.case import Case
from models.enums import CaseIntensity, StaffRole
from models.staff import StaffMember
from models.supervision import SupervisionSession

# Weighted caseload [P]: how much work a case of each intensity is, relative to a GENERAL case.
# SIMPLE (단순서비스, older public guidance, "treat as non-case") is weighted like LINKAGE_ONLY.
INTENSITY_WEIGHTS: dict[CaseIntensity | None, float] = {
    CaseIntensity.CRISIS: 3.0,
    CaseIntensity.HIGH_COMPLEXITY: 2.0,
    CaseIntensity.INTENSIVE: 1.5,
    CaseIntensity.GENERAL: 1.0,
    CaseIntensity.LINKAGE_ONLY: 0.5,
    CaseIntensity.SIMPLE: 0.5,
    CaseIntensity.SIMPLE_LINKAGE: 0.5,  # 단순연계 (welfare centre): a linkage only, like 서비스연계
    None: 1.0,  # not classified yet
}
TREND_WEEKS = 8


def case_weight() -> ColumnElement[float]:
    """A case's weight by its intensity, as SQL."""
    return sql_case(
        *((Case.intensity == k, w) for k, w in INTENSITY_WEIGHTS.items() if k is not None),
        else_=INTENSITY_WEIGHTS[None],
    )


def week_ends(now: datetime, zone: ZoneInfo, weeks: int = TREND_WEEKS) -> list[datetime]:
    """The moments the trend is measured at, oldest first: the end of each of the last `weeks` weeks
    (Monday 00:00 local after the week), the current week measured at `now`."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    ends = [
        datetime.combine(monday - timedelta(weeks=back - 1), time(0), tzinfo=zone)
        for back in range(weeks - 1, 0, -1)
    ]
    return [*ends, now]


def weekly_loads(db: Session, team_id: int, points: list[datetime]) -> dict[int, list[float]]:
    """Per case manager of the team: the weighted caseload open at each of `points` (one SQL query).
    Managers without any open case in the period are absent (their trend is all zeros)."""
    if not points:
        return {}
    weight = case_weight()
    sums = [
        func.coalesce(
            func.sum(
                sql_case(
                    (and_(Case.referred_at < p, or_(Case.closed_at.is_(None), Case.closed_at >= p)), weight),
                    else_=literal(0.0),
                )
            ),
            0,
        )
        for p in points
    ]
    rows = db.execute(
        select(Case.case_manager_id, *sums)
        .where(
            Case.team_id == team_id,
            Case.referred_at < points[-1],
            or_(Case.closed_at.is_(None), Case.closed_at >= points[0]),
        )
        .group_by(Case.case_manager_id)
    ).all()
    return {row[0]: [round(float(v), 2) for v in row[1:]] for row in rows}


@dataclass(frozen=True)
class Unsupervised:
    """A worker of the team without a supervision session for the configured number of weeks."""

    staff_id: int
    name: str
    last_on: date | None  # the last session, None for never


def last_sessions(db: Session, team_id: int) -> dict[int, date]:
    """Each worker's latest supervision session date (workers of the team with at least one)."""
    return dict(
        db.execute(
            select(SupervisionSession.worker_id, func.max(SupervisionSession.held_on))
            .where(SupervisionSession.team_id == team_id)
            .group_by(SupervisionSession.worker_id)
        ).all()
    )


def unsupervised(
    db: Session, team_id: int, today: date, gap_weeks: int, zone: ZoneInfo
) -> list[Unsupervised]:
    """The team's active case managers whose last supervision (or, never supervised, their start in
    Casebot) is `gap_weeks` weeks or more before `today`, longest gap first."""
    cutoff = today - timedelta(weeks=gap_weeks)
    last = last_sessions(db, team_id)
    found = []
    for member in db.scalars(
        select(StaffMember)
        .where(
            StaffMember.team_id == team_id,
            StaffMember.active.is_(True),
            StaffMember.role == StaffRole.CASE_MANAGER,
        )
        .order_by(StaffMember.display_name, StaffMember.id)
    ):
        since = last.get(member.id) or member.created_at.astimezone(zone).date()
        if since <= cutoff:
            found.append(Unsupervised(member.id, member.display_name, last.get(member.id)))
    return sorted(found, key=lambda u: (u.last_on or date.min, u.name))
