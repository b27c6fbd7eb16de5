"""The plan is worked between revisions: tasks move on, reviews move the review date without a new
version, monitoring results act, and a re-assessment that moved severity asks for a plan revision."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.views.history import history_modal
from models.cadence import Cadences
from models.enums import (
    AssessmentKind,
    GoalProgress,
    MonitoringResult,
    NextStep,
    PlanStatus,
    ReminderKind,
    ReminderStatus,
    TaskStatus,
)
from models.errors import InvalidInput, NotAllowed, RuleViolation
from models.plan import PlanReview, PlanTask, ServicePlan
from models.reminder import Reminder
from models.schemas import GoalReviewInput, PlanReviewInput
from models.services import assessments, cases, desk, notes, plans
from models.services.case_file import Section, read_page
from models.services.context import Policy
from models.services.lifecycle import derive, snapshot
from models.services.reminders import task_id_of
from tests.factories import NOW, TODAY, assessment_input, case_in_monitoring, contact, plan_input

SEOUL = ZoneInfo("Asia/Seoul")


def plan_of(db, case) -> ServicePlan:
    plan = snapshot(db, case).plan_in_force
    assert plan is not None
    return plan


def pending(db, case, kind: ReminderKind) -> list[Reminder]:
    return list(
        db.scalars(
            select(Reminder).where(
                Reminder.case_id == case.id, Reminder.kind == kind, Reminder.status == ReminderStatus.PENDING
            )
        )
    )


def test_a_task_moves_through_its_states_and_its_nudge_goes_when_done(db, world):
    case = case_in_monitoring(db, world)
    [task] = plan_of(db, case).tasks
    assert task.status == TaskStatus.OPEN
    [nudge] = pending(db, case, ReminderKind.TASK_DUE)
    assert task_id_of(nudge) == task.id
    assert nudge.recipient_id == world.manager.id and nudge.deadline_on == task.due_date

    plans.set_task_status(db, world.ctx(), task.id, TaskStatus.IN_PROGRESS)
    assert db.get(PlanTask, task.id).status == TaskStatus.IN_PROGRESS
    assert len(pending(db, case, ReminderKind.TASK_DUE)) == 1  # still open: still nudged
    plans.set_task_status(db, world.ctx(), task.id, TaskStatus.DONE)
    assert pending(db, case, ReminderKind.TASK_DUE) == []
    listed = plans.case_tasks(db, world.ctx(), case.code)
    assert [(line.action, line.status, line.goal_number) for line in listed.tasks] == [
        ("주거급여 신청 동행", TaskStatus.DONE, 1)
    ]


def test_a_coworker_updates_tasks_but_an_outsider_cannot(db, world):
    case = case_in_monitoring(db, world)
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    [task] = plan_of(db, case).tasks
    changed = plans.set_task_statuses(
        db, world.ctx(world.coworker), case.code, {task.id: TaskStatus.CANCELLED}
    )
    assert changed == 1 and db.get(PlanTask, task.id).status == TaskStatus.CANCELLED
    with pytest.raises(NotAllowed):
        plans.set_task_status(db, world.ctx(world.outsider), task.id, TaskStatus.DONE)
    assert db.get(PlanTask, task.id).status == TaskStatus.CANCELLED


def test_only_tasks_of_the_plan_in_force_change(db, world):
    case = case_in_monitoring(db, world)
    old = plan_of(db, case)
    [old_task] = old.tasks
    plans.create_plan(db, world.ctx(), case.code, plan_input())  # version 2, agreed: v1 superseded
    assert db.get(ServicePlan, old.id).status == PlanStatus.SUPERSEDED
    with pytest.raises(RuleViolation):
        plans.set_task_status(db, world.ctx(), old_task.id, TaskStatus.DONE)
    with pytest.raises(InvalidInput) as caught:  # a task of another plan is not this case's task now
        plans.set_task_statuses(db, world.ctx(), case.code, {old_task.id: TaskStatus.DONE})
    assert f"task.{old_task.id}" in caught.value.errors
    with pytest.raises(InvalidInput):
        plans.set_task_status(db, world.ctx(), 999_999, TaskStatus.DONE)


def test_a_review_moves_the_next_review_date_without_a_new_version(db, world):
    case = case_in_monitoring(db, world)
    plan = plan_of(db, case)
    first_due = plan.review_due
    later = world.ctx(now=NOW + timedelta(days=80))
    goal = plan.goals[0]
    data = PlanReviewInput(
        goals=[GoalReviewInput(goal_id=goal.id, progress=GoalProgress.IMPROVED, comment="체납 1개월로 감소")]
    )
    reviewed = plans.review_by_code(db, later, case.code, plan.id, data)
    assert reviewed.id == plan.id and reviewed.version == 1 and reviewed.status == PlanStatus.AGREED
    assert reviewed.review_due is not None and first_due is not None and reviewed.review_due > first_due
    assert db.scalar(select(func.count()).select_from(ServicePlan).where(ServicePlan.case_id == case.id)) == 1
    [stored] = db.scalars(select(PlanReview).where(PlanReview.plan_id == plan.id))
    assert stored.progress == [{"goal_id": goal.id, "progress": "IMPROVED", "comment": "체납 1개월로 감소"}]
    assert stored.next_review_due == reviewed.review_due
    [nudge] = pending(db, case, ReminderKind.PLAN_REVIEW)
    assert nudge.deadline_on == reviewed.review_due


def test_a_review_refuses_a_goal_of_another_plan_and_a_stale_plan(db, world):
    case = case_in_monitoring(db, world)
    plan = plan_of(db, case)
    bad = PlanReviewInput(goals=[GoalReviewInput(goal_id=999_999, progress=GoalProgress.WORSENED)])
    with pytest.raises(InvalidInput) as caught:
        plans.review(db, world.ctx(), plan.id, bad)
    assert "goals.0.progress" in caught.value.errors
    plans.create_plan(db, world.ctx(), case.code, plan_input())
    ok = PlanReviewInput(goals=[GoalReviewInput(goal_id=plan.goals[0].id, progress=GoalProgress.MAINTAINED)])
    with pytest.raises(RuleViolation):
        plans.review_by_code(db, world.ctx(), case.code, plan.id, ok)


def test_change_plan_brings_the_review_within_a_week(db, world):
    case = case_in_monitoring(db, world)
    plan = plan_of(db, case)
    assert plan.review_due is not None and plan.review_due > TODAY + timedelta(days=7)
    notes.log_contact(db, world.ctx(), case.code, contact(NOW, result=MonitoringResult.CHANGE_PLAN))
    assert plan_of(db, case).review_due == TODAY + timedelta(days=7)
    [nudge] = pending(db, case, ReminderKind.PLAN_REVIEW)
    assert nudge.deadline_on == TODAY + timedelta(days=7)


def test_consider_close_makes_closure_review_the_next_step_until_a_later_contact(db, world):
    case = case_in_monitoring(db, world)
    notes.log_contact(db, world.ctx(), case.code, contact(NOW, result=MonitoringResult.CONSIDER_CLOSE))
    assert derive(snapshot(db, case), TODAY).next_step == NextStep.REVIEW_CLOSURE
    assert case.next_step == NextStep.REVIEW_CLOSURE  # stored for the desk and lists
    later = world.ctx(now=NOW + timedelta(days=3))
    notes.log_contact(db, later, case.code, contact(later.now, result=MonitoringResult.MAINTAIN))
    assert derive(snapshot(db, case), later.today).next_step == NextStep.LOG_CONTACT


def test_a_note_records_goal_progress_and_service_states_of_this_case_only(db, world):
    case = case_in_monitoring(db, world)
    goal = plan_of(db, case).goals[0]
    note = notes.log_contact(
        db, world.ctx(), case.code, contact(NOW, goal_progress={goal.id: GoalProgress.IMPROVED})
    )
    assert note.monitoring == {"goals": {str(goal.id): "IMPROVED"}, "referrals": {}}
    with pytest.raises(InvalidInput) as caught:
        notes.log_contact(db, world.ctx(), case.code, contact(NOW, referral_status={123456: "IN_SERVICE"}))
    assert "referral.123456" in caught.value.errors


@pytest.mark.parametrize(
    ("jump", "setting", "nudged"), [(2, 2, True), (1, 2, False), (1, 1, True), (2, 3, False)]
)
def test_a_reassessment_that_moved_severity_by_the_setting_asks_for_a_plan_revision(
    db, world, jump, setting, nudged
):
    policy = Policy(cadences=Cadences(reassessment_severity_change=setting))
    case = case_in_monitoring(db, world)  # assessed at severity 2
    later = world.ctx(now=NOW + timedelta(days=30), policy=policy)
    assessments.assess(db, later, case.code, assessment_input(severity=2 + jump))
    assert snapshot(db, case).latest_assessment.kind == AssessmentKind.REASSESSMENT
    found = pending(db, case, ReminderKind.PLAN_REVISION)
    assert bool(found) is nudged
    if nudged:
        revised = world.ctx(now=later.now + timedelta(days=1), policy=policy)
        plans.create_plan(db, revised, case.code, plan_input(start=revised.today))
        assert pending(db, case, ReminderKind.PLAN_REVISION) == []  # a revised plan settles it


def test_the_home_lists_the_open_tasks_that_are_the_persons(db, world):
    """A task with no worker is the case manager's; one given to a co-worker is on their Home only."""
    case = case_in_monitoring(db, world)
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    [task] = plan_of(db, case).tasks
    [shown] = desk.my_open_tasks(db, world.ctx(world.manager))
    assert (shown.task_id, shown.code, shown.number, shown.status) == (task.id, case.code, 1, TaskStatus.OPEN)
    assert desk.my_open_tasks(db, world.ctx(world.coworker)) == []  # unassigned: the manager's
    plans.set_task_worker(db, world.ctx(), task.id, world.coworker.id)
    assert [t.task_id for t in desk.my_open_tasks(db, world.ctx(world.coworker))] == [task.id]
    assert desk.my_open_tasks(db, world.ctx(world.manager)) == []
    assert desk.my_open_tasks(db, world.ctx(world.outsider)) == []
    plans.set_task_status(db, world.ctx(world.coworker), task.id, TaskStatus.DONE)
    assert desk.my_open_tasks(db, world.ctx(world.coworker)) == []  # done: off the Home


def test_revisit_brings_the_next_contact_within_a_week(db, world):
    case = case_in_monitoring(db, world)  # GENERAL: monthly contacts
    notes.log_contact(db, world.ctx(), case.code, contact(NOW))
    [monthly] = pending(db, case, ReminderKind.NEXT_CONTACT)
    assert monthly.deadline_on == TODAY + timedelta(days=31)
    later = world.ctx(now=NOW + timedelta(days=1))
    notes.log_contact(db, later, case.code, contact(later.now, result=MonitoringResult.REVISIT))
    [soon] = pending(db, case, ReminderKind.NEXT_CONTACT)
    assert soon.deadline_on == later.today + timedelta(days=7)


def test_a_notes_monitoring_check_is_read_back_in_the_history(db, world):
    case = case_in_monitoring(db, world)
    goal = plan_of(db, case).goals[0]
    notes.log_contact(
        db, world.ctx(), case.code, contact(NOW, goal_progress={goal.id: GoalProgress.WORSENED})
    )
    [latest, *_] = read_page(db, world.ctx(), case.code, Section.NOTES).entries
    assert latest.goals == ((goal.description, GoalProgress.WORSENED),) and latest.services == ()
    shown = history_modal(read_page(db, world.ctx(), case.code, Section.NOTES), "ko", SEOUL)
    assert f"목표 '{goal.description}' {GoalProgress.WORSENED.label('ko')}" in str(shown["blocks"])
