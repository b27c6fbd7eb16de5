"""The App Home and the case summary modal through the running bot (`casebot run`, HTTP mode)."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

from bot.ids import Action
from bot.ids import View as ViewId
from models.enums import CaseIntensity, ClosureReason, GoalAttainment, StaffRole, Surface
from models.schemas import ClosureInput
from models.services import assessments, cases, closure, plans, staff
from models.services.context import Ctx
from models.services.lifecycle import snapshot
from sandbox.slack.requests import block_actions, event, post
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import add_staff, answer_to, command, state, submit, text
from tests.factories import assessment_input, intake, plan_input

NAME = "홍가상"
# The bot runs on the real clock: a new case's first due date is its assessment, 10 days after intake.
OVERDUE_DAYS, THIS_WEEK_DAYS, LATER_DAYS = 15, 6, 0


def open_cases(bot, user_id: str, days_ago: int, count: int = 1, name: str = NAME) -> list[str]:
    with bot.uow() as db:
        actor = staff.find_staff(db, user_id)
        ctx = Ctx(actor=actor, surface=Surface.CLI, now=datetime.now(UTC) - timedelta(days=days_ago))
        return [cases.open_case(db, ctx, intake(name=name)).code for _ in range(count)]


def pending_closure(bot, user_id: str) -> tuple[str, int]:
    """A case taken to an agreed plan, then a closure request awaiting the supervisor."""
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, user_id), surface=Surface.CLI, now=datetime.now(UTC))
        case = cases.open_case(db, ctx, intake())
        assessments.assess(db, ctx, case.code, assessment_input())
        cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
        plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
        goals = {g.id: GoalAttainment.MET for g in snapshot(db, case).plan_in_force.goals}
        request = closure.request_closure(
            db,
            ctx,
            case.code,
            ClosureInput(
                reason=ClosureReason.GOAL_ACHIEVED,
                attainments=goals,
                worker_evaluation="달성",
                client_informed=True,
            ),
        )
        return case.code, request.id


def open_home(bot, user_id: str, **kwargs) -> int:
    request = event(
        SIGNING_SECRET,
        event={"type": "app_home_opened", "user": user_id, "channel": "D0001", "tab": "home"},
        **kwargs,
    )
    return post(bot.events_url, request.body, request.headers)[0]


def published(bot, count: int = 1) -> dict:
    call = bot.slack.wait_for("views.publish", count=count)[count - 1]
    return call.params


def blocks_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def buttons(view: dict, action_id: str) -> list[dict]:
    return [
        e
        for block in view["blocks"]
        if block["type"] == "actions"
        for e in block["elements"]
        if e["action_id"] == action_id
    ]


def section_after(view: dict, marker: str) -> list[str]:
    """The case codes listed under the group header containing `marker`, in order."""
    codes, inside = [], False
    for block in view["blocks"]:
        text = block.get("text", {}).get("text", "") if block["type"] in ("section", "header") else ""
        if block["type"] in ("section", "header") and text.startswith("*:"):
            inside = marker in text
        elif inside and block.get("block_id", "").startswith("home.case."):
            codes.append(block["block_id"].removeprefix("home.case."))
    return codes


def test_home_groups_my_cases_by_due_date_and_hides_other_teams(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    [overdue] = open_cases(bot, "UCM1", OVERDUE_DAYS)
    [week] = open_cases(bot, "UCM1", THIS_WEEK_DAYS)
    [later] = open_cases(bot, "UCM1", LATER_DAYS)
    [theirs] = open_cases(bot, "UOTHER", 0)

    assert open_home(bot, "UCM1") == 200
    call = published(bot)
    view = call["view"]
    assert call["user_id"] == "UCM1" and view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert section_after(view, "red_circle") == [overdue]
    assert section_after(view, "orange_circle") == [week]
    assert section_after(view, "white_circle") == [later]
    assert theirs not in blocks_text(view) and NAME not in json.dumps(view, ensure_ascii=False)
    assessing = buttons(view, Action.OPEN_ASSESS)
    assert {json.loads(b["value"])["code"] for b in assessing} == {overdue, week, later}

    assert open_home(bot, "UOTHER") == 200
    other = published(bot, 2)["view"]
    assert theirs in blocks_text(other)
    assert all(code not in blocks_text(other) for code in (overdue, week, later))


def test_supervisor_sees_the_caseload_and_approval_buttons_above_own_cases(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP", role=StaffRole.SUPERVISOR)
    open_cases(bot, "UCM1", OVERDUE_DAYS, count=2)
    code, closure_id = pending_closure(bot, "UCM1")

    open_home(bot, "USUP")
    view = published(bot)["view"]
    text = blocks_text(view)
    assert "*UCM1*" in text and code in text and len(view["blocks"]) <= 100
    assert [json.loads(b["value"]) for b in buttons(view, Action.REVIEW_CLOSURE)] == [
        {"closure_id": closure_id}
    ]
    assert buttons(view, Action.APPROVE_CLOSURE) == buttons(view, Action.RETURN_CLOSURE) == []
    # Two unclassified cases overdue and the GENERAL one awaiting closure: 3 open, weight 3, 2 overdue.
    assert re.search(
        r"\*UCM1\* · (가중|weighted) \*3\* / (기준|threshold) 30 · (진행|open) 3(건)? · (위기|crisis) 0(건)? · "
        r"(기한 지남|overdue) 2",
        text,
    )
    # The supervisor's own desk (empty here) comes after the team view.
    kinds = [b["type"] for b in view["blocks"]]
    assert kinds.index("actions") < max(i for i, k in enumerate(kinds) if k == "header")


def test_a_closure_approved_from_the_home_review_publishes_the_home_again(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP", role=StaffRole.SUPERVISOR)
    code, _ = pending_closure(bot, "UCM1")
    open_home(bot, "USUP")
    home = published(bot)["view"]
    [review] = buttons(home, Action.REVIEW_CLOSURE)

    request = block_actions(
        SIGNING_SECRET,
        user_id="USUP",
        actions=[{"action_id": Action.REVIEW_CLOSURE, "value": review["value"]}],
        view={"type": "home", "id": "VHOMEUSUP"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    modal = bot.slack.wait_for("views.open")[-1].params["view"]
    assert modal["callback_id"] == ViewId.CLOSURE_REVIEW and code in json.dumps(
        modal["blocks"], ensure_ascii=False
    )
    status, body = submit(
        bot,
        "USUP",
        ViewId.CLOSURE_REVIEW,
        state(
            decision={"type": "radio_buttons", "selected_option": {"value": "approve"}}, comment=text(None)
        ),
        view_id="VREVIEWHOME",
        private_metadata=modal["private_metadata"],
    )
    assert status == 200 and "response_action" not in body  # the modal closes
    again = published(bot, 2)
    assert again["user_id"] == "USUP"
    assert buttons(again["view"], Action.REVIEW_CLOSURE) == []  # nothing left to review
    assert code not in blocks_text(again["view"])


def test_150_cases_are_paged_and_the_page_button_publishes_the_next_page(bot):
    add_staff(bot, "UCM1")
    started = time.monotonic()
    codes = open_cases(bot, "UCM1", THIS_WEEK_DAYS, count=150)
    setup = time.monotonic() - started

    started = time.monotonic()
    open_home(bot, "UCM1")
    first = published(bot)["view"]
    first_render = time.monotonic() - started
    assert len(first["blocks"]) <= 100
    on_first = [
        b["block_id"].removeprefix("home.case.")
        for b in first["blocks"]
        if b.get("block_id", "").startswith("home.case.")
    ]
    assert 0 < len(on_first) < 150
    [next_button] = buttons(first, Action.HOME_PAGE)
    assert json.loads(next_button["value"]) == {"page": 1}

    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.HOME_PAGE, "value": next_button["value"]}],
        view=first,
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    second = published(bot, 2)["view"]
    on_second = [
        b["block_id"].removeprefix("home.case.")
        for b in second["blocks"]
        if b.get("block_id", "").startswith("home.case.")
    ]
    assert on_second and not set(on_first) & set(on_second)
    assert set(on_first) | set(on_second) <= set(codes)
    assert [json.loads(b["value"])["page"] for b in buttons(second, Action.HOME_PAGE)] == [0, 2]
    print(f"\n150 cases: setup {setup:.2f}s, first Home published after {first_render:.3f}s")


def test_unregistered_user_gets_a_polite_home(bot):
    assert open_home(bot, "UNOBODY") == 200
    call = published(bot)
    assert call["user_id"] == "UNOBODY"
    assert "등록" in blocks_text(call["view"])


def test_a_timeout_retry_is_ignored_other_retries_republish(bot):
    add_staff(bot, "UCM1")
    assert open_home(bot, "UCM1", event_id="Ev1", retry_num=1, retry_reason="http_timeout") == 200
    time.sleep(0.5)
    assert bot.slack.calls("views.publish") == []
    assert open_home(bot, "UCM1", event_id="Ev1", retry_num=1, retry_reason="connection_failed") == 200
    assert published(bot)["user_id"] == "UCM1"


def test_case_show_opens_a_modal_and_no_chat_message_names_the_client(bot):
    add_staff(bot, "UCM1")
    [code] = open_cases(bot, "UCM1", 0)

    status, _ = command(bot, f"show {code.lower()}", "UCM1")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[0]
    view = opened.params["view"]
    assert view["callback_id"] == ViewId.SHOW and opened.params["trigger_id"]
    assert NAME in json.dumps(view, ensure_ascii=False) and code in json.dumps(view)

    # The View button on the Home opens the same modal.
    open_home(bot, "UCM1")
    home = published(bot)["view"]
    [show] = [b for b in buttons(home, Action.OPEN_SHOW) if json.loads(b["value"])["code"] == code]
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.OPEN_SHOW, "value": show["value"]}],
        view=home,
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    again = bot.slack.wait_for("views.open", count=2)[1].params["view"]
    assert again["callback_id"] == ViewId.SHOW and NAME in json.dumps(again, ensure_ascii=False)

    for call in bot.slack.calls():
        if call.method.startswith("chat.") or call.method == "views.publish":
            assert NAME not in json.dumps(call.params, ensure_ascii=False)


def test_another_teams_user_is_refused_privately(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    [code] = open_cases(bot, "UCM1", 0)
    command(bot, f"show {code}", "UOTHER", channel_id="C0001")
    refusal = answer_to(bot, "UOTHER")
    assert "권한이 없습니다" in refusal["text"]
    assert bot.slack.calls("views.open") == []
    assert NAME not in json.dumps(refusal, ensure_ascii=False)
