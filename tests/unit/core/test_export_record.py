"""The export (열람 청구 answer) of a case that went through every stage, item by item against the
practice model's record list (shared/domain.md §7, with the entities of §2): every item is there, in the
reader's language, with no raw codes."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from models.conference import ActionItem, CaseConference, ConferenceCase
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    ClosureReason,
    ConferencePurpose,
    ConferenceStatus,
    ConferenceType,
    ConsentScope,
    ContactType,
    GoalAttainment,
    NeedDomain,
    ReferralStatus,
    ResourceCategory,
    ServiceUnit,
)
from models.schemas import AfterCareInput, ClosureInput, DeliveryInput, ReferralInput
from models.services import assessments, closure, deliveries, notes, referrals
from models.services.context import funding_label
from models.services.export import RECORD_SECTIONS, export_case
from models.services.lifecycle import snapshot
from models.text import t
from tests.factories import CLIENT_NAME, NOW, assessment_input, case_in_monitoring, consent, contact

SEOUL = ZoneInfo("Asia/Seoul")
LATER = NOW + timedelta(days=40)


def every_stage_case(db, world):
    case = case_in_monitoring(db, world)
    ctx = world.ctx()
    from models.services import consents

    third = consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(
            resource_id=world.resource.id,
            domain=NeedDomain.ECONOMIC,
            reason="주거비 지원 의뢰",
            consent_id=third.id,
        ),
    )
    for to in (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED, ReferralStatus.IN_SERVICE):
        referrals.move(db, ctx, referral.id, to)
    referrals.move(db, ctx, referral.id, ReferralStatus.COMPLETED, outcome="주거급여 3개월 지원 결정")
    notes.log_contact(
        db,
        ctx,
        case.code,
        contact(
            NOW - timedelta(minutes=30),
            contact_type=ContactType.HOME_VISIT,
            summary="가정방문: 집주인과 상환 일정 합의",
            next_action="다음 달 체납 확인",
            plan_adherence=4,
            satisfaction=5,
            duration_minutes=50,
        ),
    )
    conference = CaseConference(
        team_id=world.team.id,
        conference_type=ConferenceType.INTEGRATED,
        status=ConferenceStatus.HELD,
        scheduled_at=NOW,
        chair_id=world.supervisor.id,
    )
    db.add(conference)
    db.flush()
    db.add(
        ConferenceCase(
            conference_id=conference.id,
            case_id=case.id,
            purpose=ConferencePurpose.REVIEW,
            decision="공공임대 신청 지원",
        )
    )
    db.add(
        ActionItem(
            conference_id=conference.id,
            case_id=case.id,
            description="임대주택 서류 준비",
            owner_id=world.manager.id,
            due_date=NOW.date(),
        )
    )
    db.flush()
    deliveries.record_delivery(
        db,
        ctx,
        case.code,
        DeliveryInput(
            delivered_on=NOW.date(),
            category=ResourceCategory.IN_KIND,
            description="밑반찬 지원",
            quantity=4,
            unit=ServiceUnit.TIMES,
            amount_won=40_000,
            funding_source="DONATION",
            provider_resource_id=world.other_resource.id,
        ),
    )
    assessments.assess(db, ctx, case.code, assessment_input(severity=1))  # 재사정
    goals = snapshot(db, case).plan_in_force.goals
    request = closure.request_closure(
        db,
        ctx,
        case.code,
        ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments={g.id: GoalAttainment.PARTLY for g in goals},
            client_evaluation="도움이 되었다",
            worker_evaluation="체납 해소, 자립 의지 확인",
            client_informed=True,
            aftercare_plan="1개월 후 전화 점검",
            handover_target="행정복지센터",
        ),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True, comment="잘 마무리됨")
    [check, *_] = closure._open_checks(db, case)
    closure.record_aftercare(
        db,
        world.ctx(now=LATER),
        check.id,
        AfterCareInput(
            method=ContactType.PHONE,
            status=AfterCareStatus.STABLE,
            action=AfterCareAction.NONE,
            note="안정적으로 생활",
        ),
    )
    return case


# domain.md §7 "Record checklist (acceptance tests)", each with what the export must show for it.
def checklist(world, case, locale: str) -> dict[str, list[str]]:
    label = lambda key: t(key, locale)  # noqa: E731
    return {
        "identifiers + case_code": [case.code, CLIENT_NAME, label("export.field.code")],
        "consents (scope, purposes, items, recipients, retention, refusal, method, dates)": [
            ConsentScope.COLLECT_USE.label(locale),
            ConsentScope.THIRD_PARTY.label(locale),
            "사례관리 서비스 제공",
            "종결 후 5년",
            f"{label('export.field.recipient_names')}: {world.resource.name}",
            label("export.field.method"),
        ],
        "intake": [
            "실직 후 주거비 체납",
            NeedDomain.ECONOMIC.label(locale),
            NeedDomain.HEALTH.label(locale),
            "행정복지센터",
        ],
        "assessment with strengths": ["근로 의지가 높음", "이웃", label("export.field.strengths_personal")],
        "plan with measurable goals + client agreement": [
            "체납 개월 수",
            "3개월 → 0개월",
            "주거급여 신청 동행",
            label("export.field.agreement_method"),
        ],
        "every contact (date, type, who, outcome)": [
            "가정방문: 집주인과 상환 일정 합의",
            "다음 달 체납 확인",
            ContactType.HOME_VISIT.label(locale),
            world.manager.display_name,
            label("export.field.duration_minutes"),
        ],
        "referrals + outcomes": [
            world.resource.name,
            "주거비 지원 의뢰",
            "주거급여 3개월 지원 결정",
            ReferralStatus.COMPLETED.label(locale),
        ],
        "conference decisions": [
            "공공임대 신청 지원",
            "임대주택 서류 준비",
            ConferenceType.INTEGRATED.label(locale),
        ],
        "service deliveries": [
            "밑반찬 지원",
            "40,000",
            funding_label("DONATION", locale),
            world.other_resource.name,
        ],
        "re-assessments": [t("enum.AssessmentKind.REASSESSMENT", locale)],
        "closure reason/summary + supervisor sign-off": [
            ClosureReason.GOAL_ACHIEVED.label(locale),
            GoalAttainment.PARTLY.label(locale),
            "체납 해소, 자립 의지 확인",
            "도움이 되었다",
            "1개월 후 전화 점검",
            "잘 마무리됨",
            f"{label('export.field.client_informed')}: {label('export.value.yes')}",
            f"{label('export.field.decided_by_id')}: {world.supervisor.display_name}",
        ],
        "after-care": [
            "안정적으로 생활",
            AfterCareStatus.STABLE.label(locale),
            ContactType.PHONE.label(locale),
        ],
        "author + timestamp on every entry": [
            label("export.field.author_id"),
            label("export.field.created_at"),
        ],
    }


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_an_every_stage_export_holds_every_record_item_in_the_reader_s_language(db, world, locale):
    case = every_stage_case(db, world)
    text = export_case(
        db, case.code, operator="tester", reason="열람 청구", now=LATER, zone=SEOUL, locale=locale
    )
    for item, expected in checklist(world, case, locale).items():
        missing = [e for e in expected if e not in text]
        assert not missing, f"{item}: {missing}"
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == [t(f"export.label.{s}", locale) for s in RECORD_SECTIONS]
    # no raw codes: no ENUM_CODES, no field_names, no English words in the Korean document
    assert re.findall(r"\b[A-Z]{2,}(?:_[A-Z]+)*\b", text) == []
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == []
    if locale == "ko":
        words = set(re.findall(r"\b[a-z]{3,}\b", text))
        assert words <= {"tester"}, words
