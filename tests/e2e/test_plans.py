"""`/case plan CODE` → the plan modal → a service plan, through the running bot and the Slack stand-in."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import CaseInChannel
from models import Case, Resource, ServicePlan
from models.enums import CaseStatus, PlanStatus, ResourceCategory, ResourceSector, Surface
from models.services import assessments, cases, staff
from models.services.context import Ctx
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import add_staff, choice, choices, command, day, state, submit, text
from tests.factories import NOW, assessment_input, intake

NAME = "홍가상"


def case_for(bot, user: str = "UCM1", *, assessed: bool = True) -> str:
    """A case taken to the plan stage through the core services, as the CLI would."""
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, user), surface=Surface.CLI, now=NOW)
        case = cases.open_case(db, ctx, intake(name=NAME))
        if assessed:
            assessments.assess(db, ctx, case.code, assessment_input())
        return case.code


def add_resource(bot, name: str = "행복주거지원센터") -> int:
    with bot.uow() as db:
        resource = Resource(name=name, category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC)
        db.add(resource)
        db.flush()
        return resource.id


def plan_values(resource_id: int | None = None, **overrides: dict) -> dict:
    values = {
        "period_start": day("2026-11-23"),
        "period_end": day(None),
        "goals.0.domain": choice("ECONOMIC"),
        "goals.0.description": text("주거비 체납 해소"),
        "goals.0.indicator": text("체납 개월 수"),
        "goals.0.baseline": text("3개월"),
        "goals.0.target": text("0개월"),
        "goals.0.target_date": day("2027-03-01"),
        "goals.1.description": text(None),
        "goals.2.domain": choice("HEALTH"),
        "goals.2.description": text("정기 진료 유지"),
        "goals.2.indicator": text("월 진료 횟수"),
        "goals.2.target": text("월 1회"),
        "goals.2.target_date": day("2027-02-01"),
        "tasks.0.action": text("주거급여 신청 동행"),
        "tasks.0.responsible_party": choice("WORKER"),
        "tasks.0.resource_id": choice(str(resource_id) if resource_id else None),
        "tasks.0.due_date": day("2026-12-07"),
        "tasks.0.goal_index": choice("1"),
        "tasks.1.action": text("진료 예약"),
        "tasks.1.responsible_party": choice("CLIENT"),
        "tasks.1.due_date": day("2026-12-01"),
        "tasks.1.goal_index": choice("3"),
        "tasks.2.action": text(None),
        "tasks.2.responsible_party": choice("WORKER"),
        "agreed": choices("yes"),
        "agreement_method": choice("WRITTEN"),
    }
    values.update(overrides)
    return state(**values)


def plans_of(bot, code: str) -> list[ServicePlan]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        found = list(db.scalars(select(ServicePlan).where(ServicePlan.case_id == case.id)))
        for plan in found:
            _ = plan.goals, plan.tasks
        return found


def click(bot, user_id: str, action_id: str, value: dict, **kwargs) -> int:
    request = block_actions(
        SIGNING_SECRET,
        user_id=user_id,
        actions=[{"action_id": action_id, "value": json.dumps(value)}],
        **kwargs,
    )
    return post(bot.events_url, request.body, request.headers)[0]


def test_case_plan_opens_a_modal_at_once_then_fills_in_the_form(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    add_resource(bot)
    status, _ = command(bot, f"계획 {code.lower()}", "UCM1", channel_id="C0001")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[0]
    assert opened.params["trigger_id"]
    updated = bot.slack.wait_for("views.update")[0]
    assert updated.params["view_id"].startswith("V")  # the modal that views.open just opened
    view = updated.params["view"]
    assert view["callback_id"] == View.PLAN
    assert json.loads(view["private_metadata"]) == {"code": code, "channel": "C0001"}
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert {"goals.0.description", "goals.2.target", "tasks.0.action", "agreed"} <= block_ids
    picks = {e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {"goals.2.target_date", "tasks.0.resource_id", Action.PLAN_ADD_GOAL, Action.PLAN_ADD_TASK} <= picks
    assert "행복주거지원센터" in json.dumps(view, ensure_ascii=False)
    assert NAME not in json.dumps(view, ensure_ascii=False)

    # the button opens the same modal
    assert click(bot, "UCM1", Action.OPEN_PLAN, {"code": code}, channel_id="C0001") == 200
    again = bot.slack.wait_for("views.update", count=2)[1].params["view"]
    assert again["callback_id"] == View.PLAN


def test_someone_without_access_gets_a_refusal_in_the_modal(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    code = case_for(bot)
    command(bot, f"plan {code}", "UOTHER")
    view = bot.slack.wait_for("views.update")[0].params["view"]
    assert view["callback_id"] != View.PLAN and "권한이 없습니다" in json.dumps(view, ensure_ascii=False)


def test_an_agreed_plan_is_created_once_with_its_rows(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource_id = add_resource(bot)
    metadata = CaseInChannel(code=code, channel="C0001").dump()
    status, body = submit(
        bot, "UCM1", View.PLAN, plan_values(resource_id), view_id="VP1", private_metadata=metadata
    )
    assert status == 200 and body["response_action"] == "update", body
    assert code in str(body["view"]) and Action.AGREE_PLAN not in str(body["view"])
    [plan] = plans_of(bot, code)
    assert plan.status == PlanStatus.AGREED and plan.version == 1
    assert [g.description for g in plan.goals] == ["주거비 체납 해소", "정기 진료 유지"]
    assert [t.action for t in plan.tasks] == ["주거급여 신청 동행", "진료 예약"]
    assert plan.tasks[0].resource_id == resource_id and plan.tasks[0].goal_id == plan.goals[0].id
    assert plan.tasks[1].goal_id == plan.goals[1].id
    with bot.uow() as db:
        assert db.scalar(select(Case.status).where(Case.code == code)) == CaseStatus.ACTIVE
    ephemeral = bot.slack.wait_for("chat.postEphemeral")[0]
    assert ephemeral.params["channel"] == "C0001" and code in ephemeral.params["text"]

    # the same view delivered again: the same answer, nothing new
    status, again = submit(
        bot, "UCM1", View.PLAN, plan_values(resource_id), view_id="VP1", private_metadata=metadata
    )
    assert again["response_action"] == "update" and code in str(again["view"])
    assert len(plans_of(bot, code)) == 1
    assert len(bot.slack.calls("chat.postEphemeral")) == 1
    for call in bot.slack.calls():
        assert NAME not in str(call.params)


def test_bad_rows_come_back_on_their_own_blocks(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    metadata = CaseInChannel(code=code).dump()
    second_goal = {
        "goals.1.domain": choice("FAMILY"),
        "goals.1.description": text("가족 관계 회복"),
        "goals.1.indicator": text("월 대화 횟수"),
        "goals.1.target": text("주 1회"),
        "goals.1.target_date": day(None),
    }
    _, body = submit(
        bot, "UCM1", View.PLAN, plan_values(**second_goal), view_id="VP2", private_metadata=metadata
    )
    assert body["response_action"] == "errors"
    # the date is picked in the row's actions block: said on the row's first input, naming the date
    assert set(body["errors"]) == {"goals.1.description"}
    assert "달성 기한" in body["errors"]["goals.1.description"]

    _, body = submit(
        bot,
        "UCM1",
        View.PLAN,
        plan_values(period_end=day("2026-11-01")),
        view_id="VP3",
        private_metadata=metadata,
    )
    assert set(body["errors"]) == {"period_end"}

    missing_third = {"goals.2.target": text(None), "goals.2.target_date": day(None)}
    _, body = submit(
        bot, "UCM1", View.PLAN, plan_values(**missing_third), view_id="VP4", private_metadata=metadata
    )
    assert set(body["errors"]) == {"goals.2.target", "goals.2.description"}

    _, body = submit(
        bot,
        "UCM1",
        View.PLAN,
        plan_values(**{"tasks.1.goal_index": choice("2")}),
        view_id="VP5",
        private_metadata=metadata,
    )
    assert set(body["errors"]) == {"tasks.1.action"}

    _, body = submit(
        bot,
        "UCM1",
        View.PLAN,
        plan_values(agreement_method=choice(None)),
        view_id="VP6",
        private_metadata=metadata,
    )
    assert set(body["errors"]) == {"agreement_method"}
    assert plans_of(bot, code) == []


def test_a_plan_without_a_completed_assessment_is_refused_inline(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot, assessed=False)
    _, body = submit(
        bot, "UCM1", View.PLAN, plan_values(), view_id="VP7", private_metadata=CaseInChannel(code=code).dump()
    )
    assert body["response_action"] == "errors"
    [(block, message)] = body["errors"].items()
    assert block == "period_start" and "사정" in message
    assert plans_of(bot, code) == []


def test_agreement_later_with_the_button_and_a_second_click_answers_privately(bot):
    add_staff(bot, "UCM1")
    code = case_for(bot)
    metadata = CaseInChannel(code=code, channel="C0001").dump()
    values = plan_values(agreed=choices(), agreement_method=choice("VERBAL"))
    _, body = submit(bot, "UCM1", View.PLAN, values, view_id="VP8", private_metadata=metadata)
    assert body["response_action"] == "update"
    [plan] = plans_of(bot, code)
    assert plan.status == PlanStatus.DRAFT
    agree = next(
        e
        for b in body["view"]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.AGREE_PLAN
    )
    value = json.loads(agree["value"])
    assert value == {"plan_id": plan.id, "code": code, "method": "VERBAL"}
    # the private confirmation in the channel carries the same button
    assert Action.AGREE_PLAN in str(bot.slack.wait_for("chat.postEphemeral")[0].params["blocks"])

    # opening the plan again offers to record agreement to the waiting draft, one button per method
    command(bot, f"plan {code}", "UCM1", channel_id="C0001")
    reopened = bot.slack.wait_for("views.update")[0].params["view"]
    offered = [
        json.loads(e["value"])
        for b in reopened["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.AGREE_PLAN
    ]
    assert {v["method"] for v in offered} == {"WRITTEN", "ELECTRONIC", "VERBAL"}
    assert {v["plan_id"] for v in offered} == {plan.id}

    done_view = {
        "id": "VDONE1",
        "callback_id": View.DONE,
        "private_metadata": body["view"]["private_metadata"],
    }
    assert click(bot, "UCM1", Action.AGREE_PLAN, value, view=done_view) == 200
    updated = bot.slack.wait_for("views.update", count=2)[1]
    assert updated.params["view_id"] == "VDONE1"
    assert Action.AGREE_PLAN not in str(updated.params["view"])
    [plan] = plans_of(bot, code)
    assert plan.status == PlanStatus.AGREED and plan.agreement_method.value == "VERBAL"

    assert click(bot, "UCM1", Action.AGREE_PLAN, value, view=done_view) == 200
    answer = bot.slack.wait_for("chat.postEphemeral", count=2)[1]
    assert answer.params["user"] == "UCM1" and "이미 합의된" in answer.params["text"]
    assert len(bot.slack.calls("views.update")) == 2
    [plan] = plans_of(bot, code)
    assert plan.status == PlanStatus.AGREED
