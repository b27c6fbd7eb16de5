"""과정기록 (`/case history`): the record read back, section by section, to the case's circle only."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.views.history import history_modal
from models.audit import AuditLog
from models.conference import ActionItem, CaseConference, ConferenceCase
from models.enums import (
    AuditAction,
    ClosureReason,
    ConferencePurpose,
    ConferenceStatus,
    ConferenceType,
    GoalAttainment,
    GoalProgress,
)
from models.errors import NotAllowed
from models.schemas import ClosureInput, GoalReviewInput, PlanReviewInput
from models.services import cases, closure, notes, plans
from models.services.case_file import Section, read_page
from models.services.lifecycle import snapshot
from tests.factories import NOW, case_in_monitoring, contact

SEOUL = ZoneInfo("Asia/Seoul")


def log_notes(db, world, case, count: int) -> None:
    for i in range(count):
        notes.log_contact(
            db,
            world.ctx(),
            case.code,
            contact(
                NOW - timedelta(hours=count - i), summary=f"통화 {i}: 월세 상담", next_action=f"다음 {i}"
            ),
        )


def modal_text(page) -> str:
    view = history_modal(page, "ko", SEOUL)
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000
    return json.dumps(view, ensure_ascii=False)


def test_contact_notes_newest_first_ten_a_page_with_text_and_next_action(db, world):
    case = case_in_monitoring(db, world)
    log_notes(db, world, case, 12)
    first = read_page(db, world.ctx(), case.code, Section.NOTES)
    assert (first.page, first.pages, len(first.entries)) == (0, 2, 10)
    assert [e.summary for e in first.entries[:2]] == ["통화 11: 월세 상담", "통화 10: 월세 상담"]
    assert first.entries[0].next_action == "다음 11"
    second = read_page(db, world.ctx(), case.code, Section.NOTES, page=1)
    assert [e.summary for e in second.entries] == ["통화 1: 월세 상담", "통화 0: 월세 상담"]
    shown = modal_text(first)
    assert "통화 11: 월세 상담" in shown and "다음 11" in shown and "통화 1:" not in shown
    assert "case.history.page.older" in shown


def test_assessment_and_plan_show_what_was_written(db, world):
    case = case_in_monitoring(db, world)
    [assessment] = read_page(db, world.ctx(), case.code, Section.ASSESSMENT).entries
    assert (assessment.strengths_personal, assessment.informal_supports) == ("근로 의지가 높음", "이웃")
    plan_page = read_page(db, world.ctx(), case.code, Section.PLAN)
    [plan] = plan_page.entries
    [goal] = plan.goals
    assert (goal.indicator, goal.baseline, goal.target) == ("체납 개월 수", "3개월", "0개월")
    [task] = plan.tasks
    assert task.action == "주거급여 신청 동행"
    shown = modal_text(plan_page)
    assert "3개월 → 0개월" in shown and "주거급여 신청 동행" in shown and "예정" in shown


def test_a_plan_review_shows_in_the_plan_history(db, world):
    case = case_in_monitoring(db, world)
    plan = snapshot(db, case).plan_in_force
    entry = GoalReviewInput(
        goal_id=plan.goals[0].id, progress=GoalProgress.WORSENED, comment="체납 다시 늘어남"
    )
    plans.review(db, world.ctx(), plan.id, PlanReviewInput(goals=[entry]))
    plan_page = read_page(db, world.ctx(), case.code, Section.PLAN)
    [shown_plan] = plan_page.entries
    [review] = shown_plan.reviews
    assert review.progress == [(1, GoalProgress.WORSENED, "체납 다시 늘어남")]
    shown = modal_text(plan_page)
    assert "계획 점검" in shown and "악화" in shown and "체납 다시 늘어남" in shown


def test_conference_decisions_and_action_items_about_the_case(db, world):
    case = case_in_monitoring(db, world)
    conference = CaseConference(
        team_id=world.team.id,
        conference_type=ConferenceType.INTERNAL,
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
            purpose=ConferencePurpose.PLAN,
            decision="주거 지원 우선",
        )
    )
    db.add(
        ActionItem(
            conference_id=conference.id,
            case_id=case.id,
            description="임대주택 신청",
            owner_id=world.manager.id,
            due_date=NOW.date(),
        )
    )
    db.flush()
    page = read_page(db, world.ctx(), case.code, Section.CONFERENCES)
    [entry] = page.entries
    assert entry.decision == "주거 지원 우선" and [a.description for a in entry.actions] == ["임대주택 신청"]
    shown = modal_text(page)
    assert "주거 지원 우선" in shown and "임대주택 신청" in shown and "내부사례회의" in shown


def test_a_returned_closure_shows_the_supervisor_comment(db, world):
    case = case_in_monitoring(db, world)
    goals = snapshot(db, case).plan_in_force.goals
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments={g.id: GoalAttainment.PARTLY for g in goals},
            worker_evaluation="주거비 체납 일부 해소",
            client_informed=True,
            aftercare_plan="1개월 후 전화",
        ),
    )
    closure.decide_closure(
        db, world.ctx(world.supervisor), request.id, approve=False, comment="체납 해소 근거 보완"
    )
    page = read_page(db, world.ctx(), case.code, Section.CLOSURE)
    [entry] = page.entries
    assert entry.supervisor_comment == "체납 해소 근거 보완"
    assert [(a.goal, a.attainment) for a in entry.attainments] == [
        ("주거비 체납 해소", GoalAttainment.PARTLY)
    ]
    shown = modal_text(page)
    for expected in ("체납 해소 근거 보완", "부분", "주거비 체납 일부 해소", "1개월 후 전화", "목표달성"):
        assert expected in shown, expected


@pytest.mark.parametrize("section", list(Section))
def test_only_the_circle_reads_and_every_page_is_logged(db, world, section):
    case = case_in_monitoring(db, world)
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    for reader in (world.manager, world.coworker, world.supervisor):
        read_page(db, world.ctx(reader), case.code, section)
    for stranger in (world.outsider, world.other_supervisor, world.admin):
        with pytest.raises(NotAllowed):
            read_page(db, world.ctx(stranger), case.code, section)
    reads = db.scalars(
        select(AuditLog).where(AuditLog.case_code == case.code, AuditLog.action == AuditAction.READ)
    ).all()
    purpose = "read services" if section == Section.SERVICES else f"history:{section.value}"
    logged = [r.actor_id for r in reads if r.detail == purpose]
    assert logged == [world.manager.id, world.coworker.id, world.supervisor.id]


def test_an_empty_section_says_so(db, world):
    case = case_in_monitoring(db, world)
    page = read_page(db, world.ctx(), case.code, Section.REFERRALS)
    assert page.entries == [] and page.pages == 1
    assert "기록이 없습니다" in modal_text(page)
