"""Who may see and change a case (R9): its case manager, co-workers and the team's supervisors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models.audit import AuditLog
from models.case import Case
from models.contact import ContactNote
from models.enums import AuditAction, CaseStatus, ClosureReason, GoalAttainment, NeedDomain
from models.errors import InvalidInput, Message, NotAllowed, RuleViolation
from models.schemas import ClosureInput, ReferralInput
from models.services import access, cases, closure, consents, notes, referrals
from models.services.access import NO_ACCESS, NOT_STAFF
from models.services.lifecycle import snapshot
from tests.factories import NOW, TODAY, case_in_monitoring, consent, contact, intake, make_world

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def deactivate(db, staff) -> None:
    staff.active = False
    staff.deactivated_at = NOW
    db.flush()


def assert_refused(excinfo: pytest.ExceptionInfo, actor, case: Case | None, message=NO_ACCESS) -> NotAllowed:
    error = excinfo.value
    assert type(error) is NotAllowed
    assert error.message == message
    assert HANGUL.search(error.text("ko")) and not HANGUL.search(error.text("en"))
    assert error.actor_id == actor.id and error.actor_ref == actor.slack_user_id
    assert error.case_id == (case.id if case else None)
    assert error.case_code == (case.code if case else None)
    assert error.surface == "cli"
    return error


def referral_input(world) -> ReferralInput:
    return ReferralInput(resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason="주거 지원")


# --- who can see a case ---------------------------------------------------------------------------


def test_case_manager_coworker_and_team_supervisor_can_see_the_case(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    with pytest.raises(NotAllowed):
        cases.show(db, world.ctx(world.coworker), case.code)  # not yet a co-worker
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    for who in (world.manager, world.coworker, world.supervisor):
        view = cases.show(db, world.ctx(who), case.code)
        assert view.case.id == case.id
        assert access.can_access(db, who, case, today=TODAY)


@pytest.mark.parametrize("who", ["outsider", "other_supervisor", "admin"])
def test_people_outside_the_case_are_refused_reads_and_writes(db, world, who):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    stranger = getattr(world, who)
    assert not access.can_access(db, stranger, case, today=TODAY)
    attempts = [
        lambda: cases.show(db, world.ctx(stranger), case.code),
        lambda: notes.log_contact(db, world.ctx(stranger), case.code, contact(NOW)),
        lambda: referrals.create(db, world.ctx(stranger), case.code, referral_input(world)),
        lambda: consents.record_consent(db, world.ctx(stranger), case.code, consent()),
        lambda: cases.hold(db, world.ctx(stranger), case.code),
        lambda: cases.add_coworker(db, world.ctx(stranger), case.code, stranger.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as excinfo:
            attempt()
        assert_refused(excinfo, stranger, case)
    # Nothing was written and the case is unchanged.
    assert db.scalars(select(ContactNote).where(ContactNote.case_id == case.id)).all() == []
    assert snapshot(db, case).referrals == []
    assert case.status == CaseStatus.ACTIVE and case.workers == []
    # The legitimate worker still can.
    assert notes.log_contact(db, ctx, case.code, contact(NOW)).id


@pytest.mark.parametrize("who", ["manager", "coworker", "supervisor"])
def test_a_deactivated_staff_member_is_refused(db, world, who):
    case = cases.open_case(db, world.ctx(), intake())
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    gone = getattr(world, who)
    deactivate(db, gone)
    assert not access.can_access(db, gone, case, today=TODAY)
    for attempt in (
        lambda: cases.show(db, world.ctx(gone), case.code),
        lambda: notes.log_contact(db, world.ctx(gone), case.code, contact(NOW)),
        lambda: referrals.create(db, world.ctx(gone), case.code, referral_input(world)),
        lambda: cases.my_cases(db, world.ctx(gone)),
        lambda: cases.open_case(db, world.ctx(gone), intake()),
    ):
        with pytest.raises(NotAllowed) as excinfo:
            attempt()
        assert_refused(excinfo, gone, None, NOT_STAFF)
    assert db.scalars(access.visible_cases_query(gone, today=TODAY)).all() == []


def test_an_admin_cannot_open_a_case(db, world):
    with pytest.raises(NotAllowed) as excinfo:
        cases.open_case(db, world.ctx(world.admin), intake())
    error = excinfo.value
    assert error.actor_id == world.admin.id and error.case_id is None
    assert "사례관리자" in error.text("ko") and "case manager" in error.text("en")
    assert db.scalars(select(Case)).all() == []


def test_a_removed_deactivated_coworker_loses_access_but_others_keep_it(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    deactivate(db, world.coworker)
    assert not access.can_access(db, world.coworker, case, today=TODAY)
    assert access.can_access(db, world.manager, case, today=TODAY) and access.can_access(
        db, world.supervisor, case, today=TODAY
    )


def test_adding_a_coworker_twice_or_the_manager_is_refused(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    for staff in (world.coworker, world.manager):
        with pytest.raises(RuleViolation) as excinfo:
            cases.add_coworker(db, world.ctx(), case.code, staff.id)
        assert excinfo.value.rule == "COWORKER"
    with pytest.raises(InvalidInput) as excinfo:
        cases.add_coworker(db, world.ctx(), case.code, world.admin.id)
    assert set(excinfo.value.errors) == {"staff_id"}


# --- lists ----------------------------------------------------------------------------------------


def _four_cases(db, world) -> dict[str, Case]:
    a = cases.open_case(db, world.ctx(world.manager), intake())
    cases.add_coworker(db, world.ctx(world.manager), a.code, world.coworker.id)
    b = cases.open_case(db, world.ctx(world.coworker), intake())
    c = cases.open_case(db, world.ctx(world.outsider), intake())
    d = cases.open_case(db, world.ctx(world.outsider), intake())
    cases.add_coworker(db, world.ctx(world.outsider), d.code, world.manager.id)  # across teams
    return {"a": a, "b": b, "c": c, "d": d}


VISIBLE = {
    "manager": {"a", "d"},
    "coworker": {"a", "b"},
    "supervisor": {"a", "b"},
    "outsider": {"c", "d"},
    "other_supervisor": {"c", "d"},
    "admin": set(),
}
MINE = {
    "manager": {"a", "d"},
    "coworker": {"a", "b"},
    "supervisor": set(),  # a supervisor sees the team's cases but manages none of them
    "outsider": {"c", "d"},
    "other_supervisor": set(),
    "admin": set(),
}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_visible_cases_and_my_cases_per_person(db, world, who):
    made = _four_cases(db, world)
    by_id = {case.id: name for name, case in made.items()}
    staff = getattr(world, who)
    visible = {by_id[case.id] for case in db.scalars(access.visible_cases_query(staff, today=TODAY))}
    assert visible == VISIBLE[who]
    mine = {by_id[case.id] for case in cases.my_cases(db, world.ctx(staff))}
    assert mine == MINE[who]
    # What the lists show is exactly what the access check allows.
    for name, case in made.items():
        assert access.can_access(db, staff, case, today=TODAY) == (name in VISIBLE[who])


def test_my_cases_leaves_out_closed_cases_unless_asked(db, world):
    open_case = cases.open_case(db, world.ctx(), intake())
    closed = case_in_monitoring(db, world)
    goals = {g.id: GoalAttainment.MET for g in snapshot(db, closed).plan_in_force.goals}
    request = closure.request_closure(
        db,
        world.ctx(),
        closed.code,
        ClosureInput(reason=ClosureReason.DECEASED, attainments=goals, worker_evaluation="사망"),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert closed.status == CaseStatus.CLOSED
    assert [c.id for c in cases.my_cases(db, world.ctx())] == [open_case.id]
    assert {c.id for c in cases.my_cases(db, world.ctx(), include_closed=True)} == {open_case.id, closed.id}


def test_pending_approvals_are_for_active_supervisors_of_the_team(db, world):
    case = case_in_monitoring(db, world)
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
    assert [c.id for c in closure.pending_approvals(db, world.ctx(world.supervisor))] == [request.id]
    assert closure.pending_approvals(db, world.ctx(world.other_supervisor)) == []
    assert closure.pending_approvals(db, world.ctx(world.manager)) == []
    deactivate(db, world.supervisor)
    with pytest.raises(NotAllowed) as excinfo:
        closure.pending_approvals(db, world.ctx(world.supervisor))
    assert_refused(excinfo, world.supervisor, None, NOT_STAFF)


# --- transfer -------------------------------------------------------------------------------------


def test_transfer_by_a_coworker_is_refused_and_by_a_supervisor_works(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    with pytest.raises(NotAllowed) as excinfo:
        cases.transfer(db, world.ctx(world.coworker), case.code, world.coworker.id)
    lead_only = Message("access.errors.lead_only", action=Message("access.lead_actions.transfer"))
    assert_refused(excinfo, world.coworker, case, lead_only)
    assert case.case_manager_id == world.manager.id

    cases.transfer(db, world.ctx(world.supervisor), case.code, world.coworker.id)
    assert case.case_manager_id == world.coworker.id
    # The former manager, no longer on the case, loses access; the new one has it.
    assert not access.can_access(db, world.manager, case, today=TODAY)
    assert cases.show(db, world.ctx(world.coworker), case.code).case.id == case.id


def test_the_case_manager_can_hand_over_within_the_team_only(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    for target in (world.outsider, world.admin):
        with pytest.raises(InvalidInput) as excinfo:
            cases.transfer(db, world.ctx(), case.code, target.id)
        assert set(excinfo.value.errors) == {"new_manager_id"}
    cases.transfer(db, world.ctx(), case.code, world.coworker.id)
    assert case.case_manager_id == world.coworker.id


def test_another_teams_supervisor_on_the_case_cannot_transfer_it(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    cases.add_coworker(db, world.ctx(), case.code, world.other_supervisor.id)
    assert cases.show(db, world.ctx(world.other_supervisor), case.code).case.id == case.id
    with pytest.raises(NotAllowed) as excinfo:
        cases.transfer(db, world.ctx(world.other_supervisor), case.code, world.coworker.id)
    lead_only = Message("access.errors.lead_only", action=Message("access.lead_actions.transfer"))
    assert_refused(excinfo, world.other_supervisor, case, lead_only)
    assert case.case_manager_id == world.manager.id


def test_refusals_in_a_unit_of_work_are_logged(uow):
    with uow() as s:
        world = make_world(s)
        code = cases.open_case(s, world.ctx(), intake()).code
    with pytest.raises(NotAllowed), uow() as s:
        cases.show(s, world.ctx(world.outsider), code)
    with uow() as s:
        refused = s.scalars(select(AuditLog).where(AuditLog.action == AuditAction.REFUSED)).all()
        assert [(r.actor_id, r.case_code, r.detail) for r in refused] == [(world.outsider.id, code, "read")]
