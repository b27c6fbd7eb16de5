"""What differs by a team's practice profile (models/profiles.py): the profile is the team's, the
classification list, the contact cadence of 단순연계, and the public-sector clocks. Each rule is checked
with the deployment's defaults (`Policy()`), not the all-classifications world of the other tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.views.history import history_modal
from models.cadence import Cadences
from models.case import Case
from models.enums import (
    CaseIntensity,
    ClosureReason,
    ConsentScope,
    GoalAttainment,
    NeedDomain,
    NextStep,
    Profile,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
    ResourceCategory,
    ResourceSector,
    SignerRelationship,
    Stage,
    WeeLevel,
)
from models.errors import InvalidInput, RuleViolation
from models.profiles import (
    DEFAULT_CLASSIFICATIONS,
    NO_CONTACT_CADENCE,
    SchoolCalendar,
    next_wee_level,
    school_dates,
)
from models.reminder import Reminder
from models.resource import Resource
from models.schemas import ClosureInput, HandoverInput, ReferralInput
from models.services import (
    assessments,
    cases,
    closure,
    consents,
    handover,
    notes,
    plans,
    referrals,
    resources,
    school,
    staff,
)
from models.services.case_file import Section, read_page
from models.services.context import Policy
from models.services.export import export_case
from models.services.lifecycle import snapshot
from tests.factories import (
    NOW,
    assessment_input,
    case_in_monitoring,
    consent,
    contact,
    intake,
    plan_input,
    school_intake,
)

K = ReminderKind


def nine(day: date) -> datetime:
    """09:00 in Seoul on that date, as stored: 00:00 UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def pending(db, case: Case, *kinds: ReminderKind) -> list[tuple[ReminderKind, datetime, date | None]]:
    db.flush()
    db.expire_all()
    found = db.scalars(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
    )
    return sorted(
        ((r.kind, r.due_at, r.deadline_on) for r in found if not kinds or r.kind in kinds),
        key=lambda row: (row[1], row[0].value),
    )


def assessed_case(db, world, policy: Policy, now: datetime = NOW) -> Case:
    ctx = world.ctx(now=now, policy=policy)
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    return case


# --- the profile is the team's ---------------------------------------------------------------------


def test_a_team_without_a_profile_follows_the_deployment_and_one_with_a_profile_keeps_its_own(db, world):
    assert world.team.profile is None
    assert world.ctx(policy=Policy(profile=Profile.PUBLIC)).profile == Profile.PUBLIC
    assert world.ctx(policy=Policy()).profile == Profile.WELFARE_CENTRE

    team, open_cases = staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    assert (team.id, team.profile, open_cases) == (world.team.id, Profile.SCHOOL, 0)
    db.refresh(world.manager)
    # Whatever the deployment's PROFILE, the team's own profile decides.
    assert world.ctx(policy=Policy(profile=Profile.PUBLIC)).profile == Profile.SCHOOL
    assert world.ctx(world.outsider, policy=Policy(profile=Profile.PUBLIC)).profile == Profile.PUBLIC

    staff.set_team_profile(db, world.team.name, None)  # back to the deployment's
    db.refresh(world.manager)
    assert world.ctx(policy=Policy(profile=Profile.PUBLIC)).profile == Profile.PUBLIC


def test_setting_an_unknown_teams_profile_is_a_field_error(db, world):
    with pytest.raises(InvalidInput) as caught:
        staff.set_team_profile(db, "없는팀", Profile.PUBLIC)
    assert caught.value.errors["team"].key == "profiles.errors.unknown_team"


def test_a_case_opens_under_its_teams_profile(db, world):
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    db.refresh(world.manager)
    case = cases.open_case(db, world.ctx(policy=Policy()), intake())
    assert case.profile == Profile.PUBLIC
    other = cases.open_case(db, world.ctx(world.outsider, policy=Policy()), intake())
    assert other.profile == Profile.WELFARE_CENTRE


# --- classification lists ------------------------------------------------------------------------


def test_each_profile_offers_its_sourced_list():
    policy = Policy()
    assert policy.classifications_for(Profile.PUBLIC) == (
        CaseIntensity.CRISIS,
        CaseIntensity.HIGH_COMPLEXITY,
        CaseIntensity.GENERAL,
        CaseIntensity.LINKAGE_ONLY,
    )
    assert policy.classifications_for(Profile.WELFARE_CENTRE) == (
        CaseIntensity.INTENSIVE,
        CaseIntensity.GENERAL,
        CaseIntensity.SIMPLE_LINKAGE,
    )
    # A deployment may change one profile's list; the others keep theirs.
    changed = Policy(classifications=((Profile.PUBLIC, (CaseIntensity.GENERAL, CaseIntensity.CRISIS)),))
    assert changed.classifications_for(Profile.PUBLIC) == (CaseIntensity.GENERAL, CaseIntensity.CRISIS)
    assert changed.classifications_for(Profile.SCHOOL) == DEFAULT_CLASSIFICATIONS[Profile.SCHOOL]


@pytest.mark.parametrize(
    ("profile", "accepted", "refused"),
    [
        (Profile.PUBLIC, CaseIntensity.HIGH_COMPLEXITY, CaseIntensity.INTENSIVE),
        (Profile.PUBLIC, CaseIntensity.LINKAGE_ONLY, CaseIntensity.SIMPLE_LINKAGE),
        (Profile.WELFARE_CENTRE, CaseIntensity.INTENSIVE, CaseIntensity.CRISIS),
        (Profile.WELFARE_CENTRE, CaseIntensity.SIMPLE_LINKAGE, CaseIntensity.HIGH_COMPLEXITY),
    ],
)
def test_classify_accepts_the_teams_list_and_refuses_the_rest(db, world, profile, accepted, refused):
    staff.set_team_profile(db, world.team.name, profile)
    db.refresh(world.manager)
    policy = Policy()
    case = assessed_case(db, world, policy)
    ctx = world.ctx(policy=policy)
    with pytest.raises(InvalidInput) as caught:
        cases.classify(db, ctx, case.code, refused)
    message = caught.value.errors["intensity"]
    assert message.key == "profiles.errors.intensity_not_for_profile"
    assert message.params["profile"] == profile
    assert refused.label("ko") not in message.ko and accepted.label("ko") in message.ko
    assert db.get(Case, case.id).intensity is None  # nothing recorded
    cases.classify(db, ctx, case.code, accepted)
    assert db.get(Case, case.id).intensity == accepted


def test_the_list_follows_the_team_when_its_profile_changes(db, world):
    policy = Policy()
    case = assessed_case(db, world, policy)
    ctx = world.ctx(policy=policy)
    with pytest.raises(InvalidInput):
        cases.classify(db, ctx, case.code, CaseIntensity.HIGH_COMPLEXITY)
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    cases.classify(db, ctx, case.code, CaseIntensity.HIGH_COMPLEXITY)
    assert cases.classifications(ctx, db.get(Case, case.id)) == DEFAULT_CLASSIFICATIONS[Profile.PUBLIC]


# --- 단순연계: no contact cadence ----------------------------------------------------------------


def test_simple_linkage_has_no_contact_nudges_and_no_plan(db, world):
    policy = Policy()
    case = assessed_case(db, world, policy)
    cases.classify(db, world.ctx(policy=policy), case.code, CaseIntensity.SIMPLE_LINKAGE)
    assert CaseIntensity.SIMPLE_LINKAGE in NO_CONTACT_CADENCE
    assert pending(db, case, K.NEXT_CONTACT, K.CONTACT_OVERDUE, K.PLAN_DUE) == []
    state = cases.current_state(db, world.ctx(policy=policy), db.get(Case, case.id))
    assert (state.stage, state.next_step) == (Stage.DELIVERY, NextStep.LINK_SERVICES)

    # The same team's 일반 case does get them: the difference is the classification.
    general = assessed_case(db, world, policy)
    cases.classify(db, world.ctx(policy=policy), general.code, CaseIntensity.GENERAL)
    kinds = {row[0] for row in pending(db, general)}
    assert {K.NEXT_CONTACT, K.CONTACT_OVERDUE, K.PLAN_DUE} <= kinds


# --- public-sector clocks ------------------------------------------------------------------------

# A deployment whose general cadences are slower than the public sector's.
SLOW = Policy(
    cadences=Cadences(
        intake_to_assessment_days=14, assessment_to_classification_days=9, intake_to_plan_days=40
    )
)


def test_a_public_team_keeps_the_public_clocks_whatever_the_general_cadences(db, world):
    start = NOW.astimezone(SLOW.zone).date()
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    db.refresh(world.manager)
    public = cases.open_case(db, world.ctx(policy=SLOW), intake())
    welfare = cases.open_case(db, world.ctx(world.outsider, policy=SLOW), intake())
    # intake → 욕구·위기도 조사 ≈10 days [V2 S6]; the welfare team follows the deployment's 14.
    assert pending(db, public, K.ASSESSMENT_DUE) == [
        (K.ASSESSMENT_DUE, nine(start + timedelta(days=10)), start + timedelta(days=10))
    ]
    assert pending(db, welfare, K.ASSESSMENT_DUE) == [
        (K.ASSESSMENT_DUE, nine(start + timedelta(days=14)), start + timedelta(days=14))
    ]
    # Plan within 30 days of the intake (nudges at D+20 and D+27) against the deployment's 40.
    assert [row[2] for row in pending(db, public, K.PLAN_DUE)] == [start + timedelta(days=30)] * 2
    assert [row[1] for row in pending(db, public, K.PLAN_DUE)] == [
        nine(start + timedelta(days=20)),
        nine(start + timedelta(days=27)),
    ]
    assert [row[2] for row in pending(db, welfare, K.PLAN_DUE)] == [start + timedelta(days=40)] * 2


def test_public_classification_is_due_five_days_after_the_survey(db, world):
    start = NOW.astimezone(SLOW.zone).date()
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    db.refresh(world.manager)
    public = assessed_case(db, world, SLOW)
    welfare = cases.open_case(db, world.ctx(world.outsider, policy=SLOW), intake())
    assessments.assess(db, world.ctx(world.outsider, policy=SLOW), welfare.code, assessment_input())
    assert [row[2] for row in pending(db, public, K.CLASSIFICATION_DUE)] == [start + timedelta(days=5)]
    assert [row[2] for row in pending(db, welfare, K.CLASSIFICATION_DUE)] == [start + timedelta(days=9)]


def test_a_public_plan_is_due_fifteen_days_after_the_classification_within_thirty_of_the_intake(db, world):
    policy = Policy()
    zone = policy.zone
    start = NOW.astimezone(zone).date()
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    db.refresh(world.manager)
    early = assessed_case(db, world, policy)
    later = assessed_case(db, world, policy)
    cases.classify(
        db, world.ctx(policy=policy, now=NOW + timedelta(days=3)), early.code, CaseIntensity.GENERAL
    )
    cases.classify(
        db, world.ctx(policy=policy, now=NOW + timedelta(days=20)), later.code, CaseIntensity.GENERAL
    )
    # Classified on day 3: the plan on day 18 (nudged 10 and 3 days before); on day 20: still day 30.
    assert pending(db, early, K.PLAN_DUE) == [
        (K.PLAN_DUE, nine(start + timedelta(days=8)), start + timedelta(days=18)),
        (K.PLAN_DUE, nine(start + timedelta(days=15)), start + timedelta(days=18)),
    ]
    assert [row[2] for row in pending(db, later, K.PLAN_DUE)] == [start + timedelta(days=30)] * 2
    # A welfare-centre team's plan stays 30 days after the intake, classified early or not.
    welfare = cases.open_case(db, world.ctx(world.outsider, policy=policy), intake())
    other = world.ctx(world.outsider, policy=policy)
    assessments.assess(db, other, welfare.code, assessment_input())
    cases.classify(
        db,
        world.ctx(world.outsider, policy=policy, now=NOW + timedelta(days=3)),
        welfare.code,
        CaseIntensity.GENERAL,
    )
    assert [row[2] for row in pending(db, welfare, K.PLAN_DUE)] == [start + timedelta(days=30)] * 2


# --- school: the student AND a guardian consent to student support ------------------------------


def approve_manager(db, world) -> None:
    """The head of the school's approval for the case manager (학생맞춤통합지원법 §17⑦), ten days ago."""
    today = NOW.astimezone(Policy().zone).date()
    staff.approve(
        db,
        world.manager.slack_user_id,
        approved_by="교장 김가상",
        approved_on=today - timedelta(days=10),
        reference="결재-2026-001",
        valid_until=None,
        entered_by="cli:test",
        today=today,
        now=NOW,
    )


def student_support(relationship: SignerRelationship):
    return consent(ConsentScope.STUDENT_SUPPORT).model_copy(update={"signer_relationship": relationship})


def school_case(db, world, *extra) -> tuple[Case, Policy]:
    staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    db.refresh(world.manager)
    policy = Policy()
    case = cases.open_case(db, world.ctx(policy=policy), intake(consents=[consent(), *extra]))
    return case, policy


def test_school_assessment_needs_the_students_and_a_guardians_consent(db, world):
    approve_manager(db, world)
    case, policy = school_case(db, world, student_support(SignerRelationship.SELF))
    ctx = world.ctx(policy=policy)
    with pytest.raises(RuleViolation) as caught:
        assessments.start(db, ctx, case.code)
    assert caught.value.rule == "R7"
    assert "§11③" in caught.value.message.en and "guardian" in caught.value.message.en
    assert "the student's own consent" not in caught.value.message.en  # that one is there
    consents.record_consent(db, ctx, case.code, student_support(SignerRelationship.PARENT))
    assert assessments.start(db, ctx, case.code).case_id == case.id


def test_a_guardians_consent_alone_is_not_enough_either(db, world):
    approve_manager(db, world)
    case, policy = school_case(db, world, student_support(SignerRelationship.GUARDIAN))
    with pytest.raises(RuleViolation) as caught:
        assessments.start(db, world.ctx(policy=policy), case.code)
    assert "the student's own consent" in caught.value.message.en


def test_other_profiles_do_not_ask_for_student_support_consent(db, world):
    case = cases.open_case(db, world.ctx(policy=Policy()), intake(consents=[consent()]))
    assert assessments.start(db, world.ctx(policy=Policy()), case.code).case_id == case.id


# --- school: the academic calendar --------------------------------------------------------------


def seoul(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=Policy().zone)


def test_school_dates_follow_the_calendar_setting():
    dates = school_dates(SchoolCalendar(), date(2026, 2, 20))
    assert [(d.kind, d.fires_on, d.deadline) for d in dates] == [
        (K.GRADE_HANDOVER, date(2026, 2, 15), date(2026, 2, 28)),
        (K.SCHOOL_SELECTION, date(2026, 3, 1), date(2026, 3, 10)),
        (K.SAFETY_CHECK, date(2026, 7, 12), date(2026, 7, 19)),
        (K.SAFETY_CHECK, date(2026, 12, 18), date(2026, 12, 25)),
    ]
    # A school year starting in September (another system): selection in September, hand-over in August.
    autumn = SchoolCalendar(year_start_month=9, vacation_starts=((12, 20),), handover_day=20)
    assert [(d.kind, d.deadline) for d in school_dates(autumn, date(2026, 8, 1))] == [
        (K.GRADE_HANDOVER, date(2026, 8, 31)),
        (K.SCHOOL_SELECTION, date(2026, 9, 10)),
        (K.SAFETY_CHECK, date(2026, 12, 19)),
    ]


def test_a_school_case_is_nudged_by_the_academic_calendar_until_the_record_shows_it_done(db, world):
    approve_manager(db, world)
    staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    db.refresh(world.manager)
    policy = Policy()
    ctx = world.ctx(now=seoul(2026, 2, 20), policy=policy)
    case = cases.open_case(db, ctx, school_intake(ctx.today))
    assessments.assess(db, ctx, case.code, assessment_input(profile=Profile.SCHOOL))
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    calendar_kinds = (K.SCHOOL_SELECTION, K.SAFETY_CHECK, K.GRADE_HANDOVER)
    assert pending(db, case, *calendar_kinds) == [
        (K.GRADE_HANDOVER, nine(date(2026, 2, 15)), date(2026, 2, 28)),
        (K.SCHOOL_SELECTION, nine(date(2026, 3, 1)), date(2026, 3, 10)),
        (K.SAFETY_CHECK, nine(date(2026, 7, 12)), date(2026, 7, 19)),
        (K.SAFETY_CHECK, nine(date(2026, 12, 18)), date(2026, 12, 25)),
    ]
    # The hand-over meeting (a contact) settles the hand-over; the vacations' checks still wait.
    at = seoul(2026, 2, 24)
    notes.log_contact(db, world.ctx(now=at, policy=policy), case.code, contact(at))
    assert [row[0] for row in pending(db, case, *calendar_kinds)] == [
        K.SCHOOL_SELECTION,
        K.SAFETY_CHECK,
        K.SAFETY_CHECK,
    ]
    # Selected again in the new school year: the selection is done.
    cases.classify(db, world.ctx(now=seoul(2026, 3, 4), policy=policy), case.code, CaseIntensity.INTENSIVE)
    # (the coming year, counted from the refresh: next February's hand-over is in it now).
    assert [(row[0], row[2]) for row in pending(db, case, *calendar_kinds)] == [
        (K.SAFETY_CHECK, date(2026, 7, 19)),
        (K.SAFETY_CHECK, date(2026, 12, 25)),
        (K.GRADE_HANDOVER, date(2027, 2, 28)),
    ]


def test_other_profiles_have_no_academic_calendar(db, world):
    policy = Policy()
    ctx = world.ctx(now=seoul(2026, 2, 20), policy=policy)
    case = cases.open_case(db, ctx, intake(consents=[consent(given_on=ctx.today)]))
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    assert pending(db, case, K.SCHOOL_SELECTION, K.SAFETY_CHECK, K.GRADE_HANDOVER) == []


# --- school: dropping out prompts a referral to 꿈드림 ------------------------------------------


def test_closing_for_dropping_out_prompts_a_referral_to_an_out_of_school_youth_centre(db, world):
    approve_manager(db, world)
    staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    db.refresh(world.manager)
    policy = Policy()
    ctx = world.ctx(policy=policy)
    case = cases.open_case(db, ctx, school_intake())
    assessments.assess(db, ctx, case.code, assessment_input(profile=Profile.SCHOOL))
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    plans.create_plan(db, ctx, case.code, plan_input())
    # No youth resource in the directory yet: the prompt still comes, naming none.
    assert closure.dropout_links(db, case.id, ClosureReason.DROPPED_OUT) == []
    dream = Resource(
        name="가상시 학교밖청소년지원센터", category=ResourceCategory.YOUTH, sector=ResourceSector.PUBLIC
    )
    db.add(dream)
    db.flush()
    goals = {g.id: GoalAttainment.PARTLY for g in snapshot(db, case).plan_in_force.goals}
    data = ClosureInput(
        reason=ClosureReason.DROPPED_OUT,
        attainments=goals,
        worker_evaluation="학업중단",
        client_informed=True,
    )
    closure.request_closure(db, ctx, case.code, data)
    assert closure.dropout_links(db, case.id, ClosureReason.DROPPED_OUT) == ["가상시 학교밖청소년지원센터"]
    assert closure.dropout_links(db, case.id, ClosureReason.GRADUATED) is None  # other reasons: no prompt
    # Once a referral to the centre is under way, no more prompt; a cancelled one does not count.
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(resource_id=dream.id, domain=NeedDomain.LEARNING, reason="학업중단 연계"),
    )
    assert closure.dropout_links(db, case.id, ClosureReason.DROPPED_OUT) is None
    referral.status = ReferralStatus.CANCELLED
    db.flush()
    assert closure.dropout_links(db, case.id, ClosureReason.DROPPED_OUT) == ["가상시 학교밖청소년지원센터"]


# --- school: the Wee ladder ----------------------------------------------------------------------


def wee(db, name: str, level: WeeLevel) -> Resource:
    resource = Resource(
        name=name, category=ResourceCategory.SCHOOL, sector=ResourceSector.PUBLIC, wee_level=level
    )
    db.add(resource)
    db.flush()
    return resource


def test_the_wee_ladder_goes_up_one_step_at_a_time():
    assert [next_wee_level(level) for level in WeeLevel] == [
        WeeLevel.WEE_CENTER,
        WeeLevel.FAMILY_WEE_CENTER,
        WeeLevel.WEE_SCHOOL,
        None,
    ]


def test_a_wee_referral_that_ends_suggests_the_next_step(db, world):
    approve_manager(db, world)
    staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    db.refresh(world.manager)
    ctx = world.ctx(policy=Policy())
    case = cases.open_case(db, ctx, school_intake())
    wee_class = wee(db, "가상중 Wee 클래스", WeeLevel.WEE_CLASS)
    wee(db, "가상교육지원청 Wee 센터", WeeLevel.WEE_CENTER)
    wee(db, "나중 Wee 센터", WeeLevel.WEE_CENTER).active = False  # inactive: not offered
    data = ReferralInput(resource_id=wee_class.id, domain=NeedDomain.PSYCH_EMOTIONAL, reason="또래관계 상담")
    referral = referrals.create(db, ctx, case.code, data)
    assert school.wee_step_up(db, ctx, referral) is None  # a draft has not ended
    for status in (ReferralStatus.CANCELLED, ReferralStatus.CLIENT_DECLINED):
        referral.status = status
        assert school.wee_step_up(db, ctx, referral) is None  # no sign the next step is needed
    for status in (ReferralStatus.COMPLETED, ReferralStatus.DECLINED):
        referral.status = status
        assert school.wee_step_up(db, ctx, referral) == school.WeeStepUp(
            WeeLevel.WEE_CLASS, WeeLevel.WEE_CENTER, ["가상교육지원청 Wee 센터"]
        )
    # The top of the ladder has no step above; a resource off the ladder none either.
    top = referrals.create(
        db,
        ctx,
        case.code,
        data.model_copy(update={"resource_id": wee(db, "Wee 스쿨", WeeLevel.WEE_SCHOOL).id}),
    )
    top.status = ReferralStatus.COMPLETED
    assert school.wee_step_up(db, ctx, top) is None
    housing = referrals.create(db, ctx, case.code, data.model_copy(update={"resource_id": world.resource.id}))
    housing.status = ReferralStatus.COMPLETED
    assert school.wee_step_up(db, ctx, housing) is None


def test_other_profiles_get_no_wee_suggestion(db, world):
    ctx = world.ctx(policy=Policy())
    case = cases.open_case(db, ctx, intake())
    wee_class = wee(db, "가상중 Wee 클래스", WeeLevel.WEE_CLASS)
    wee(db, "가상교육지원청 Wee 센터", WeeLevel.WEE_CENTER)
    referral = referrals.create(
        db, ctx, case.code, ReferralInput(resource_id=wee_class.id, domain=NeedDomain.FAMILY, reason="상담")
    )
    referral.status = ReferralStatus.COMPLETED
    assert school.wee_step_up(db, ctx, referral) is None


def test_the_resource_import_reads_the_wee_level(db):
    text = "name,category,sector,wee_level\n가상중 Wee 클래스,SCHOOL,PUBLIC,Wee 클래스\n가상복지관,WELFARE,PRIVATE,\n"
    resources.import_csv(db, text, now=NOW)
    levels = dict(db.execute(select(Resource.name, Resource.wee_level)).all())
    assert levels == {"가상중 Wee 클래스": WeeLevel.WEE_CLASS, "가상복지관": None}


# --- public: after-care handed over to the 읍면동 -------------------------------------------------


def closed_case(db, world) -> Case:
    case = case_in_monitoring(db, world)
    goals = {g.id: GoalAttainment.MET for g in snapshot(db, case).plan_in_force.goals}
    data = ClosureInput(
        reason=ClosureReason.GOAL_ACHIEVED,
        attainments=goals,
        worker_evaluation="목표 달성",
        client_informed=True,
    )
    request = closure.request_closure(db, world.ctx(), case.code, data)
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    return case


def handover_input(**overrides) -> HandoverInput:
    values = dict(
        handed_to="가상동 행정복지센터 맞춤형복지팀", handed_over_on=NOW.date(), note="월 1회 안부 확인 요청"
    )
    values.update(overrides)
    return HandoverInput(**values)


def test_a_public_cases_after_care_is_handed_over_to_the_eupmyeondong_with_a_record(db, world):
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    case = closed_case(db, world)
    closed_on = NOW.astimezone(Policy().zone).date()
    assert pending(db, case, K.AFTERCARE_HANDOVER) == [
        (K.AFTERCARE_HANDOVER, nine(closed_on + timedelta(days=7)), closed_on + timedelta(days=7))
    ]
    with pytest.raises(InvalidInput) as caught:
        handover.record_handover(
            db, world.ctx(), case.code, handover_input(handed_over_on=closed_on + timedelta(days=1))
        )
    assert set(caught.value.errors) == {"handed_over_on"}

    record = handover.record_handover(db, world.ctx(), case.code, handover_input())
    db.expire_all()
    stored = db.get(Case, case.id).handovers
    assert [(h.id, h.handed_to, h.handed_over_on, h.note, h.recorded_by_id) for h in stored] == [
        (record.id, "가상동 행정복지센터 맞춤형복지팀", NOW.date(), "월 1회 안부 확인 요청", world.manager.id)
    ]
    assert pending(db, case, K.AFTERCARE_HANDOVER) == []  # done
    assert pending(db, case, K.AFTERCARE_CHECK) != []  # the after-care checks themselves go on
    # The record's export (casebot export) shows it, and the timeline names it.
    text = export_case(db, case.code, operator="cli:test", reason="열람 요청", now=NOW, zone=Policy().zone)
    assert (
        "- 읍면동 인계 2026-03-02: 가상동 행정복지센터 맞춤형복지팀, 메모 월 1회 안부 확인 요청 (Manager)"
        in text
    )
    assert "사후관리 읍면동 인계" in text
    # /case history reads it back under the closure, to the case's circle.
    [entry, *_] = read_page(db, world.ctx(), case.code, Section.CLOSURE).entries
    assert [(h.handed_to, h.note) for h in entry.handovers] == [
        ("가상동 행정복지센터 맞춤형복지팀", "월 1회 안부 확인 요청")
    ]
    page = history_modal(read_page(db, world.ctx(), case.code, Section.CLOSURE), "ko", Policy().zone)
    assert "*사후관리 인계*: 가상동 행정복지센터 맞춤형복지팀" in str(page["blocks"])


def test_no_handover_for_other_profiles_or_before_the_closure(db, world):
    welfare = closed_case(db, world)
    assert pending(db, welfare, K.AFTERCARE_HANDOVER) == []
    with pytest.raises(RuleViolation) as caught:
        handover.record_handover(db, world.ctx(), welfare.code, handover_input())
    assert caught.value.rule == "HANDOVER_PUBLIC"

    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    open_case = case_in_monitoring(db, world)
    with pytest.raises(RuleViolation) as caught:
        handover.record_handover(db, world.ctx(), open_case.code, handover_input())
    assert caught.value.rule == "HANDOVER_AFTER_CLOSURE"
    assert db.get(Case, open_case.id).handovers == []
