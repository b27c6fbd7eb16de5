"""Reminder rows written by the services (domain.md section 4), with the clock frozen through Ctx.now.

Every test asserts what lands in the `reminders` table: kind, recipient, due time in UTC and status.
Date-based items fall due at 09:00 in Seoul, which is 00:00 UTC on the same date (no DST in Korea).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.case import Case
from models.conference import ActionItem, CaseConference
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ConferenceType,
    ConsentScope,
    ContactOutcome,
    ContactType,
    GoalAttainment,
    MonitoringResult,
    NeedDomain,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
    StaffRole,
    TaskStatus,
)
from models.reminder import Reminder
from models.schemas import AfterCareInput, ClosureInput, IntakeInput, ReferralInput
from models.services import assessments, cases, closure, consents, notes, plans, referrals
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.services.reminders import refresh
from models.staff import StaffMember
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

KST = ZoneInfo("Asia/Seoul")
K = ReminderKind
PENDING, CANCELLED, SENT = ReminderStatus.PENDING, ReminderStatus.CANCELLED, ReminderStatus.SENT


def kst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment given in Seoul local time."""
    return datetime(year, month, day, hour, minute, tzinfo=KST)


def nine(year: int, month: int, day: int) -> datetime:
    """09:00 in Seoul on that date, as stored: 00:00 UTC."""
    return datetime(year, month, day, 0, 0, tzinfo=UTC)


# --- helpers --------------------------------------------------------------------------------------


def reminders(db, case: Case) -> list[Reminder]:
    """The case's rows as stored: pending changes flushed, then everything re-read from the database."""
    db.flush()
    db.expire_all()
    found = list(db.scalars(select(Reminder).where(Reminder.case_id == case.id).order_by(Reminder.id)))
    for reminder in found:
        assert reminder.due_at.utcoffset() == timedelta(0)
    return found


def rows(db, case: Case, *kinds: ReminderKind) -> list[tuple]:
    """(kind, recipient, due_at UTC, status) of the case's reminders, sorted by due time."""
    found = [
        (r.kind, r.recipient_id, r.due_at, r.status)
        for r in reminders(db, case)
        if not kinds or r.kind in kinds
    ]
    return sorted(found, key=lambda row: (row[2], row[0].value, row[1] or 0, row[3].value))


def pending(db, case: Case, *kinds: ReminderKind) -> list[tuple]:
    return [row for row in rows(db, case, *kinds) if row[3] == PENDING]


def table_state(db, case: Case) -> list[tuple]:
    return [
        (r.id, r.key, r.kind, r.recipient_id, r.due_at, r.status, r.sent_at, r.attempts)
        for r in reminders(db, case)
    ]


def assert_next_due_matches(db, case: Case) -> None:
    """The case's next due date is the earliest deadline of its pending nudges' tasks: not when a nudge
    fires (a plan nudge on day 20 is about the plan due on day 30)."""
    open_rows = [r for r in reminders(db, case) if r.status == PENDING]
    assert all(r.deadline_on is not None for r in open_rows)
    expected = min((r.deadline_on for r in open_rows), default=None)
    assert db.get(Case, case.id).next_due_on == expected


def intake_on(day: date, *, expires_on: date | None = None) -> IntakeInput:
    """The standard intake with its collection consent given on `day`."""
    return intake().model_copy(update={"consents": [consent(given_on=day, expires_on=expires_on)]})


def classified_case(db, world, intensity: CaseIntensity, at: datetime, *, crisis: bool = False) -> Case:
    """Intake, assessment (severity 4 in SAFETY when `crisis`) and classification, all at `at`."""
    ctx = world.ctx(now=at)
    case = cases.open_case(db, ctx, intake_on(ctx.today))
    data = assessment_input(crisis_domain=NeedDomain.SAFETY if crisis else None)
    assert assessments.assess(db, ctx, case.code, data).crisis is crisis
    cases.classify(db, ctx, case.code, intensity)
    return case


def add_staff(db, world, user: str, role: StaffRole, *, active: bool = True) -> StaffMember:
    member = StaffMember(
        slack_user_id=user, display_name=user.title(), role=role, team_id=world.team.id, active=active
    )
    db.add(member)
    db.flush()
    return member


def closure_input(db, case: Case, reason: ClosureReason = ClosureReason.GOAL_ACHIEVED) -> ClosureInput:
    plan = snapshot(db, case).plan_in_force
    goals = {g.id: GoalAttainment.MET for g in plan.goals} if plan else {}
    return ClosureInput(reason=reason, attainments=goals, worker_evaluation="목표 달성", client_informed=True)


def send_referral(db, world, case: Case, at: datetime):
    ctx = world.ctx(now=at)
    consents.record_consent(
        db,
        ctx,
        case.code,
        consent(ConsentScope.THIRD_PARTY, given_on=ctx.today, recipients=[world.resource.id]),
    )
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason="주거 지원"),
    )
    return referrals.move(db, ctx, referral.id, ReferralStatus.SENT)


# --- intake, assessment, classification -----------------------------------------------------------


def test_intake_schedules_the_assessment_and_the_plan_nudges(db, world):
    case = cases.open_case(db, world.ctx(), intake())  # Monday 2 March 2026, 10:00 in Seoul
    m = world.manager.id
    assert rows(db, case) == [
        (K.ASSESSMENT_DUE, m, nine(2026, 3, 12), PENDING),  # D+10
        (K.PLAN_DUE, m, nine(2026, 3, 22), PENDING),  # D+20
        (K.PLAN_DUE, m, nine(2026, 3, 29), PENDING),  # D+27
    ]
    assert db.get(Case, case.id).next_due_on == date(2026, 3, 12)


def test_a_referral_without_intake_waits_and_the_clock_starts_at_the_intake(db, world):
    case = cases.open_case(db, world.ctx(), intake(with_consent=False, intake_held=False))
    assert rows(db, case) == []
    assert db.get(Case, case.id).next_due_on is None

    cases.record_intake(db, world.ctx(now=kst(2026, 3, 4)), case.code, summary="초기상담", notice_given=True)
    m = world.manager.id
    assert rows(db, case) == [
        (K.ASSESSMENT_DUE, m, nine(2026, 3, 14), PENDING),
        (K.PLAN_DUE, m, nine(2026, 3, 24), PENDING),
        (K.PLAN_DUE, m, nine(2026, 3, 31), PENDING),
    ]


def test_intake_just_after_midnight_counts_from_the_local_date(db, world):
    at = kst(2026, 3, 2, 0, 30)  # 15:30 UTC on 1 March
    case = cases.open_case(db, world.ctx(now=at), intake())
    assert pending(db, case, K.ASSESSMENT_DUE) == [
        (K.ASSESSMENT_DUE, world.manager.id, nine(2026, 3, 12), PENDING)
    ]


def test_completing_the_assessment_cancels_its_reminder_and_asks_for_classification(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    assessments.assess(db, world.ctx(now=kst(2026, 3, 5)), case.code, assessment_input())
    m = world.manager.id
    assert rows(db, case) == [
        (K.CLASSIFICATION_DUE, m, nine(2026, 3, 10), PENDING),  # assessment + 5 days
        (K.ASSESSMENT_DUE, m, nine(2026, 3, 12), CANCELLED),
        (K.PLAN_DUE, m, nine(2026, 3, 22), PENDING),
        (K.PLAN_DUE, m, nine(2026, 3, 29), PENDING),
    ]
    assert_next_due_matches(db, case)


def test_classification_cancels_the_classification_reminder(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    assessments.assess(db, world.ctx(now=kst(2026, 3, 5)), case.code, assessment_input())
    cases.classify(db, world.ctx(now=kst(2026, 3, 6)), case.code, CaseIntensity.GENERAL)
    m = world.manager.id
    assert rows(db, case, K.CLASSIFICATION_DUE, K.NEXT_CONTACT) == [
        (K.CLASSIFICATION_DUE, m, nine(2026, 3, 10), CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 4, 6), PENDING),
    ]


# --- next contact by intensity --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intensity", "at", "due"),
    [
        # GENERAL: one month later, clamped at the month's end.
        (CaseIntensity.GENERAL, kst(2026, 1, 31), nine(2026, 2, 28)),
        (CaseIntensity.GENERAL, kst(2028, 1, 31), nine(2028, 2, 29)),
        (CaseIntensity.GENERAL, NOW, nine(2026, 4, 2)),
        (CaseIntensity.INTENSIVE, NOW, nine(2026, 3, 16)),
        # Just after midnight in Seoul it is still the previous day in UTC: the local date counts.
        (CaseIntensity.INTENSIVE, kst(2026, 3, 2, 0, 30), nine(2026, 3, 16)),
        (CaseIntensity.HIGH_COMPLEXITY, NOW, nine(2026, 3, 9)),
        # CRISIS: first response within 24 hours of the classification, to the minute.
        (CaseIntensity.CRISIS, NOW, datetime(2026, 3, 3, 1, 0, tzinfo=UTC)),
        (CaseIntensity.CRISIS, kst(2026, 3, 2, 17, 45), datetime(2026, 3, 3, 8, 45, tzinfo=UTC)),
        # LINKAGE_ONLY: first check of the linkage at D+14.
        (CaseIntensity.LINKAGE_ONLY, NOW, nine(2026, 3, 16)),
    ],
)
def test_next_contact_after_classification(db, world, intensity, at, due):
    case = classified_case(db, world, intensity, at, crisis=intensity == CaseIntensity.CRISIS)
    assert rows(db, case, K.NEXT_CONTACT) == [(K.NEXT_CONTACT, world.manager.id, due, PENDING)]
    assert_next_due_matches(db, case)


def test_linkage_only_skips_the_plan_and_is_checked_monthly_after_the_first_check(db, world):
    case = classified_case(db, world, CaseIntensity.LINKAGE_ONLY, NOW)
    m = world.manager.id
    assert rows(db, case, K.PLAN_DUE) == [
        (K.PLAN_DUE, m, nine(2026, 3, 22), CANCELLED),
        (K.PLAN_DUE, m, nine(2026, 3, 29), CANCELLED),
    ]
    at = kst(2026, 3, 16)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, contact_type=ContactType.COLLATERAL))
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 3, 16), CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 4, 16), PENDING),
    ]


def test_crisis_is_daily_while_the_risk_is_4_and_weekly_after_it_comes_down(db, world):
    case = classified_case(db, world, CaseIntensity.CRISIS, NOW, crisis=True)
    m = world.manager.id
    first_response = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    assert pending(db, case, K.NEXT_CONTACT) == [(K.NEXT_CONTACT, m, first_response, PENDING)]

    at = kst(2026, 3, 2, 14)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, contact_type=ContactType.HOME_VISIT))
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 3, 3), PENDING),  # daily check-in: tomorrow morning
        (K.NEXT_CONTACT, m, first_response, CANCELLED),
    ]

    at = kst(2026, 3, 3, 11)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    assert pending(db, case, K.NEXT_CONTACT) == [(K.NEXT_CONTACT, m, nine(2026, 3, 4), PENDING)]

    # Re-assessment without any domain at 4: the risk came down, weekly from the last contact.
    result = assessments.assess(db, world.ctx(now=kst(2026, 3, 3, 15)), case.code, assessment_input())
    assert result.crisis is False and db.get(Case, case.id).crisis is False
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 3, 3), CANCELLED),
        (K.NEXT_CONTACT, m, first_response, CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 3, 4), CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 3, 10), PENDING),
    ]

    at = kst(2026, 3, 9)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    assert pending(db, case, K.NEXT_CONTACT) == [(K.NEXT_CONTACT, m, nine(2026, 3, 16), PENDING)]


# --- contacts and notes ---------------------------------------------------------------------------


def test_a_contact_reached_resets_the_next_contact_and_no_answer_does_not(db, world):
    case = case_in_monitoring(db, world)
    m = world.manager.id
    assert pending(db, case, K.NEXT_CONTACT) == [(K.NEXT_CONTACT, m, nine(2026, 4, 2), PENDING)]

    at = kst(2026, 3, 7)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, result=MonitoringResult.MAINTAIN))
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 4, 2), CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 4, 7), PENDING),
    ]
    before = table_state(db, case)

    at = kst(2026, 3, 10)
    for outcome in (ContactOutcome.NO_ANSWER, ContactOutcome.RESCHEDULED, ContactOutcome.REFUSED):
        notes.log_contact(db, world.ctx(now=at), case.code, contact(at, outcome=outcome))
    assert table_state(db, case) == before
    assert_next_due_matches(db, case)


def test_a_note_with_an_earlier_next_contact_date_moves_it_earlier(db, world):
    case = case_in_monitoring(db, world)
    m = world.manager.id
    at = kst(2026, 3, 7)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, next_contact_on=date(2026, 3, 20)))
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 3, 20), PENDING),
        (K.NEXT_CONTACT, m, nine(2026, 4, 2), CANCELLED),
    ]
    assert db.get(Case, case.id).next_due_on == date(2026, 3, 16)  # the plan task's due date comes first


def test_a_note_with_a_later_next_contact_date_does_not_stretch_the_cadence(db, world):
    case = case_in_monitoring(db, world)
    at = kst(2026, 3, 7)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, next_contact_on=date(2026, 4, 30)))
    assert pending(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, world.manager.id, nine(2026, 4, 7), PENDING)
    ]


def test_reclassification_reschedules_the_next_contact(db, world):
    case = case_in_monitoring(db, world)
    m = world.manager.id
    at = kst(2026, 3, 7)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    cases.classify(db, world.ctx(now=kst(2026, 3, 9)), case.code, CaseIntensity.INTENSIVE)
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 3, 23), PENDING),  # 14 days from the new classification
        (K.NEXT_CONTACT, m, nine(2026, 4, 2), CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 4, 7), CANCELLED),
    ]

    cases.classify(db, world.ctx(now=kst(2026, 3, 10)), case.code, CaseIntensity.HIGH_COMPLEXITY)
    assert pending(db, case, K.NEXT_CONTACT) == [(K.NEXT_CONTACT, m, nine(2026, 3, 17), PENDING)]


# --- plan, review, re-assessment ------------------------------------------------------------------


def test_the_agreed_plan_brings_review_end_and_reassessment_reminders(db, world):
    case = case_in_monitoring(db, world)  # GENERAL, everything on 2 March 2026
    m = world.manager.id
    assert rows(db, case) == [
        (K.CLASSIFICATION_DUE, m, nine(2026, 3, 7), CANCELLED),
        (K.ASSESSMENT_DUE, m, nine(2026, 3, 12), CANCELLED),
        (K.TASK_DUE, m, nine(2026, 3, 15), PENDING),  # the plan task due 16 March: the morning before
        (K.PLAN_DUE, m, nine(2026, 3, 22), CANCELLED),
        (K.PLAN_DUE, m, nine(2026, 3, 29), CANCELLED),
        (K.NEXT_CONTACT, m, nine(2026, 4, 2), PENDING),
        (K.CONTACT_OVERDUE, m, nine(2026, 5, 2), PENDING),  # overdue by one interval: the manager again
        (K.CONTACT_OVERDUE, world.supervisor.id, nine(2026, 6, 2), PENDING),  # by two: the supervisor
        (K.PLAN_REVIEW, m, nine(2026, 6, 2), PENDING),  # agreement + 3 months
        (K.PLAN_END, m, nine(2026, 8, 19), PENDING),  # period end 2 September - 14 days
        (K.REASSESSMENT_DUE, m, nine(2026, 9, 2), PENDING),  # assessment + 6 months
    ]
    assert db.get(Case, case.id).next_due_on == date(2026, 3, 16)  # the plan task's due date


def test_high_complexity_plan_is_reviewed_monthly(db, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.HIGH_COMPLEXITY)
    m = world.manager.id
    assert pending(db, case, K.PLAN_REVIEW, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, m, nine(2026, 3, 9), PENDING),
        (K.PLAN_REVIEW, m, nine(2026, 4, 2), PENDING),
    ]


def test_plan_end_follows_an_explicit_period_end(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    data = plan_input().model_copy(update={"period_end": date(2026, 5, 31)})
    plans.create_plan(db, ctx, case.code, data)
    assert pending(db, case, K.PLAN_END) == [(K.PLAN_END, world.manager.id, nine(2026, 5, 17), PENDING)]


def test_a_draft_plan_keeps_the_nudges_until_it_is_agreed(db, world):
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    plan = plans.create_plan(db, ctx, case.code, plan_input(agreed=False))
    assert [row[2] for row in pending(db, case, K.PLAN_DUE)] == [nine(2026, 3, 22), nine(2026, 3, 29)]
    assert pending(db, case, K.PLAN_REVIEW, K.PLAN_END) == []

    plans.agree(db, world.ctx(now=kst(2026, 3, 10)), plan.id, plan_input().agreement_method)
    assert pending(db, case, K.PLAN_DUE) == []
    assert pending(db, case, K.PLAN_REVIEW) == [(K.PLAN_REVIEW, world.manager.id, nine(2026, 6, 10), PENDING)]


def test_a_plan_review_moves_the_next_review(db, world):
    case = case_in_monitoring(db, world)
    plan = snapshot(db, case).plan_in_force
    plans.review(db, world.ctx(now=kst(2026, 5, 28)), plan.id)
    assert rows(db, case, K.PLAN_REVIEW) == [
        (K.PLAN_REVIEW, world.manager.id, nine(2026, 6, 2), CANCELLED),
        (K.PLAN_REVIEW, world.manager.id, nine(2026, 8, 28), PENDING),
    ]


def test_a_contact_asking_for_reassessment_adds_a_request_seven_days_out(db, world):
    case = case_in_monitoring(db, world)
    m = world.manager.id
    at = kst(2026, 3, 5)
    notes.log_contact(
        db,
        world.ctx(now=at),
        case.code,
        contact(at, contact_type=ContactType.HOME_VISIT, result=MonitoringResult.REASSESS),
    )
    assert rows(db, case, K.REASSESSMENT_DUE) == [
        (K.REASSESSMENT_DUE, m, nine(2026, 3, 12), PENDING),  # requested: 7 days out
        (K.REASSESSMENT_DUE, m, nine(2026, 9, 2), PENDING),  # scheduled: 6 months after the assessment
    ]
    keys = sorted(r.key for r in reminders(db, case) if r.kind == K.REASSESSMENT_DUE)
    assert [k.split(":")[4] for k in keys] == ["requested", "scheduled"]

    # The re-assessment done: the request is cancelled and the schedule counts from it.
    assessments.assess(db, world.ctx(now=kst(2026, 3, 9)), case.code, assessment_input(severity=1))
    assert rows(db, case, K.REASSESSMENT_DUE) == [
        (K.REASSESSMENT_DUE, m, nine(2026, 3, 12), CANCELLED),
        (K.REASSESSMENT_DUE, m, nine(2026, 9, 2), CANCELLED),
        (K.REASSESSMENT_DUE, m, nine(2026, 9, 9), PENDING),
    ]


def test_a_risk_change_also_requests_a_reassessment(db, world):
    case = case_in_monitoring(db, world)
    at = kst(2026, 3, 5)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, risk_changed=True))
    assert (K.REASSESSMENT_DUE, world.manager.id, nine(2026, 3, 12), PENDING) in rows(db, case)


# --- referrals and consents -----------------------------------------------------------------------


def test_referral_response_is_due_seven_days_after_sending_and_cancelled_on_acknowledgement(db, world):
    case = case_in_monitoring(db, world)
    referral = send_referral(db, world, case, kst(2026, 3, 3))
    m = world.manager.id
    assert rows(db, case, K.REFERRAL_RESPONSE) == [(K.REFERRAL_RESPONSE, m, nine(2026, 3, 10), PENDING)]

    referrals.move(db, world.ctx(now=kst(2026, 3, 5)), referral.id, ReferralStatus.ACKNOWLEDGED)
    assert rows(db, case, K.REFERRAL_RESPONSE) == [(K.REFERRAL_RESPONSE, m, nine(2026, 3, 10), CANCELLED)]


def test_a_draft_referral_has_no_response_reminder(db, world):
    case = case_in_monitoring(db, world)
    referrals.create(
        db,
        world.ctx(),
        case.code,
        ReferralInput(resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason="주거 지원"),
    )
    assert rows(db, case, K.REFERRAL_RESPONSE) == []


def test_consent_expiry_warnings_and_their_cancellation_on_withdrawal(db, world):
    case = case_in_monitoring(db, world)
    record = consents.record_consent(
        db,
        world.ctx(),
        case.code,
        consent(ConsentScope.THIRD_PARTY, expires_on=date(2026, 12, 31), recipients=[world.resource.id]),
    )
    m = world.manager.id
    assert rows(db, case, K.CONSENT_EXPIRY) == [
        (K.CONSENT_EXPIRY, m, nine(2026, 12, 1), PENDING),  # expiry - 30 days
        (K.CONSENT_EXPIRY, m, nine(2026, 12, 24), PENDING),  # expiry - 7 days
    ]

    consents.withdraw_consent(db, world.ctx(now=kst(2026, 3, 10)), record.id)
    assert rows(db, case, K.CONSENT_EXPIRY) == [
        (K.CONSENT_EXPIRY, m, nine(2026, 12, 1), CANCELLED),
        (K.CONSENT_EXPIRY, m, nine(2026, 12, 24), CANCELLED),
    ]


def test_consent_expiry_from_intake(db, world):
    case = cases.open_case(db, world.ctx(), intake_on(date(2026, 3, 2), expires_on=date(2027, 3, 1)))
    m = world.manager.id
    assert rows(db, case, K.CONSENT_EXPIRY) == [
        (K.CONSENT_EXPIRY, m, nine(2027, 1, 30), PENDING),
        (K.CONSENT_EXPIRY, m, nine(2027, 2, 22), PENDING),
    ]


def test_withdrawing_third_party_consent_cancels_the_referral_reminder(db, world):
    case = case_in_monitoring(db, world)
    referral = send_referral(db, world, case, NOW)
    consents.withdraw_consent(db, world.ctx(now=kst(2026, 3, 4)), referral.consent_id)
    assert pending(db, case, K.REFERRAL_RESPONSE) == []


# --- closure and after-care -----------------------------------------------------------------------


OPEN_CASE_KINDS = (
    K.NEXT_CONTACT,
    K.PLAN_REVIEW,
    K.PLAN_END,
    K.REASSESSMENT_DUE,
    K.REFERRAL_RESPONSE,
    K.ASSESSMENT_DUE,
    K.CLASSIFICATION_DUE,
    K.PLAN_DUE,
)


def test_closure_approval_goes_to_the_supervisors_and_approval_starts_after_care(db, world):
    second = add_staff(db, world, "USUPERTWO", StaffRole.SUPERVISOR)
    add_staff(db, world, "USUPERGONE", StaffRole.SUPERVISOR, active=False)
    case = case_in_monitoring(db, world)
    send_referral(db, world, case, NOW)
    m = world.manager.id
    assert len(pending(db, case, *OPEN_CASE_KINDS)) == 5

    request = closure.request_closure(db, world.ctx(now=kst(2026, 3, 12)), case.code, closure_input(db, case))
    # Only the active supervisors of the case's team; the other team's supervisor is not asked.
    assert pending(db, case) == [
        (K.CLOSURE_APPROVAL, world.supervisor.id, nine(2026, 3, 15), PENDING),
        (K.CLOSURE_APPROVAL, second.id, nine(2026, 3, 15), PENDING),
    ]
    assert pending(db, case, *OPEN_CASE_KINDS) == []
    assert db.get(Case, case.id).next_due_on == date(2026, 3, 15)

    closure.decide_closure(db, world.ctx(world.supervisor, now=kst(2026, 3, 13)), request.id, approve=True)
    assert {row[3] for row in rows(db, case, K.CLOSURE_APPROVAL, *OPEN_CASE_KINDS)} == {CANCELLED}
    assert pending(db, case) == [
        (K.AFTERCARE_CHECK, m, nine(2026, 4, 13), PENDING),
        (K.AFTERCARE_CHECK, m, nine(2026, 6, 13), PENDING),
        (K.AFTERCARE_CHECK, m, nine(2026, 9, 13), PENDING),
    ]
    assert_next_due_matches(db, case)

    checks = sorted(closure._open_checks(db, case), key=lambda c: c.due_on)
    stable = AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE)
    closure.record_aftercare(db, world.ctx(now=kst(2026, 4, 13)), checks[0].id, stable)
    assert rows(db, case, K.AFTERCARE_CHECK) == [
        (K.AFTERCARE_CHECK, m, nine(2026, 4, 13), CANCELLED),
        (K.AFTERCARE_CHECK, m, nine(2026, 6, 13), PENDING),
        (K.AFTERCARE_CHECK, m, nine(2026, 9, 13), PENDING),
    ]
    assert db.get(Case, case.id).next_due_on == date(2026, 6, 13)

    for check in checks[1:]:
        closure.record_aftercare(db, world.ctx(now=kst(2026, 9, 13)), check.id, stable)
    assert db.get(Case, case.id).status == CaseStatus.CLOSED
    assert pending(db, case) == []
    assert db.get(Case, case.id).next_due_on is None


def test_a_returned_closure_restores_the_open_case_reminders(db, world):
    case = case_in_monitoring(db, world)
    before = pending(db, case)
    request = closure.request_closure(db, world.ctx(now=kst(2026, 3, 12)), case.code, closure_input(db, case))
    closure.decide_closure(
        db,
        world.ctx(world.supervisor, now=kst(2026, 3, 13)),
        request.id,
        approve=False,
        comment="목표 재확인",
    )
    assert pending(db, case) == before
    assert rows(db, case, K.CLOSURE_APPROVAL) == [
        (K.CLOSURE_APPROVAL, world.supervisor.id, nine(2026, 3, 15), CANCELLED)
    ]


def test_high_complexity_after_care_adds_the_twelve_month_check(db, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.HIGH_COMPLEXITY)
    request = closure.request_closure(db, world.ctx(), case.code, closure_input(db, case))
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert [row[2] for row in pending(db, case)] == [
        nine(2026, 4, 2),
        nine(2026, 6, 2),
        nine(2026, 9, 2),
        nine(2027, 3, 2),
    ]
    assert {row[0] for row in pending(db, case)} == {K.AFTERCARE_CHECK}


def test_closure_without_after_care_cancels_everything(db, world):
    case = case_in_monitoring(db, world)
    send_referral(db, world, case, NOW)
    request = closure.request_closure(
        db, world.ctx(), case.code, closure_input(db, case, ClosureReason.TRANSFERRED)
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert db.get(Case, case.id).status == CaseStatus.CLOSED
    assert pending(db, case) == []
    assert {row[3] for row in rows(db, case)} == {CANCELLED}
    assert db.get(Case, case.id).next_due_on is None


def test_reopening_from_after_care_cancels_the_checks_and_starts_a_new_episode(db, world):
    case = case_in_monitoring(db, world)
    request = closure.request_closure(db, world.ctx(), case.code, closure_input(db, case))
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    check = min(closure._open_checks(db, case), key=lambda c: c.due_on)
    at = kst(2026, 4, 2)
    closure.record_aftercare(
        db,
        world.ctx(now=at),
        check.id,
        AfterCareInput(
            method=ContactType.HOME_VISIT, status=AfterCareStatus.NEW_NEED, action=AfterCareAction.REOPEN
        ),
    )
    m = world.manager.id
    assert rows(db, case, K.AFTERCARE_CHECK) == [
        (K.AFTERCARE_CHECK, m, nine(2026, 4, 2), CANCELLED),
        (K.AFTERCARE_CHECK, m, nine(2026, 6, 2), CANCELLED),
        (K.AFTERCARE_CHECK, m, nine(2026, 9, 2), CANCELLED),
    ]
    # The new episode's clocks start at the reopening.
    assert pending(db, case) == [
        (K.ASSESSMENT_DUE, m, nine(2026, 4, 12), PENDING),
        (K.PLAN_DUE, m, nine(2026, 4, 22), PENDING),
        (K.PLAN_DUE, m, nine(2026, 4, 29), PENDING),
    ]
    assert all(":e2:" in r.key for r in reminders(db, case) if r.status == PENDING)


# --- hold and resume ------------------------------------------------------------------------------


def test_hold_cancels_pending_reminders_and_resume_restores_them(db, world):
    case = case_in_monitoring(db, world)
    send_referral(db, world, case, NOW)
    before = table_state(db, case)
    assert len([r for r in before if r[5] == PENDING]) == 8  # incl. the two contact escalations, the task

    cases.hold(db, world.ctx(now=kst(2026, 3, 3)), case.code)
    held = table_state(db, case)
    assert [r[:5] for r in held] == [r[:5] for r in before]  # same rows, nothing added
    assert {r[5] for r in held} == {CANCELLED}
    assert db.get(Case, case.id).next_due_on is None

    cases.resume(db, world.ctx(now=kst(2026, 3, 6)), case.code)
    assert db.get(Case, case.id).status == CaseStatus.ACTIVE
    assert table_state(db, case) == before
    assert db.get(Case, case.id).next_due_on == date(2026, 3, 9)  # the referral response


# --- refresh itself -------------------------------------------------------------------------------


def _busy_case(db, world) -> Case:
    """A case with reminders of many kinds, pending and cancelled."""
    case = case_in_monitoring(db, world)
    send_referral(db, world, case, NOW)
    consents.record_consent(db, world.ctx(), case.code, consent(expires_on=date(2026, 12, 31)))
    at = kst(2026, 3, 5)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at, result=MonitoringResult.REASSESS))
    return case


def test_refresh_is_idempotent(db, world):
    case = _busy_case(db, world)
    before = table_state(db, case)
    assert len(before) == len({r[1] for r in before})  # one row per key

    for _ in range(2):
        refresh(db, db.get(Case, case.id), Policy(), today=TODAY)
        assert table_state(db, case) == before

    # A fresh load from the database (as the next request would see it) changes nothing either.
    db.expire_all()
    refresh(db, db.get(Case, case.id), Policy(), today=TODAY)
    assert table_state(db, case) == before


@pytest.mark.parametrize("zone", [UTC, KST])
def test_refresh_is_idempotent_whatever_zone_the_clock_was_given_in(db, world, zone):
    # Ctx.now only has to be aware; a crisis first response (an exact time, not a date) must keep its
    # key once the classification time comes back from the database in UTC.
    case = classified_case(db, world, CaseIntensity.CRISIS, NOW.astimezone(zone), crisis=True)
    before = table_state(db, case)
    db.expire_all()
    refresh(db, db.get(Case, case.id), Policy(), today=TODAY)
    assert table_state(db, case) == before
    assert pending(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, world.manager.id, datetime(2026, 3, 3, 1, 0, tzinfo=UTC), PENDING)
    ]


def test_refresh_never_touches_a_sent_row(db, world):
    case = case_in_monitoring(db, world)
    sent = next(r for r in reminders(db, case) if r.kind == K.NEXT_CONTACT and r.status == PENDING)
    sent.status = SENT
    sent.sent_at = kst(2026, 4, 2, 9, 1)
    sent.message_ts = "1775088060.000100"
    sent.attempts = 1
    db.flush()
    sent_state = (sent.id, sent.key, sent.kind, sent.recipient_id, sent.due_at, SENT)

    at = kst(2026, 4, 3)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    after = db.get(Reminder, sent.id)
    assert (after.id, after.key, after.kind, after.recipient_id, after.due_at, after.status) == sent_state
    assert after.sent_at == datetime(2026, 4, 2, 0, 1, tzinfo=UTC)
    assert after.message_ts == "1775088060.000100" and after.attempts == 1
    assert rows(db, case, K.NEXT_CONTACT) == [
        (K.NEXT_CONTACT, world.manager.id, nine(2026, 4, 2), SENT),
        (K.NEXT_CONTACT, world.manager.id, nine(2026, 5, 3), PENDING),  # the new obligation
    ]

    # A hold cancels pending rows only; the sent one stays as it was.
    cases.hold(db, world.ctx(now=at), case.code)
    assert db.get(Reminder, sent.id).status == SENT


def test_a_sent_row_whose_obligation_still_stands_is_not_resent(db, world):
    case = case_in_monitoring(db, world)
    sent = next(r for r in reminders(db, case) if r.kind == K.PLAN_END)
    sent.status = SENT
    db.flush()
    at = kst(2026, 3, 7)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    assert rows(db, case, K.PLAN_END) == [(K.PLAN_END, world.manager.id, nine(2026, 8, 19), SENT)]


def test_next_due_on_is_the_local_date_of_the_earliest_pending_reminder(db, world):
    # Classified at 01:30 in Seoul: the first response is due at 01:30 the next day in Seoul,
    # which is still the day before in UTC.
    case = classified_case(db, world, CaseIntensity.CRISIS, kst(2026, 3, 2, 1, 30), crisis=True)
    first = pending(db, case)[0]
    assert first[:3] == (K.NEXT_CONTACT, world.manager.id, datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
    assert db.get(Case, case.id).next_due_on == date(2026, 3, 3)
    assert_next_due_matches(db, case)


def test_reopening_keeps_the_consent_warnings_of_the_case(db, world):
    # Consents belong to the case, not to an episode: a new episode must not re-issue a warning
    # that was already sent, nor churn the pending one.
    case = case_in_monitoring(db, world)
    consents.record_consent(db, world.ctx(), case.code, consent(expires_on=date(2026, 12, 31)))
    first = next(
        r for r in reminders(db, case) if r.kind == K.CONSENT_EXPIRY and r.due_at == nine(2026, 12, 1)
    )
    first.status = SENT
    db.flush()
    before = [r for r in table_state(db, case) if r[2] == K.CONSENT_EXPIRY]

    request = closure.request_closure(db, world.ctx(), case.code, closure_input(db, case))
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    check = min(closure._open_checks(db, case), key=lambda c: c.due_on)
    closure.record_aftercare(
        db,
        world.ctx(now=kst(2026, 12, 10)),
        check.id,
        AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.CRISIS),
    )
    assert db.get(Case, case.id).episode == 2
    assert [r for r in table_state(db, case) if r[2] == K.CONSENT_EXPIRY] == before


def test_a_transfer_hands_the_pending_reminders_to_the_new_manager(db, world):
    case = case_in_monitoring(db, world)
    sent = next(r for r in reminders(db, case) if r.kind == K.PLAN_END)
    sent.status = SENT
    db.flush()
    before = table_state(db, case)

    cases.transfer(db, world.ctx(world.supervisor), case.code, world.coworker.id)
    after = table_state(db, case)
    assert [(r[0], r[1], r[4], r[5]) for r in after] == [(r[0], r[1], r[4], r[5]) for r in before]
    for row in after:
        if row[5] == PENDING and row[3] == world.supervisor.id:
            assert row[2] == K.CONTACT_OVERDUE  # the escalation stays with the supervisor
        elif row[5] == PENDING:
            assert row[3] == world.coworker.id
        else:
            assert row[3] == world.manager.id  # cancelled and sent rows keep their recipient


def test_conference_action_items_remind_their_owner_two_days_ahead(db, world):
    case = case_in_monitoring(db, world)
    conference = CaseConference(
        team_id=world.team.id,
        conference_type=ConferenceType.INTERNAL,
        scheduled_at=NOW,
        chair_id=world.supervisor.id,
    )
    db.add(conference)
    db.flush()
    item = ActionItem(
        conference_id=conference.id,
        case_id=case.id,
        description="주거급여 서류 확인",
        owner_id=world.coworker.id,
        due_date=date(2026, 3, 20),
    )
    db.add(item)
    external = ActionItem(
        conference_id=conference.id,
        case_id=case.id,
        description="외부 기관 회신",
        owner_external="행복주거지원센터",
        due_date=date(2026, 3, 20),
    )
    db.add(external)
    refresh(db, db.get(Case, case.id), Policy(), today=TODAY)
    # The item owned outside Casebot nudges the chair instead, D-2 and on the due date.
    chair = world.supervisor.id
    outside = [
        (K.ACTION_ITEM, chair, nine(2026, 3, 18), PENDING),
        (K.ACTION_ITEM, chair, nine(2026, 3, 20), PENDING),
    ]
    owner = (K.ACTION_ITEM, world.coworker.id, nine(2026, 3, 18), PENDING)
    assert rows(db, case, K.ACTION_ITEM) == sorted([owner, *outside], key=lambda row: (row[2], row[1]))

    db.get(ActionItem, item.id).status = TaskStatus.DONE
    refresh(db, db.get(Case, case.id), Policy(), today=TODAY)
    assert pending(db, case, K.ACTION_ITEM) == outside
    assert (K.ACTION_ITEM, world.coworker.id, nine(2026, 3, 18), CANCELLED) in rows(db, case, K.ACTION_ITEM)
    db.get(ActionItem, external.id).status = TaskStatus.CANCELLED  # its status recorded: the nudges stop
    refresh(db, db.get(Case, case.id), Policy(), today=TODAY)
    assert pending(db, case, K.ACTION_ITEM) == []


def test_a_closed_case_gets_no_consent_renewal_nudges(db, world):
    case = case_in_monitoring(db, world)
    consents.record_consent(db, world.ctx(), case.code, consent(expires_on=date(2026, 12, 31)))
    assert {row[0] for row in pending(db, case)} >= {K.CONSENT_EXPIRY}
    request = closure.request_closure(
        db, world.ctx(), case.code, closure_input(db, case, ClosureReason.TRANSFERRED)
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert pending(db, case) == []
    assert [row for row in rows(db, case, K.CONSENT_EXPIRY) if row[3] != CANCELLED] == []


def test_an_overdue_contact_escalates_to_the_manager_then_the_supervisor_and_a_contact_clears_both(db, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)  # every 14 days
    assert pending(db, case, K.NEXT_CONTACT, K.CONTACT_OVERDUE) == [
        (K.NEXT_CONTACT, world.manager.id, nine(2026, 3, 16), PENDING),
        (K.CONTACT_OVERDUE, world.manager.id, nine(2026, 3, 30), PENDING),
        (K.CONTACT_OVERDUE, world.supervisor.id, nine(2026, 4, 13), PENDING),
    ]
    at = kst(2026, 4, 1)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    assert pending(db, case, K.NEXT_CONTACT, K.CONTACT_OVERDUE) == [
        (K.NEXT_CONTACT, world.manager.id, nine(2026, 4, 15), PENDING),
        (K.CONTACT_OVERDUE, world.manager.id, nine(2026, 4, 29), PENDING),
        (K.CONTACT_OVERDUE, world.supervisor.id, nine(2026, 5, 13), PENDING),
    ]
