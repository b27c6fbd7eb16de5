"""The App Home and the case summary modal respect Slack's limits in both languages, at any size."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.ids import Action
from bot.ids import View as ViewId
from bot.metadata import CaseRef
from bot.views import blocks as b
from bot.views.home import home_view, not_registered_home
from bot.views.show import show_error_modal, show_modal
from models.assessment import Assessment, AssessmentRating
from models.case import Case
from models.client import Client
from models.consent import Consent
from models.contact import ContactNote
from models.enums import (
    AssessmentKind,
    AssessmentStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ConsentScope,
    ContactOutcome,
    ContactType,
    LifeStage,
    NeedDomain,
    NextStep,
    PlanStatus,
    Profile,
    ReferralStatus,
    StaffRole,
    Stage,
)
from models.plan import PlanGoal, ServicePlan
from models.referral import Referral
from models.resource import Resource
from models.services.desk import (
    CaseSummary,
    Desk,
    DeskItem,
    DueGroup,
    PendingApproval,
    TeamCaseload,
    UnassignedCase,
    WorkerLoad,
    due_group,
)
from models.services.lifecycle import CaseSnapshot, CaseState

TODAY = date(2026, 3, 2)
LOCALES = ["ko", "en"]
SIZES = [0, 1, 150]
PAGE_SIZE = 25
CLIENT_NAME = "가나다테스트"
STEPS = list(NextStep)


def validate(view: dict) -> None:
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    b.check_view(view)
    assert len(view["blocks"]) <= 100


def make_desk(total: int, page: int = 0) -> Desk:
    """`total` cases spread over the three groups, as the core pages them (by due date)."""
    dues = [TODAY + timedelta(days=i // 3 - 10) if i % 7 else None for i in range(total)]
    dues.sort(key=lambda d: (d is None, d or TODAY))
    everything = [
        DeskItem(
            code=f"C-2026-{i + 1:04d}",
            status=CaseStatus.ON_HOLD if i % 11 == 5 else CaseStatus.ACTIVE,
            state=CaseState(list(Stage)[i % 10], STEPS[i % len(STEPS)]),
            next_due_on=due,
            intensity=list(CaseIntensity)[i % 6] if i % 4 else None,
            crisis=i % 9 == 0,
            group=due_group(due, TODAY),
        )
        for i, due in enumerate(dues)
    ]
    pages = max(1, math.ceil(total / PAGE_SIZE))
    counts = {g: sum(1 for item in everything if item.group == g) for g in DueGroup}
    items = everything[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return Desk(items=items, counts=counts, page=page, pages=pages, page_size=PAGE_SIZE)


def make_caseload(workers: int, approvals: int, unassigned: int = 0) -> TeamCaseload:
    return TeamCaseload(
        unassigned=[
            UnassignedCase(
                f"C-2026-{900 + i:04d}",
                CaseStatus.ON_HOLD if i % 2 else CaseStatus.ACTIVE,
                CaseIntensity.CRISIS if i % 3 == 0 else None,
                i % 3 == 0,
                "김" * 100,
                TODAY if i % 4 else None,
            )
            for i in range(unassigned)
        ],
        workers=[
            WorkerLoad(i, "김" * 100 if i == 0 else f"직원{i}", StaffRole.CASE_MANAGER, 30, 41.5, 7, 3)
            for i in range(workers)
        ],
        approvals=[
            PendingApproval(100 + i, f"C-2026-{i + 1:04d}", ClosureReason.GOAL_ACHIEVED, TODAY, "직원1")
            for i in range(approvals)
        ],
    )


def texts(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("size", SIZES)
def test_case_managers_home_at_any_size(locale, size):
    desk = make_desk(size)
    view = home_view(locale, name="사례관리자", today=TODAY.isoformat(), desk=desk)
    validate(view)
    assert view["type"] == "home"
    shown = [item.code for item in desk.items]
    for code in shown:
        assert code in texts(view)
    assert len(shown) == min(size, PAGE_SIZE)
    page_buttons = [e for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]
    paging = [e for e in page_buttons if e["action_id"] == Action.HOME_PAGE]
    if size > PAGE_SIZE:
        assert [json.loads(e["value"]) for e in paging] == [{"page": 1}]
        assert ("1 / 6" if locale == "ko" else "Page 1 of 6") in texts(view)
    else:
        assert paging == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_of_150_cases_fits_and_links_both_ways(locale):
    for page in range(6):
        view = home_view(locale, name="x", today=TODAY.isoformat(), desk=make_desk(150, page))
        validate(view)
        paging = [
            json.loads(e["value"])["page"]
            for blk in view["blocks"]
            if blk["type"] == "actions"
            for e in blk["elements"]
            if e["action_id"] == Action.HOME_PAGE
        ]
        assert paging == [p for p in (page - 1, page + 1) if 0 <= p < 6]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("size", SIZES)
def test_supervisors_home_with_caseload_and_approvals(locale, size):
    caseload = make_caseload(workers=60, approvals=size)
    view = home_view(locale, name="팀장", today=TODAY.isoformat(), desk=make_desk(size), caseload=caseload)
    validate(view)
    buttons = [e for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]
    review = [json.loads(e["value"]) for e in buttons if e["action_id"] == Action.REVIEW_CLOSURE]
    assert review == [{"closure_id": 100 + i} for i in range(min(size, 5))]
    # No decision without the review modal: the Home has no approve or return button of its own.
    decided_blind = {Action.APPROVE_CLOSURE, Action.RETURN_CLOSURE}
    assert not [e for e in buttons if e["action_id"] in decided_blind]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("size", SIZES)
def test_supervisors_home_lists_cases_without_a_manager_each_with_a_transfer_button(locale, size):
    caseload = make_caseload(workers=60, approvals=size, unassigned=size)
    view = home_view(locale, name="팀장", today=TODAY.isoformat(), desk=make_desk(size), caseload=caseload)
    validate(view)
    buttons = [e for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]
    transfer = [CaseRef.read(e["value"]) for e in buttons if e["action_id"] == Action.OPEN_TRANSFER]
    assert transfer == [CaseRef(code=f"C-2026-{900 + i:04d}") for i in range(min(size, 5))]
    header = "담당자 없음" if locale == "ko" else "No case manager"
    assert (header in texts(view)) == (size > 0)
    if size > 5:
        assert str(size - 5) in texts(view)


def test_case_buttons_follow_the_next_step():
    desk = make_desk(30)
    view = home_view("en", name="x", today=TODAY.isoformat(), desk=desk)
    by_block = {blk.get("block_id"): blk for blk in view["blocks"]}
    for item in desk.items:
        ids = [e["action_id"] for e in by_block[f"home.case.{item.code}"]["elements"]]
        values = {e["value"] for e in by_block[f"home.case.{item.code}"]["elements"]}
        assert ids[-1] == Action.OPEN_SHOW and values == {CaseRef(code=item.code).dump()}
        if item.state.next_step == NextStep.LOG_CONTACT and item.status != CaseStatus.ON_HOLD:
            assert ids[0] == Action.OPEN_NOTE
        if item.state.next_step == NextStep.COMPLETE_ASSESSMENT and item.status != CaseStatus.ON_HOLD:
            assert ids[0] == Action.OPEN_ASSESS


@pytest.mark.parametrize("locale", LOCALES)
def test_unregistered_home(locale):
    view = not_registered_home(locale)
    validate(view)
    assert ("등록" if locale == "ko" else "registered") in texts(view)


# --- the summary modal ---------------------------------------------------------------------------


def summary(records: int, profile: Profile = Profile.WELFARE_CENTRE) -> CaseSummary:
    """A case (not stored) with `records` consents, ratings, goals, referrals and contacts."""
    client = Client(
        name=CLIENT_NAME * (1 if records < 100 else 10),
        birth_date=date(1970, 5, 1),
        life_stage=LifeStage.MIDDLE_AGED,
        under14=records == 1,
    )
    case = Case(
        id=1,
        code="C-2026-0007",
        profile=profile,
        status=CaseStatus.ACTIVE,
        intensity=CaseIntensity.HIGH_COMPLEXITY if records else None,
        crisis=records > 0,
        client=client,
        presenting_needs=[d.value for d in list(NeedDomain)[: min(records, 19)]] + ["NOT_A_DOMAIN"],
        next_due_on=TODAY if records else None,
        episode=1,
    )
    at = datetime(2026, 2, 1, 15, 30, tzinfo=UTC)
    consents = [
        Consent(
            scope=list(ConsentScope)[i % 8],
            given_on=TODAY,
            expires_on=TODAY + timedelta(days=365) if i % 2 else None,
        )
        for i in range(records)
    ]
    ratings = [
        AssessmentRating(id=i, domain=list(NeedDomain)[i % 19], severity=i % 5, narrative="비밀")
        for i in range(records)
    ]
    assessment = Assessment(
        kind=AssessmentKind.INITIAL, status=AssessmentStatus.COMPLETED, started_at=at, completed_at=at
    )
    assessment.ratings = ratings
    plan = ServicePlan(version=1, status=PlanStatus.AGREED)
    plan.goals = [
        PlanGoal(domain=NeedDomain.ECONOMIC, description="목표 " * 300, target_date=TODAY)
        for _ in range(records)
    ]
    resource = Resource(name="행복주거지원센터" * 20)
    referrals = [Referral(id=i, status=ReferralStatus.SENT, resource=resource) for i in range(records)]
    notes = [
        ContactNote(
            contact_at=at + timedelta(days=i), contact_type=ContactType.PHONE, outcome=ContactOutcome.DONE
        )
        for i in range(records)
    ]
    snap = CaseSnapshot(
        case=case,
        consents=consents,
        assessments=[assessment] if records else [],
        plans=[plan] if records else [],
        referrals=referrals,
        notes=notes,
    )
    state = CaseState(Stage.MONITORING, NextStep.LOG_CONTACT)
    return CaseSummary(snap=snap, state=state, today=TODAY, zone=ZoneInfo("Asia/Seoul"))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("records", SIZES)
@pytest.mark.parametrize("profile", [Profile.WELFARE_CENTRE, Profile.SCHOOL])
def test_summary_modal_at_any_size(locale, records, profile):
    view = show_modal(summary(records, profile), locale)
    validate(view)
    assert view["type"] == "modal" and view["callback_id"] == ViewId.SHOW
    assert "submit" not in view and len(view["title"]["text"]) <= 24
    assert CLIENT_NAME in texts(view)  # allowed: a modal, for someone allowed to see the case
    assert "비밀" not in texts(view)  # assessment narratives stay in the record


@pytest.mark.parametrize("locale", LOCALES)
def test_summary_modal_content(locale):
    view = texts(show_modal(summary(5), locale))
    assert "50" in view  # age band of someone born in 1970, on 2026-03-02
    assert "2026-02-06" in view  # the latest contact, 15:30 UTC on 5 February, is the 6th in Seoul
    seed, school = ("점검", "조정·점검") if locale == "ko" else ("Monitoring", "Coordination and monitoring")
    assert seed in view
    assert school in texts(show_modal(summary(5, Profile.SCHOOL), locale))
    assert ("심각" if locale == "ko" else "Severe") in view  # domains rated ≥3 are listed


@pytest.mark.parametrize("locale", LOCALES)
def test_error_modal(locale):
    validate(show_error_modal("이 사례를 볼 권한이 없습니다." * 300, locale))
