"""Closure (평가·종결) with the supervisor's sign-off, and after-care checks (사후관리).

`/case close CODE` → the closure modal → a PENDING closure, and a DM to every active supervisor of the
team with approve/return buttons. A decision updates that DM in place and tells the case manager.
`/case aftercare CODE` → the next open after-care check of the case.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import AftercareRef, CaseRef, ClosureDraft, ClosureRef, ClosureReturn
from bot.notify import dm, dm_at
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
from bot.views.closure_review import APPROVE, RETURN, REVIEW_BLOCKS, review_modal
from handlers.common import Invocation, open_for_clicked_case, submit_once
from handlers.home import publish_home
from handlers.referrals import refer_form
from models.enums import AfterCareAction, CaseStatus, Surface
from models.errors import DomainError, InvalidInput, Message
from models.schemas import AfterCareInput, ClosureInput
from models.services import access, case_file, message_refs
from models.services import closure as closures
from models.services.cases import require_open
from models.services.context import Ctx
from models.services.lifecycle import snapshot

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")
GOAL_BLOCK = re.compile(r"^goal_(\d+)$")


def register(on: Listeners) -> None:
    on.subcommand("close")(open_close)
    on.subcommand("aftercare")(open_aftercare)
    on.action(Action.OPEN_CLOSE, lazy=[open_close_from_button])
    on.view(View.CLOSE, ack=submit_close, lazy=[ask_supervisors])
    on.action(Action.APPROVE_CLOSURE, lazy=[approve_closure])
    on.action(Action.RETURN_CLOSURE, lazy=[open_return])
    on.view(View.CLOSURE_RETURN, ack=submit_return, lazy=[announce_decision])
    on.action(Action.REVIEW_CLOSURE, lazy=[open_review])
    on.view(View.CLOSURE_REVIEW, ack=submit_review, lazy=[announce_decision])
    on.action(Action.OPEN_AFTERCARE, lazy=[open_aftercare_from_button])
    on.view(View.AFTERCARE, ack=submit_aftercare)


# ---------------------------------------------------------------- shared bits


def _code_of(action: dict) -> str | None:
    clicked = CaseRef.read(action.get("value"))
    return clicked.code if clicked else None


def _closure_id_of(action: dict) -> int | None:
    clicked = ClosureRef.read(action.get("value"))
    return clicked.closure_id if clicked else None


def _message_of(body: dict) -> tuple[str | None, str | None]:
    """Channel and ts of the message a button sits on (the supervisor's DM)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


# ---------------------------------------------------------------- closure request


def _close_view(turn: Turn, ctx: Ctx, code: str) -> dict | str:
    """The closure modal for a case, or what to tell the user instead."""
    locale = turn.locale
    with turn.uow() as db:
        case = access.load_case(db, ctx, code)
        require_open(case)
        snap = snapshot(db, case)
        if snap.pending_closure is not None:
            return t("closure.modal.already_pending", locale, code=case.code)
        plan = snap.plan_in_force
        goals = [
            GoalRow(g.id, g.domain.label(locale), g.indicator, g.target) for g in (plan.goals if plan else [])
        ]
        return close_modal(locale, case.profile, case.code, goals)


def open_close(call: Invocation) -> None:
    code = call.code("close")
    if code is None:
        return
    view = _close_view(call.turn, call.ctx(), code)
    if isinstance(view, str):
        return call.reply(text=view)
    call.open_modal(view)


def open_close_from_button(turn: Turn) -> None:
    open_for_clicked_case(turn, _close_view)


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


def submit_close(turn: Turn) -> None:
    # A stale or forged metadata finds no case (code ""): the core's "not found" under the first field.
    meta = ClosureDraft.read(turn.view.get("private_metadata"))
    code, goal_ids = (meta.code, meta.goals) if meta else ("", [])

    def work(db: Session, ctx: Ctx, data: ClosureInput) -> dict[str, object]:
        closure = closures.request_closure(db, ctx, code, data)
        # Those who see the case: on a restricted case the named, on a school case the approved.
        parties = closures.closure_parties(
            db, closure, today=ctx.today, supervisors=True, approvers=ctx.policy.closure_approvers
        )
        return {
            "code": parties.code,
            "closure_id": closure.id,
            "supervisors": [[s.slack_user_id, s.locale] for s in parties.supervisors],
            # 학업중단: the prompt to refer to a 학교밖청소년지원센터 (None: no prompt).
            "dropout_links": closures.dropout_links(db, closure.case_id, data.reason),
        }

    outcome = submit_once(
        turn,
        blocks=closure_blocks(goal_ids),
        aliases={"attainments": "reason"},
        parse=lambda form, ctx: parse_closure(form),
        work=work,
    )
    if outcome is None:
        return
    result, first_time = outcome
    links = result.get("dropout_links")
    turn.ack(
        response_action="update",
        view=close_done_modal(
            turn.locale, str(result["code"]), dropout_links=list(links) if isinstance(links, list) else None
        ),
    )
    if first_time:
        turn.pass_on(
            code=str(result["code"]), closure_id=result["closure_id"], supervisors=result["supervisors"]
        )


def ask_supervisors(turn: Turn) -> None:
    """A DM with approve/return buttons to every supervisor who sees the case (after the first save)."""
    outcome = turn.outcome
    if outcome is None:
        return
    locale = turn.locale
    case_code = str(outcome["code"])
    supervisors = cast(list[list[Any]], outcome["supervisors"])
    closure_id = cast(int, outcome["closure_id"])
    sent: list[tuple[str, str, str]] = []
    for slack_user_id, supervisor_locale in supervisors:
        lang = supervisor_locale or locale
        try:  # one supervisor's DM failing must not keep the others from being asked
            channel, ts = dm_at(
                turn.client,
                slack_user_id,
                t("closure.dm.pending", lang, code=case_code),
                approval_request_blocks(lang, case_code, closure_id),
            )
            sent.append((slack_user_id, channel, ts))
        except SlackApiError as error:
            log.error(
                "approval request DM for closure %s failed: %s", closure_id, error.response.get("error")
            )
    if sent:  # where each DM is, to say in all of them who decided once one supervisor has
        with turn.uow() as db:
            for slack_user_id, channel, ts in sent:
                message_refs.remember_closure_request(db, closure_id, slack_user_id, channel=channel, ts=ts)
    if not supervisors and turn.user_id:
        dm(turn.client, turn.user_id, t("closure.dm.no_supervisor", locale))


# ---------------------------------------------------------------- the supervisor's decision


def _decide(
    db: Session, ctx: Ctx, closure_id: int, *, approve: bool, comment: str | None
) -> dict[str, object]:
    closure = closures.decide_closure(db, ctx, closure_id, approve=approve, comment=comment)
    parties = closures.closure_parties(db, closure)
    decided_at = closure.decided_at or ctx.now
    return {
        "code": parties.code,
        "manager": parties.manager.slack_user_id,
        "manager_locale": parties.manager.locale,
        "comment": comment,
        "decided_at": decided_at.astimezone(ctx.policy.zone).strftime("%Y-%m-%d %H:%M"),
        # every supervisor's approval DM, to update them all (plain data: it may go to a lazy function)
        "messages": [[m.channel, m.ts, m.locale] for m in message_refs.closure_requests(db, closure.id)],
    }


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
    """Every supervisor's approval DM says what was decided, by whom and when, with no buttons left;
    the case manager is told."""
    code, at = str(result["code"]), str(result.get("decided_at") or "") or None
    messages = [(str(c), str(s), lang) for c, s, lang in cast(list[list[Any]], result.get("messages") or [])]
    if channel and ts and (channel, ts) not in {(c, s) for c, s, _ in messages}:
        messages.append((channel, ts, locale))  # a DM sent before their places were kept
    for dm_channel, dm_ts, dm_locale in messages:
        lang = dm_locale or locale
        try:  # one DM that cannot be changed must not keep the others or the manager's notice back
            client.chat_update(
                channel=dm_channel,
                ts=dm_ts,
                text=decided_text(lang, code, approved, supervisor, at),
                blocks=decided_blocks(lang, code, approved, supervisor, at),
            )
        except SlackApiError as error:
            log.warning("could not update an approval DM: %s", error.response.get("error"))
    manager_locale = str(result.get("manager_locale") or locale)
    comment = result.get("comment")
    notice = manager_notice_text(
        manager_locale, code, approved, supervisor, str(comment) if comment else None
    )
    dm(client, str(result["manager"]), notice)


def approve_closure(turn: Turn) -> None:
    """A refusal (not the team's supervisor, decided already) is told privately by bot.listeners."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    closure_id = _closure_id_of(turn.action)
    if closure_id is None:
        return
    ctx = turn.ctx(Surface.BUTTON)
    with turn.uow() as db:
        result = _decide(db, ctx, closure_id, approve=True, comment=None)
    channel, ts = _message_of(turn.body)
    _announce(
        turn.client, turn.locale, result, approved=True, supervisor=str(turn.user_id), channel=channel, ts=ts
    )
    if turn.from_home:  # the Home it was approved from no longer lists it
        publish_home(turn, page=0)


def open_return(turn: Turn) -> None:
    locale = turn.locale
    if turn.actor is None:
        return turn.tell(t("common.not_staff", locale))
    closure_id = _closure_id_of(turn.action)
    if closure_id is None:
        return
    channel, ts = _message_of(turn.body)
    turn.client.views_open(
        trigger_id=turn.trigger_id, view=return_modal(locale, closure_id, channel=channel, ts=ts)
    )


class ReturnInput(BaseModel):
    comment: str | None = None


def submit_return(turn: Turn) -> None:
    meta = ClosureReturn.read(turn.view.get("private_metadata"))
    closure_id = meta.closure_id if meta else 0  # no closure has id 0: the core's "not found"
    outcome = submit_once(
        turn,
        blocks=["comment"],
        parse=lambda form, ctx: ReturnInput(comment=form.get("comment")),
        work=lambda db, ctx, data: {
            **_decide(db, ctx, closure_id, approve=False, comment=data.comment),
            "approved": False,
        },
    )
    _closed_with_decision(turn, meta, outcome)


def _closed_with_decision(
    turn: Turn, meta: ClosureReturn | None, outcome: tuple[dict[str, object], bool] | None
) -> None:
    """A decision saved from a modal: the modal closes, and the first time the DMs follow (lazily)."""
    if outcome is None:
        return  # answered with field errors
    result, first_time = outcome
    turn.ack()  # closes the modal
    if first_time:
        message = meta.message if meta else None
        turn.pass_on(
            result=result,
            channel=message.channel if message else None,
            ts=message.ts if message else None,
        )


def announce_decision(turn: Turn) -> None:
    """Every approval DM says what was decided; the case manager is told; a Home acted from is renewed."""
    outcome = turn.outcome
    if outcome is None:
        return
    _announce(
        turn.client,
        turn.locale,
        outcome["result"],
        approved=bool(outcome["result"].get("approved")),
        supervisor=str(turn.user_id),
        channel=outcome["channel"],
        ts=outcome["ts"],
    )
    if not outcome["channel"]:  # a decision from the App Home (a DM's button carries its message)
        publish_home(turn, page=0)


# ---------------------------------------------------------------- the review modal (the DM's button)


def open_review(turn: Turn) -> None:
    """The closure in full, with the decision, for someone who may review it (the read is logged)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    closure_id = _closure_id_of(turn.action)
    if closure_id is None:
        return
    ctx, locale = turn.ctx(Surface.BUTTON), turn.locale
    with turn.uow() as db:
        code, entry = case_file.read_closure(db, ctx, closure_id, purpose="review closure")
    channel, ts = _message_of(turn.body)
    view = review_modal(code, entry, locale, ctx.policy.zone, channel=channel, ts=ts)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


class ReviewInput(BaseModel):
    decision: Literal["approve", "return"]
    comment: str | None = None


def submit_review(turn: Turn) -> None:
    meta = ClosureReturn.read(turn.view.get("private_metadata"))
    closure_id = meta.closure_id if meta else 0  # no closure has id 0: the core's "not found"

    def parse(form: dict[str, Any], ctx: Ctx) -> ReviewInput:
        if form.get("decision") not in (APPROVE, RETURN):
            raise InvalidInput({"decision": Message("closure.errors.choose_decision")})
        return ReviewInput(decision=form["decision"], comment=form.get("comment"))

    def work(db: Session, ctx: Ctx, data: ReviewInput) -> dict[str, object]:
        approve = data.decision == APPROVE
        return {**_decide(db, ctx, closure_id, approve=approve, comment=data.comment), "approved": approve}

    outcome = submit_once(turn, blocks=REVIEW_BLOCKS, parse=parse, work=work)
    _closed_with_decision(turn, meta, outcome)


# ---------------------------------------------------------------- after-care


def _aftercare_view(turn: Turn, ctx: Ctx, code: str) -> dict | str:
    locale = turn.locale
    with turn.uow() as db:
        case = access.load_case(db, ctx, code)
        checks = snapshot(db, case).open_aftercare if case.status == CaseStatus.AFTERCARE else []
        if not checks:
            return t("aftercare.none_open", locale, code=case.code)
        return aftercare_modal(locale, case.code, checks[0].id, checks[0].due_on)


def open_aftercare(call: Invocation) -> None:
    code = call.code("aftercare")
    if code is None:
        return
    view = _aftercare_view(call.turn, call.ctx(), code)
    if isinstance(view, str):
        return call.reply(text=view)
    call.open_modal(view)


def open_aftercare_from_button(turn: Turn) -> None:
    open_for_clicked_case(turn, _aftercare_view)


def parse_aftercare(form: dict[str, Any]) -> AfterCareInput:
    return AfterCareInput.model_validate(
        {
            "method": form.get("method"),
            "status": form.get("status"),
            "action": form.get("action") or AfterCareAction.NONE.value,
            "note": form.get("note"),
        }
    )


def submit_aftercare(turn: Turn) -> None:
    meta = AftercareRef.read(turn.view.get("private_metadata"))
    check_id = meta.check_id if meta else 0  # no check has id 0: the core's "not found"

    def work(db: Session, ctx: Ctx, data: AfterCareInput) -> dict[str, object]:
        check = closures.record_aftercare(db, ctx, check_id, data)
        code, reopened = closures.aftercare_outcome(db, check)
        return {"code": code, "reopened": reopened, "link": data.action == AfterCareAction.LINK}

    outcome = submit_once(
        turn,
        blocks=AFTERCARE_BLOCKS,
        parse=lambda form, ctx: parse_aftercare(form),
        work=work,
    )
    if outcome is None:
        return
    result, _first_time = outcome
    code, reopened = str(result["code"]), bool(result["reopened"])
    if result.get("link"):
        # 사후관리 → 연계: the referral form comes next, as a new view (its own submission, once).
        form = _link_form(turn, code, check_id)
        if form is not None:
            return turn.ack(response_action="push", view=form)
    turn.ack(response_action="update", view=aftercare_done_modal(turn.locale, code, reopened))


def _link_form(turn: Turn, code: str, check_id: int) -> dict | None:
    """The referral form for the case of a LINK check; None where the core refuses it (told by the
    done modal instead: the check itself is recorded)."""
    ctx = turn.ctx(Surface.MODAL)
    try:
        with turn.uow() as db:
            return refer_form(db, ctx, turn.locale, code, channel_id=None, aftercare_check=check_id)
    except DomainError as error:
        log.info("no referral form after a LINK check: %s", type(error).__name__)
        return None
