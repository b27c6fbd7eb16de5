"""Working the plan in force: `/case tasks CODE` (과업) with a status and a worker per task, the Home's
task status select, a task nudge's "mark done" button, and the plan review (계획 점검) that
`/case review CODE`, the App Home and a PLAN_REVIEW nudge open."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef, PlanReviewRef, TaskPick
from bot.views.blocks import section
from bot.views.tasks import (
    plan_review_done_modal,
    plan_review_modal,
    review_block_ids,
    tasks_done_modal,
    tasks_modal,
)
from handlers.common import Invocation, submit_once
from handlers.home import publish_home
from models.enums import Surface, TaskStatus
from models.errors import DomainError, InvalidInput, Message
from models.schemas import PlanReviewInput
from models.services import plans
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("tasks")(open_tasks_command)
    on.action(Action.OPEN_TASKS, lazy=[open_tasks_button])
    on.view(View.TASKS, ack=submit_tasks)
    on.action(Action.TASK_STATUS, lazy=[task_status_from_home])
    on.action(Action.TASK_DONE, lazy=[task_done_from_nudge])
    on.subcommand("review")(open_review_command)
    on.action(Action.OPEN_PLAN_REVIEW, lazy=[open_review_button])
    on.view(View.PLAN_REVIEW, ack=submit_review)


# ------------------------------------------------------------------ the tasks modal


def _tasks_view(turn: Turn, ctx: Ctx, code: str) -> dict:
    with turn.uow() as db:
        listed = plans.case_tasks(db, ctx, code)
    return tasks_modal(turn.locale, listed)


def open_tasks_command(call: Invocation) -> None:
    code = call.code("tasks")
    if code is None:
        return
    call.open_modal(_tasks_view(call.turn, call.ctx(), code))  # a refusal is told privately


def open_tasks_button(turn: Turn) -> None:
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        return  # not a button this app made
    view = _tasks_view(turn, turn.ctx(Surface.BUTTON), clicked.code)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def _task_blocks(view: dict) -> list[str]:
    return [str(block["block_id"]) for block in view.get("blocks") or [] if block.get("type") == "input"]


def parse_statuses(form: dict[str, Any]) -> dict[int, TaskStatus]:
    """{task id: status} from the `task.<id>` selects; anything else is a field error under it."""
    chosen: dict[int, TaskStatus] = {}
    errors: dict[str, Message] = {}
    for block_id, value in form.items():
        prefix, _, number = block_id.partition(".")
        if prefix != "task" or not number.isdecimal() or len(number) > 10:
            continue
        if value not in TaskStatus.__members__:
            errors[block_id] = Message("tasks.errors.choose_status")
            continue
        chosen[int(number)] = TaskStatus(value)
    if errors:
        raise InvalidInput(errors)
    return chosen


def parse_workers(form: dict[str, Any]) -> dict[int, int | None]:
    """{task id: worker's staff id, None for the case manager} from the `worker.<id>` selects (left
    unpicked: unchanged); the core checks the worker is of the case's circle."""
    chosen: dict[int, int | None] = {}
    errors: dict[str, Message] = {}
    for block_id, value in form.items():
        prefix, _, number = block_id.partition(".")
        if prefix != "worker" or not number.isdecimal() or len(number) > 10 or value is None:
            continue
        if not isinstance(value, str) or not value.isdecimal() or len(value) > 10:
            errors[block_id] = Message("tasks.errors.choose_worker")
            continue
        chosen[int(number)] = int(value) or None  # "0": the case manager's (none named)
    if errors:
        raise InvalidInput(errors)
    return chosen


def submit_tasks(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # a forged metadata finds no case: "not found" under the first task
    blocks = _task_blocks(turn.view) or ["task"]

    def parse(form: dict[str, Any], ctx: Ctx) -> tuple[dict[int, TaskStatus], dict[int, int | None]]:
        errors: dict[str, Message] = {}
        statuses: dict[int, TaskStatus] = {}
        workers: dict[int, int | None] = {}
        try:
            statuses = parse_statuses(form)
        except InvalidInput as error:
            errors.update(error.errors)
        try:
            workers = parse_workers(form)
        except InvalidInput as error:
            errors.update(error.errors)
        if errors:
            raise InvalidInput(errors)
        return statuses, workers

    def work(
        db: Session, ctx: Ctx, data: tuple[dict[int, TaskStatus], dict[int, int | None]]
    ) -> dict[str, object]:
        statuses, workers = data
        try:
            changed = plans.set_task_statuses(db, ctx, code, statuses, workers)
        except InvalidInput as error:  # `task.<id>` / `worker.<id>` is the block of that task's select
            raise InvalidInput(
                {name if name in blocks else blocks[0]: m for name, m in error.errors.items()}
            ) from None
        return {"code": code, "changed": changed}

    outcome = submit_once(turn, blocks=blocks, parse=parse, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    turn.ack(
        response_action="update",
        view=tasks_done_modal(turn.locale, str(result["code"]), int(str(result["changed"]))),
    )


# ------------------------------------------------------------------ the Home's select, the nudge's button


def _set(turn: Turn, pick: TaskPick) -> tuple[str, int] | None:
    """Change one task; returns (case code, task number) or None after telling the person why not."""
    ctx = turn.ctx(Surface.APP_HOME if turn.from_home else Surface.BUTTON)
    try:
        with turn.uow() as db:
            task = plans.set_task_status(db, ctx, pick.task_id, pick.status)
            return plans.task_label(db, task)
    except DomainError as error:
        _tell(turn, error.text(turn.locale))
        return None


def _tell(turn: Turn, text: str) -> None:
    if not turn.respond_privately(text):
        turn.tell(text)


def task_status_from_home(turn: Turn) -> None:
    if turn.actor is None:
        return
    pick = TaskPick.read((turn.action.get("selected_option") or {}).get("value"))
    if pick is None:
        return  # not an option this app made
    if _set(turn, pick) is not None and turn.from_home:
        publish_home(turn, page=0)  # the Home shows the task's new status (or leaves it out when closed)


def task_done_from_nudge(turn: Turn) -> None:
    if turn.actor is None:
        return
    pick = TaskPick.read(turn.action.get("value"))
    if pick is None:
        return
    done = _set(turn, pick)
    if done is None:
        return
    code, _number = done
    text = t("tasks.nudge.marked", turn.locale, code=code)
    if not turn.answer_in_place(text, [section(text)]):
        turn.tell(text)


# ------------------------------------------------------------------ the plan review


def open_review_command(call: Invocation) -> None:
    """`/case review CODE` (계획점검): the review of the plan in force, whenever it is held (the case
    manager, a co-worker or a supervisor; not only from the PLAN_REVIEW nudge)."""
    code = call.code("review")
    if code is None:
        return
    with call.turn.uow() as db:
        shown = plans.start_review(db, call.ctx(), code)
    call.open_modal(plan_review_modal(call.locale, shown))  # a refusal is told privately


def open_review_button(turn: Turn) -> None:
    """The PLAN_REVIEW nudge's and the App Home's button: the review of the plan in force (not a new
    plan version)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        return
    with turn.uow() as db:
        shown = plans.start_review(db, turn.ctx(Surface.BUTTON), clicked.code)
    turn.client.views_open(trigger_id=turn.trigger_id, view=plan_review_modal(turn.locale, shown))


def _goal_count(view: dict) -> int:
    ids = {str(block.get("block_id")) for block in view.get("blocks") or []}
    return sum(1 for row in range(100) if f"goals.{row}.progress" in ids)


def submit_review(turn: Turn) -> None:
    meta = PlanReviewRef.read(turn.view.get("private_metadata"))
    goals = _goal_count(turn.view)
    blocks = review_block_ids(goals) or ["goals.0.progress"]
    code, plan_id = (meta.code, meta.plan_id) if meta else ("", 0)

    goal_ids = list(meta.goal_ids) if meta else []

    def parse(form: dict[str, Any], ctx: Ctx) -> PlanReviewInput:
        # The goal of each row is the one the modal showed (its metadata); the core checks it is a goal
        # of the plan in force.
        entries = []
        for row in range(min(goals, len(goal_ids))):
            entry = {"goal_id": goal_ids[row], "progress": form.get(f"goals.{row}.progress")}
            if form.get(f"goals.{row}.comment"):
                entry["comment"] = form.get(f"goals.{row}.comment")
            entries.append(entry)
        return PlanReviewInput.model_validate({"goals": entries})

    def work(db: Session, ctx: Ctx, data: PlanReviewInput) -> dict[str, object]:
        plan = plans.review_by_code(db, ctx, code, plan_id, data)
        return {"code": code, "next": plan.review_due.isoformat() if plan.review_due else None}

    outcome = submit_once(turn, blocks=blocks, parse=parse, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    following = result.get("next")
    next_review = date.fromisoformat(str(following)) if following else None
    turn.ack(
        response_action="update", view=plan_review_done_modal(turn.locale, str(result["code"]), next_review)
    )
