"""The plan worked through the running bot: `/case tasks CODE` (과업) changes task states, a co-worker
may update tasks but not agree a plan, the Home and a task nudge change a task, the PLAN_REVIEW nudge
opens a plan review whose submission moves the review date without a new version, and the plan modal
grows past three goals with its "add a goal" button."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.ids import Action, View
from bot.metadata import CaseInChannel, CaseRef, NoteMeta, PlanReviewRef, TaskPick
from models import Case, ContactNote, PlanReview, PlanTask, ServicePlan
from models.audit import CaseEvent
from models.enums import PlanStatus, ReminderKind, ReminderStatus, TaskStatus
from models.reminder import Reminder
from models.services import cases
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import (
    add_staff,
    answer_to,
    answers_to,
    choice,
    choices,
    command,
    day,
    state,
    submit,
    text,
)
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_home import open_home
from tests.e2e.test_notes import case_in_monitoring, notes_of, valid_note
from tests.e2e.test_plans import case_for, plan_values, plans_of


def tasks_of(bot: RunningBot, code: str) -> list[PlanTask]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        plan = db.scalar(
            select(ServicePlan).where(ServicePlan.case_id == case.id, ServicePlan.status == PlanStatus.AGREED)
        )
        return list(plan.tasks)


def events(bot: RunningBot, code: str, kind: str) -> int:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return db.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.event == kind)
        )


def with_coworker(bot: RunningBot, code: str, user: str = "UCW1") -> str:
    add_staff(bot, user)
    with bot.uow() as db:
        cases.add_coworker(db, ctx_of(db, "UCM1"), code, ctx_of(db, user).actor.id)
    return user


def click(bot: RunningBot, user_id: str, action: dict, **kwargs) -> int:
    request = block_actions(SIGNING_SECRET, user_id=user_id, actions=[action], **kwargs)
    return post(bot.events_url, request.body, request.headers)[0]


def open_tasks(bot: RunningBot, user: str, code: str, words: str = "tasks") -> dict:
    status, _ = command(bot, f"{words} {code}", user, channel_id="C0001")
    assert status == 200
    return bot.slack.wait_for("views.open")[-1].params["view"]


def test_case_tasks_changes_a_task_status_once(bot: RunningBot):
    code = case_in_monitoring(bot)
    [task] = tasks_of(bot, code)
    view = open_tasks(bot, "UCM1", code, "과업")  # the Korean word works too
    assert view["callback_id"] == View.TASKS
    [select_block] = [b for b in view["blocks"] if b.get("block_id") == f"task.{task.id}"]
    assert select_block["element"]["initial_option"]["value"] == "OPEN"
    assert "주거급여 신청 동행" in select_block["label"]["text"]  # the task's words, in the private modal
    options = {o["value"] for o in select_block["element"]["options"]}
    assert options == {"OPEN", "IN_PROGRESS", "DONE", "CANCELLED"}

    values = state(**{f"task.{task.id}": choice("IN_PROGRESS")})
    meta = view["private_metadata"]
    for _ in range(2):  # a double submit (or Slack's retry) changes it once
        _, body = submit(
            bot, "UCM1", View.TASKS, values, view_id="VT1", private_metadata=meta, blocks=view["blocks"]
        )
        assert body["response_action"] == "update", body
    [task] = tasks_of(bot, code)
    assert task.status == TaskStatus.IN_PROGRESS
    assert events(bot, code, "plan_task_updated") == 1

    # a status the modal never offered is a field error on that task
    bad = state(**{f"task.{task.id}": choice("FINISHED")})
    _, body = submit(
        bot, "UCM1", View.TASKS, bad, view_id="VT2", private_metadata=meta, blocks=view["blocks"]
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {f"task.{task.id}"}


def test_a_coworker_updates_a_task_but_is_refused_agreeing_a_plan(bot: RunningBot):
    code = case_in_monitoring(bot)
    coworker = with_coworker(bot, code)
    [task] = tasks_of(bot, code)
    view = open_tasks(bot, coworker, code)
    values = state(**{f"task.{task.id}": choice("DONE")})
    _, body = submit(
        bot,
        coworker,
        View.TASKS,
        values,
        view_id="VT3",
        private_metadata=view["private_metadata"],
        blocks=view["blocks"],
    )
    assert body["response_action"] == "update", body
    assert tasks_of(bot, code)[0].status == TaskStatus.DONE

    # a new draft (theirs to write), whose agreement is the lead's alone
    draft_values = plan_values(agreed=choices(), agreement_method=choice(None))
    meta = CaseInChannel(code=code, channel="C0001").dump()
    _, body = submit(bot, coworker, View.PLAN, draft_values, view_id="VT4", private_metadata=meta)
    assert body["response_action"] == "update", body
    draft = next(p for p in plans_of(bot, code) if p.status == PlanStatus.DRAFT)
    value = json.dumps({"plan_id": draft.id, "code": code, "method": "WRITTEN"})
    response_url = bot.slack.response_url(coworker)
    assert (
        click(
            bot,
            coworker,
            {"action_id": Action.AGREE_PLAN, "value": value},
            channel_id="C0001",
            response_url=response_url,
        )
        == 200
    )
    refusal = answer_to(bot, coworker)
    assert "R9" in refusal["text"]
    assert next(p for p in plans_of(bot, code) if p.id == draft.id).status == PlanStatus.DRAFT


def test_the_home_lists_open_tasks_and_changes_one(bot: RunningBot):
    code = case_in_monitoring(bot)
    [task] = tasks_of(bot, code)
    assert open_home(bot, "UCM1") == 200
    home = bot.slack.wait_for("views.publish")[0].params["view"]
    selects = [
        b["accessory"]
        for b in home["blocks"]
        if (b.get("accessory") or {}).get("action_id") == Action.TASK_STATUS
    ]
    [accessory] = selects
    assert code in json.dumps(home) and "주거급여" not in json.dumps(home, ensure_ascii=False)  # codes only
    chosen = TaskPick(task_id=task.id, status=TaskStatus.DONE).dump()
    action = {"action_id": Action.TASK_STATUS, "type": "static_select", "selected_option": {"value": chosen}}
    assert (
        click(
            bot,
            "UCM1",
            action,
            container={"type": "view", "view_id": "VHOME"},
            view={"id": "VHOME", "type": "home", "blocks": home["blocks"]},
        )
        == 200
    )
    bot.slack.wait_for("views.publish", count=2)
    assert tasks_of(bot, code)[0].status == TaskStatus.DONE
    assert accessory["initial_option"]["value"] == TaskPick(task_id=task.id, status=TaskStatus.OPEN).dump()


def test_a_task_nudge_marks_the_task_done(bot: RunningBot):
    code = case_in_monitoring(bot)
    [task] = tasks_of(bot, code)
    value = TaskPick(task_id=task.id, status=TaskStatus.DONE).dump()
    response_url = bot.slack.response_url("UCM1")
    assert (
        click(
            bot,
            "UCM1",
            {"action_id": Action.TASK_DONE, "value": value},
            channel_id="D0001",
            response_url=response_url,
        )
        == 200
    )
    [answer] = answers_to(bot, "UCM1")
    assert code in answer["text"] and answer["replace_original"]  # the nudge itself says it is done
    assert tasks_of(bot, code)[0].status == TaskStatus.DONE


def test_the_plan_review_nudge_opens_a_review_that_moves_the_date_without_a_new_version(bot: RunningBot):
    code = case_in_monitoring(bot)
    with bot.uow() as db:  # the review is due today: the day its nudge comes
        plan = db.scalar(
            select(ServicePlan).join(Case, Case.id == ServicePlan.case_id).where(Case.code == code)
        )
        plan.review_due = ctx_of(db, "UCM1").today
    [before] = plans_of(bot, code)
    value = CaseRef(code=code).dump()
    assert (
        click(bot, "UCM1", {"action_id": Action.OPEN_PLAN_REVIEW, "value": value}, channel_id="D0001") == 200
    )
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == View.PLAN_REVIEW
    meta = PlanReviewRef.read(view["private_metadata"])
    assert meta is not None and meta.plan_id == before.id and meta.goal_ids == [before.goals[0].id]
    values = state(**{"goals.0.progress": choice("IMPROVED"), "goals.0.comment": text("체납 1개월로 줄었음")})
    for _ in range(2):  # twice: one review
        _, body = submit(
            bot,
            "UCM1",
            View.PLAN_REVIEW,
            values,
            view_id="VR1",
            private_metadata=view["private_metadata"],
            blocks=view["blocks"],
        )
        assert body["response_action"] == "update", body
    [after] = plans_of(bot, code)
    assert after.id == before.id and after.version == 1 and after.status == PlanStatus.AGREED
    assert after.review_due > before.review_due
    with bot.uow() as db:
        [review] = db.scalars(select(PlanReview).where(PlanReview.plan_id == before.id))
        assert review.progress[0]["progress"] == "IMPROVED"

    # the progress is required
    _, body = submit(
        bot,
        "UCM1",
        View.PLAN_REVIEW,
        state(**{"goals.0.progress": choice(None)}),
        view_id="VR2",
        private_metadata=view["private_metadata"],
        blocks=view["blocks"],
    )
    assert body["response_action"] == "errors" and "goals.0.progress" in body["errors"]


def test_a_plan_with_more_than_three_goals_through_the_add_button(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    command(bot, f"plan {code}", "UCM1", channel_id="C0001")
    view = bot.slack.wait_for("views.update")[0].params["view"]
    typed = {"goals.0.description": text("주거비 체납 해소"), "goals.2.target": text("월 1회")}
    opened = {**view, "id": "VADD1", "state": {"values": state(**typed)}}
    for count in (1, 2):
        assert (
            click(
                bot,
                "UCM1",
                {"action_id": Action.PLAN_ADD_GOAL, "value": view["private_metadata"]},
                view=opened,
            )
            == 200
        )
        grown = bot.slack.wait_for("views.update", count=1 + count)[count].params
        assert grown["view_id"] == "VADD1"
        opened = {**grown["view"], "id": "VADD1", "state": {"values": state(**typed)}}
    ids = {b.get("block_id") for b in grown["view"]["blocks"]}
    assert {"goals.3.description", "goals.4.description"} <= ids and "goals.5.description" not in ids
    inputs = {b["block_id"]: b["element"] for b in grown["view"]["blocks"] if b["type"] == "input"}
    assert inputs["goals.0.description"]["initial_value"] == "주거비 체납 해소"  # what was typed is kept
    assert inputs["goals.2.target"]["initial_value"] == "월 1회"

    extra = {}
    for row in (3, 4):
        extra |= {
            f"goals.{row}.domain": choice("SOCIAL"),
            f"goals.{row}.description": text(f"목표 {row + 1}"),
            f"goals.{row}.indicator": text("월 모임 참여"),
            f"goals.{row}.target": text("월 2회"),
            f"goals.{row}.target_date": day("2027-02-01"),
        }
    extra["tasks.2.action"] = text("모임 연결")
    extra["tasks.2.due_date"] = day("2026-12-20")
    extra["tasks.2.goal_index"] = choice("5")
    meta = CaseInChannel(code=code, channel="C0001").dump()
    _, body = submit(bot, "UCM1", View.PLAN, plan_values(**extra), view_id="VADD2", private_metadata=meta)
    assert body["response_action"] == "update", body
    [plan] = plans_of(bot, code)
    assert [g.description for g in plan.goals] == ["주거비 체납 해소", "정기 진료 유지", "목표 4", "목표 5"]
    assert plan.tasks[2].goal_id == plan.goals[3].id  # goal row 5 is the fourth goal saved


def test_a_monitoring_note_records_goal_progress_and_change_plan_brings_the_review_forward(bot: RunningBot):
    code = case_in_monitoring(bot)
    [plan] = plans_of(bot, code)
    goal_id = plan.goals[0].id
    status, _ = command(bot, f"note {code}", "UCM1")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert f"goal.{goal_id}" in {b.get("block_id") for b in opened["blocks"]}  # the 점검표 asks each goal
    values = valid_note(**{"result": choice("CHANGE_PLAN"), f"goal.{goal_id}": choice("WORSENED")})
    meta = NoteMeta(code=code).dump()
    for _ in range(2):  # twice: one note
        _, body = submit(bot, "UCM1", View.NOTE, values, view_id="VMON1", private_metadata=meta)
        assert body["response_action"] == "update", body
    [note] = notes_of(bot, code)
    with bot.uow() as db:
        stored = db.get(ContactNote, note.id)
        assert stored.monitoring == {"goals": {str(goal_id): "WORSENED"}, "referrals": {}}
        review_due = db.get(ServicePlan, plan.id).review_due
        today = ctx_of(db, "UCM1").today
    assert review_due is not None and review_due <= today + timedelta(days=7)  # a plan review within a week
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        kinds = {
            r.kind
            for r in db.scalars(select(Reminder).where(Reminder.case_id == case.id))
            if r.status == ReminderStatus.PENDING
        }
    assert ReminderKind.PLAN_REVIEW in kinds
