"""Restricted cases (family violence, child protection): only the case manager, co-workers and the
people named see them; the team's other supervisors do not, on any path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.enums import GoalAttainment, ReminderKind, ReminderStatus, StaffRole
from models.errors import InvalidInput, NotAllowed
from models.reminder import Reminder
from models.schemas import ClosureInput
from models.services import access, cases, closure
from models.services.lifecycle import snapshot
from models.staff import StaffMember
from tests.factories import TODAY, case_in_monitoring


@pytest.fixture
def second_supervisor(db, world) -> StaffMember:
    member = StaffMember(
        slack_user_id="USUPER3",
        display_name="Second supervisor",
        role=StaffRole.SUPERVISOR,
        team_id=world.team.id,
    )
    db.add(member)
    db.flush()
    return member


@pytest.fixture
def restricted(db, world, second_supervisor):
    case = case_in_monitoring(db, world)
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    cases.restrict(db, world.ctx(), case.code, [world.supervisor.id])
    return case


def visible_ids(db, member) -> set[int]:
    return set(db.scalars(access.visible_cases_query(member, today=TODAY).with_only_columns(access.Case.id)))


def test_an_unnamed_supervisor_of_the_team_neither_reads_nor_lists_it(
    db, world, restricted, second_supervisor
):
    with pytest.raises(NotAllowed):
        access.load_case(db, world.ctx(second_supervisor), restricted.code)
    assert restricted.id not in visible_ids(db, second_supervisor)


@pytest.mark.parametrize("who", ["manager", "coworker", "supervisor"])
def test_the_case_manager_co_workers_and_named_people_still_see_it(db, world, restricted, who):
    member = getattr(world, who)
    assert access.load_case(db, world.ctx(member), restricted.code).id == restricted.id
    assert restricted.id in visible_ids(db, member)


def test_closure_approval_goes_to_the_named_supervisor_only(db, world, restricted, second_supervisor):
    goals = snapshot(db, restricted).plan_in_force.goals
    request = closure.request_closure(
        db,
        world.ctx(),
        restricted.code,
        ClosureInput(
            reason="GOAL_ACHIEVED",
            attainments={g.id: GoalAttainment.MET for g in goals},
            worker_evaluation="목표 달성",
            client_informed=True,
        ),
    )
    recipients = set(
        db.scalars(
            select(Reminder.recipient_id).where(
                Reminder.case_id == restricted.id,
                Reminder.kind == ReminderKind.CLOSURE_APPROVAL,
                Reminder.status == ReminderStatus.PENDING,
            )
        )
    )
    assert recipients == {world.supervisor.id}
    assert access.case_supervisors(db, restricted, today=TODAY) == [world.supervisor.id]
    assert closure.pending_approvals(db, world.ctx(second_supervisor)) == []
    assert [c.id for c in closure.pending_approvals(db, world.ctx(world.supervisor))] == [request.id]
    with pytest.raises(NotAllowed):
        closure.decide_closure(db, world.ctx(second_supervisor), request.id, approve=True)
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)


def test_naming_must_keep_a_supervisor_and_stay_within_the_team(db, world):
    case = case_in_monitoring(db, world)
    with pytest.raises(InvalidInput) as no_supervisor:
        cases.restrict(db, world.ctx(), case.code, [world.coworker.id])
    assert "named" in no_supervisor.value.errors
    for stranger in (world.outsider, world.admin):
        with pytest.raises(InvalidInput):
            cases.restrict(db, world.ctx(), case.code, [world.supervisor.id, stranger.id])
    assert not case.restricted
    with pytest.raises(NotAllowed):  # someone without access cannot restrict it either
        cases.restrict(db, world.ctx(world.outsider), case.code, [world.supervisor.id])
    with pytest.raises(NotAllowed):  # a co-worker cannot change who sees it
        cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
        cases.restrict(db, world.ctx(world.coworker), case.code, [world.supervisor.id])


def test_unrestricting_gives_the_team_supervisors_their_view_back(db, world, restricted, second_supervisor):
    cases.unrestrict(db, world.ctx(world.supervisor), restricted.code)
    assert access.load_case(db, world.ctx(second_supervisor), restricted.code).id == restricted.id
    assert set(access.case_supervisors(db, restricted, today=TODAY)) == {
        world.supervisor.id,
        second_supervisor.id,
    }


def test_set_access_adds_and_removes_co_workers_on_the_timeline(db, world, second_supervisor):
    from models.audit import CaseEvent

    case = case_in_monitoring(db, world)
    cases.set_access(
        db, world.ctx(), case.code, coworker_ids=[world.coworker.id], restricted=False, named_ids=[]
    )
    assert access.can_access(db, world.coworker, case, today=TODAY)
    cases.set_access(db, world.ctx(), case.code, coworker_ids=[], restricted=False, named_ids=[])
    assert not access.can_access(db, world.coworker, case, today=TODAY)
    events = db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id)).all()
    assert events[-2:] == ["coworker_added", "coworker_removed"]
    cases.set_access(
        db, world.ctx(), case.code, coworker_ids=[], restricted=True, named_ids=[world.supervisor.id]
    )
    cases.set_access(
        db, world.ctx(), case.code, coworker_ids=[], restricted=True, named_ids=[world.supervisor.id]
    )
    events = db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id)).all()
    assert events.count("restricted") == 1  # saving the same circle again changes nothing
    assert not access.can_access(db, second_supervisor, case, today=TODAY)


def test_a_supervisor_reviews_the_teams_access_without_restricted_cases_they_are_not_named_on(
    db, world, restricted, second_supervisor
):
    from datetime import timedelta

    from models.services import access_review, audit

    open_case = case_in_monitoring(db, world)
    with pytest.raises(NotAllowed) as refused:
        access.load_case(db, world.ctx(world.outsider), open_case.code)
    audit.record_refusal(db, refused.value)  # what the unit of work does after its rollback
    db.flush()
    since = world.ctx().now - timedelta(days=30)
    named = access_review.team_review(db, world.ctx(world.supervisor), since)
    codes = {r.case_code for r in named.recent} | {r.case_code for r in named.refusals}
    assert restricted.code in codes
    unnamed = access_review.team_review(db, world.ctx(second_supervisor), since)
    seen = {r.case_code for r in unnamed.recent}
    assert open_case.code in seen and restricted.code not in seen
    assert [r.case_code for r in unnamed.refusals] == [open_case.code]  # the outsider's attempt
    assert dict((who, reads) for who, reads, _ in unnamed.by_person)["Manager"] > 0
    with pytest.raises(NotAllowed):  # a case manager does not review the team's access
        access_review.team_review(db, world.ctx(world.manager), since)
