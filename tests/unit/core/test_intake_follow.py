"""Follow-ups of the intake: `/case intake CODE` records the intake's details and crisis flags; the crisis
first-response nudge goes at once with its 24-hour deadline and escalates to the supervisors; a school
case's next step names the missing student-support consent; only the case's leads hand a public case's
after-care over."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, text

from models.case import Case
from models.enums import (
    BenefitStatus,
    ClientCharacteristic,
    ConsentScope,
    CrisisFlag,
    HousingType,
    IntakeRoute,
    LegalStanding,
    LifeStage,
    MissingConsent,
    NextStep,
    Profile,
    ReminderKind,
    ReminderStatus,
    SignerRelationship,
    Stage,
)
from models.errors import InvalidInput, NotAllowed
from models.reminder import Reminder
from models.schemas import (
    STRICT_CONTEXT,
    ClientDetailsInput,
    GuardianInput,
    HandoverInput,
    HouseholdMemberInput,
    RecordIntakeInput,
)
from models.services import cases, consents, desk, handover, notes, staff
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.services.lifecycle import CaseState, missing_student_support, snapshot
from sandbox.slack import FakeSlack
from scheduler.sweep import sweep
from tests.factories import NOW, consent, contact, intake
from tests.unit.core.test_profiles import approve_manager, closed_case

SEOUL = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar(SEOUL, 9, 18)
GUARDIAN, MEMBER = "박보호자가상", "최가구원가상"
LATER = NOW + timedelta(days=2)


def referral():
    return intake(with_consent=False, intake_held=False).model_copy(update={"referrer": "가상동 주민센터"})


def details(**update) -> RecordIntakeInput:
    values = dict(
        intake_summary="가정 방문 초기상담",
        confidentiality_notice_given=True,
        client=ClientDetailsInput(
            characteristics=[ClientCharacteristic.LIVING_ALONE],
            interpreter_language="몽골어",
            benefits=[BenefitStatus.LIVELIHOOD],
            housing_type=HousingType.MONTHLY_RENT,
        ),
        intake_route=IntakeRoute.VISIT,
        household=[HouseholdMemberInput(name=MEMBER, relation="손자", age_band=LifeStage.CHILD)],
        guardians=[
            GuardianInput(
                name=GUARDIAN, relationship_kind="아들", legal_standing=LegalStanding.MINOR_GUARDIAN
            )
        ],
    )
    values.update(update)
    return RecordIntakeInput(**values)


def pending(db, case: Case, kind: ReminderKind) -> list[Reminder]:
    query = select(Reminder).where(
        Reminder.case_id == case.id, Reminder.kind == kind, Reminder.status == ReminderStatus.PENDING
    )
    return list(db.scalars(query))


# --- `/case intake CODE` with the intake's details --------------------------------------------------


def test_the_first_interview_of_a_referral_records_the_intakes_details(db, world):
    case = cases.open_case(db, world.ctx(), referral())
    recorded = cases.record_first_interview(db, world.ctx(now=LATER), case.code, details())
    assert recorded.case is case and not recorded.crisis_ticked
    db.expire_all()
    case = db.get(Case, case.id)
    client = case.client
    assert case.intake_at == LATER and case.intake_summary == "가정 방문 초기상담"
    assert case.intake_route == IntakeRoute.VISIT
    assert client.characteristics == [ClientCharacteristic.LIVING_ALONE.value]
    assert client.interpreter_needed and client.interpreter_language == "몽골어"
    assert client.benefits == [BenefitStatus.LIVELIHOOD.value]
    assert client.housing_type == HousingType.MONTHLY_RENT
    [member] = client.household
    assert (member.name, member.relation, member.age_band) == (MEMBER, "손자", LifeStage.CHILD)
    [guardian] = client.guardians
    assert guardian.name == GUARDIAN and guardian.legal_standing == LegalStanding.MINOR_GUARDIAN
    assert guardian.is_legal_representative  # a court-appointed guardian represents the client
    raw = db.execute(text("SELECT name FROM guardians WHERE id = :id"), {"id": guardian.id}).scalar_one()
    assert GUARDIAN not in raw  # encrypted at rest
    assert case.crisis_flags == [] and not case.crisis
    assert cases.current_state(db, world.ctx(now=LATER), case).stage == Stage.INTAKE


def test_details_are_added_to_what_the_referral_said(db, world):
    data = referral()
    data = data.model_copy(
        update={
            "client": data.client.model_copy(
                update={
                    "characteristics": [ClientCharacteristic.DISABILITY],
                    "housing_type": HousingType.PUBLIC_RENTAL,
                }
            ),
            "household": [HouseholdMemberInput(relation="배우자")],
        }
    )
    case = cases.open_case(db, world.ctx(), data)
    more = details(
        client=ClientDetailsInput(
            characteristics=[ClientCharacteristic.DISABILITY, ClientCharacteristic.LIVING_ALONE]
        )
    )
    cases.record_first_interview(db, world.ctx(now=LATER), case.code, more)
    db.expire_all()
    client = db.get(Case, case.id).client
    assert client.characteristics == [
        ClientCharacteristic.DISABILITY.value,
        ClientCharacteristic.LIVING_ALONE.value,
    ]
    assert sorted(m.relation for m in client.household) == ["배우자", "손자"]
    assert client.housing_type == HousingType.PUBLIC_RENTAL  # not chosen at the interview: kept


def test_a_guardian_without_a_name_or_a_missing_notice_is_a_field_error_and_nothing_changes(db, world):
    case = cases.open_case(db, world.ctx(), referral())
    nameless = details(
        guardians=[GuardianInput.model_validate({"relationship_kind": "딸"}, context=STRICT_CONTEXT)]
    )
    with pytest.raises(InvalidInput) as caught:
        cases.record_first_interview(db, world.ctx(now=LATER), case.code, nameless)
    assert set(caught.value.errors) == {"guardians.0.name"}
    with pytest.raises(InvalidInput) as caught:
        cases.record_first_interview(
            db, world.ctx(now=LATER), case.code, details(confidentiality_notice_given=False)
        )
    assert set(caught.value.errors) == {"confidentiality_notice_given"}
    db.expire_all()
    assert db.get(Case, case.id).intake_at is None


def test_strict_mode_refuses_a_household_members_name_at_the_first_interview(db, world):
    case = cases.open_case(db, world.ctx(), referral())
    strict = Policy(privacy_mode="strict")
    data = details(guardians=[])
    with pytest.raises(InvalidInput) as caught:
        cases.record_first_interview(db, world.ctx(now=LATER, policy=strict), case.code, data)
    assert set(caught.value.errors) == {"household.0.name"}


def test_a_crisis_ticked_at_the_first_interview_tells_the_supervisors_and_starts_the_clock(db, world):
    case = cases.open_case(db, world.ctx(), referral())
    ctx = world.ctx(now=LATER)
    assert pending(db, case, ReminderKind.CRISIS_FIRST_RESPONSE) == []
    recorded = cases.record_first_interview(db, ctx, case.code, details(crisis_flags=[CrisisFlag.SELF_HARM]))
    assert recorded.crisis_ticked
    assert (
        case.crisis and case.crisis_flags == [CrisisFlag.SELF_HARM.value] and case.crisis_flagged_at == LATER
    )
    assert cases.crisis_recipients(db, case, today=ctx.today) == [
        (world.supervisor.slack_user_id, world.supervisor.locale or "")
    ]
    [nudge] = pending(db, case, ReminderKind.CRISIS_FIRST_RESPONSE)
    deadline = LATER + timedelta(hours=24)
    assert (nudge.recipient_id, nudge.due_at, nudge.deadline_on) == (
        world.manager.id,
        LATER,
        deadline.astimezone(SEOUL).date(),
    )
    [overdue] = pending(db, case, ReminderKind.CRISIS_RESPONSE_OVERDUE)
    assert (overdue.recipient_id, overdue.due_at) == (world.supervisor.id, deadline)


def test_a_flag_already_ticked_at_the_referral_is_not_told_again(db, world):
    case = cases.open_case(
        db, world.ctx(), referral().model_copy(update={"crisis_flags": [CrisisFlag.ABUSE]})
    )
    recorded = cases.record_first_interview(
        db, world.ctx(now=LATER), case.code, details(crisis_flags=[CrisisFlag.ABUSE])
    )
    assert not recorded.crisis_ticked
    assert case.crisis_flagged_at == NOW  # the clock runs from the referral that flagged it


# --- the crisis first-response nudge and its escalation ----------------------------------------------


def run(uow, slack, now):
    client = WebClient(token="xoxb-test", base_url=slack.url)
    return sweep(uow, client, Policy(), CAL, now, sleep=lambda _: None)


def messages_to(slack, user: str, code: str) -> list:
    return [
        c for c in slack.calls("chat.postMessage") if c.params["channel"] == user and code in c.params["text"]
    ]


def test_the_first_response_nudge_goes_at_once_and_the_supervisors_hear_when_the_deadline_passes(
    db, uow, world
):
    case = cases.open_case(db, world.ctx(), intake().model_copy(update={"crisis_flags": [CrisisFlag.CRISIS]}))
    db.commit()
    with FakeSlack() as slack:
        first = CAL.next_working_start(NOW)
        run(uow, slack, first)
        assert messages_to(slack, world.manager.slack_user_id, case.code)
        assert messages_to(slack, world.supervisor.slack_user_id, case.code) == []
        run(uow, slack, CAL.next_working_start(NOW + timedelta(hours=24, minutes=1)))
        [told] = messages_to(slack, world.supervisor.slack_user_id, case.code)
        assert ReminderKind.CRISIS_RESPONSE_OVERDUE.label("ko") in told.params["text"]


def test_a_contact_reaching_the_client_before_the_deadline_keeps_the_supervisors_out_of_it(db, uow, world):
    case = cases.open_case(db, world.ctx(), intake().model_copy(update={"crisis_flags": [CrisisFlag.CRISIS]}))
    notes.log_contact(
        db, world.ctx(now=NOW + timedelta(hours=3)), case.code, contact(NOW + timedelta(hours=3))
    )
    db.commit()
    assert pending(db, case, ReminderKind.CRISIS_RESPONSE_OVERDUE) == []
    with FakeSlack() as slack:
        run(uow, slack, CAL.next_working_start(NOW + timedelta(hours=25)))
        assert messages_to(slack, world.supervisor.slack_user_id, case.code) == []


# --- school: the next step names the missing student-support consent --------------------------------


def student_support(relationship: SignerRelationship):
    return consent(ConsentScope.STUDENT_SUPPORT).model_copy(update={"signer_relationship": relationship})


def test_a_school_cases_next_step_is_the_missing_student_support_consent(db, world):
    approve_manager(db, world)
    staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    db.refresh(world.manager)
    ctx = world.ctx(policy=Policy())
    case = cases.open_case(db, ctx, intake(consents=[consent()]))
    state = cases.current_state(db, ctx, case)
    assert state == CaseState(Stage.INTAKE, NextStep.RECORD_CONSENT, MissingConsent.BOTH)
    assert (case.next_step, case.next_step_consent) == (NextStep.RECORD_CONSENT, MissingConsent.BOTH)
    assert "학생·보호자 서명" in state.next_step_label("ko")
    # The consent dialogue starts at the missing consent, the student's first.
    suggested = consents.consent_overview(db, ctx, case.code).suggested
    assert suggested == (ConsentScope.STUDENT_SUPPORT, SignerRelationship.SELF)
    consents.record_consent(db, ctx, case.code, student_support(SignerRelationship.SELF))
    state = cases.current_state(db, ctx, case)
    assert state.missing_consent == MissingConsent.GUARDIAN
    suggested = consents.consent_overview(db, ctx, case.code).suggested
    assert suggested == (ConsentScope.STUDENT_SUPPORT, SignerRelationship.PARENT)
    assert "a guardian's signature" in state.next_step_label("en")
    # The desk reads what is stored: the same step, naming the same signer.
    [item] = desk.my_desk(db, ctx).items
    assert item.state == CaseState(Stage.INTAKE, NextStep.RECORD_CONSENT, MissingConsent.GUARDIAN)
    consents.record_consent(db, ctx, case.code, student_support(SignerRelationship.PARENT))
    state = cases.current_state(db, ctx, case)
    assert state == CaseState(Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT)
    assert case.next_step_consent is None
    assert consents.consent_overview(db, ctx, case.code).suggested is None


def test_missing_student_support_counts_only_consents_in_force(db, world):
    approve_manager(db, world)
    staff.set_team_profile(db, world.team.name, Profile.SCHOOL)
    db.refresh(world.manager)
    ctx = world.ctx(policy=Policy())
    ended = student_support(SignerRelationship.SELF).model_copy(
        update={"given_on": date(2025, 3, 2), "expires_on": date(2026, 2, 28)}
    )
    case = cases.open_case(
        db, ctx, intake(consents=[consent(), ended, student_support(SignerRelationship.PARENT)])
    )
    assert missing_student_support(snapshot(db, case), ctx.today) == MissingConsent.STUDENT
    # A month ago the student's was in force and the parent's not given yet.
    assert missing_student_support(snapshot(db, case), date(2026, 2, 1)) == MissingConsent.GUARDIAN


def test_other_profiles_go_straight_to_the_assessment(db, world):
    case = cases.open_case(db, world.ctx(policy=Policy()), intake(consents=[consent()]))
    state = cases.current_state(db, world.ctx(policy=Policy()), case)
    assert state == CaseState(Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT)


# --- public hand-over: the case's leads only -----------------------------------------------------------


def test_a_coworker_may_not_record_the_handover_and_a_supervisor_may(db, world):
    staff.set_team_profile(db, world.team.name, Profile.PUBLIC)
    case = closed_case(db, world)
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    data = HandoverInput(handed_to="가상동 행정복지센터", handed_over_on=NOW.date())
    with pytest.raises(NotAllowed) as caught:
        handover.record_handover(db, world.ctx(world.coworker), case.code, data)
    assert "R9" in caught.value.message.en and "hand-over" in caught.value.message.en
    assert "인계" in caught.value.message.ko
    with pytest.raises(NotAllowed):
        handover.open_handover(db, world.ctx(world.coworker), case.code)
    assert db.get(Case, case.id).handovers == []
    record = handover.record_handover(db, world.ctx(world.supervisor), case.code, data)
    assert record.recorded_by_id == world.supervisor.id
