"""Every guard of the core services: the error type, the rule or field it names, and both languages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from models.assessment import Assessment
from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.closure import AfterCareCheck, Closure
from models.consent import Consent
from models.contact import ContactNote
from models.enums import (
    SCHOOL_DOMAINS,
    SCHOOL_ONLY_CLOSURE_REASONS,
    AssessmentKind,
    AssessmentStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ClosureStatus,
    ConsentScope,
    GoalAttainment,
    NeedDomain,
    Profile,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
    SignerRelationship,
    StatutoryBasis,
)
from models.errors import InvalidInput, Message, NotAllowed, RuleViolation, invalid_input_from
from models.referral import Referral
from models.reminder import Reminder
from models.schemas import (
    AssessmentInput,
    ClientInput,
    ClosureInput,
    ConsentInput,
    ContactInput,
    GoalInput,
    IntakeInput,
    PlanInput,
    ReferralInput,
    ReferralOutcomeInput,
)
from models.services import assessments, cases, closure, consents, notes, plans, referrals
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.services.referrals import REASONS, TRANSITIONS
from tests.factories import (
    NOW,
    TODAY,
    assessment_input,
    case_in_monitoring,
    consent,
    contact,
    intake,
    make_world,
    plan_input,
    school_intake,
)

HANGUL = re.compile(r"[\uac00-\ud7a3]")
RRN_SHAPES = ("900101-1234567", "9001011234567", "900101 - 1234567", "051231–4123456")
SCHOOL = Policy(profile=Profile.SCHOOL)


def school_ctx(db, world):
    """The case manager under the school profile, with the head of the school's approval (§17⑦)."""
    from models.services import staff

    staff.approve(
        db,
        world.manager.slack_user_id,
        approved_by="교장 김가상",
        approved_on=TODAY,
        reference="교무-1",
        valid_until=None,
        entered_by="cli:test",
        today=TODAY,
        now=NOW,
    )
    return world.ctx(policy=SCHOOL)


# --- helpers ------------------------------------------------------------------------------------


def assert_bilingual(message: Message) -> None:
    assert HANGUL.search(message.ko), f"no Korean in {message.ko!r}"
    assert re.search(r"[A-Za-z]{3}", message.en), f"no English in {message.en!r}"
    assert not HANGUL.search(message.en), f"Korean in the English text {message.en!r}"
    assert message.text("ko") == message.ko and message.text("en") == message.en


def assert_rule(excinfo: pytest.ExceptionInfo, rule: str) -> RuleViolation:
    error = excinfo.value
    assert type(error) is RuleViolation
    assert error.rule == rule
    assert error.message.ko.startswith(f"[{rule}] ") and error.message.en.startswith(f"[{rule}] ")
    assert_bilingual(error.message)
    return error


def assert_fields(excinfo: pytest.ExceptionInfo, *fields: str) -> InvalidInput:
    error = excinfo.value
    assert type(error) is InvalidInput
    assert set(error.errors) == set(fields)
    for message in error.errors.values():
        assert_bilingual(message)
    return error


def assert_rrn_message(message: Message) -> None:
    assert "주민등록번호" in message.ko and "§24-2" in message.ko
    assert "resident registration number" in message.en
    assert_bilingual(message)


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def collect_use_consent(db, case: Case) -> Consent:
    return db.scalar(
        select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.COLLECT_USE)
    )


def goals_of(db, case: Case):
    plan = snapshot(db, case).plan_in_force
    assert plan is not None
    return plan.goals


def closure_input(goals, reason: ClosureReason = ClosureReason.GOAL_ACHIEVED) -> ClosureInput:
    return ClosureInput(
        reason=reason,
        attainments={g.id: GoalAttainment.MET for g in goals},
        worker_evaluation="목표 달성",
        client_informed=True,
    )


def referral_input(resource_id: int, **overrides) -> ReferralInput:
    values = dict(resource_id=resource_id, domain=NeedDomain.LIVING_ENV, reason="주거 지원 의뢰")
    values.update(overrides)
    return ReferralInput(**values)


def stage_of(db, world, case, now=NOW):
    state = cases.current_state(db, world.ctx(now=now), case)
    return state.stage, state.next_step


# --- R2: consent before assessment --------------------------------------------------------------


def test_assessment_refused_without_any_consent_then_allowed_once_recorded(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake(with_consent=False))
    with pytest.raises(RuleViolation) as excinfo:
        assessments.start(db, ctx, case.code)
    assert_rule(excinfo, "R2")
    with pytest.raises(RuleViolation) as excinfo:
        assessments.assess(db, ctx, case.code, assessment_input())
    assert_rule(excinfo, "R2")
    assert count(db, Assessment, Assessment.case_id == case.id) == 0

    consents.record_consent(db, ctx, case.code, consent())
    result = assessments.assess(db, ctx, case.code, assessment_input())
    assert result.assessment.status == AssessmentStatus.COMPLETED
    assert result.assessment.kind == AssessmentKind.INITIAL


def test_only_a_collect_use_consent_opens_the_assessment(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake(with_consent=False))
    consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    consents.record_consent(db, ctx, case.code, consent(ConsentScope.SENSITIVE))
    with pytest.raises(RuleViolation) as excinfo:
        assessments.start(db, ctx, case.code)
    assert_rule(excinfo, "R2")


def test_assessment_refused_after_the_consent_is_withdrawn(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    consents.withdraw_consent(db, ctx, collect_use_consent(db, case).id)
    with pytest.raises(RuleViolation) as excinfo:
        assessments.start(db, ctx, case.code)
    assert_rule(excinfo, "R2")
    with pytest.raises(RuleViolation) as excinfo:
        assessments.assess(db, ctx, case.code, assessment_input())
    assert_rule(excinfo, "R2")

    consents.record_consent(db, ctx, case.code, consent())
    assert assessments.assess(db, ctx, case.code, assessment_input()).assessment.status == (
        AssessmentStatus.COMPLETED
    )


def test_assessment_refused_once_the_consent_has_expired(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake(with_consent=False))
    consents.record_consent(db, ctx, case.code, consent(expires_on=TODAY + timedelta(days=10)))
    later = world.ctx(now=NOW + timedelta(days=11))
    with pytest.raises(RuleViolation) as excinfo:
        assessments.start(db, later, case.code)
    assert_rule(excinfo, "R2")
    with pytest.raises(RuleViolation) as excinfo:
        assessments.assess(db, later, case.code, assessment_input())
    assert_rule(excinfo, "R2")
    # On its last day the consent still holds.
    on_last_day = world.ctx(now=NOW + timedelta(days=10))
    assert assessments.assess(db, on_last_day, case.code, assessment_input()).assessment.completed_at


def test_a_draft_cannot_be_completed_or_saved_after_the_consent_is_withdrawn(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    draft = assessments.start(db, ctx, case.code)
    consents.withdraw_consent(db, ctx, collect_use_consent(db, case).id)
    with pytest.raises(RuleViolation) as excinfo:
        assessments.save_draft(db, ctx, draft.id, AssessmentInput(strengths_personal="성실함"))
    assert_rule(excinfo, "R2")
    with pytest.raises(RuleViolation) as excinfo:
        assessments.complete(db, ctx, draft.id, assessment_input())
    assert_rule(excinfo, "R2")
    assert draft.status == AssessmentStatus.DRAFT


# --- order of the stages --------------------------------------------------------------------------


def test_plan_needs_a_completed_assessment(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    with pytest.raises(RuleViolation) as excinfo:
        plans.create_plan(db, ctx, case.code, plan_input())
    assert_rule(excinfo, "PLAN_NEEDS_ASSESSMENT")
    assessments.start(db, ctx, case.code)  # a draft is not enough
    with pytest.raises(RuleViolation) as excinfo:
        plans.create_plan(db, ctx, case.code, plan_input())
    assert_rule(excinfo, "PLAN_NEEDS_ASSESSMENT")
    assert snapshot(db, case).plans == []

    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    assert plans.create_plan(db, ctx, case.code, plan_input()).version == 1


def test_classification_needs_a_completed_assessment(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    with pytest.raises(RuleViolation) as excinfo:
        cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    assert_rule(excinfo, "CLASSIFY_NEEDS_ASSESSMENT")
    assessments.start(db, ctx, case.code)
    with pytest.raises(RuleViolation) as excinfo:
        cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    assert_rule(excinfo, "CLASSIFY_NEEDS_ASSESSMENT")
    assert case.intensity is None and case.classified_at is None

    assessments.assess(db, ctx, case.code, assessment_input())
    assert cases.classify(db, ctx, case.code, CaseIntensity.GENERAL).intensity == CaseIntensity.GENERAL


# --- assessment completeness --------------------------------------------------------------------


def test_assessment_with_a_missing_domain_is_refused_per_domain(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    full = assessment_input()
    partial = full.model_copy(
        update={
            "ratings": [
                r for r in full.ratings if r.domain not in (NeedDomain.HEALTH, NeedDomain.LEGAL_RIGHTS)
            ]
        }
    )
    with pytest.raises(InvalidInput) as excinfo:
        assessments.assess(db, ctx, case.code, partial)
    error = assert_fields(excinfo, "rating_HEALTH", "rating_LEGAL_RIGHTS")
    assert "건강" in error.errors["rating_HEALTH"].ko and "Health" in error.errors["rating_HEALTH"].en
    draft = db.scalar(select(Assessment).where(Assessment.case_id == case.id))
    assert draft.status == AssessmentStatus.DRAFT and case.crisis is False

    result = assessments.complete(db, ctx, draft.id, full)
    assert result.assessment.status == AssessmentStatus.COMPLETED


def test_assessment_without_a_strength_is_refused(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    no_strength = assessment_input().model_copy(update={"strengths_personal": None})
    with pytest.raises(InvalidInput) as excinfo:
        assessments.assess(db, ctx, case.code, no_strength)
    assert_fields(excinfo, "strengths_personal")
    # Any one of the four kinds of strength will do.
    family_strength = no_strength.model_copy(update={"strengths_family": "자녀와 관계가 좋음"})
    assert assessments.assess(db, ctx, case.code, family_strength).assessment.completed_at is not None


def test_school_profile_requires_the_school_domains_too(db, world):
    ctx = school_ctx(db, world)
    case = cases.open_case(db, ctx, school_intake())
    assert case.profile == Profile.SCHOOL
    with pytest.raises(InvalidInput) as excinfo:
        assessments.assess(db, ctx, case.code, assessment_input())
    assert_fields(excinfo, *(f"rating_{d.value}" for d in SCHOOL_DOMAINS))

    result = assessments.assess(db, ctx, case.code, assessment_input(profile=Profile.SCHOOL))
    assert result.assessment.status == AssessmentStatus.COMPLETED
    assert {r.domain for r in result.assessment.ratings} >= set(SCHOOL_DOMAINS)


def test_school_domains_are_refused_outside_the_school_profile(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    with pytest.raises(InvalidInput) as excinfo:
        assessments.assess(db, ctx, case.code, assessment_input(profile=Profile.SCHOOL))
    assert_fields(excinfo, "rating_LEARNING")


# --- crisis -------------------------------------------------------------------------------------


def test_severity_four_is_a_crisis_and_a_calm_reassessment_clears_it(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    result = assessments.assess(db, ctx, case.code, assessment_input(crisis_domain=NeedDomain.SAFETY))
    assert result.crisis is True and case.crisis is True
    assert result.assessment.max_severity == 4

    again = assessments.assess(db, ctx, case.code, assessment_input(severity=2))
    assert again.assessment.kind == AssessmentKind.REASSESSMENT
    assert again.crisis is False and case.crisis is False


def test_severity_three_is_not_a_crisis(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    result = assessments.assess(db, ctx, case.code, assessment_input(severity=3))
    assert result.crisis is False and case.crisis is False


@pytest.mark.parametrize(
    "screen", ["screen_self_harm", "screen_abuse", "screen_loss_of_income_or_housing", "screen_loss_of_carer"]
)
def test_a_positive_crisis_screen_is_a_crisis(db, world, screen):
    ctx = world.ctx()
    # the self-harm screen is health data (R4): a sensitive-data consent sits beside the collection one
    case = cases.open_case(db, ctx, intake(consents=[consent(), consent(ConsentScope.SENSITIVE)]))
    result = assessments.assess(
        db, ctx, case.code, assessment_input(severity=1).model_copy(update={screen: True})
    )
    assert result.crisis is True and case.crisis is True

    cleared = assessments.assess(db, ctx, case.code, assessment_input(severity=1))
    assert cleared.crisis is False and case.crisis is False


# --- R5: sending a referral -----------------------------------------------------------------------


def test_referral_cannot_be_sent_without_third_party_consent(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    referral = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    assert_rule(excinfo, "R5")
    assert referral.status == ReferralStatus.DRAFT
    assert referral.sent_at is None and referral.response_due is None and referral.consent_id is None


def test_referral_cannot_be_sent_when_the_consent_names_another_resource(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    other = consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.other_resource.id])
    )
    referral = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    assert_rule(excinfo, "R5")
    # Pointing the referral at that consent explicitly does not help either.
    pinned = referrals.create(db, ctx, case.code, referral_input(world.resource.id, consent_id=other.id))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.move(db, ctx, pinned.id, ReferralStatus.SENT)
    assert_rule(excinfo, "R5")
    assert {referral.status, pinned.status} == {ReferralStatus.DRAFT}


def test_referral_cannot_be_sent_on_a_withdrawn_or_expired_consent(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    withdrawn = consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    consents.withdraw_consent(db, ctx, withdrawn.id)
    consents.record_consent(
        db,
        ctx,
        case.code,
        consent(
            ConsentScope.THIRD_PARTY, recipients=[world.resource.id], expires_on=TODAY + timedelta(days=2)
        ),
    )
    referral = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    later = world.ctx(now=NOW + timedelta(days=3))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.move(db, later, referral.id, ReferralStatus.SENT)
    assert_rule(excinfo, "R5")


def test_referral_is_sent_with_the_right_consent(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    granted = consents.record_consent(
        db,
        ctx,
        case.code,
        consent(ConsentScope.THIRD_PARTY, recipients=[world.other_resource.id, world.resource.id]),
    )
    referral = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    assert referral.consent_id is None
    sent = referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    assert sent.status == ReferralStatus.SENT
    assert sent.consent_id == granted.id
    assert sent.sent_at == NOW
    assert sent.response_due == TODAY + timedelta(days=7)
    reminder = db.scalar(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == ReminderKind.REFERRAL_RESPONSE)
    )
    assert reminder is not None and reminder.status == ReminderStatus.PENDING


def test_referral_with_a_statutory_basis_needs_no_consent(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    referral = referrals.create(
        db,
        ctx,
        case.code,
        referral_input(
            world.resource.id, statutory_basis=StatutoryBasis.IMMINENT_DANGER, statutory_note="자해 위험"
        ),
    )
    sent = referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    assert sent.status == ReferralStatus.SENT and sent.consent_id is None
    assert sent.response_due == TODAY + timedelta(days=7)


def test_referral_response_is_due_seven_local_days_later(db, world):
    # 16:30 UTC on 2 March is 01:30 on 3 March in Seoul: the due date counts from the local date.
    late = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    case = case_in_monitoring(db, world)
    referral = referrals.create(
        db, world.ctx(), case.code, referral_input(world.resource.id, statutory_basis=StatutoryBasis.STATUTE)
    )
    sent = referrals.move(db, world.ctx(now=late), referral.id, ReferralStatus.SENT)
    assert sent.response_due == date(2026, 3, 10)


def test_referral_needs_collect_use_consent_to_be_drafted(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake(with_consent=False))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    assert_rule(excinfo, "R2")
    assert count(db, Referral, Referral.case_id == case.id) == 0


# --- referral transitions -------------------------------------------------------------------------

ALL_MOVES = [(src, dst) for src in ReferralStatus for dst in ReferralStatus]


def test_transition_table_is_complete_and_terminal_states_are_final():
    assert set(TRANSITIONS) == set(ReferralStatus)
    for status, targets in TRANSITIONS.items():
        assert status not in targets
        if status.terminal:
            assert targets == frozenset()
        else:
            assert ReferralStatus.CANCELLED in targets


@pytest.mark.parametrize(("src", "dst"), ALL_MOVES, ids=[f"{s.value}->{d.value}" for s, d in ALL_MOVES])
def test_referral_transition_table(db, world, src, dst):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    # A statutory basis, so that only the transition rule decides about SENT.
    referral = referrals.create(
        db, ctx, case.code, referral_input(world.resource.id, statutory_basis=StatutoryBasis.IMMINENT_DANGER)
    )
    referral.status = src
    db.flush()
    if dst in TRANSITIONS[src] and dst in REASONS:
        # a decline needs its reason: not by a bare move, only with the outcome dialogue's input
        with pytest.raises(InvalidInput):
            referrals.move(db, ctx, referral.id, dst)
        reason = REASONS[dst].OTHER.value  # type: ignore[attr-defined]
        data = ReferralOutcomeInput(to=dst, on=ctx.today, reason=reason, note="사유 메모")
        assert referrals.record_outcome(db, ctx, referral.id, data).status == dst
    elif dst in TRANSITIONS[src]:
        assert referrals.move(db, ctx, referral.id, dst).status == dst
    else:
        with pytest.raises(RuleViolation) as excinfo:
            referrals.move(db, ctx, referral.id, dst)
        error = assert_rule(excinfo, "REFERRAL_TRANSITION")
        assert src.ko in error.message.ko and dst.en in error.message.en
        assert referral.status == src


def test_referral_walks_the_happy_path_and_not_backwards(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    referral = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.move(db, ctx, referral.id, ReferralStatus.IN_SERVICE)
    assert_rule(excinfo, "REFERRAL_TRANSITION")
    for step in (
        ReferralStatus.SENT,
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.WAITLISTED,
        ReferralStatus.IN_SERVICE,
        ReferralStatus.COMPLETED,
    ):
        assert referrals.move(db, ctx, referral.id, step).status == step
    for back in (ReferralStatus.SENT, ReferralStatus.IN_SERVICE, ReferralStatus.CANCELLED):
        with pytest.raises(RuleViolation) as excinfo:
            referrals.move(db, ctx, referral.id, back)
        assert_rule(excinfo, "REFERRAL_TRANSITION")
    assert referral.status == ReferralStatus.COMPLETED


# --- consent withdrawal (R13) ---------------------------------------------------------------------


def test_withdrawal_cancels_the_referrals_that_relied_on_it(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    granted = consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    relied = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    referrals.move(db, ctx, relied.id, ReferralStatus.SENT)
    drafted = referrals.create(db, ctx, case.code, referral_input(world.resource.id, consent_id=granted.id))
    statutory = referrals.create(
        db,
        ctx,
        case.code,
        referral_input(
            world.resource.id, consent_id=granted.id, statutory_basis=StatutoryBasis.IMMINENT_DANGER
        ),
    )
    referrals.move(db, ctx, statutory.id, ReferralStatus.SENT)
    finished = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    for step in (ReferralStatus.SENT, ReferralStatus.IN_SERVICE, ReferralStatus.COMPLETED):
        referrals.move(db, ctx, finished.id, step)
    assert relied.consent_id == granted.id and finished.consent_id == granted.id

    stopped = consents.withdraw_consent(db, ctx, granted.id)

    assert {r.id for r in stopped} == {relied.id, drafted.id}
    assert relied.status == ReferralStatus.CANCELLED and drafted.status == ReferralStatus.CANCELLED
    assert statutory.status == ReferralStatus.SENT
    assert finished.status == ReferralStatus.COMPLETED
    responses = {
        r.key.split(":")[4]: r.status
        for r in db.scalars(
            select(Reminder).where(
                Reminder.case_id == case.id, Reminder.kind == ReminderKind.REFERRAL_RESPONSE
            )
        )
    }
    assert responses[str(relied.id)] == ReminderStatus.CANCELLED
    assert responses[str(statutory.id)] == ReminderStatus.PENDING

    again = referrals.create(db, ctx, case.code, referral_input(world.resource.id))
    with pytest.raises(RuleViolation) as excinfo:
        referrals.move(db, ctx, again.id, ReferralStatus.SENT)
    assert_rule(excinfo, "R5")
    with pytest.raises(InvalidInput) as excinfo:  # a field error on the withdrawal's date (issue 14)
        consents.withdraw_consent(db, ctx, granted.id)
    assert set(excinfo.value.errors) == {"withdrawn_on"}


# --- closure --------------------------------------------------------------------------------------


def test_closure_needs_an_attainment_for_every_goal(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    (goal,) = goals_of(db, case)
    without = ClosureInput(
        reason=ClosureReason.GOAL_ACHIEVED, worker_evaluation="목표 달성", client_informed=True
    )
    with pytest.raises(InvalidInput) as excinfo:
        closure.request_closure(db, ctx, case.code, without)
    assert_fields(excinfo, f"goal_{goal.id}")
    stranger = without.model_copy(
        update={"attainments": {goal.id: GoalAttainment.MET, 999_999: GoalAttainment.MET}}
    )
    with pytest.raises(InvalidInput) as excinfo:
        closure.request_closure(db, ctx, case.code, stranger)
    assert_fields(excinfo, "attainments")
    assert count(db, Closure, Closure.case_id == case.id) == 0


@pytest.mark.parametrize("reason", sorted(SCHOOL_ONLY_CLOSURE_REASONS))
def test_school_only_closure_reasons_are_refused_outside_the_school_profile(db, world, reason):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    with pytest.raises(InvalidInput) as excinfo:
        closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case), reason))
    assert_fields(excinfo, "reason")
    assert count(db, Closure, Closure.case_id == case.id) == 0


def test_school_only_closure_reason_is_accepted_in_the_school_profile(db, world):
    ctx = school_ctx(db, world)
    case = cases.open_case(db, ctx, school_intake())
    assessments.assess(db, ctx, case.code, assessment_input(profile=Profile.SCHOOL))
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    plans.create_plan(db, ctx, case.code, plan_input())
    request = closure.request_closure(
        db, ctx, case.code, closure_input(goals_of(db, case), ClosureReason.GRADUATED)
    )
    assert request.status == ClosureStatus.PENDING and request.reason == ClosureReason.GRADUATED


def test_second_closure_request_while_one_is_pending_is_refused(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case)))
    with pytest.raises(RuleViolation) as excinfo:
        closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case)))
    assert_rule(excinfo, "CLOSURE_PENDING")
    assert count(db, Closure, Closure.case_id == case.id) == 1


def test_only_a_supervisor_of_the_team_decides_a_closure(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    cases.add_coworker(db, ctx, case.code, world.coworker.id)
    request = closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case)))
    for who in (world.manager, world.coworker, world.other_supervisor):
        with pytest.raises(NotAllowed) as excinfo:
            closure.decide_closure(db, world.ctx(who), request.id, approve=True)
        assert type(excinfo.value) is NotAllowed
        assert excinfo.value.actor_id == who.id and excinfo.value.case_id == case.id
        assert_bilingual(excinfo.value.message)
    # A supervisor of another team is refused even as a co-worker of the case.
    cases.add_coworker(db, ctx, case.code, world.other_supervisor.id)
    with pytest.raises(NotAllowed):
        closure.decide_closure(db, world.ctx(world.other_supervisor), request.id, approve=True)
    assert request.status == ClosureStatus.PENDING and case.status == CaseStatus.ACTIVE

    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert request.status == ClosureStatus.APPROVED and request.decided_by_id == world.supervisor.id
    with pytest.raises(RuleViolation) as excinfo:
        closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=False, comment="다시")
    assert_rule(excinfo, "CLOSURE_DECIDED")


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_returning_a_closure_needs_a_comment(db, world, comment):
    case = case_in_monitoring(db, world)
    request = closure.request_closure(db, world.ctx(), case.code, closure_input(goals_of(db, case)))
    with pytest.raises(InvalidInput) as excinfo:
        closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=False, comment=comment)
    assert_fields(excinfo, "comment")
    assert request.status == ClosureStatus.PENDING


def test_returned_closure_leaves_the_case_open_where_it_was(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    before = stage_of(db, world, case)
    status_before = case.status
    request = closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case)))
    assert stage_of(db, world, case)[0].number == 8

    closure.decide_closure(
        db, world.ctx(world.supervisor), request.id, approve=False, comment="목표 재검토 필요"
    )
    assert request.status == ClosureStatus.RETURNED and request.supervisor_comment == "목표 재검토 필요"
    assert case.status == status_before == CaseStatus.ACTIVE and case.closed_at is None
    assert stage_of(db, world, case) == before
    assert count(db, AfterCareCheck, AfterCareCheck.case_id == case.id) == 0
    pending = db.scalars(
        select(Reminder.kind).where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
    ).all()
    assert ReminderKind.CLOSURE_APPROVAL not in pending and ReminderKind.PLAN_REVIEW in pending
    # The case manager can ask again.
    assert closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case))).id != request.id


@pytest.mark.parametrize(
    ("intensity", "due"),
    [
        (CaseIntensity.GENERAL, [date(2026, 4, 2), date(2026, 6, 2), date(2026, 9, 2)]),
        (
            CaseIntensity.HIGH_COMPLEXITY,
            [date(2026, 4, 2), date(2026, 6, 2), date(2026, 9, 2), date(2027, 3, 2)],
        ),
    ],
)
def test_approval_schedules_aftercare_checks(db, world, intensity, due):
    case = case_in_monitoring(db, world, intensity=intensity)
    request = closure.request_closure(db, world.ctx(), case.code, closure_input(goals_of(db, case)))
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert case.status == CaseStatus.AFTERCARE and case.closed_at == NOW
    checks = db.scalars(select(AfterCareCheck.due_on).where(AfterCareCheck.case_id == case.id)).all()
    assert sorted(checks) == due
    reminders = db.scalars(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
    ).all()
    assert sorted(r.due_at.date() for r in reminders if r.kind == ReminderKind.AFTERCARE_CHECK) == due
    assert all(r.kind == ReminderKind.AFTERCARE_CHECK for r in reminders)


def test_deceased_closes_without_aftercare(db, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.HIGH_COMPLEXITY)
    request = closure.request_closure(
        db, world.ctx(), case.code, closure_input(goals_of(db, case), ClosureReason.DECEASED)
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert case.status == CaseStatus.CLOSED
    assert count(db, AfterCareCheck, AfterCareCheck.case_id == case.id) == 0
    assert count(db, Reminder, Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING) == 0


# --- R6: resident registration numbers --------------------------------------------------------------


def _rrn_forms(rrn: str):
    text = f"참고: {rrn} 확인함"
    return {
        "name": lambda: ClientInput(name=f"홍길동{rrn}"),
        "intake_summary": lambda: IntakeInput.model_validate(
            intake().model_dump() | {"intake_summary": text}
        ),
        "client.contact": lambda: IntakeInput.model_validate(
            intake().model_dump() | {"client": intake().client.model_dump() | {"contact": text}}
        ),
        "purposes": lambda: ConsentInput.model_validate(consent().model_dump() | {"purposes": text}),
        "ratings.0.narrative": lambda: AssessmentInput.model_validate(
            {"ratings": [{"domain": "SAFETY", "severity": 1, "narrative": text}]}
        ),
        "strengths_personal": lambda: AssessmentInput(strengths_personal=text),
        "description": lambda: GoalInput(
            domain=NeedDomain.ECONOMIC, description=text, indicator="x", target="y", target_date=TODAY
        ),
        "reason": lambda: ReferralInput(resource_id=1, domain=NeedDomain.ECONOMIC, reason=text),
        "summary": lambda: contact(NOW, summary=text),
        "worker_evaluation": lambda: ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED, worker_evaluation=text, client_informed=True
        ),
    }


@pytest.mark.parametrize("rrn", RRN_SHAPES)
@pytest.mark.parametrize("field", list(_rrn_forms("x")))
def test_rrn_shaped_text_is_refused_by_the_inputs(rrn, field):
    with pytest.raises(ValidationError) as excinfo:
        _rrn_forms(rrn)[field]()
    error = invalid_input_from(excinfo.value)
    assert type(error) is InvalidInput
    assert set(error.errors) == {field}
    assert_rrn_message(error.errors[field])
    assert error.text("ko") == error.errors[field].ko


@pytest.mark.parametrize(
    "text",
    [
        "010-1234-5678",
        "01012345678",
        "02-123-4567",
        "+82 10-1234-5678",
        "2026-03-02 방문",
        "계좌 123-456789-01",
    ],
)
def test_ordinary_numbers_are_accepted(text):
    assert ClientInput(name="홍길동", contact=text).contact == text
    assert contact(NOW, summary=f"{text} 로 연락함").summary == f"{text} 로 연락함"
    assert ConsentInput.model_validate(consent().model_dump() | {"items": text}).items == text


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda: IntakeInput.model_validate(intake().model_dump() | {"referral_source": "900101-1234567"}),
            id="referral_source",
        ),
        pytest.param(
            lambda: ClientInput(name="홍길동", characteristics=["독거 9001011234567"]), id="characteristics"
        ),
        pytest.param(
            lambda: ConsentInput.model_validate(
                consent(ConsentScope.THIRD_PARTY, recipients=[1]).model_dump()
                | {"recipient_resource_ids": [], "recipient_names": ["이웃 900101-1234567"]}
            ),
            id="recipient_names",
        ),
    ],
)
def test_rrn_is_refused_in_every_free_text_field(build):
    with pytest.raises(ValidationError):
        build()


def test_rrn_is_refused_in_free_text_given_straight_to_the_services(db, world):
    ctx = world.ctx()
    pending = cases.open_case(db, ctx, intake(intake_held=False, with_consent=False))
    with pytest.raises(InvalidInput) as excinfo:
        cases.record_intake(db, ctx, pending.code, summary="주민번호 900101-1234567", notice_given=True)
    assert_rrn_message(assert_fields(excinfo, "intake_summary").errors["intake_summary"])
    assert pending.intake_at is None and "1234567" not in (pending.intake_summary or "")

    case = case_in_monitoring(db, world)
    referral = referrals.create(
        db, ctx, case.code, referral_input(world.resource.id, statutory_basis=StatutoryBasis.STATUTE)
    )
    referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    with pytest.raises(InvalidInput) as excinfo:
        referrals.move(db, ctx, referral.id, ReferralStatus.IN_SERVICE, outcome="회신: 9001011234567")
    assert_rrn_message(assert_fields(excinfo, "outcome").errors["outcome"])
    assert referral.status == ReferralStatus.SENT and referral.outcome is None

    request = closure.request_closure(db, ctx, case.code, closure_input(goals_of(db, case)))
    with pytest.raises(InvalidInput) as excinfo:
        closure.decide_closure(
            db, world.ctx(world.supervisor), request.id, approve=False, comment="900101-1234567 확인 필요"
        )
    assert_rrn_message(assert_fields(excinfo, "comment").errors["comment"])
    assert request.status == ClosureStatus.PENDING and request.supervisor_comment is None


# --- R7: children under 14 ------------------------------------------------------------------------


def under14_intake(*signed: ConsentInput) -> IntakeInput:
    base = intake(with_consent=False).model_dump()
    base["client"]["under14"] = True
    base["consents"] = [c.model_dump() for c in signed]
    return IntakeInput.model_validate(base)


def signed_by(relationship: SignerRelationship, *, verified: bool) -> ConsentInput:
    return ConsentInput.model_validate(
        consent().model_dump()
        | {"signer_name": "보호자", "signer_relationship": relationship, "guardian_verified": verified}
    )


@pytest.mark.parametrize(
    ("relationship", "verified"),
    [
        (SignerRelationship.SELF, False),
        (SignerRelationship.SELF, True),
        (SignerRelationship.PARENT, False),
        (SignerRelationship.GUARDIAN, False),
    ],
)
def test_under14_consent_needs_a_verified_legal_representative(db, world, relationship, verified):
    ctx = world.ctx()
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, ctx, under14_intake(signed_by(relationship, verified=verified)))
    error = assert_fields(excinfo, "signer_relationship")
    assert "14세" in error.errors["signer_relationship"].ko and "14" in error.errors["signer_relationship"].en

    case = cases.open_case(db, ctx, under14_intake())
    with pytest.raises(InvalidInput) as excinfo:
        consents.record_consent(db, ctx, case.code, signed_by(relationship, verified=verified))
    assert_fields(excinfo, "signer_relationship")
    assert count(db, Consent, Consent.case_id == case.id) == 0


def test_under14_consent_by_a_verified_parent_is_accepted(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, under14_intake(signed_by(SignerRelationship.PARENT, verified=True)))
    recorded = collect_use_consent(db, case)
    assert recorded.signer_relationship == SignerRelationship.PARENT and recorded.guardian_verified
    assert assessments.assess(db, ctx, case.code, assessment_input()).assessment.completed_at is not None


# --- field-level messages -------------------------------------------------------------------------

FORM_RULES = {
    "refusal_notice_given": lambda: ConsentInput.model_validate(
        consent().model_dump() | {"refusal_notice_given": False}
    ),
    "recipient_resource_ids": lambda: ConsentInput.model_validate(
        consent(ConsentScope.THIRD_PARTY, recipients=[1]).model_dump() | {"recipient_resource_ids": []}
    ),
    "period_end": lambda: PlanInput.model_validate(
        plan_input().model_dump() | {"period_end": TODAY - timedelta(days=1)}
    ),
    "expires_on": lambda: ConsentInput.model_validate(
        consent().model_dump() | {"expires_on": TODAY - timedelta(days=1)}
    ),
}


@pytest.mark.parametrize("field", list(FORM_RULES))
def test_form_rules_explain_themselves_in_both_languages(field):
    with pytest.raises(ValidationError) as excinfo:
        FORM_RULES[field]()
    error = invalid_input_from(excinfo.value)
    assert len(error.errors) == 1
    (message,) = error.errors.values()
    assert_bilingual(message)
    expected = {
        "refusal_notice_given": "거부할 권리",
        "recipient_resource_ids": "제공받는 자",
        "period_end": "종료일",
        "expires_on": "만료일",
    }[field]
    assert expected in message.ko


@pytest.mark.parametrize("field", list(FORM_RULES))
def test_form_rules_are_keyed_by_their_field(field):
    with pytest.raises(ValidationError) as excinfo:
        FORM_RULES[field]()
    assert set(invalid_input_from(excinfo.value).errors) == {field}


def test_missing_refusal_notice_is_a_field_error():
    values = consent().model_dump()
    del values["refusal_notice_given"]
    with pytest.raises(ValidationError) as excinfo:
        ConsentInput.model_validate(values)
    error = invalid_input_from(excinfo.value)
    assert set(error.errors) == {"refusal_notice_given"}
    assert error.errors["refusal_notice_given"].ko == "필수 입력 항목입니다."


def test_contact_in_the_future_is_refused(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    with pytest.raises(InvalidInput) as excinfo:
        notes.log_contact(db, ctx, case.code, contact(NOW + timedelta(hours=1)))
    assert_fields(excinfo, "contact_at")
    assert count(db, ContactNote, ContactNote.case_id == case.id) == 0
    # A clock a few minutes ahead is tolerated.
    assert notes.log_contact(db, ctx, case.code, contact(NOW + timedelta(minutes=4))).id


def test_next_contact_in_the_past_is_refused(db, world):
    ctx = world.ctx()
    case = case_in_monitoring(db, world)
    with pytest.raises(InvalidInput) as excinfo:
        notes.log_contact(db, ctx, case.code, contact(NOW, next_contact_on=TODAY - timedelta(days=1)))
    assert_fields(excinfo, "next_contact_on")
    assert count(db, ContactNote, ContactNote.case_id == case.id) == 0
    assert notes.log_contact(db, ctx, case.code, contact(NOW, next_contact_on=TODAY)).next_contact_on == TODAY


def test_contact_time_without_time_zone_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        ContactInput(contact_at=datetime(2026, 3, 2, 10, 0), contact_type="PHONE", outcome="DONE")
    (message,) = invalid_input_from(excinfo.value).errors.values()
    assert_bilingual(message)


# --- a failed transaction changes nothing ---------------------------------------------------------


def _state(s, world, case_id: int) -> dict:
    case = s.get(Case, case_id)
    return {
        "status": case.status,
        "intensity": case.intensity,
        "classified_at": case.classified_at,
        "crisis": case.crisis,
        "next_due_on": case.next_due_on,
        "stage": cases.current_state(s, world.ctx(), case),
        "events": count(s, CaseEvent, CaseEvent.case_id == case_id),
        "audit": count(s, AuditLog, AuditLog.case_id == case_id),
        "notes": count(s, ContactNote, ContactNote.case_id == case_id),
        "closures": count(s, Closure, Closure.case_id == case_id),
        "referrals": sorted(
            (r.id, r.status, r.sent_at)
            for r in s.scalars(select(Referral).where(Referral.case_id == case_id))
        ),
        "reminders": sorted(
            (r.key, r.status, r.due_at)
            for r in s.scalars(select(Reminder).where(Reminder.case_id == case_id))
        ),
    }


@pytest.fixture
def committed(uow):
    """A world and a case taken through intake, assessment and consent, committed by a unit of work."""
    with uow() as s:
        world = make_world(s)
        ctx = world.ctx()
        case = cases.open_case(s, ctx, intake())
        assessments.assess(s, ctx, case.code, assessment_input())
        consents.record_consent(
            s, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
        )
        referral = referrals.create(s, ctx, case.code, referral_input(world.resource.id))
        ids = {"case": case.id, "code": case.code, "referral": referral.id}
    return world, ids


@pytest.mark.parametrize(
    "patched", ["models.services.changes.refresh", "models.services.changes.record_event"]
)
def test_a_transition_that_fails_midway_leaves_the_case_as_it_was(uow, committed, monkeypatch, patched):
    world, ids = committed
    with uow() as s:
        before = _state(s, world, ids["case"])
    assert before["intensity"] is None and before["reminders"]

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(patched, boom)
    attempts = [
        lambda s: cases.classify(s, world.ctx(), ids["code"], CaseIntensity.CRISIS),
        lambda s: notes.log_contact(s, world.ctx(), ids["code"], contact(NOW)),
        lambda s: referrals.move(s, world.ctx(), ids["referral"], ReferralStatus.SENT),
        lambda s: cases.hold(s, world.ctx(), ids["code"]),
        lambda s: assessments.assess(
            s, world.ctx(), ids["code"], assessment_input(crisis_domain=NeedDomain.SAFETY)
        ),
    ]
    for attempt in attempts:
        with pytest.raises(RuntimeError, match="disk full"), uow() as s:
            attempt(s)
    monkeypatch.undo()

    with uow() as s:
        assert _state(s, world, ids["case"]) == before


def test_an_error_after_a_service_call_rolls_the_whole_request_back(uow, committed):
    world, ids = committed
    with uow() as s:
        before = _state(s, world, ids["case"])

    with pytest.raises(RuntimeError), uow() as s:
        cases.classify(s, world.ctx(), ids["code"], CaseIntensity.INTENSIVE)
        referrals.move(s, world.ctx(), ids["referral"], ReferralStatus.SENT)
        notes.log_contact(s, world.ctx(), ids["code"], contact(NOW))
        assert s.get(Case, ids["case"]).intensity == CaseIntensity.INTENSIVE
        raise RuntimeError("Slack timed out")

    with uow() as s:
        after = _state(s, world, ids["case"])
        assert after == before
        assert s.get(Referral, ids["referral"]).status == ReferralStatus.DRAFT

    # The same work commits when nothing goes wrong.
    with uow() as s:
        cases.classify(s, world.ctx(), ids["code"], CaseIntensity.INTENSIVE)
    with uow() as s:
        after = _state(s, world, ids["case"])
        assert after["intensity"] == CaseIntensity.INTENSIVE
        assert after["events"] == before["events"] + 1
