"""신고의무 (R12): the record of a mandatory abuse report — when, to whom, the reference number.

Visible to the case's circle only (every path loads the case through `access.load_case`); the reporter's
identity is kept secret (아동학대처벌법 §10③): stored encrypted, shown to the circle only, left out of the
statistics (counts by agency and month, nobody named) and of the subject's export, and never in a
message (the dialogue is a modal; nothing goes to a channel or a DM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import ReportAgency
from models.errors import InvalidInput, Message
from models.mandatory_report import MandatoryReport
from models.schemas import MandatoryReportInput
from models.services import access
from models.services.changes import case_changed
from models.services.context import Ctx
from models.staff import StaffMember

# The timeline event and access-log record of a report: the export leaves both out (§10③).
REPORT_EVENT = "mandatory_report_recorded"
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ReportLine:
    reported_at: datetime
    agency: ReportAgency
    reference: str
    reporter: str  # the reporting staff member's name: shown to the circle only


@dataclass(frozen=True)
class CaseReports:
    code: str
    lines: list[ReportLine]


def record_report(db: Session, ctx: Ctx, code: str, data: MandatoryReportInput) -> MandatoryReport:
    """Record a report on a case of the actor's circle; a report time in the future is a field error."""
    case = access.load_case(db, ctx, code, purpose="record mandatory report")
    if data.reported_at > ctx.now + CLOCK_SKEW:
        raise InvalidInput({"reported_at": Message("reports.errors.future")})
    report = MandatoryReport(
        case_id=case.id,
        episode=case.episode,
        reported_at=data.reported_at,
        agency=data.agency,
        reference=data.reference,
        reporter=str(ctx.actor.id),
    )
    db.add(report)
    db.flush()
    case_changed(db, ctx, case, REPORT_EVENT, report=report.id)
    return report


def reports_of(db: Session, ctx: Ctx, code: str) -> CaseReports:
    """The case's reports, newest first, with the reporter's name: for the circle only (read logged)."""
    case = access.load_case(db, ctx, code, purpose="read mandatory reports")
    rows = db.scalars(
        select(MandatoryReport)
        .where(MandatoryReport.case_id == case.id)
        .order_by(MandatoryReport.reported_at.desc(), MandatoryReport.id.desc())
    ).all()
    ids = {int(r.reporter) for r in rows if r.reporter.isdigit()}
    names = dict(
        db.execute(select(StaffMember.id, StaffMember.display_name).where(StaffMember.id.in_(ids))).all()
    )
    return CaseReports(
        case.code,
        [
            ReportLine(
                r.reported_at,
                r.agency,
                r.reference,
                names.get(int(r.reporter), "-") if r.reporter.isdigit() else "-",
            )
            for r in rows
        ],
    )
