"""The views of a plan being worked: the tasks modal, the plan review modal, the Home's open tasks and a
task nudge's buttons — valid Block Kit, within Slack's limits, client words only in private modals."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.ids import Action, View
from bot.metadata import CaseRef, PlanReviewRef, TaskPick
from bot.views.home import home_view
from bot.views.notes import note_modal
from bot.views.reminders import OPENS, nudge
from bot.views.tasks import plan_review_done_modal, plan_review_modal, tasks_done_modal, tasks_modal
from models.enums import ReferralStatus, ReminderKind, ResponsibleParty, TaskStatus
from models.services.desk import HomeTask
from models.services.notes import MonitoredGoal, MonitoredService, Monitoring
from models.services.plans import GoalLine, PlanForReview, TaskLine, TaskList
from tests.unit.test_home_views import make_desk, validate

CODE = "C-2026-0007"
TODAY = date(2026, 3, 2)
LOCALES = ["ko", "en"]


def task_list(count: int) -> TaskList:
    return TaskList(
        CODE,
        2,
        [
            TaskLine(
                100 + i,
                "주거급여 신청 동행 " * 100,  # long words are cut to Slack's label length
                i % 3 + 1 if i % 4 else None,
                ResponsibleParty.WORKER,
                date(2026, 4, 1),
                list(TaskStatus)[i % 4],
            )
            for i in range(count)
        ],
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("count", [0, 1, 20])
def test_the_tasks_modal_has_a_status_select_per_task(locale, count):
    view = tasks_modal(locale, task_list(count))
    validate(view)
    assert view["callback_id"] == View.TASKS
    selects = [blk for blk in view["blocks"] if blk["type"] == "input"]
    assert [blk["block_id"] for blk in selects] == [f"task.{100 + i}" for i in range(count)]
    for i, blk in enumerate(selects):
        assert blk["element"]["initial_option"]["value"] == list(TaskStatus)[i % 4].value
        assert len(blk["element"]["options"]) == 4
    assert ("submit" in view) == bool(count)  # nothing to save without tasks
    assert CaseRef.read(view["private_metadata"]) == CaseRef(code=CODE)
    validate(tasks_done_modal(locale, CODE, 3))


def test_the_status_labels_are_the_four_states():
    view = tasks_modal("ko", task_list(1))
    [blk] = [b for b in view["blocks"] if b["type"] == "input"]
    assert [o["text"]["text"] for o in blk["element"]["options"]] == ["예정", "진행", "완료", "중단"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("goals", [1, 10])
def test_the_plan_review_modal_asks_each_goal_its_progress(locale, goals):
    plan = PlanForReview(
        CODE, 5, 2, TODAY, [GoalLine(10 + i, i + 1, "주거 안정 " * 400) for i in range(goals)]
    )
    view = plan_review_modal(locale, plan)
    validate(view)
    inputs = [blk["block_id"] for blk in view["blocks"] if blk["type"] == "input"]
    assert inputs == [f"goals.{row}.{name}" for row in range(goals) for name in ("progress", "comment")]
    meta = PlanReviewRef.read(view["private_metadata"])
    assert meta == PlanReviewRef(code=CODE, plan_id=5, goal_ids=[10 + i for i in range(goals)])
    done = plan_review_done_modal(locale, CODE, date(2026, 6, 2))
    validate(done)
    assert "2026-06-02" in json.dumps(done)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("size", [0, 150])
def test_the_home_shows_open_tasks_with_codes_only_and_a_status_select(locale, size):
    tasks = [
        HomeTask(200 + i, f"C-2026-{i + 1:04d}", i + 1, date(2026, 3, 5), TaskStatus.OPEN) for i in range(8)
    ]
    view = home_view(locale, name="사례관리자", today=TODAY.isoformat(), desk=make_desk(size), tasks=tasks)
    validate(view)
    selects = [
        blk["accessory"]
        for blk in view["blocks"]
        if (blk.get("accessory") or {}).get("action_id") == Action.TASK_STATUS
    ]
    assert selects  # at least some tasks, whatever the size of the desk
    first = selects[0]
    assert TaskPick.read(first["initial_option"]["value"]) == TaskPick(task_id=200, status=TaskStatus.OPEN)
    assert {TaskPick.read(o["value"]).status for o in first["options"]} == set(TaskStatus)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_task_nudge_opens_the_tasks_and_marks_done(locale):
    _, blocks = nudge(ReminderKind.TASK_DUE, CODE, TODAY, TODAY, 9, locale, task_id=44)
    buttons = [e for blk in blocks if blk["type"] == "actions" for e in blk["elements"]]
    ids = [e["action_id"] for e in buttons]
    assert ids[:2] == [Action.OPEN_TASKS, Action.TASK_DONE]
    assert TaskPick.read(buttons[1]["value"]) == TaskPick(task_id=44, status=TaskStatus.DONE)
    assert OPENS[ReminderKind.PLAN_REVIEW] == Action.OPEN_PLAN_REVIEW  # a review, not a new plan version
    assert OPENS[ReminderKind.PLAN_REVISION] == Action.OPEN_PLAN
    _, other = nudge(ReminderKind.PLAN_REVIEW, CODE, TODAY, TODAY, 9, locale)
    assert Action.TASK_DONE not in json.dumps(other)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_note_modal_asks_each_goal_and_service_of_the_monitoring(locale):
    monitoring = Monitoring(
        [MonitoredGoal(30 + i, i + 1, "정기 진료 유지 " * 300) for i in range(10)],
        [MonitoredService(50 + i, "행복주거지원센터", ReferralStatus.IN_SERVICE) for i in range(10)],
    )
    view = note_modal(locale, today=TODAY, timezone="Asia/Seoul", code=CODE, monitoring=monitoring)
    validate(view)
    inputs = {blk["block_id"]: blk for blk in view["blocks"] if blk["type"] == "input"}
    assert {f"goal.{30 + i}" for i in range(10)} <= set(inputs)
    assert inputs["referral.50"]["element"]["initial_option"]["value"] == "IN_SERVICE"
    assert all(inputs[f"goal.{30 + i}"]["optional"] for i in range(10))
    plain = note_modal(locale, today=TODAY, timezone="Asia/Seoul", code=CODE, monitoring=Monitoring([], []))
    assert not any(blk.get("block_id", "").startswith("goal.") for blk in plain["blocks"])
