"""Role rules (R9): only the case manager or a supervisor of the team steers a case — classifies,
agrees a plan, sends a referral, transfers, requests closure. Co-workers add notes and record services.

Each refusal names the rule and the action in the reader's language, is audited, and changes nothing.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models.audit import CaseEvent
from models.case import Case
from models.closure import Closure
from models.enums import (
    CaseIntensity,
    ClosureReason,
    ConsentScope,
    GoalAttainment,
    NeedDomain,
    PlanStatus,
    ReferralStatus,
    ResourceCategory,
    StaffRole,
)
from models.errors import Message, NotAllowed
from models.plan import ServicePlan
from models.schemas import ClosureInput, DeliveryInput, ReferralInput
from models.services import access, assessments, cases, closure, consents, deliveries, notes, plans, referrals
from models.services.lifecycle import snapshot
from models.staff import DataHandlingApproval, StaffMember
from tests.factories import (
    NOW,
    TODAY,
    assessment_input,
    case_in_monitoring,
    consent,
    contact,
    intake,
    plan_input,
)

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def events(db, case: Case) -> int:
    return db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))


def assert_lead_refusal(excinfo: pytest.ExceptionInfo, actor: StaffMember, case: Case, action: str) -> None:
    error = excinfo.value
    assert type(error) is NotAllowed
    assert error.message == Message(
        "access.errors.lead_only", action=Message(f"access.lead_actions.{action}")
    )
    ko, en = error.text("ko"), error.text("en")
    assert "R9" in ko and "R9" in en  # the rule is named
    assert HANGUL.search(ko) and not HANGUL.search(en)  # in the reader's language
    assert error.actor_id == actor.id and error.case_id == case.id
    assert action.split("_")[0] in error.detail


@pytest.fixture
def with_coworker(db, world):
    def make(case: Case, who: StaffMember | None = None) -> StaffMember:
        who = who or world.coworker
        cases.add_coworker(db, world.ctx(), case.code, who.id)
        return who

    return make


def assessed_case(db, world) -> Case:
    case = cases.open_case(db, world.ctx(), intake())
    assessments.assess(db, world.ctx(), case.code, assessment_input())
    return case


def test_a_coworker_cannot_classify(db, world, with_coworker):
    case = assessed_case(db, world)
    coworker = with_coworker(case)
    before = events(db, case)
    with pytest.raises(NotAllowed) as excinfo:
        cases.classify(db, world.ctx(coworker), case.code, CaseIntensity.INTENSIVE)
    assert_lead_refusal(excinfo, coworker, case, "classify")
    assert case.intensity is None and case.classified_at is None and events(db, case) == before


def test_a_coworker_cannot_agree_a_plan(db, world, with_coworker):
    case = assessed_case(db, world)
    cases.classify(db, world.ctx(), case.code, CaseIntensity.GENERAL)
    coworker = with_coworker(case)
    draft = plans.create_plan(
        db, world.ctx(coworker), case.code, plan_input(agreed=False)
    )  # drafting is fine
    before = events(db, case)
    with pytest.raises(NotAllowed) as excinfo:
        plans.agree(db, world.ctx(coworker), draft.id, draft_method())
    assert_lead_refusal(excinfo, coworker, case, "agree_plan")
    assert draft.status == PlanStatus.DRAFT and draft.agreed_at is None and events(db, case) == before


def draft_method():
    return plan_input().agreement_method


def test_a_coworker_cannot_send_a_referral(db, world, with_coworker):
    case = case_in_monitoring(db, world)
    consents.record_consent(
        db, world.ctx(), case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    coworker = with_coworker(case)
    data = ReferralInput(resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason="주거 지원")
    referral = referrals.create(db, world.ctx(coworker), case.code, data)  # a draft is fine
    before = events(db, case)
    with pytest.raises(NotAllowed) as excinfo:
        referrals.move(db, world.ctx(coworker), referral.id, ReferralStatus.SENT)
    assert_lead_refusal(excinfo, coworker, case, "send_referral")
    assert referral.status == ReferralStatus.DRAFT and referral.sent_at is None and events(db, case) == before
    referrals.move(db, world.ctx(world.supervisor), referral.id, ReferralStatus.SENT)  # the supervisor may
    assert referral.status == ReferralStatus.SENT


def test_a_coworker_cannot_transfer(db, world, with_coworker):
    case = cases.open_case(db, world.ctx(), intake())
    coworker = with_coworker(case)
    before = events(db, case)
    with pytest.raises(NotAllowed) as excinfo:
        cases.transfer(db, world.ctx(coworker), case.code, coworker.id)
    assert_lead_refusal(excinfo, coworker, case, "transfer")
    assert case.case_manager_id == world.manager.id and events(db, case) == before


def test_a_coworker_cannot_request_closure(db, world, with_coworker):
    case = case_in_monitoring(db, world)
    coworker = with_coworker(case)
    goals = {g.id: GoalAttainment.MET for g in snapshot(db, case).plan_in_force.goals}
    data = ClosureInput(reason=ClosureReason.GOAL_ACHIEVED, attainments=goals, worker_evaluation="달성")
    before = events(db, case)
    with pytest.raises(NotAllowed) as excinfo:
        closure.request_closure(db, world.ctx(coworker), case.code, data)
    assert_lead_refusal(excinfo, coworker, case, "request_closure")
    assert db.scalar(select(func.count()).select_from(Closure).where(Closure.case_id == case.id)) == 0
    assert events(db, case) == before


def test_an_approved_school_staff_coworker_is_refused_too(db, world):
    school_staff = StaffMember(
        slack_user_id="USCHOOL",
        display_name="School",
        role=StaffRole.SCHOOL_STAFF,
        team_id=world.team.id,
        active=True,
    )
    db.add(school_staff)
    db.flush()
    db.add(
        DataHandlingApproval(
            staff_id=school_staff.id,
            approved_on=date(2026, 1, 1),
            approved_by="교장 김가상",
            reference="2026-1",
            entered_by="cli:admin",
            entered_at=NOW,
        )
    )
    case = assessed_case(db, world)
    cases.add_coworker(db, world.ctx(), case.code, school_staff.id)
    with pytest.raises(NotAllowed) as excinfo:
        cases.classify(db, world.ctx(school_staff), case.code, CaseIntensity.GENERAL)
    assert_lead_refusal(excinfo, school_staff, case, "classify")


def test_another_teams_supervisor_is_not_a_lead(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    assert access.is_lead(world.manager, case) and access.is_lead(world.supervisor, case)
    assert not access.is_lead(world.other_supervisor, case) and not access.is_lead(world.coworker, case)


def test_coworkers_still_add_notes_and_record_services(db, world, with_coworker):
    case = case_in_monitoring(db, world)
    coworker = with_coworker(case)
    notes.log_contact(db, world.ctx(coworker), case.code, contact(NOW))
    stored = deliveries.record_delivery(
        db,
        world.ctx(coworker),
        case.code,
        DeliveryInput(
            delivered_on=TODAY,
            category=ResourceCategory.IN_KIND,
            description="밑반찬 지원",
            quantity=1,
            amount_won=0,
            funding_source="DONATION",
            provider_resource_id=world.resource.id,
        ),
    )
    assert stored.id is not None
    assert db.scalar(select(func.count()).select_from(ServicePlan).where(ServicePlan.case_id == case.id)) == 1
