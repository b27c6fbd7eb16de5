"""A task's worker (담당 직원) in the plan modal's task rows and in the tasks modal, the Home's plan review
button, and the forms' reading of the worker: valid Block Kit within Slack's limits."""

from __future__ import annotations

from datetime import date

import pytest

from bot.ids import Action
from bot.metadata import CaseRef
from bot.views.blocks import size_of
from bot.views.home import case_buttons
from bot.views.plans import plan_modal
from bot.views.referrals import ResourceChoice
from bot.views.tasks import tasks_modal
from handlers.plans import Rows, parse_plan
from handlers.tasks import parse_workers
from models.enums import CaseStatus, NextStep, Profile, ResourceCategory, ResponsibleParty, Stage, TaskStatus
from models.errors import InvalidInput
from models.services.desk import DeskItem, DueGroup
from models.services.lifecycle import CaseState
from models.services.plans import CircleMember, TaskLine, TaskList
from tests.unit.test_home_views import validate

CODE = "C-2026-0007"
LOCALES = ["ko", "en"]
TEAM = [CircleMember(7, "김사례", True), CircleMember(21, "이동료", False), CircleMember(22, "박동료", False)]
CIRCLE = [
    CircleMember(7, "김사례", True),
    *(CircleMember(20 + i, "가" * 120 + str(i), False) for i in range(6)),
]
MANY = [
    ResourceChoice(i, f"{i:03d}" + "가" * 200, list(ResourceCategory)[i % len(ResourceCategory)])
    for i in range(1, 140)
]


def elements(view: dict) -> dict[str, dict]:
    return {
        element["action_id"]: element
        for block in view["blocks"]
        for element in (block.get("elements") or [block.get("element") or {}])
        if "action_id" in element
    }


def tasks(count: int, worker_id: int | None = None) -> TaskList:
    lines = [
        TaskLine(
            100 + i, "동행 " * 50, 1, ResponsibleParty.WORKER, date(2026, 4, 1), TaskStatus.OPEN, worker_id
        )
        for i in range(count)
    ]
    return TaskList(CODE, 1, lines, CIRCLE)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("count", [1, 20])
def test_the_tasks_modal_has_a_worker_select_of_the_circle_per_task(locale, count):
    view = tasks_modal(locale, tasks(count, worker_id=21))
    validate(view)
    ids = [blk["block_id"] for blk in view["blocks"] if blk["type"] == "input"]
    assert ids == [name for i in range(count) for name in (f"task.{100 + i}", f"worker.{100 + i}")]
    worker = next(blk for blk in view["blocks"] if blk.get("block_id") == "worker.100")
    assert worker["optional"] is True
    values = [o["value"] for o in worker["element"]["options"]]
    assert values == ["0", "7", *(str(20 + i) for i in range(6))]  # none named (the manager's) first
    assert worker["element"]["initial_option"]["value"] == "21"
    assert all(len(o["text"]["text"]) <= 75 for o in worker["element"]["options"])


def test_a_task_with_no_worker_shows_the_case_manager_s_option():
    view = tasks_modal("ko", tasks(1))
    worker = next(blk for blk in view["blocks"] if blk.get("block_id") == "worker.100")
    assert worker["element"]["initial_option"]["value"] == "0"
    assert "사례관리자" in worker["element"]["initial_option"]["text"]["text"]


def test_the_tasks_modal_has_no_worker_select_without_a_circle():
    listed = tasks(1)
    view = tasks_modal("ko", TaskList(listed.code, listed.version, listed.tasks))
    assert [blk["block_id"] for blk in view["blocks"] if blk["type"] == "input"] == ["task.100"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_task_row_of_the_plan_modal_picks_a_worker_within_slack_s_limits(locale):
    view = plan_modal(
        locale,
        Profile.WELFARE_CENTRE,
        CODE,
        date(2026, 3, 2),
        MANY,
        goal_rows=10,
        task_rows=20,
        values={"tasks.3.worker_id": "21"},
        circle=TEAM,
    )
    validate(view)
    assert size_of(view) < 250_000
    picked = elements(view)
    for row in range(20):
        select = picked[f"tasks.{row}.worker_id"]
        assert [o["value"] for o in select["options"]] == ["0", "7", "21", "22"]
    assert picked["tasks.3.worker_id"]["initial_option"]["value"] == "21"  # kept when a row is added
    assert picked["tasks.0.worker_id"]["initial_option"]["value"] == "0"
    # in the row's one actions block (with the responsible party, goal, due date and resource)
    row = next(blk for blk in view["blocks"] if blk.get("block_id") == "tasks.0.picks")
    assert [e["action_id"] for e in row["elements"]][:2] == ["tasks.0.responsible_party", "tasks.0.worker_id"]
    plain = plan_modal(locale, Profile.WELFARE_CENTRE, CODE, date(2026, 3, 2))
    assert "tasks.0.worker_id" not in elements(plain)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_large_circle_with_long_names_keeps_the_plan_modal_under_slack_s_size(locale):
    """The later rows go without a worker select (the case manager's; `/case tasks` gives them out)."""
    view = plan_modal(
        locale,
        Profile.WELFARE_CENTRE,
        CODE,
        date(2026, 3, 2),
        MANY,
        goal_rows=10,
        task_rows=20,
        circle=CIRCLE * 3,
    )
    validate(view)
    assert size_of(view) < 250_000
    rows = [row for row in range(20) if f"tasks.{row}.worker_id" in elements(view)]
    assert rows == list(range(len(rows))) and 1 <= len(rows) < 20


def plan_form(**overrides) -> dict:
    form = {
        "period_start": "2026-03-02",
        "goals.0.domain": "ECONOMIC",
        "goals.0.description": "주거비 체납 해소",
        "goals.0.indicator": "체납 개월 수",
        "goals.0.target": "0개월",
        "goals.0.target_date": "2026-07-01",
        "tasks.0.action": "주거급여 신청 동행",
        "tasks.0.responsible_party": "WORKER",
        "tasks.0.due_date": "2026-03-20",
        "tasks.0.goal_index": "1",
    }
    form.update(overrides)
    return form


def test_parse_plan_reads_the_task_worker():
    assert parse_plan(plan_form(**{"tasks.0.worker_id": "21"}), Rows()).tasks[0].worker_id == 21
    assert parse_plan(plan_form(**{"tasks.0.worker_id": "0"}), Rows()).tasks[0].worker_id is None
    assert parse_plan(plan_form(), Rows()).tasks[0].worker_id is None
    with pytest.raises(InvalidInput) as caught:  # not a staff id: said on the row's first input
        parse_plan(plan_form(**{"tasks.0.worker_id": "x"}), Rows())
    assert set(caught.value.errors) == {"tasks.0.action"}


def test_parse_workers_reads_the_worker_selects():
    form = {"task.5": "DONE", "worker.5": "21", "worker.6": "0", "worker.7": None, "other": "9"}
    assert parse_workers(form) == {5: 21, 6: None}
    with pytest.raises(InvalidInput) as caught:
        parse_workers({"worker.5": "someone", "worker.6": ["21"]})
    assert set(caught.value.errors) == {"worker.5", "worker.6"}


def desk_item(*, review_due: bool, status: CaseStatus = CaseStatus.ACTIVE) -> DeskItem:
    return DeskItem(
        code=CODE,
        status=status,
        state=CaseState(Stage.MONITORING, NextStep.LOG_CONTACT),
        next_due_on=None,
        intensity=None,
        crisis=False,
        group=DueGroup.LATER,
        review_due=review_due,
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_home_offers_the_plan_review_when_it_is_due(locale):
    buttons = case_buttons(desk_item(review_due=True), locale)
    [review] = [button for button in buttons if button["action_id"] == Action.OPEN_PLAN_REVIEW]
    assert CaseRef.read(review["value"]) == CaseRef(code=CODE)
    assert review["text"]["text"] == {"ko": "계획 점검", "en": "Plan review"}[locale]
    assert Action.OPEN_PLAN_REVIEW not in [
        b["action_id"] for b in case_buttons(desk_item(review_due=False), locale)
    ]
