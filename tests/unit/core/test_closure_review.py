"""Closure sign-off with the facts: the client is told, lost contact is evidenced, nobody approves their
own request (another supervisor does, or the person the agency named where the team has only one)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from models.enums import ClosureReason, ClosureStatus, ContactOutcome, GoalAttainment
from models.errors import InvalidInput, NotAllowed
from models.schemas import ClosureInput
from models.services import case_file, closure, notes
from models.services.context import Policy
from models.services.lifecycle import snapshot
from tests.factories import NOW, case_in_monitoring, contact


def request(
    db, world, case, *, reason=ClosureReason.GOAL_ACHIEVED, informed=True, staff=None, policy=None, now=NOW
):
    goals = snapshot(db, case).plan_in_force.goals
    data = ClosureInput(
        reason=reason,
        attainments={g.id: GoalAttainment.MET for g in goals},
        worker_evaluation="평가",
        client_informed=informed,
    )
    return closure.request_closure(db, world.ctx(staff, now=now, policy=policy), case.code, data)


@pytest.mark.parametrize(
    "reason", [ClosureReason.GOAL_ACHIEVED, ClosureReason.CLIENT_REQUEST, ClosureReason.MOVED_OUT]
)
def test_the_client_must_have_been_told(db, world, reason):
    case = case_in_monitoring(db, world)
    with pytest.raises(InvalidInput) as refused:
        request(db, world, case, reason=reason, informed=False)
    assert set(refused.value.errors) == {"client_informed"}
    assert snapshot(db, case).pending_closure is None


def test_death_needs_no_telling(db, world):
    case = case_in_monitoring(db, world)
    assert (
        request(db, world, case, reason=ClosureReason.DECEASED, informed=False).status
        == ClosureStatus.PENDING
    )


LATER = NOW + timedelta(days=60)


def attempt(db, world, case, days_before: int, outcome=ContactOutcome.NO_ANSWER) -> None:
    at = LATER - timedelta(days=days_before)
    notes.log_contact(db, world.ctx(now=LATER), case.code, contact(at, outcome=outcome))


def test_lost_contact_needs_three_unanswered_attempts_in_thirty_days(db, world):
    case = case_in_monitoring(db, world)
    for days in (45, 20, 10):  # the first is too old
        attempt(db, world, case, days)
    attempt(db, world, case, 5, ContactOutcome.DONE)  # answered: not an attempt
    with pytest.raises(InvalidInput) as refused:
        request(db, world, case, reason=ClosureReason.LOST_CONTACT, informed=False, now=LATER)
    assert set(refused.value.errors) == {"reason"}
    assert "2" in refused.value.errors["reason"].text("ko")
    # a setting of two attempts lets it through
    two = replace(Policy(), lost_contact_attempts=2)
    made = request(db, world, case, reason=ClosureReason.LOST_CONTACT, informed=False, policy=two, now=LATER)
    assert made.status == ClosureStatus.PENDING


def test_a_third_attempt_is_enough(db, world):
    case = case_in_monitoring(db, world)
    for days in (25, 15, 1):
        attempt(db, world, case, days)
    made = request(db, world, case, reason=ClosureReason.LOST_CONTACT, informed=False, now=LATER)
    assert made.status == ClosureStatus.PENDING


def test_a_supervisor_cannot_approve_their_own_request_but_another_can(db, world):
    case = case_in_monitoring(db, world)
    second = replace_supervisor(db, world)
    made = request(db, world, case, staff=world.supervisor)
    with pytest.raises(NotAllowed) as refused:
        closure.decide_closure(db, world.ctx(world.supervisor), made.id, approve=True)
    assert "본인이 요청한" in refused.value.text("ko")
    parties = closure.closure_parties(db, made, today=NOW.date(), supervisors=True)
    assert [s.slack_user_id for s in parties.supervisors] == [second.slack_user_id]
    assert (
        closure.decide_closure(db, world.ctx(second), made.id, approve=True).status == ClosureStatus.APPROVED
    )


def test_the_only_supervisor_s_request_goes_to_the_agency_s_named_approver(db, world):
    case = case_in_monitoring(db, world)
    made = request(db, world, case, staff=world.supervisor)
    approver = world.other_supervisor  # of another team: no access to the case otherwise
    policy = replace(Policy(), closure_approvers=(approver.slack_user_id,))
    # not named: refused
    with pytest.raises(NotAllowed):
        closure.decide_closure(db, world.ctx(approver), made.id, approve=True)
    parties = closure.closure_parties(
        db, made, today=NOW.date(), supervisors=True, approvers=policy.closure_approvers
    )
    assert [s.slack_user_id for s in parties.supervisors] == [approver.slack_user_id]
    code, entry = case_file.read_closure(
        db, world.ctx(approver, policy=policy), made.id, purpose="review closure"
    )
    assert code == case.code and entry.worker_evaluation == "평가"
    # the named approver cannot read the rest of the case
    with pytest.raises(NotAllowed):
        case_file.read_page(db, world.ctx(approver, policy=policy), case.code, case_file.Section.NOTES)
    decided = closure.decide_closure(db, world.ctx(approver, policy=policy), made.id, approve=True)
    assert decided.status == ClosureStatus.APPROVED


def replace_supervisor(db, world):
    from models.enums import StaffRole
    from models.staff import StaffMember

    member = StaffMember(
        slack_user_id="USUPB",
        display_name="Supervisor B",
        role=StaffRole.SUPERVISOR,
        team_id=world.team.id,
        active=True,
    )
    db.add(member)
    db.flush()
    return member
