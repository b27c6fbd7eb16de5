"""`/case plan CODE` (계획): the service-plan modal, its submission once per view, and the agree button."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.errors import loggable
from bot.forms import read_elements, read_state
from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseInChannel, CaseRef, ChannelRef, PlanAgreement
from bot.views.plans import (
    GOAL_INPUTS,
    GOAL_PICKS,
    MAX_GOAL_ROWS,
    MAX_TASK_ROWS,
    TASK_INPUTS,
    TASK_PICKS,
    UNASSIGNED,
    YES,
    plan_done_blocks,
    plan_done_modal,
    plan_modal,
    rows_shown,
)
from bot.views.referrals import ResourceChoice, loading_modal, notice_modal
from handlers.common import Invocation, clicked_in, submit_once
from models.enums import ConsentMethod, Surface
from models.errors import DomainError, InvalidInput, Message, invalid_input_from
from models.schemas import PlanInput
from models.services import idempotency, plans, resources
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")

GOAL_FIELDS = ("domain", "description", "indicator", "baseline", "target", "target_date")
TASK_FIELDS = ("action", "responsible_party", "worker_id", "resource_id", "due_date", "goal_index")
# The input blocks of a form with every row; the first is where a refusal of the whole plan (e.g. no
# completed assessment) is shown. Fields picked in a row's actions block are shown on the row's first
# input (`Rows.to_blocks`).
BLOCKS = [
    "period_start",
    "period_end",
    *(f"goals.{row}.{name}" for row in range(MAX_GOAL_ROWS) for name in GOAL_INPUTS),
    *(f"tasks.{row}.{name}" for row in range(MAX_TASK_ROWS) for name in TASK_INPUTS),
    "agreed",
    "agreement_method",
]
ALIASES = {"goals": "goals.0.description", "tasks": "tasks.0.action"}
# A row's selects and date pickers (in an actions block): Slack sends a block action for each pick,
# which needs only an ack.
PICKS = re.compile(rf"^(goals|tasks)\.\d{{1,2}}\.({'|'.join((*GOAL_PICKS, *TASK_PICKS))})$")


def register(on: Listeners) -> None:
    on.subcommand("plan")(open_plan_command)
    on.view(View.PLAN, ack=submit_plan, lazy=[confirm_plan])
    on.action(Action.OPEN_PLAN, lazy=[open_plan_button])
    on.action(Action.AGREE_PLAN, lazy=[agree_plan])
    on.action(Action.PLAN_ADD_GOAL, lazy=[add_goal_row])
    on.action(Action.PLAN_ADD_TASK, lazy=[add_task_row])
    on.action(PICKS)  # acked, nothing else: the form is read when it is submitted


# ------------------------------------------------------------------ opening


def open_plan_command(call: Invocation) -> None:
    code = call.code("plan")
    if code is None:
        return
    open_plan(call.turn, code=code, channel_id=call.command.get("channel_id"), surface=Surface.SLASH_COMMAND)


def open_plan_button(turn: Turn) -> None:
    clicked = CaseRef.read(turn.action.get("value"))
    code = clicked.code if clicked else ""  # no case has code "": the core's "not found" in the modal
    open_plan(turn, code=code, channel_id=clicked_in(turn.body), surface=Surface.BUTTON)


def open_plan(turn: Turn, *, code: str, channel_id: str | None, surface: Surface) -> None:
    """Open a modal at once (the trigger id lasts 3 s), then put the form or the refusal in it."""
    locale, client = turn.locale, turn.client
    title = t("plans.modal.title", locale)
    opened = client.views_open(
        trigger_id=turn.trigger_id, view=loading_modal(title, t("plans.modal.loading", locale))
    )
    if turn.actor is None:
        view = notice_modal(title, t("common.not_staff", locale), t("plans.modal.close", locale))
    else:
        ctx = turn.ctx(surface)
        try:
            with turn.uow() as db:
                start = plans.start_plan(db, ctx, code)
                choices = [ResourceChoice(r.id, r.name, r.category) for r in resources.by_category(db)]
            view = plan_modal(
                locale,
                ctx.profile,
                start.code,
                ctx.today,
                choices,
                channel_id=channel_id,
                draft=start.draft,
                circle=start.circle,
            )
        except DomainError as error:
            view = notice_modal(title, error.text(locale), t("plans.modal.close", locale))
    client.views_update(view_id=opened["view"]["id"], hash=opened["view"].get("hash"), view=view)


def add_goal_row(turn: Turn) -> None:
    _add_row(turn, goals=1)


def add_task_row(turn: Turn) -> None:
    _add_row(turn, tasks=1)


def _add_row(turn: Turn, *, goals: int = 0, tasks: int = 0) -> None:
    """Slack cannot add an input to an open modal: the form is rebuilt with one more row, with what was
    typed so far as its initial values (block and action ids unchanged, so Slack keeps them too)."""
    view = turn.view
    meta = CaseInChannel.read(view.get("private_metadata")) if view else None
    if not view or meta is None or turn.actor is None:
        return  # not a plan form this app made
    locale = turn.locale
    goal_rows, task_rows = rows_shown(view)
    typed = {**read_state(view), **read_elements(view)}
    ctx = turn.ctx(Surface.MODAL)
    try:
        with turn.uow() as db:
            start = plans.start_plan(db, ctx, meta.code)
            choices = [ResourceChoice(r.id, r.name, r.category) for r in resources.by_category(db)]
    except DomainError as error:
        return answer_privately(turn, error.text(locale))
    updated = plan_modal(
        locale,
        ctx.policy.profile,
        start.code,
        ctx.today,
        choices,
        channel_id=meta.channel,
        draft=start.draft,
        goal_rows=max(goal_rows, 1) + goals,
        task_rows=task_rows + tasks,
        values=typed,
        circle=start.circle,
    )
    turn.client.views_update(view_id=view["id"], view=updated)


# ------------------------------------------------------------------ submission


@dataclass
class Rows:
    """Which modal row each list entry came from, so the core's `goals.1.x` finds its row again."""

    goals: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)

    def to_blocks(self, errors: dict[str, Message]) -> dict[str, Message]:
        mapped: dict[str, Message] = {}
        for name, message in errors.items():
            parts = name.split(".")
            if len(parts) >= 2 and parts[1].isdigit() and parts[0] in ("goals", "tasks"):
                rows = self.goals if parts[0] == "goals" else self.tasks
                index = int(parts[1])
                if index < len(rows):
                    parts[1] = str(rows[index])
                if len(parts) >= 3 and parts[2] in (*GOAL_PICKS, *TASK_PICKS):
                    parts[2:] = [GOAL_INPUTS[0] if parts[0] == "goals" else TASK_INPUTS[0]]
            mapped.setdefault(".".join(parts), message)
        return mapped


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what was not given, so that pydantic reports it as missing."""
    return {key: value for key, value in values.items() if value is not None}


def parse_plan(form: dict[str, Any], rows: Rows) -> PlanInput:
    """The modal's values as the core's input. Goal row 1 always counts; the other rows if filled."""
    rows.goals[:] = [0] + [r for r in range(1, MAX_GOAL_ROWS) if form.get(f"goals.{r}.description")]
    rows.tasks[:] = [r for r in range(MAX_TASK_ROWS) if form.get(f"tasks.{r}.action")]
    own: dict[str, Message] = {}
    # Picked in an actions block, which Slack does not check: a missing one is said on the row.
    for row in rows.goals:
        p = f"goals.{row}."
        if not form.get(p + "domain"):
            own[p + "description"] = Message("plans.errors.choose_domain", number=row + 1)
        elif not form.get(p + "target_date"):
            own[p + "description"] = Message("plans.errors.choose_target_date", number=row + 1)
    for row in rows.tasks:
        if not form.get(f"tasks.{row}.due_date"):
            own[f"tasks.{row}.action"] = Message("plans.errors.choose_due", number=row + 1)
    goals = [_present({name: form.get(f"goals.{row}.{name}") for name in GOAL_FIELDS}) for row in rows.goals]
    tasks = []
    for row in rows.tasks:
        p = f"tasks.{row}."
        task = _present({name: form.get(p + name) for name in TASK_FIELDS if name != "goal_index"})
        if task.get("worker_id") == UNASSIGNED:
            del task["worker_id"]  # the case manager's (none named)
        number = form.get(p + "goal_index")
        if number:
            goal_row = int(number) - 1 if number.isdecimal() and len(number) < 4 else -1  # offered: 1..rows
            if goal_row in rows.goals:
                task["goal_index"] = rows.goals.index(goal_row)
            else:
                own[p + "action"] = Message("plans.errors.goal_row_empty", number=number)
        tasks.append(task)
    agreed = YES in (form.get("agreed") or [])
    values = {
        "goals": goals,
        "tasks": tasks,
        "period_start": form.get("period_start"),
        "period_end": form.get("period_end"),
        "agreed": agreed,
        "agreement_method": form.get("agreement_method") if agreed else None,
    }
    try:
        data = PlanInput.model_validate(_present(values))
    except ValidationError as error:
        raise InvalidInput({**rows.to_blocks(invalid_input_from(error).errors), **own}) from None
    if own:
        raise InvalidInput(own)
    return data


def _create(db: Session, ctx: Ctx, code: str, data: PlanInput, rows: Rows, method: str) -> dict[str, object]:
    try:
        plan = plans.create_plan(db, ctx, code, data)
    except InvalidInput as error:
        raise InvalidInput(rows.to_blocks(error.errors)) from None
    return {
        "plan_id": plan.id,
        "code": code,
        "version": plan.version,
        "agreed": data.agreed,
        # The method the worker chose, for the "client agreed" button if the plan waits for agreement.
        "method": data.agreement_method.value if data.agreement_method else method,
    }


def submit_plan(turn: Turn) -> None:
    """Saved once per view in the ack (field errors come back inline); the confirmation is lazy."""
    locale, view = turn.locale, turn.view
    meta = CaseInChannel.read(view.get("private_metadata"))
    # A stale or forged metadata finds no case (code ""): the core's "not found" under the first field.
    code, channel = (meta.code, meta.channel) if meta else ("", None)
    rows = Rows()
    chosen_method = _chosen_method(view)
    picked = read_elements(view)  # the rows' selects and date pickers (actions blocks)
    outcome = submit_once(
        turn,
        blocks=BLOCKS,
        aliases=ALIASES,
        parse=lambda form, ctx: parse_plan({**picked, **form}, rows),
        work=lambda db, ctx, data: _create(db, ctx, code, data, rows, chosen_method),
    )
    if outcome is None:
        return
    result, first_time = outcome
    plan_id, version = int(str(result["plan_id"])), int(str(result["version"]))
    agreed, method = bool(result["agreed"]), ConsentMethod(str(result["method"]))
    turn.ack(
        response_action="update",
        view=plan_done_modal(
            locale, code, plan_id=plan_id, version=version, agreed=agreed, method=method, channel_id=channel
        ),
    )
    if first_time and channel:
        turn.pass_on(
            channel=channel, code=code, plan_id=plan_id, version=version, agreed=agreed, method=method.value
        )


def confirm_plan(turn: Turn) -> None:
    """The private confirmation in the channel the plan was opened from, once per saved plan."""
    done = turn.outcome
    if done is None:
        return
    locale, code = turn.locale, str(done["code"])
    plan_id, version, agreed = int(done["plan_id"]), int(done["version"]), bool(done["agreed"])
    method = ConsentMethod(str(done["method"]))
    status = t("plans.done." + ("agreed" if agreed else "draft"), locale)
    try:
        turn.tell_in(  # the bot's DM where it is not in that channel
            str(done["channel"]),
            t("plans.done.message", locale, code=code, version=version, status=status),
            plan_done_blocks(locale, code, plan_id=plan_id, version=version, agreed=agreed, method=method),
        )
    except Exception as error:  # the plan is saved; the modal already said so
        log.warning("could not post the plan confirmation\n%s", loggable(error))


def _chosen_method(view: dict) -> str:
    chosen = read_state(view).get("agreement_method")  # read_state copes with any shape of state
    return chosen if chosen in ConsentMethod.__members__ else ConsentMethod.WRITTEN.value


# ------------------------------------------------------------------ the "client agreed" button


def agree_plan(turn: Turn) -> None:
    locale = turn.locale
    if turn.actor is None:
        return answer_privately(turn, t("common.not_staff", locale))
    clicked = PlanAgreement.read(turn.action.get("value"))
    if clicked is None:
        return  # not a button this app made
    plan_id, method = clicked.plan_id, clicked.method
    ctx = turn.ctx(Surface.BUTTON)

    def agree(db: Session) -> dict[str, object]:
        plan = plans.agree(db, ctx, plan_id, method)
        # the case's own code, not what the button says
        return {"plan_id": plan.id, "version": plan.version, "code": plans.case_code_of(db, plan)}

    try:
        # Keyed by plan: two clicks racing each other cannot both agree (the key is unique).
        result, first_time = idempotency.once(turn.uow, f"plan_agree:{plan_id}", agree)
    except DomainError as error:  # answered where clicked, or in the modal the button is in
        return answer_privately(turn, error.text(locale))
    if not first_time:
        return answer_privately(turn, t("plans.done.already", locale))
    version, code = int(str(result["version"])), str(result.get("code") or clicked.code)
    view = turn.view
    if view:
        turn.client.views_update(
            view_id=view["id"],
            view=plan_done_modal(
                locale,
                code,
                plan_id=plan_id,
                version=version,
                agreed=True,
                method=method,
                channel_id=_opened_in(view),
            ),
        )
        return
    text = t("plans.done.agreed_now", locale, code=code, version=version)
    blocks = plan_done_blocks(locale, code, plan_id=plan_id, version=version, agreed=True, method=method)
    if not turn.answer_in_place(text, blocks):
        answer_privately(turn, text)


def _opened_in(view: dict) -> str | None:
    """The channel the plan modal or its done modal was opened from (their metadata), if any."""
    text = view.get("private_metadata")
    meta = CaseInChannel.read(text) or ChannelRef.read(text)
    return meta.channel if meta else None


def answer_privately(turn: Turn, text: str) -> None:
    """An ephemeral answer where the click happened, or a note in the modal it came from."""
    view = turn.view
    if turn.respond_privately(text):
        return
    channel = turn.channel_id or (_opened_in(view) if view else None)
    if channel:
        turn.tell_in(channel, text)
    elif view:
        locale = turn.locale
        turn.client.views_update(
            view_id=view["id"],
            view=notice_modal(t("plans.done.title", locale), text, t("plans.modal.close", locale)),
        )
