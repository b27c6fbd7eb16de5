"""신고의무 (R12) in the core: the circle records and reads reports; outside it, nothing; the subject's
export leaves the report and its reporter out; the purge takes it with the case."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models.enums import ReportAgency
from models.errors import InvalidInput, NotAllowed
from models.mandatory_report import MandatoryReport
from models.schemas import MandatoryReportInput
from models.services import cases, export, reports
from models.text import t
from tests.factories import NOW, intake

REFERENCE = "112-2026-55120"


def report_input(**changes) -> MandatoryReportInput:
    data = {
        "reported_at": NOW - timedelta(hours=1),
        "agency": ReportAgency.POLICE_112,
        "reference": REFERENCE,
    }
    return MandatoryReportInput(**{**data, **changes})


def test_the_circle_records_and_reads_outside_it_nothing(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    reports.record_report(db, world.ctx(), case.code, report_input())
    seen = reports.reports_of(db, world.ctx(world.supervisor), case.code)
    assert [(r.agency, r.reference, r.reporter) for r in seen.lines] == [
        (ReportAgency.POLICE_112, REFERENCE, world.manager.display_name)
    ]
    with pytest.raises(NotAllowed):
        reports.reports_of(db, world.ctx(world.outsider), case.code)
    with pytest.raises(NotAllowed):
        reports.record_report(db, world.ctx(world.outsider), case.code, report_input())
    assert db.scalar(select(func.count()).select_from(MandatoryReport)) == 1


def test_a_report_in_the_future_or_without_a_reference_is_a_field_error(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    with pytest.raises(InvalidInput) as excinfo:
        reports.record_report(db, world.ctx(), case.code, report_input(reported_at=NOW + timedelta(hours=1)))
    assert set(excinfo.value.errors) == {"reported_at"}
    with pytest.raises(ValueError):
        report_input(reference="")
    with pytest.raises(ValueError):
        report_input(reference="900101-1234567")  # an RRN is refused in every free text (R6)


def test_the_subjects_export_leaves_the_report_and_its_reporter_out(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    reports.record_report(db, world.ctx(), case.code, report_input())
    text = export.export_case(
        db, case.code, operator="cli:test", reason="열람 청구", now=NOW, zone=ZoneInfo("Asia/Seoul")
    )
    assert REFERENCE not in text and reports.REPORT_EVENT not in text
    assert t("export.event.mandatory_report_recorded", "ko") not in text
    assert t("export.event.case_opened", "ko") in text  # the rest of the timeline is there
