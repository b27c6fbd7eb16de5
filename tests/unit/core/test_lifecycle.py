"""The lifecycle end to end through the core services, with the stage derived at every step."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.audit import CaseEvent
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ConsentScope,
    ContactType,
    GoalAttainment,
    MonitoringResult,
    NextStep,
    ReferralStatus,
    Stage,
)
from models.schemas import AfterCareInput, ClosureInput, ReferralInput
from models.services import assessments, cases, closure, consents, notes, plans, referrals
from models.services.lifecycle import snapshot
from tests.factories import (
    NOW,
    assessment_input,
    case_in_monitoring,
    consent,
    contact,
    intake,
    plan_input,
)


def stage_of(db, world, case, now=NOW):
    state = cases.current_state(db, world.ctx(now=now), case)
    return state.stage, state.next_step


def test_case_codes_follow_team_prefix_year_and_sequence(db, world):
    first = cases.open_case(db, world.ctx(), intake())
    second = cases.open_case(db, world.ctx(), intake(name="다른사람"))
    other = cases.open_case(db, world.ctx(world.outsider), intake())
    assert (first.code, second.code) == ("C-2026-0001", "C-2026-0002")
    assert other.code == "D-2026-0001"
    assert "가나다" not in first.code


def test_full_lifecycle_derives_each_stage(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake(with_consent=False, intake_held=False))
    assert stage_of(db, world, case) == (Stage.REFERRAL_IN, NextStep.RECORD_INTAKE)

    cases.record_intake(db, ctx, case.code, summary="초기상담", notice_given=True)
    assert stage_of(db, world, case) == (Stage.INTAKE, NextStep.RECORD_CONSENT)

    consents.record_consent(db, ctx, case.code, consent())
    assert stage_of(db, world, case) == (Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT)

    assessments.assess(db, ctx, case.code, assessment_input())
    assert stage_of(db, world, case) == (Stage.CONFERENCE, NextStep.CLASSIFY)

    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    assert stage_of(db, world, case) == (Stage.PLAN, NextStep.WRITE_PLAN)

    plan = plans.create_plan(db, ctx, case.code, plan_input(agreed=False))
    assert stage_of(db, world, case) == (Stage.PLAN, NextStep.AGREE_PLAN)
    plans.agree(db, ctx, plan.id, plan_input().agreement_method)
    assert case.status == CaseStatus.ACTIVE
    assert stage_of(db, world, case) == (Stage.DELIVERY, NextStep.LINK_SERVICES)

    consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(resource_id=world.resource.id, domain="LIVING_ENV", reason="주거 지원"),
    )
    referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    assert stage_of(db, world, case) == (Stage.DELIVERY, NextStep.LOG_CONTACT)

    later = NOW + timedelta(days=3)
    notes.log_contact(db, world.ctx(now=later), case.code, contact(later, result=MonitoringResult.MAINTAIN))
    assert stage_of(db, world, case, later) == (Stage.MONITORING, NextStep.LOG_CONTACT)

    later2 = later + timedelta(days=5)
    notes.log_contact(
        db,
        world.ctx(now=later2),
        case.code,
        contact(later2, contact_type=ContactType.HOME_VISIT, result=MonitoringResult.REASSESS),
    )
    assert stage_of(db, world, case, later2) == (Stage.REASSESSMENT, NextStep.COMPLETE_REASSESSMENT)
    result = assessments.assess(db, world.ctx(now=later2), case.code, assessment_input(severity=1))
    assert result.assessment.kind.value == "REASSESSMENT"
    assert stage_of(db, world, case, later2) == (Stage.MONITORING, NextStep.LOG_CONTACT)

    goal = plan.goals[0]
    request = closure.request_closure(
        db,
        world.ctx(now=later2),
        case.code,
        ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments={goal.id: GoalAttainment.MET},
            worker_evaluation="목표 달성",
            client_informed=True,
        ),
    )
    assert stage_of(db, world, case, later2) == (Stage.CLOSURE, NextStep.APPROVE_CLOSURE)

    closure.decide_closure(db, world.ctx(world.supervisor, now=later2), request.id, approve=True)
    assert case.status == CaseStatus.AFTERCARE
    assert stage_of(db, world, case, later2) == (Stage.AFTERCARE, NextStep.AFTERCARE_CHECK)

    checks = sorted(closure._open_checks(db, case), key=lambda c: c.due_on)
    assert [c.due_on.month for c in checks] == [4, 6, 9]  # closed 10 March: +1, +3, +6 months
    for check in checks:
        closure.record_aftercare(
            db,
            world.ctx(now=later2),
            check.id,
            AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE),
        )
    assert case.status == CaseStatus.CLOSED
    assert stage_of(db, world, case, later2) == (Stage.AFTERCARE, NextStep.NONE)

    events = list(
        db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    )
    assert events[0] == "case_opened" and events[-1] == "aftercare_finished"
    assert "closure_approved" in events and "referral_moved" in events


def test_reopening_from_aftercare_returns_to_assessment_in_a_new_episode(db, world):
    case = _closed_case(db, world)
    check = closure._open_checks(db, case)[0]
    closure.record_aftercare(
        db,
        world.ctx(),
        check.id,
        AfterCareInput(
            method=ContactType.HOME_VISIT, status=AfterCareStatus.NEW_NEED, action=AfterCareAction.REOPEN
        ),
    )
    assert case.status == CaseStatus.OPEN and case.episode == 2
    assert stage_of(db, world, case) == (Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT)
    assert closure._open_checks(db, case) == []


def test_crisis_at_aftercare_reopens(db, world):
    case = _closed_case(db, world)
    check = closure._open_checks(db, case)[0]
    closure.record_aftercare(
        db, world.ctx(), check.id, AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.CRISIS)
    )
    assert case.status == CaseStatus.OPEN


def test_linkage_only_case_skips_the_plan(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, CaseIntensity.LINKAGE_ONLY)
    assert stage_of(db, world, case) == (Stage.DELIVERY, NextStep.LINK_SERVICES)


def test_hold_and_resume(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    cases.hold(db, ctx, case.code)
    assert stage_of(db, world, case)[1] == NextStep.RESUME
    cases.resume(db, ctx, case.code)
    assert case.status == CaseStatus.OPEN
    assert stage_of(db, world, case)[1] == NextStep.COMPLETE_ASSESSMENT


def test_transfer_is_recorded(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    cases.transfer(db, world.ctx(world.supervisor), case.code, world.coworker.id)
    assert case.case_manager_id == world.coworker.id
    data = db.scalar(
        select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.event == "transferred")
    )
    assert data == {"previous": world.manager.id, "to": world.coworker.id, "kept": False}


def test_views_of_the_stage_models(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    state = cases.current_state(db, world.ctx(), case)
    assert (state.seed_stage("ko"), state.seed_stage("en")) == ("접수·사정", "Intake and assessment")
    assert (state.school_stage("ko"), state.school_stage("en")) == ("사정", "Assessment")


def _closed_case(db, world):
    case = case_in_monitoring(db, world)
    plan = snapshot(db, case).plan_in_force
    goals = {g.id: GoalAttainment.PARTLY for g in plan.goals}
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=ClosureReason.NEED_RESOLVED,
            attainments=goals,
            worker_evaluation="안정",
            client_informed=True,
        ),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    return case
