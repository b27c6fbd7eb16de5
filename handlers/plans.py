"""`/case plan CODE` (계획): the service-plan modal, its submission once per view, and the agree button."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.errors import loggable
from bot.forms import read_state
from bot.i18n import t
from bot.ids import Action, View
from bot.views.plans import GOAL_ROWS, TASK_ROWS, YES, plan_done_blocks, plan_done_modal, plan_modal
from bot.views.referrals import ResourceChoice, loading_modal, notice_modal
from handlers.common import (
    Invocation,
    button_value,
    clicked_in,
    conversation_id,
    metadata,
    record_id,
    subcommand,
    submit_once,
)
from models.case import Case
from models.enums import ConsentMethod, Surface
from models.errors import DomainError, InvalidInput, Message, invalid_input_from
from models.schemas import PlanInput
from models.services import access, idempotency, plans, resources
from models.services.cases import require_open
from models.services.context import Ctx
from models.services.lifecycle import snapshot

log = logging.getLogger("casebot")

GOAL_FIELDS = ("domain", "description", "indicator", "baseline", "target", "target_date")
TASK_FIELDS = ("action", "responsible_party", "resource_id", "due_date", "goal_index")
# The first block is where a refusal of the whole plan (e.g. no completed assessment) is shown.
BLOCKS = [
    "period_start",
    "period_end",
    *(f"goals.{row}.{name}" for row in range(GOAL_ROWS) for name in GOAL_FIELDS),
    *(f"tasks.{row}.{name}" for row in range(TASK_ROWS) for name in TASK_FIELDS),
    "agreed",
    "agreement_method",
]
ALIASES = {"goals": "goals.0.description", "tasks": "tasks.0.action"}


def register(app: App) -> None:
    app.view(View.PLAN)(submit_plan)
    app.action(Action.OPEN_PLAN)(open_plan_button)
    app.action(Action.AGREE_PLAN)(agree_plan)


# ------------------------------------------------------------------ opening


@subcommand("plan", "계획")
def open_plan_command(call: Invocation) -> None:
    code = call.code("plan")
    if code is None:
        return
    open_plan(
        call.client,
        call.context,
        trigger_id=call.command["trigger_id"],
        code=code,
        channel_id=call.command.get("channel_id"),
        surface=Surface.SLASH_COMMAND,
    )


def open_plan_button(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    code = str(button_value(action).get("code") or "")
    channel = clicked_in(body)
    open_plan(
        client, context, trigger_id=body["trigger_id"], code=code, channel_id=channel, surface=Surface.BUTTON
    )


def open_plan(
    client: WebClient,
    context: BoltContext,
    *,
    trigger_id: str,
    code: str,
    channel_id: str | None,
    surface: Surface,
) -> None:
    """Open a modal at once (the trigger id lasts 3 s), then put the form or the refusal in it."""
    locale = context["locale"]
    title = t("plans.modal.title", locale)
    opened = client.views_open(
        trigger_id=trigger_id, view=loading_modal(title, t("plans.modal.loading", locale))
    )
    if context["actor"] is None:
        view = notice_modal(title, t("common.not_staff", locale), t("plans.modal.close", locale))
    else:
        ctx: Ctx = context["ctx_for"](surface)
        try:
            with context["uow"]() as db:
                case = access.load_case(db, ctx, code, purpose="plan")
                require_open(case)
                choices = [ResourceChoice(r.id, r.name, r.category) for r in resources.by_category(db)]
                waiting = snapshot(db, case).draft_plan
                draft = (waiting.id, waiting.version) if waiting is not None else None
                code = case.code
            view = plan_modal(
                locale, ctx.policy.profile, code, ctx.today, choices, channel_id=channel_id, draft=draft
            )
        except DomainError as error:
            view = notice_modal(title, error.text(locale), t("plans.modal.close", locale))
    client.views_update(view_id=opened["view"]["id"], hash=opened["view"].get("hash"), view=view)


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
            mapped.setdefault(".".join(parts), message)
        return mapped


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what was not given, so that pydantic reports it as missing."""
    return {key: value for key, value in values.items() if value is not None}


def parse_plan(form: dict[str, Any], rows: Rows) -> PlanInput:
    """The modal's values as the core's input. Goal row 1 always counts; rows 2-3 and tasks if filled."""
    rows.goals[:] = [0] + [r for r in range(1, GOAL_ROWS) if form.get(f"goals.{r}.description")]
    rows.tasks[:] = [r for r in range(TASK_ROWS) if form.get(f"tasks.{r}.action")]
    own: dict[str, Message] = {}
    goals = [_present({name: form.get(f"goals.{row}.{name}") for name in GOAL_FIELDS}) for row in rows.goals]
    tasks = []
    for row in rows.tasks:
        p = f"tasks.{row}."
        task = _present({name: form.get(p + name) for name in TASK_FIELDS if name != "goal_index"})
        number = form.get(p + "goal_index")
        if number:
            goal_row = int(number) - 1 if number.isdecimal() and len(number) < 4 else -1  # offered: 1..3
            if goal_row in rows.goals:
                task["goal_index"] = rows.goals.index(goal_row)
            else:
                own[p + "goal_index"] = Message(
                    t("plans.errors.goal_row_empty", "ko", number=number),
                    t("plans.errors.goal_row_empty", "en", number=number),
                )
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


def submit_plan(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale = context["locale"]
    meta = metadata(view)
    code = str(meta.get("code") or "")
    rows = Rows()
    chosen_method = _chosen_method(view)
    outcome = submit_once(
        ack,
        view,
        context,
        blocks=BLOCKS,
        aliases=ALIASES,
        parse=lambda form, ctx: parse_plan(form, rows),
        work=lambda db, ctx, data: _create(db, ctx, code, data, rows, chosen_method),
    )
    if outcome is None:
        return
    result, first_time = outcome
    plan_id, version = int(str(result["plan_id"])), int(str(result["version"]))
    agreed, method = bool(result["agreed"]), ConsentMethod(str(result["method"]))
    channel = conversation_id(meta.get("channel"))
    ack(
        response_action="update",
        view=plan_done_modal(
            locale, code, plan_id=plan_id, version=version, agreed=agreed, method=method, channel_id=channel
        ),
    )
    if first_time and channel:
        status = t("plans.done." + ("agreed" if agreed else "draft"), locale)
        try:
            client.chat_postEphemeral(
                channel=channel,
                user=context.user_id,
                text=t("plans.done.message", locale, code=code, version=version, status=status),
                blocks=plan_done_blocks(
                    locale, code, plan_id=plan_id, version=version, agreed=agreed, method=method
                ),
            )
        except Exception as error:  # the plan is saved; the modal already said so
            log.warning("could not post the plan confirmation\n%s", loggable(error))


def _chosen_method(view: dict) -> str:
    chosen = read_state(view).get("agreement_method")  # read_state copes with any shape of state
    return chosen if chosen in ConsentMethod.__members__ else ConsentMethod.WRITTEN.value


# ------------------------------------------------------------------ the "client agreed" button


def agree_plan(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    locale = context["locale"]
    if context["actor"] is None:
        return answer_privately(client, body, context, t("common.not_staff", locale))
    value = button_value(action)
    plan_id, chosen = record_id(value, "plan_id"), value.get("method")
    if not plan_id:
        return  # not a button this app made
    offered = isinstance(chosen, str) and chosen in ConsentMethod.__members__
    method = ConsentMethod(chosen) if offered else ConsentMethod.WRITTEN
    ctx: Ctx = context["ctx_for"](Surface.BUTTON)

    def agree(db: Session) -> dict[str, object]:
        plan = plans.agree(db, ctx, plan_id, method)
        code = db.get_one(Case, plan.case_id).code  # the case's own code, not what the button says
        return {"plan_id": plan.id, "version": plan.version, "code": code}

    try:
        # Keyed by plan: two clicks racing each other cannot both agree (the key is unique).
        result, first_time = idempotency.once(context["uow"], f"plan_agree:{plan_id}", agree)
    except DomainError as error:
        return answer_privately(client, body, context, error.text(locale))
    if not first_time:
        return answer_privately(client, body, context, t("plans.done.already", locale))
    version, code = int(str(result["version"])), str(result.get("code") or value.get("code") or "")
    view = body.get("view")
    if view:
        client.views_update(
            view_id=view["id"],
            view=plan_done_modal(
                locale,
                code,
                plan_id=plan_id,
                version=version,
                agreed=True,
                method=method,
                channel_id=metadata(view).get("channel"),
            ),
        )
        return
    text = t("plans.done.agreed_now", locale, code=code, version=version)
    if body.get("response_url"):
        respond(
            replace_original=True,
            text=text,
            blocks=plan_done_blocks(
                locale, code, plan_id=plan_id, version=version, agreed=True, method=method
            ),
        )
    else:
        answer_privately(client, body, context, text)


def answer_privately(client: WebClient, body: dict, context: BoltContext, text: str) -> None:
    """An ephemeral answer where the click happened, or a note in the modal it came from."""
    view = body.get("view")
    channel = (
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or (metadata(view).get("channel") if view else None)
    )
    if channel:
        client.chat_postEphemeral(channel=channel, user=context.user_id, text=text)
    elif view:
        locale = context["locale"]
        client.views_update(
            view_id=view["id"],
            view=notice_modal(t("plans.done.title", locale), text, t("plans.modal.close", locale)),
        )
