"""`/case hold CODE` (보류), `/case resume CODE` (재개), `/case transfer CODE @person` (이관)."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import Field

from bot import notify
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.blocks import YES
from bot.views.holds import (
    HOLD_BLOCKS,
    RESUME_BLOCKS,
    TRANSFER_BLOCKS,
    done_modal,
    hold_modal,
    resume_modal,
    transfer_modal,
)
from handlers.common import Invocation, open_for_clicked_case, submit_once
from models.errors import InvalidInput, Message
from models.schemas import Form, SafeText
from models.services import cases, staff
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def register(on: Listeners) -> None:
    on.subcommand("hold")(open_hold)
    on.subcommand("resume")(open_resume)
    on.subcommand("transfer")(open_transfer)
    on.action(Action.OPEN_HOLD, lazy=[open_hold_from_button])
    on.action(Action.OPEN_RESUME, lazy=[open_resume_from_button])
    on.action(Action.OPEN_TRANSFER, lazy=[open_transfer_from_button])
    on.view(View.HOLD, ack=submit_hold)
    on.view(View.RESUME, ack=submit_resume)
    on.view(View.TRANSFER, ack=submit_transfer, lazy=[tell_transfer])


# ---------------------------------------------------------------- opening


def _hold_view(turn: Turn, ctx: Ctx, code: str, _: str | None = None) -> dict:
    locale = turn.locale
    with turn.uow() as db:
        shown = cases.show(db, ctx, code)
    return hold_modal(locale, shown.case.code, ctx.today)


def _resume_view(turn: Turn, ctx: Ctx, code: str, _: str | None = None) -> dict:
    locale = turn.locale
    with turn.uow() as db:
        shown = cases.show(db, ctx, code)
        until = shown.case.hold_until
    return resume_modal(locale, shown.case.code, until)


def _transfer_view(turn: Turn, ctx: Ctx, code: str, chosen: str | None = None) -> dict:
    locale = turn.locale
    with turn.uow() as db:
        shown = cases.show(db, ctx, code)
        manager = staff.slack_ids_of(db, [shown.case.case_manager_id]).get(shown.case.case_manager_id, "")
    return transfer_modal(locale, shown.case.code, manager, chosen)


def _from_command(call: Invocation, sub: str, build: Any) -> None:
    code = call.code(sub)
    if code is None:
        return
    mentioned = next((m.group(1) for word in call.args[1:] if (m := MENTION.fullmatch(word))), None)
    call.open_modal(build(call.turn, call.ctx(), code, mentioned))


def open_hold(call: Invocation) -> None:
    _from_command(call, "hold", _hold_view)


def open_resume(call: Invocation) -> None:
    _from_command(call, "resume", _resume_view)


def open_transfer(call: Invocation) -> None:
    _from_command(call, "transfer", _transfer_view)


def open_hold_from_button(turn: Turn) -> None:
    open_for_clicked_case(turn, _hold_view)


def open_resume_from_button(turn: Turn) -> None:
    """The Home's RESUME button and the nudge on the day a hold ends."""
    open_for_clicked_case(turn, _resume_view)


def open_transfer_from_button(turn: Turn) -> None:
    """The supervisors' Home: a case whose manager left."""
    open_for_clicked_case(turn, _transfer_view)


def _code(turn: Turn) -> str:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    return meta.code if meta else ""  # no case has code "": the core's "not found" under the first field


# ---------------------------------------------------------------- hold and resume


class HoldForm(Form):
    reason: SafeText = Field(min_length=1, max_length=1000)
    until: date


def submit_hold(turn: Turn) -> None:
    code, locale = _code(turn), turn.locale

    def work(db: Session, ctx: Ctx, form: HoldForm) -> dict[str, object]:
        case = cases.hold(db, ctx, code, reason=form.reason, until=form.until)
        return {"code": case.code, "until": form.until.isoformat()}

    outcome = submit_once(
        turn,
        blocks=HOLD_BLOCKS,
        parse=lambda form, ctx: HoldForm.model_validate({k: v for k, v in form.items() if v is not None}),
        work=work,
    )
    if outcome is None:
        return
    result, _ = outcome
    view = done_modal(locale, "holds.done.held", code=str(result["code"]), until=str(result["until"]))
    turn.ack(response_action="update", view=view)


def submit_resume(turn: Turn) -> None:
    code, locale = _code(turn), turn.locale

    def parse(form: dict[str, Any], ctx: Ctx) -> bool:
        if YES not in (form.get("confirm") or []):
            raise InvalidInput({"confirm": Message("holds.errors.confirm_resume")})
        return True

    def work(db: Session, ctx: Ctx, _: bool) -> dict[str, object]:
        case = cases.resume(db, ctx, code)
        return {"code": case.code, "next_step": cases.current_state(db, ctx, case).next_step.label(locale)}

    outcome = submit_once(turn, blocks=RESUME_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _ = outcome
    view = done_modal(
        locale, "holds.done.resumed", code=str(result["code"]), next_step=str(result["next_step"])
    )
    turn.ack(response_action="update", view=view)


# ---------------------------------------------------------------- transfer


class TransferForm(Form):
    new_manager: str | None = None
    keep_previous: bool = False


def submit_transfer(turn: Turn) -> None:
    code, locale = _code(turn), turn.locale

    def parse(form: dict[str, Any], ctx: Ctx) -> TransferForm:
        if not form.get("new_manager_id"):
            raise InvalidInput({"new_manager_id": Message("cases.errors.transfer_not_staff")})
        return TransferForm(
            new_manager=form.get("new_manager_id"), keep_previous=YES in (form.get("keep_previous") or [])
        )

    def work(db: Session, ctx: Ctx, form: TransferForm) -> dict[str, object]:
        case, previous = cases.transfer_to_slack_user(
            db, ctx, code, form.new_manager, keep_previous=form.keep_previous
        )
        notice = cases.transfer_notice(db, case, previous)
        return {"code": notice.code, "people": [list(p) for p in notice.people], "to": form.new_manager}

    outcome = submit_once(turn, blocks=TRANSFER_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, first_time = outcome
    view = done_modal(locale, "holds.done.transferred", code=str(result["code"]), to=f"<@{result['to']}>")
    turn.ack(response_action="update", view=view)
    if first_time:
        turn.pass_on(code=result["code"], people=result["people"], to=result["to"])


def tell_transfer(turn: Turn) -> None:
    """Both case managers, by DM: the case code and who has it now, nothing else (R1)."""
    outcome = turn.outcome
    if outcome is None:
        return
    notify.tell_transfer(turn.client, str(outcome["code"]), outcome["people"], str(outcome["to"]))
