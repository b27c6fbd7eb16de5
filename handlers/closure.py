"""Closure (평가·종결) with the supervisor's sign-off, and after-care checks (사후관리).

`/case close CODE` → the closure modal → a PENDING closure, and a DM to every active supervisor of the
team with approve/return buttons. A decision updates that DM in place and tells the case manager.
`/case aftercare CODE` → the next open after-care check of the case.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, cast

from pydantic import BaseModel
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.i18n import t
from bot.ids import Action, View
from bot.notify import dm
from bot.views.closure import (
    AFTERCARE_BLOCKS,
    YES,
    GoalRow,
    aftercare_done_modal,
    aftercare_modal,
    approval_request_blocks,
    close_done_modal,
    close_modal,
    closure_blocks,
    decided_blocks,
    decided_text,
    manager_notice_text,
    return_modal,
)
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
from models.closure import Closure
from models.enums import AfterCareAction, CaseStatus, Surface
from models.errors import DomainError
from models.schemas import AfterCareInput, ClosureInput
from models.services import access
from models.services import closure as closures
from models.services.cases import require_open
from models.services.context import Ctx
from models.services.lifecycle import snapshot
from models.staff import StaffMember

log = logging.getLogger("casebot")
GOAL_BLOCK = re.compile(r"^goal_(\d+)$")


def register(app: App) -> None:
    app.action(Action.OPEN_CLOSE)(open_close_from_button)
    app.view(View.CLOSE)(submit_close)
    app.action(Action.APPROVE_CLOSURE)(approve_closure)
    app.action(Action.RETURN_CLOSURE)(open_return)
    app.view(View.CLOSURE_RETURN)(submit_return)
    app.action(Action.OPEN_AFTERCARE)(open_aftercare_from_button)
    app.view(View.AFTERCARE)(submit_aftercare)


# ---------------------------------------------------------------- shared bits


def tell(client: WebClient, body: dict, user_id: str | None, text: str) -> None:
    """A private answer to a click: ephemeral where it happened, else in the bot's DM."""
    channel = clicked_in(body)
    if channel and user_id:
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    elif user_id:
        client.chat_postMessage(channel=user_id, text=text)


def _value(action: dict) -> dict[str, Any]:
    try:
        value = button_value(action)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _code_of(action: dict) -> str | None:
    code = _value(action).get("code")
    return str(code).strip().upper() if code else None


def _closure_id_of(action: dict) -> int | None:
    closure_id = _value(action).get("closure_id")
    return closure_id if isinstance(closure_id, int) else None


def _message_of(body: dict) -> tuple[str | None, str | None]:
    """Channel and ts of the message a button sits on (the supervisor's DM)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


# ---------------------------------------------------------------- closure request


def _close_view(context: BoltContext, ctx: Ctx, code: str) -> dict | str:
    """The closure modal for a case, or what to tell the user instead."""
    locale = context["locale"]
    with context["uow"]() as db:
        case = access.load_case(db, ctx, code)
        require_open(case)
        snap = snapshot(db, case)
        if snap.pending_closure is not None:
            return t("closure.modal.already_pending", locale, code=case.code)
        plan = snap.plan_in_force
        goals = [
            GoalRow(g.id, g.domain.label(locale), g.indicator, g.target) for g in (plan.goals if plan else [])
        ]
        return close_modal(locale, context["policy"].profile, case.code, goals)


@subcommand("close", "종결")
def open_close(call: Invocation) -> None:
    code = call.code("close")
    if code is None:
        return
    view = _close_view(call.context, call.ctx(), code)
    if isinstance(view, str):
        return call.reply(text=view)
    call.open_modal(view)


def open_close_from_button(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient
) -> None:
    ack()
    _open_from_button(body, action, context, client, _close_view)


def _open_from_button(body: dict, action: dict, context: BoltContext, client: WebClient, build: Any) -> None:
    locale = context["locale"]
    if context["actor"] is None:
        return tell(client, body, context.user_id, t("common.not_staff", locale))
    code = _code_of(action)
    if code is None:
        return
    try:
        view = build(context, context["ctx_for"](Surface.BUTTON), code)
    except DomainError as error:
        return tell(client, body, context.user_id, error.text(locale))
    if isinstance(view, str):
        return tell(client, body, context.user_id, view)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def parse_closure(form: dict[str, Any]) -> ClosureInput:
    attainments = {
        int(match.group(1)): value
        for block_id, value in form.items()
        if (match := GOAL_BLOCK.match(block_id)) and value
    }
    return ClosureInput.model_validate(
        {
            "reason": form.get("reason"),
            "attainments": attainments,
            "client_evaluation": form.get("client_evaluation"),
            "worker_evaluation": form.get("worker_evaluation") or "",
            "client_informed": YES in (form.get("client_informed") or []),
            "aftercare_plan": form.get("aftercare_plan"),
            "handover_target": form.get("handover_target"),
        }
    )


def _supervisors_of(db: Session, case: Case, today: date) -> list[StaffMember]:
    return [db.get_one(StaffMember, staff_id) for staff_id in access.case_supervisors(db, case, today=today)]


def submit_close(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale = context["locale"]
    meta = metadata(view)
    code = str(meta.get("code") or "")
    goals = meta.get("goals")
    goal_ids = [g for g in goals if type(g) is int] if isinstance(goals, list) else []

    def work(db: Session, ctx: Ctx, data: ClosureInput) -> dict[str, object]:
        closure = closures.request_closure(db, ctx, code, data)
        case = db.get_one(Case, closure.case_id)
        return {
            "code": case.code,
            "closure_id": closure.id,
            # Those who see the case: on a restricted case the named, on a school case the approved.
            "supervisors": [[s.slack_user_id, s.locale] for s in _supervisors_of(db, case, ctx.today)],
        }

    outcome = submit_once(
        ack,
        view,
        context,
        blocks=closure_blocks(goal_ids),
        aliases={"attainments": "reason"},
        parse=lambda form, ctx: parse_closure(form),
        work=work,
    )
    if outcome is None:
        return
    result, first_time = outcome
    case_code = str(result["code"])
    ack(response_action="update", view=close_done_modal(locale, case_code))
    if not first_time:
        return
    supervisors = cast(list[list[Any]], result["supervisors"])
    closure_id = cast(int, result["closure_id"])
    for slack_user_id, supervisor_locale in supervisors:
        lang = supervisor_locale or locale
        try:  # one supervisor's DM failing must not keep the others from being asked
            dm(
                client,
                slack_user_id,
                t("closure.dm.pending", lang, code=case_code),
                approval_request_blocks(lang, case_code, closure_id),
            )
        except SlackApiError as error:
            log.error(
                "approval request DM for closure %s failed: %s", closure_id, error.response.get("error")
            )
    if not supervisors and context.user_id:
        dm(client, context.user_id, t("closure.dm.no_supervisor", locale))


# ---------------------------------------------------------------- the supervisor's decision


def _decide(
    db: Session, ctx: Ctx, closure_id: int, *, approve: bool, comment: str | None
) -> dict[str, object]:
    closure: Closure = closures.decide_closure(db, ctx, closure_id, approve=approve, comment=comment)
    case = db.get_one(Case, closure.case_id)
    manager = db.get_one(StaffMember, case.case_manager_id)
    return {"code": case.code, "manager": manager.slack_user_id, "manager_locale": manager.locale}


def _announce(
    client: WebClient,
    locale: str,
    result: dict[str, object],
    *,
    approved: bool,
    supervisor: str,
    channel: str | None,
    ts: str | None,
) -> None:
    """The supervisor's DM says what was decided and by whom; the case manager is told."""
    code = str(result["code"])
    if channel and ts:
        client.chat_update(
            channel=channel,
            ts=ts,
            text=decided_text(locale, code, approved, supervisor),
            blocks=decided_blocks(locale, code, approved, supervisor),
        )
    manager_locale = str(result.get("manager_locale") or locale)
    dm(client, str(result["manager"]), manager_notice_text(manager_locale, code, approved, supervisor))


def approve_closure(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale = context["locale"]
    user = context.user_id
    if context["actor"] is None:
        return tell(client, body, user, t("common.not_staff", locale))
    closure_id = _closure_id_of(action)
    if closure_id is None:
        return
    ctx: Ctx = context["ctx_for"](Surface.BUTTON)
    try:
        with context["uow"]() as db:
            result = _decide(db, ctx, closure_id, approve=True, comment=None)
    except DomainError as error:
        return tell(client, body, user, error.text(locale))
    channel, ts = _message_of(body)
    _announce(client, locale, result, approved=True, supervisor=str(user), channel=channel, ts=ts)


def open_return(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    locale = context["locale"]
    if context["actor"] is None:
        return tell(client, body, context.user_id, t("common.not_staff", locale))
    closure_id = _closure_id_of(action)
    if closure_id is None:
        return
    channel, ts = _message_of(body)
    client.views_open(
        trigger_id=body["trigger_id"], view=return_modal(locale, closure_id, channel=channel, ts=ts)
    )


class ReturnInput(BaseModel):
    comment: str | None = None


def submit_return(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale = context["locale"]
    meta = metadata(view)
    closure_id = record_id(meta, "closure_id")
    outcome = submit_once(
        ack,
        view,
        context,
        blocks=["comment"],
        parse=lambda form, ctx: ReturnInput(comment=form.get("comment")),
        work=lambda db, ctx, data: _decide(db, ctx, closure_id, approve=False, comment=data.comment),
    )
    if outcome is None:
        return
    result, first_time = outcome
    ack()  # closes the modal
    if first_time:
        _announce(
            client,
            locale,
            result,
            approved=False,
            supervisor=str(context.user_id),
            channel=conversation_id(meta.get("channel")),
            ts=meta["ts"] if isinstance(meta.get("ts"), str) else None,
        )


# ---------------------------------------------------------------- after-care


def _aftercare_view(context: BoltContext, ctx: Ctx, code: str) -> dict | str:
    locale = context["locale"]
    with context["uow"]() as db:
        case = access.load_case(db, ctx, code)
        checks = snapshot(db, case).open_aftercare if case.status == CaseStatus.AFTERCARE else []
        if not checks:
            return t("aftercare.none_open", locale, code=case.code)
        return aftercare_modal(locale, case.code, checks[0].id, checks[0].due_on)


@subcommand("aftercare", "사후관리")
def open_aftercare(call: Invocation) -> None:
    code = call.code("aftercare")
    if code is None:
        return
    view = _aftercare_view(call.context, call.ctx(), code)
    if isinstance(view, str):
        return call.reply(text=view)
    call.open_modal(view)


def open_aftercare_from_button(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient
) -> None:
    ack()
    _open_from_button(body, action, context, client, _aftercare_view)


def parse_aftercare(form: dict[str, Any]) -> AfterCareInput:
    return AfterCareInput.model_validate(
        {
            "method": form.get("method"),
            "status": form.get("status"),
            "action": form.get("action") or AfterCareAction.NONE.value,
            "note": form.get("note"),
        }
    )


def submit_aftercare(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale = context["locale"]
    meta = metadata(view)
    check_id = record_id(meta, "check_id")

    def work(db: Session, ctx: Ctx, data: AfterCareInput) -> dict[str, object]:
        check = closures.record_aftercare(db, ctx, check_id, data)
        case = db.get_one(Case, check.case_id)
        return {"code": case.code, "reopened": case.status == CaseStatus.OPEN}

    outcome = submit_once(
        ack,
        view,
        context,
        blocks=AFTERCARE_BLOCKS,
        parse=lambda form, ctx: parse_aftercare(form),
        work=work,
    )
    if outcome is None:
        return
    result, _first_time = outcome
    ack(
        response_action="update",
        view=aftercare_done_modal(locale, str(result["code"]), bool(result["reopened"])),
    )
