"""Retention (R10): closure sets the destruction date; the purge leaves nothing of the case behind."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, text

from models.audit import AuditLog, CaseEvent
from models.base import Base
from models.enums import AuditAction, CaseStatus, ClosureReason, GoalAttainment
from models.retention import RetentionStatistic
from models.schemas import ClosureInput
from models.services import closure, notes, retention
from models.services.lifecycle import snapshot
from tests.factories import NOW, TODAY, case_in_monitoring, contact

# Tables that keep something of a destroyed case by design: the access log (codes only), the
# de-identified counts, and the case-code counter (a number per prefix and year).
KEPT = {"audit_log", "retention_statistics", "case_code_counters"}


def row_counts(db) -> dict[str, int]:
    return {
        table.name: db.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name not in KEPT
    }


def closed_case(db, world, reason=ClosureReason.DECEASED):
    case = case_in_monitoring(db, world)
    notes.log_contact(db, world.ctx(), case.code, contact(NOW, summary="마지막 상담"))
    goals = snapshot(db, case).plan_in_force.goals
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=reason,
            attainments={g.id: GoalAttainment.MET for g in goals},
            worker_evaluation="종결 평가",
            client_informed=True,
        ),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    return case


def test_approval_sets_the_retention_date_from_the_settings(db, world):
    case = closed_case(db, world)
    assert case.status == CaseStatus.CLOSED
    assert case.retention_until == date(TODAY.year + 5, TODAY.month, TODAY.day)


def test_the_purge_leaves_no_row_of_the_case_and_keeps_counts_only(db, world):
    before = row_counts(db)
    case = closed_case(db, world)
    code, case_id = case.code, case.id
    assert row_counts(db) != before
    later = case.retention_until + timedelta(days=1)
    assert retention.expired_case_ids(db, case.retention_until) == []  # not before the day has passed
    report = retention.purge_expired(db, later, NOW, world.ctx().policy.zone)
    assert report.destroyed == [code]
    assert row_counts(db) == before  # every record of the case and its client is gone
    destroyed = db.scalars(select(AuditLog).where(AuditLog.action == AuditAction.DESTROY)).all()
    assert [(a.case_id, a.case_code, a.actor_ref) for a in destroyed] == [(case_id, code, "system:retention")]
    (stats,) = db.scalars(select(RetentionStatistic)).all()
    assert (stats.cases, stats.contacts, stats.closure_reason) == (1, 1, "DECEASED")
    assert retention.purge_expired(db, later, NOW, world.ctx().policy.zone).destroyed == []


def test_counts_of_several_cases_add_up_in_one_row(db, world):
    first, second = closed_case(db, world), closed_case(db, world)
    day = max(first.retention_until, second.retention_until) + timedelta(days=1)
    assert len(retention.purge_expired(db, day, NOW, world.ctx().policy.zone).destroyed) == 2
    (stats,) = db.scalars(select(RetentionStatistic)).all()
    assert (stats.cases, stats.contacts) == (2, 2)


def test_open_and_reopened_cases_are_never_purged(db, world):
    open_case = case_in_monitoring(db, world)
    assert open_case.retention_until is None
    far = TODAY + timedelta(days=365 * 50)
    assert retention.expired_case_ids(db, far) == []


def test_the_timeline_stays_append_only_outside_a_purge(db, world):
    case = case_in_monitoring(db, world)
    db.flush()
    with pytest.raises(Exception, match="append-only"), db.begin_nested():
        db.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id))
    with pytest.raises(Exception, match="append-only"), db.begin_nested():
        db.execute(text("DELETE FROM cases WHERE id = :id"), {"id": case.id})  # the cascade is guarded too


def test_the_daily_housekeeping_job_destroys_what_is_past_its_retention(db, uow, world):
    from datetime import datetime

    from slack_sdk import WebClient

    from models.case import Case
    from models.services.calendar import WorkCalendar
    from models.services.context import Policy
    from scheduler import housekeeping
    from scheduler.jobs import Runtime

    policy = Policy()
    case = closed_case(db, world)
    code, until = case.code, case.retention_until
    db.flush()
    runtime = Runtime(
        uow, WebClient(base_url="http://127.0.0.1:9/"), policy, WorkCalendar(policy.zone, 9, 18), "ko"
    )
    # The first working morning after the retention date (weekends and public holidays skipped).
    day = until + timedelta(days=1)
    while not runtime.calendar.is_working_day(day):
        day += timedelta(days=1)
    reports = housekeeping.run_daily(
        runtime, datetime(day.year, day.month, day.day, 6, 30, tzinfo=policy.zone)
    )
    assert reports["retention_purge"].destroyed == [code]
    assert db.scalar(select(func.count()).select_from(Case).where(Case.code == code)) == 0
