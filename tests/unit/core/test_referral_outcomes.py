"""Referral outcomes (날짜, 결과 메모, 반려 사유), unmet needs, referrals from an after-care LINK check, and
the reply to a referral-in's referrer (회신)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, text

from models.case import Case
from models.closure import AfterCareCheck
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ContactType,
    DeclineReason,
    GoalAttainment,
    NeedDomain,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
    ReplyMethod,
    StatutoryBasis,
)
from models.errors import InvalidInput, NotAllowed, RuleViolation
from models.referral import Referral, UnmetNeed
from models.reminder import Reminder
from models.schemas import (
    AfterCareInput,
    ClosureInput,
    ReferralInput,
    ReferralOutcomeInput,
    ReferrerReplyInput,
)
from models.services import assessments, cases, closure, referrals, reminders, stats
from models.services.calendar import WorkCalendar
from models.services.case_file import Section, read_page
from models.services.context import Policy
from models.services.export import export_case
from models.services.lifecycle import snapshot
from sandbox.slack import FakeSlack
from scheduler.sweep import sweep
from tests.factories import NOW, TODAY, assessment_input, case_in_monitoring, intake

S = ReferralStatus
NOTE = "가상센터 담당자: 소득 기준 초과로 이용 불가"
SEOUL = ZoneInfo("Asia/Seoul")


def sent(db, world, case: Case, **kwargs) -> Referral:
    ctx = world.ctx()
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(
            resource_id=world.resource.id,
            domain=NeedDomain.LIVING_ENV,
            reason="주거 지원",
            statutory_basis=StatutoryBasis.STATUTE,
            statutory_note="법령 근거",
        ),
        **kwargs,
    )
    return referrals.move(db, ctx, referral.id, S.SENT)


def outcome(to: ReferralStatus, **values) -> ReferralOutcomeInput:
    return ReferralOutcomeInput(to=to, on=values.pop("on", TODAY), **values)


# --- outcome rules ---------------------------------------------------------------------------------


def test_a_decline_needs_a_reason_from_the_list_and_a_note(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    with pytest.raises(InvalidInput) as missing:
        referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.DECLINED))
    assert set(missing.value.errors) == {"outcome_reason", "outcome_note"}
    with pytest.raises(InvalidInput) as wrong_list:  # a client's reason is not the agency's
        referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.DECLINED, reason="COST", note=NOTE))
    assert set(wrong_list.value.errors) == {"outcome_reason"}
    assert db.get(Referral, referral.id).status == S.SENT

    done = referrals.record_outcome(
        db, world.ctx(), referral.id, outcome(S.DECLINED, reason="NOT_ELIGIBLE", note=NOTE)
    )
    assert done.status == S.DECLINED and done.outcome == NOTE and done.outcome_reason == "NOT_ELIGIBLE"
    assert done.outcome_on == TODAY and done.no_alternative is False
    assert db.scalars(select(UnmetNeed)).all() == []  # an alternative exists: no unmet need


def test_a_client_decline_needs_a_reason_but_no_note(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    with pytest.raises(InvalidInput) as missing:
        referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.CLIENT_DECLINED))
    assert set(missing.value.errors) == {"outcome_reason"}
    done = referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.CLIENT_DECLINED, reason="COST"))
    assert done.status == S.CLIENT_DECLINED and done.outcome_reason == "COST" and done.outcome is None


def test_other_outcomes_take_a_date_and_a_note_and_no_reason(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    with pytest.raises(InvalidInput) as reasoned:
        referrals.record_outcome(
            db, world.ctx(), referral.id, outcome(S.ACKNOWLEDGED, reason="NOT_ELIGIBLE", no_alternative=True)
        )
    assert set(reasoned.value.errors) == {"outcome_reason", "no_alternative"}
    with pytest.raises(InvalidInput) as future:
        referrals.record_outcome(
            db, world.ctx(), referral.id, outcome(S.ACKNOWLEDGED, on=TODAY + timedelta(1))
        )
    assert set(future.value.errors) == {"outcome_on"}
    done = referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.IN_SERVICE, note="주 2회 방문"))
    assert done.status == S.IN_SERVICE and done.outcome == "주 2회 방문" and done.outcome_reason is None


def test_a_decline_without_the_dialogue_and_a_second_outcome_are_refused(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    with pytest.raises(InvalidInput):
        referrals.move(db, world.ctx(), referral.id, S.DECLINED)  # no reason: no decline
    with pytest.raises(RuleViolation):  # cancelling has no dialogue
        referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.CANCELLED))
    with pytest.raises(RuleViolation):  # COMPLETED is not reachable from SENT
        referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.COMPLETED))
    referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.ACKNOWLEDGED))
    with pytest.raises(RuleViolation):  # the same outcome again (a second dialogue): nothing twice
        referrals.record_outcome(db, world.ctx(), referral.id, outcome(S.ACKNOWLEDGED))
    assert db.get(Referral, referral.id).status == S.ACKNOWLEDGED


def test_an_outcome_from_outside_the_circle_is_refused(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    with pytest.raises(NotAllowed):
        referrals.record_outcome(db, world.ctx(world.outsider), referral.id, outcome(S.ACKNOWLEDGED))
    assert db.get(Referral, referral.id).status == S.SENT


def test_the_note_and_the_reason_are_encrypted_at_rest_and_shown_in_the_history(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    referrals.record_outcome(
        db, world.ctx(), referral.id, outcome(S.DECLINED, reason="NO_CAPACITY", note=NOTE)
    )
    db.flush()
    raw = db.execute(
        text("SELECT outcome, outcome_reason FROM referrals WHERE id = :id"), {"id": referral.id}
    ).one()
    assert raw[0] and NOTE not in raw[0] and "소득" not in raw[0]
    assert raw[1] and "NO_CAPACITY" not in raw[1]
    [entry] = read_page(db, world.ctx(), case.code, Section.REFERRALS).entries
    assert entry.outcome == NOTE and entry.reason == "NO_CAPACITY" and entry.outcome_on == TODAY


# --- unmet needs -----------------------------------------------------------------------------------


def test_a_decline_with_no_alternative_records_an_unmet_need_counted_in_the_statistics(db, world):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    referrals.record_outcome(
        db,
        world.ctx(),
        referral.id,
        outcome(S.DECLINED, reason="OUT_OF_SCOPE", note=NOTE, no_alternative=True),
    )
    [need] = db.scalars(select(UnmetNeed)).all()
    assert (need.case_id, need.referral_id, need.domain, need.category.value) == (
        case.id,
        referral.id,
        NeedDomain.LIVING_ENV,
        "HOUSING",
    )
    report = stats.compute(db, stats.month_period("2026-03"), zone=SEOUL)
    table = report.table("unmet_needs")
    assert table.dims == ("domain", "category") and table.rows == [("LIVING_ENV", "HOUSING", 1)]
    other_team = stats.compute(db, stats.month_period("2026-03"), zone=SEOUL, team=world.other_team.name)
    assert other_team.table("unmet_needs").rows == []
    assert stats.compute(db, stats.month_period("2026-04"), zone=SEOUL).table("unmet_needs").rows == []


# --- after-care LINK -------------------------------------------------------------------------------


def in_aftercare(db, world) -> tuple[Case, AfterCareCheck]:
    case = case_in_monitoring(db, world)
    plan = snapshot(db, case).plan_in_force
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments={g.id: GoalAttainment.MET for g in plan.goals},
            worker_evaluation="목표 달성",
            client_informed=True,
        ),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert case.status == CaseStatus.AFTERCARE
    return case, snapshot(db, case).open_aftercare[0]


def checked(db, world, check: AfterCareCheck, action: AfterCareAction) -> AfterCareCheck:
    data = AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE, action=action)
    return closure.record_aftercare(db, world.ctx(), check.id, data)


def test_an_after_care_case_is_referred_only_from_a_link_check(db, world):
    case, check = in_aftercare(db, world)
    with pytest.raises(RuleViolation):  # not open, and no check
        sent(db, world, case)
    with pytest.raises(RuleViolation):  # a check not yet done
        sent(db, world, case, aftercare_check_id=check.id)
    checked(db, world, check, AfterCareAction.LINK)
    referral = sent(db, world, case, aftercare_check_id=check.id)
    assert referral.status == S.SENT and referral.aftercare_check_id == check.id
    assert db.get(Case, case.id).status in (CaseStatus.AFTERCARE, CaseStatus.CLOSED)


def test_a_check_without_link_or_of_another_case_does_not_allow_a_referral(db, world):
    case, check = in_aftercare(db, world)
    checked(db, world, check, AfterCareAction.NONE)
    with pytest.raises(RuleViolation):
        sent(db, world, case, aftercare_check_id=check.id)
    _, other_check = in_aftercare(db, world)
    checked(db, world, other_check, AfterCareAction.LINK)
    with pytest.raises(RuleViolation):  # the LINK check of another case
        sent(db, world, case, aftercare_check_id=other_check.id)
    assert db.scalars(select(Referral).where(Referral.case_id == case.id)).all() == []


# --- the reply to the referrer ---------------------------------------------------------------------


def referred_in(db, world) -> Case:
    ctx = world.ctx()
    data = intake(with_consent=True, intake_held=False).model_copy(
        update={"referrer": "가상동 행정복지센터", "referred_on": TODAY - timedelta(days=3)}
    )
    case = cases.open_case(db, ctx, data)
    cases.record_intake(db, ctx, case.code, summary=None, notice_given=True)
    assessments.assess(db, ctx, case.code, assessment_input())
    return case


def reply_rows(db, case: Case) -> list[Reminder]:
    return list(
        db.scalars(
            select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == ReminderKind.REFERRER_REPLY)
        )
    )


def test_the_reply_is_due_seven_days_after_classification_to_the_case_manager(db, world):
    case = referred_in(db, world)
    assert reply_rows(db, case) == []  # not classified yet: nothing due
    cases.classify(db, world.ctx(), case.code, CaseIntensity.GENERAL)
    [row] = reply_rows(db, case)
    assert row.status == ReminderStatus.PENDING and row.recipient_id == world.manager.id
    assert row.deadline_on == TODAY + timedelta(days=7)
    assert row.due_at.astimezone(SEOUL).date() == date(2026, 3, 9)


def test_marking_the_reply_sent_records_date_and_method_and_ends_the_nudge(db, world):
    case = referred_in(db, world)
    cases.classify(db, world.ctx(), case.code, CaseIntensity.GENERAL)
    with pytest.raises(InvalidInput) as future:
        cases.record_referrer_reply(
            db, world.ctx(), case.code, ReferrerReplyInput(on=TODAY + timedelta(1), method=ReplyMethod.PHONE)
        )
    assert set(future.value.errors) == {"replied_on"}
    cases.record_referrer_reply(
        db, world.ctx(), case.code, ReferrerReplyInput(on=TODAY, method=ReplyMethod.DOCUMENT)
    )
    assert (case.referrer_replied_on, case.referrer_reply_method) == (TODAY, ReplyMethod.DOCUMENT)
    assert [r.status for r in reply_rows(db, case)] == [ReminderStatus.CANCELLED]
    with pytest.raises(RuleViolation):  # once
        cases.record_referrer_reply(
            db, world.ctx(), case.code, ReferrerReplyInput(on=TODAY, method=ReplyMethod.PHONE)
        )
    [entry] = [e for e in read_page(db, world.ctx(), case.code, Section.REFERRALS).entries]
    assert entry.replied_on == TODAY and entry.method == ReplyMethod.DOCUMENT


def test_a_case_not_referred_in_owes_no_reply(db, world):
    case = case_in_monitoring(db, world)
    assert reply_rows(db, case) == []
    with pytest.raises(RuleViolation):
        cases.record_referrer_reply(
            db, world.ctx(), case.code, ReferrerReplyInput(on=TODAY, method=ReplyMethod.PHONE)
        )


def test_a_referral_from_an_after_care_check_is_followed_up_in_after_care(db, world):
    case, check = in_aftercare(db, world)
    checked(db, world, check, AfterCareAction.LINK)
    referral = sent(db, world, case, aftercare_check_id=check.id)
    found = [
        r
        for r in db.scalars(select(Reminder).where(Reminder.case_id == case.id))
        if r.kind == ReminderKind.REFERRAL_RESPONSE and r.status == ReminderStatus.PENDING
    ]
    assert [r.deadline_on for r in found] == [referral.response_due]


@pytest.mark.parametrize(("locale", "label"), [("ko", "자격 불충족"), ("en", None)])
def test_the_export_names_the_decline_reason_in_the_readers_language(db, world, locale, label):
    case = case_in_monitoring(db, world)
    referral = sent(db, world, case)
    referrals.record_outcome(
        db, world.ctx(), referral.id, outcome(S.DECLINED, reason="NOT_ELIGIBLE", note=NOTE)
    )
    exported = export_case(
        db, case.code, operator="dpo", reason="열람 청구", now=NOW, zone=SEOUL, locale=locale
    )
    expected = label or DeclineReason.NOT_ELIGIBLE.label("en")
    assert expected in exported and "NOT_ELIGIBLE" not in exported


def test_a_referral_in_declined_at_intake_owes_its_referrer_a_reply_a_week_after(db, uow, world):
    case = referred_in(db, world)
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=ClosureReason.INELIGIBLE,
            attainments={},
            worker_evaluation="자격 불충족",
            client_informed=True,
        ),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)
    assert case.status in (CaseStatus.AFTERCARE, CaseStatus.CLOSED) and case.classified_at is None
    [row] = [r for r in reply_rows(db, case) if r.status == ReminderStatus.PENDING]
    closed_on = case.closed_at.astimezone(SEOUL).date()
    assert row.deadline_on == closed_on + timedelta(days=7) and row.recipient_id == world.manager.id
    # After-care ends (the case closed for good) before the reply is sent: the reply is still owed.
    case.status = CaseStatus.CLOSED
    reminders.refresh(db, case, Policy(), today=closed_on)
    assert [r.id for r in reply_rows(db, case) if r.status == ReminderStatus.PENDING] == [row.id]
    db.commit()
    with FakeSlack() as slack:  # sent although the case is closed (the other reminders of it are stale)
        client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
        moment = datetime.combine(row.deadline_on, time(10), SEOUL)
        report = sweep(uow, client, Policy(), WorkCalendar(SEOUL, 9, 18), moment, sleep=lambda _: None)
        texts = [c.params["text"] for c in slack.calls("chat.postMessage")]
    assert report.sent >= 1 and any(case.code in text for text in texts)
    cases.record_referrer_reply(
        db, world.ctx(), case.code, ReferrerReplyInput(on=closed_on, method=ReplyMethod.PHONE)
    )
    assert [r for r in reply_rows(db, case) if r.status == ReminderStatus.PENDING] == []
