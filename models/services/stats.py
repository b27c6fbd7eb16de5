"""사례관리 실적: the monthly figures an agency reports to its funder and for the facility evaluation.

Every figure is an SQL aggregate (COUNT/SUM … GROUP BY) over an indexed date range: no row of a case is
loaded into Python. The report holds aggregates only — codes of categories, never a client's name, a
case code or a note (R1, R8) — and a worker appears as a staff number (`#12`), as `casebot staff list`
shows it. Dates are the agency's local dates: a period runs from `start` 00:00 to the day after `end`.

Definitions (one line each, so a funder's question has an answer):
- new intakes: cases whose intake (초기상담) was recorded in the period (a reopened case counts again);
- referrals-in: cases referred to the agency (발굴·의뢰 received, the case opened) in the period;
- assessments: completed in the period, initial and re-assessment apart;
- open at the period's end: opened before the end, not closed by then; by the case's current intensity
  and stored stage (the stage history is not kept: for a past month this is today's stage of those cases);
- closures: approved (supervisor's sign-off) in the period, by reason;
- contacts: contact notes dated in the period, by type and kind, with the minutes recorded;
- referrals: made (created) in the period, by resource category, sector and current status;
- unmet needs: recorded in the period (a referral declined with no alternative resource), by need domain
  and the declined resource's category;
- conferences: held in the period, by type;
- mandatory reports: abuse reports made in the period, by where they went (never who reported, R12);
- after-care: checks done in the period, and of those the ones that found the client unreachable;
- service deliveries: dated in the period, by category and funding source, with times, hours and won;
- caseload: cases open at the period's end per case manager, and intensity-weighted (desk weights);
- trend: the twelve months up to the period's end, month by month.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from models.assessment import Assessment
from models.case import Case
from models.closure import AfterCareCheck, Closure
from models.conference import CaseConference
from models.contact import ContactNote
from models.enums import (
    AfterCareStatus,
    AssessmentStatus,
    AuditAction,
    ClosureStatus,
    ConferenceStatus,
    ServiceUnit,
    StaffRole,
)
from models.errors import InvalidInput, Message
from models.mandatory_report import MandatoryReport
from models.referral import Referral, UnmetNeed
from models.resource import Resource
from models.service_delivery import ServiceDelivery
from models.services.access import refuse, require_active
from models.services.audit import record_access
from models.services.context import Ctx
from models.services.desk import INTENSITY_WEIGHTS
from models.staff import Team

MAX_DAYS = 366
TREND_MONTHS = 12
NONE = "NONE"  # a dimension with no value (an unclassified case, a stage not yet stored)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start 00:00, end+1 00:00) in the agency's zone, as UTC."""
        lo = datetime.combine(self.start, time(0), tzinfo=zone).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return lo, hi


def period(start: date, end: date) -> Period:
    """The period, or InvalidInput naming what is wrong (nothing is computed or written)."""
    if end < start:
        raise InvalidInput(
            {"to": Message("stats.errors.period_backwards", end=end.isoformat(), start=start.isoformat())}
        )
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput({"to": Message("stats.errors.period_too_long")})
    return Period(start, end)


def month_period(text: str) -> Period:
    """`YYYY-MM` as the whole month; InvalidInput for anything else."""
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidInput({"month": Message("stats.errors.month_format")}) from None
    return Period(first, _next_month(first) - timedelta(days=1))


def _next_month(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


@dataclass
class Table:
    """One table of the report: rows of dimension codes followed by measures (integers or decimals)."""

    key: str
    dims: tuple[str, ...]
    measures: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    # Why a table is empty when it is empty by design (a figure this version does not record).
    note: Message | None = None

    def value(self, *key: str, measure: str | None = None) -> Any:
        """The measure of the row with these dimension values (0 when there is no such row)."""
        index = len(self.dims) + (self.measures.index(measure) if measure else 0)
        for row in self.rows:
            if tuple(row[: len(self.dims)]) == key:
                return row[index]
        return 0


@dataclass
class Report:
    period: Period
    team: str | None
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


class UnknownTeam(InvalidInput):
    def __init__(self, name: str) -> None:
        super().__init__({"team": Message("stats.errors.unknown_team", name=name)})


def team_id_of(db: Session, name: str | None) -> int | None:
    if name is None:
        return None
    team_id = db.scalar(select(Team.id).where(Team.name == name))
    if team_id is None:
        raise UnknownTeam(name)
    return team_id


def _code(value: Any) -> str:
    if value is None:
        return NONE
    return str(getattr(value, "value", value))


def _grouped(db: Session, query: Any, dims: int) -> list[tuple[Any, ...]]:
    rows = []
    for row in db.execute(query):
        values = tuple(row)
        rows.append(tuple(_code(v) for v in values[:dims]) + tuple(_number(v) for v in values[dims:]))
    return sorted(rows, key=lambda r: tuple(str(v) for v in r[:dims]))


def _number(value: Any) -> int | float:
    if value is None:
        return 0
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def compute(db: Session, span: Period, *, zone: ZoneInfo, team: str | None = None) -> Report:
    """Every table of the report for the period (and team, else the whole agency); UnknownTeam for a
    team that does not exist."""
    team_id = team_id_of(db, team)
    lo, hi = span.bounds(zone)
    on_team: ColumnElement[bool] = Case.team_id == team_id if team_id is not None else literal(True)

    def in_range(column: Any) -> ColumnElement[bool]:
        return and_(column >= lo, column < hi)

    tables: list[Table] = []
    intakes = db.execute(
        select(
            func.count(when((in_range(Case.intake_at), 1))),
            func.count(when((in_range(Case.referred_at), 1))),
        ).where(on_team, or_(in_range(Case.intake_at), in_range(Case.referred_at)))
    ).one()
    tables.append(
        Table("intake", ("item",), ("cases",), [("NEW_INTAKES", intakes[0]), ("REFERRALS_IN", intakes[1])])
    )
    tables.append(
        Table(
            "assessments",
            ("assessment_kind",),
            ("completed",),
            _grouped(
                db,
                select(Assessment.kind, func.count())
                .join(Case, Case.id == Assessment.case_id)
                .where(
                    on_team,
                    Assessment.status == AssessmentStatus.COMPLETED,
                    in_range(Assessment.completed_at),
                )
                .group_by(Assessment.kind),
                1,
            ),
        )
    )
    open_at_end = and_(on_team, Case.referred_at < hi, or_(Case.closed_at.is_(None), Case.closed_at >= hi))
    tables.append(
        Table(
            "open_by_intensity",
            ("intensity",),
            ("cases",),
            _grouped(db, select(Case.intensity, func.count()).where(open_at_end).group_by(Case.intensity), 1),
        )
    )
    tables.append(
        Table(
            "open_by_stage",
            ("stage",),
            ("cases",),
            _grouped(db, select(Case.stage, func.count()).where(open_at_end).group_by(Case.stage), 1),
        )
    )
    tables.append(
        Table(
            "closures",
            ("reason",),
            ("cases",),
            _grouped(
                db,
                select(Closure.reason, func.count())
                .join(Case, Case.id == Closure.case_id)
                .where(on_team, Closure.status == ClosureStatus.APPROVED, in_range(Closure.decided_at))
                .group_by(Closure.reason),
                1,
            ),
        )
    )
    tables.append(
        Table(
            "contacts",
            ("contact_type", "kind"),
            ("contacts", "minutes"),
            _grouped(
                db,
                select(
                    ContactNote.contact_type,
                    ContactNote.kind,
                    func.count(),
                    func.coalesce(func.sum(ContactNote.duration_minutes), 0),
                )
                .join(Case, Case.id == ContactNote.case_id)
                .where(on_team, in_range(ContactNote.contact_at))
                .group_by(ContactNote.contact_type, ContactNote.kind),
                2,
            ),
        )
    )
    tables.append(
        Table(
            "referrals",
            ("category", "sector", "status"),
            ("referrals",),
            _grouped(
                db,
                select(Resource.category, Resource.sector, Referral.status, func.count())
                .join(Resource, Resource.id == Referral.resource_id)
                .join(Case, Case.id == Referral.case_id)
                .where(on_team, in_range(Referral.created_at))
                .group_by(Resource.category, Resource.sector, Referral.status),
                3,
            ),
        )
    )
    tables.append(
        Table(
            "unmet_needs",
            ("domain", "category"),
            ("needs",),
            _grouped(
                db,
                select(UnmetNeed.domain, UnmetNeed.category, func.count())
                .join(Case, Case.id == UnmetNeed.case_id)
                .where(on_team, in_range(UnmetNeed.recorded_at))
                .group_by(UnmetNeed.domain, UnmetNeed.category),
                2,
            ),
        )
    )
    on_conference_team = CaseConference.team_id == team_id if team_id is not None else literal(True)
    tables.append(
        Table(
            "conferences",
            ("conference_type",),
            ("held",),
            _grouped(
                db,
                select(CaseConference.conference_type, func.count())
                .where(
                    on_conference_team,
                    CaseConference.status == ConferenceStatus.HELD,
                    in_range(CaseConference.scheduled_at),
                )
                .group_by(CaseConference.conference_type),
                1,
            ),
        )
    )
    tables.append(
        Table(
            "mandatory_reports",
            ("agency",),
            ("reports",),
            _grouped(
                db,
                select(MandatoryReport.agency, func.count())
                .join(Case, Case.id == MandatoryReport.case_id)
                .where(on_team, in_range(MandatoryReport.reported_at))
                .group_by(MandatoryReport.agency),
                1,
            ),
        )
    )
    checks = db.execute(
        select(
            func.count(),
            func.count(when((AfterCareCheck.status == AfterCareStatus.UNREACHABLE, 1))),
        )
        .join(Case, Case.id == AfterCareCheck.case_id)
        .where(on_team, in_range(AfterCareCheck.done_at))
    ).one()
    tables.append(
        Table("aftercare", ("item",), ("checks",), [("DONE", checks[0]), ("UNREACHABLE", checks[1])])
    )
    in_days = and_(ServiceDelivery.delivered_on >= span.start, ServiceDelivery.delivered_on <= span.end)
    tables.append(
        Table(
            "deliveries",
            ("category", "funding_source"),
            ("deliveries", "times", "hours", "amount_won"),
            _grouped(
                db,
                select(
                    ServiceDelivery.category,
                    ServiceDelivery.funding_source,
                    func.count(),
                    func.coalesce(
                        func.sum(when((ServiceDelivery.unit == ServiceUnit.TIMES, ServiceDelivery.quantity))),
                        0,
                    ),
                    func.coalesce(
                        func.sum(when((ServiceDelivery.unit == ServiceUnit.HOURS, ServiceDelivery.quantity))),
                        0,
                    ),
                    func.coalesce(func.sum(ServiceDelivery.amount_won), 0),
                )
                .join(Case, Case.id == ServiceDelivery.case_id)
                .where(on_team, in_days)
                .group_by(ServiceDelivery.category, ServiceDelivery.funding_source),
                2,
            ),
        )
    )
    weight = when(
        *((Case.intensity == k, w) for k, w in INTENSITY_WEIGHTS.items() if k is not None),
        else_=INTENSITY_WEIGHTS[None],
    )
    caseload = db.execute(
        select(Case.case_manager_id, func.count(), func.sum(weight))
        .where(open_at_end)
        .group_by(Case.case_manager_id)
        .order_by(Case.case_manager_id)
    ).all()
    tables.append(
        Table(
            "caseload",
            ("worker",),
            ("open_cases", "weighted"),
            [(f"#{staff_id}", int(n), _number(w)) for staff_id, n, w in caseload],
        )
    )
    tables.append(_trend(db, span, zone, on_team))
    return Report(span, team, tables)


def _months(span: Period) -> list[date]:
    last = span.end.replace(day=1)
    months = [last]
    while len(months) < TREND_MONTHS:
        first = months[0]
        months.insert(0, date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1))
    return months


def _trend(db: Session, span: Period, zone: ZoneInfo, on_team: ColumnElement[bool]) -> Table:
    """Month by month over the twelve months up to the period's end: one query per figure, each a
    conditional count per month over one indexed range."""
    months = _months(span)
    edges = [
        datetime.combine(m, time(0), tzinfo=zone).astimezone(UTC) for m in [*months, _next_month(months[-1])]
    ]

    def per_month(column: Any, base: Any, *where: ColumnElement[bool], value: Any = None) -> Sequence[Any]:
        cells = [
            func.coalesce(
                func.sum(when((and_(column >= a, column < b), value if value is not None else 1))), 0
            )
            for a, b in itertools.pairwise(edges)
        ]
        return db.execute(
            select(*cells).select_from(base).where(*where, column >= edges[0], column < edges[-1])
        ).one()

    intakes = per_month(Case.intake_at, Case, on_team)
    closures = per_month(
        Closure.decided_at,
        Closure.__table__.join(Case.__table__, Case.id == Closure.case_id),
        on_team,
        Closure.status == ClosureStatus.APPROVED,
    )
    contacts = per_month(
        ContactNote.contact_at,
        ContactNote.__table__.join(Case.__table__, Case.id == ContactNote.case_id),
        on_team,
    )
    day_edges = [*months, _next_month(months[-1])]
    delivery_base = ServiceDelivery.__table__.join(Case.__table__, Case.id == ServiceDelivery.case_id)
    deliveries = db.execute(
        select(
            *(
                func.coalesce(
                    func.sum(
                        when((and_(ServiceDelivery.delivered_on >= a, ServiceDelivery.delivered_on < b), 1))
                    ),
                    0,
                )
                for a, b in itertools.pairwise(day_edges)
            ),
            *(
                func.coalesce(
                    func.sum(
                        when(
                            (
                                and_(ServiceDelivery.delivered_on >= a, ServiceDelivery.delivered_on < b),
                                ServiceDelivery.amount_won,
                            )
                        )
                    ),
                    0,
                )
                for a, b in itertools.pairwise(day_edges)
            ),
        )
        .select_from(delivery_base)
        .where(
            on_team,
            ServiceDelivery.delivered_on >= day_edges[0],
            ServiceDelivery.delivered_on < day_edges[-1],
        )
    ).one()
    n = len(months)
    rows = [
        (
            m.strftime("%Y-%m"),
            int(intakes[i]),
            int(closures[i]),
            int(contacts[i]),
            int(deliveries[i]),
            int(deliveries[n + i]),
        )
        for i, m in enumerate(months)
    ]
    return Table(
        "trend", ("month",), ("new_intakes", "closures", "contacts", "deliveries", "amount_won"), rows
    )


STATS_FOR_SUPERVISORS = Message("stats.errors.for_supervisors")


def month_of(ctx: Ctx, month: str | None) -> str:
    """The month a supervisor asks for (`YYYY-MM`, checked), or the last full month; anyone who is not an
    active supervisor is refused in words (and the refusal is logged)."""
    require_active(ctx)
    if ctx.actor.role != StaffRole.SUPERVISOR:
        raise refuse(ctx, None, "statistics: not a supervisor", STATS_FOR_SUPERVISORS)
    if month:
        return month_period(month).start.strftime("%Y-%m")
    first = ctx.today.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def month_and_team(db: Session, ctx: Ctx, month: str | None) -> tuple[Period, str | None]:
    """The period and the supervisor's team `team_month` reports on (refusals as `month_of`)."""
    span = month_period(month_of(ctx, month))
    return span, db.scalar(select(Team.name).where(Team.id == ctx.actor.team_id))


def team_month(db: Session, ctx: Ctx, month: str | None) -> Report:
    """`/case stats [YYYY-MM]`: the month's figures (default: the last full month) for the supervisor's
    own team. Anyone else is refused in words (and the refusal is logged); the run is in the access log."""
    span, team = month_and_team(db, ctx, month)
    report = compute(db, span, zone=ctx.policy.zone, team=team)
    detail = f"from={span.start.isoformat()} to={span.end.isoformat()} team={team}"
    record_access(db, ctx, None, AuditAction.EXPORT, "statistics", detail)
    return report
