"""The desk (my cases by what is due), the team caseload and the case summary, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.audit import AuditLog
from models.case import Case
from models.enums import AuditAction, CaseIntensity, CaseStatus, ClosureReason, GoalAttainment, NextStep
from models.errors import NotAllowed
from models.schemas import ClosureInput
from models.services import assessments, cases, closure, desk, plans
from models.services.desk import DueGroup, due_group
from models.services.lifecycle import derive, snapshot
from tests.factories import NOW, TODAY, assessment_input, intake, plan_input

ASSESSMENT_DAYS = 10  # intake → assessment due (domain.md §4): the first thing a new case has due


def opened(db, world, days_ago: int, staff=None) -> Case:
    """A new case whose first due date (the assessment) is `ASSESSMENT_DAYS - days_ago` from today."""
    return cases.open_case(db, world.ctx(staff, now=NOW - timedelta(days=days_ago)), intake())


def classified(db, world, intensity: CaseIntensity, staff=None, *, plan: bool = True) -> Case:
    ctx = world.ctx(staff)
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, intensity)
    if plan:
        plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
    return case


def codes(d: desk.Desk, group: DueGroup | None = None) -> list[str]:
    return [i.code for i in (d.group(group) if group else d.items)]


def test_due_group_boundaries():
    assert due_group(TODAY - timedelta(days=1), TODAY) == DueGroup.OVERDUE
    assert due_group(TODAY, TODAY) == DueGroup.THIS_WEEK
    assert due_group(TODAY + timedelta(days=7), TODAY) == DueGroup.THIS_WEEK
    assert due_group(TODAY + timedelta(days=8), TODAY) == DueGroup.LATER
    assert due_group(None, TODAY) == DueGroup.LATER


def test_desk_groups_by_the_stored_due_date(db, world):
    yesterday = opened(db, world, ASSESSMENT_DAYS + 1)
    in_seven = opened(db, world, ASSESSMENT_DAYS - 7)
    in_eight = opened(db, world, ASSESSMENT_DAYS - 8)
    today = opened(db, world, ASSESSMENT_DAYS)
    assert yesterday.next_due_on == TODAY - timedelta(days=1)
    assert in_seven.next_due_on == TODAY + timedelta(days=7)

    d = desk.my_desk(db, world.ctx())
    assert codes(d, DueGroup.OVERDUE) == [yesterday.code]
    assert codes(d, DueGroup.THIS_WEEK) == [today.code, in_seven.code]
    assert codes(d, DueGroup.LATER) == [in_eight.code]
    assert codes(d) == [yesterday.code, today.code, in_seven.code, in_eight.code]  # by due date
    assert d.counts == {DueGroup.OVERDUE: 1, DueGroup.THIS_WEEK: 2, DueGroup.LATER: 1}
    item = d.items[0]
    assert item.state.next_step == NextStep.COMPLETE_ASSESSMENT
    assert item.intensity is None and item.crisis is False and item.status == CaseStatus.OPEN


def test_items_carry_stage_next_step_intensity_and_crisis(db, world):
    case = classified(db, world, CaseIntensity.CRISIS)
    case.crisis = True
    [item] = desk.my_desk(db, world.ctx()).items
    assert item.state == derive(snapshot(db, case), TODAY)
    assert item.intensity == CaseIntensity.CRISIS and item.crisis is True
    assert item.next_due_on == case.next_due_on


def test_coworker_cases_are_on_the_desk_and_other_teams_never(db, world):
    mine = opened(db, world, 0)
    cases.add_coworker(db, world.ctx(), mine.code, world.coworker.id)
    theirs = opened(db, world, 0, staff=world.outsider)

    assert codes(desk.my_desk(db, world.ctx(world.coworker))) == [mine.code]
    assert codes(desk.my_desk(db, world.ctx())) == [mine.code]
    assert codes(desk.my_desk(db, world.ctx(world.outsider))) == [theirs.code]
    # A supervisor's desk holds the cases they work on, not the whole team (that is the caseload).
    assert codes(desk.my_desk(db, world.ctx(world.supervisor))) == []
    assert codes(desk.my_desk(db, world.ctx(world.other_supervisor))) == []


def test_admin_sees_nothing_and_inactive_staff_are_refused(db, world):
    opened(db, world, 0)
    d = desk.my_desk(db, world.ctx(world.admin))
    assert d.items == [] and d.total == 0 and d.pages == 1
    world.coworker.active = False
    with pytest.raises(NotAllowed):
        desk.my_desk(db, world.ctx(world.coworker))


def test_closed_cases_leave_the_desk_after_care_stays(db, world):
    open_case, closing, aftercare = opened(db, world, 0), opened(db, world, 0), opened(db, world, 0)
    closing.status = CaseStatus.CLOSED
    aftercare.status = CaseStatus.AFTERCARE
    db.flush()
    assert set(codes(desk.my_desk(db, world.ctx()))) == {open_case.code, aftercare.code}


def test_pages_cover_every_case_once_and_clamp(db, world):
    made = [opened(db, world, days) for days in range(12)]
    seen = []
    for page in range(3):
        d = desk.my_desk(db, world.ctx(), page=page, page_size=5)
        assert d.page == page and d.pages == 3 and d.total == 12
        seen += codes(d)
    assert sorted(seen) == sorted(c.code for c in made) and len(seen) == 12
    last = desk.my_desk(db, world.ctx(), page=99, page_size=5)
    assert last.page == 2 and len(last.items) == 2
    assert desk.my_desk(db, world.ctx(), page=-3, page_size=5).page == 0


def test_one_audit_row_per_desk_render(db, world):
    for days in range(3):
        opened(db, world, days)

    def reads() -> int:
        return db.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == AuditAction.READ)
        )

    before = reads()
    desk.my_desk(db, world.ctx())
    assert reads() == before + 1
    row = db.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert row.record == "desk" and row.actor_id == world.manager.id and row.case_id is None


def test_bulk_snapshots_derive_what_single_snapshots_derive(db, world):
    made = [
        opened(db, world, 0),
        classified(db, world, CaseIntensity.GENERAL),
        classified(db, world, CaseIntensity.LINKAGE_ONLY, plan=False),
        classified(db, world, CaseIntensity.INTENSIVE, plan=False),
    ]
    bulk = {s.case.id: derive(s, TODAY) for s in desk.snapshots(db, made)}
    assert bulk == {c.id: derive(snapshot(db, c), TODAY) for c in made}


def test_team_caseload_weights_and_overdue_per_worker(db, world):
    classified(db, world, CaseIntensity.CRISIS)  # 3
    classified(db, world, CaseIntensity.GENERAL)  # 1
    opened(db, world, ASSESSMENT_DAYS + 1)  # unclassified 1, overdue
    opened(db, world, ASSESSMENT_DAYS + 5)  # unclassified 1, overdue
    classified(db, world, CaseIntensity.LINKAGE_ONLY, world.coworker, plan=False)  # 0.5
    classified(db, world, CaseIntensity.INTENSIVE, world.coworker)  # 1.5
    classified(db, world, CaseIntensity.HIGH_COMPLEXITY, world.coworker)  # 2
    opened(db, world, ASSESSMENT_DAYS + 3, staff=world.outsider)  # other team: not counted

    load = desk.team_caseload(db, world.ctx(world.supervisor))
    by_id = {w.staff_id: w for w in load.workers}
    assert set(by_id) == {world.manager.id, world.coworker.id, world.supervisor.id}  # no admin
    manager, coworker = by_id[world.manager.id], by_id[world.coworker.id]
    assert (manager.open_cases, manager.weighted, manager.overdue) == (4, 6.0, 2)
    assert (coworker.open_cases, coworker.weighted, coworker.overdue) == (3, 4.0, 0)
    assert by_id[world.supervisor.id].open_cases == 0
    assert load.open_cases == 7 and load.overdue == 2
    other = desk.team_caseload(db, world.ctx(world.other_supervisor))
    assert {w.staff_id: w.open_cases for w in other.workers}[world.outsider.id] == 1


def test_team_caseload_is_for_supervisors_only(db, world):
    for who in (world.manager, world.admin):
        with pytest.raises(NotAllowed):
            desk.team_caseload(db, world.ctx(who))


def test_team_caseload_lists_closures_waiting_for_approval(db, world):
    case = classified(db, world, CaseIntensity.GENERAL)
    goals = {g.id: GoalAttainment.MET for g in snapshot(db, case).plan_in_force.goals}
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments=goals,
            worker_evaluation="달성",
            client_informed=True,
        ),
    )
    [approval] = desk.team_caseload(db, world.ctx(world.supervisor)).approvals
    assert (approval.closure_id, approval.code, approval.reason) == (
        request.id,
        case.code,
        ClosureReason.GOAL_ACHIEVED,
    )
    assert approval.requested_by == world.manager.display_name
    assert desk.team_caseload(db, world.ctx(world.other_supervisor)).approvals == []


def test_case_summary_is_read_through_access(db, world):
    case = classified(db, world, CaseIntensity.GENERAL)
    summary = desk.case_summary(db, world.ctx(), case.code)
    assert summary.case.id == case.id and summary.age_band == 50  # born 1970-05-01, today 2026-03-02
    assert [c.scope.value for c in summary.consents_on_file] == ["COLLECT_USE"]
    assert summary.state == derive(snapshot(db, case), TODAY)
    with pytest.raises(NotAllowed):
        desk.case_summary(db, world.ctx(world.outsider), case.code)
    with pytest.raises(NotAllowed):
        desk.case_summary(db, world.ctx(world.admin), case.code)
