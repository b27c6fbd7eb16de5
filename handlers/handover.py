"""`/case handover CODE` (사후관리 인계): a public team's closed case hands its after-care to the 읍면동,
recorded as to whom, when and a note (models/services/handover.py). The nudge after closure opens it too."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.profiles import HANDOVER_BLOCKS, handover_done_modal, handover_modal
from handlers.common import Invocation, submit_once
from models.enums import Surface
from models.schemas import HandoverInput
from models.services import handover
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("handover")(open_handover)
    on.action(Action.OPEN_HANDOVER, lazy=[open_handover_from_button])
    on.view(View.HANDOVER, ack=submit_handover)


def _view(turn: Turn, ctx: Ctx, code: str) -> dict:
    with turn.uow() as db:
        case = handover.open_handover(db, ctx, code)  # refused before the form where none applies
        return handover_modal(turn.locale, case.code, ctx.today)


def open_handover(call: Invocation) -> None:
    code = call.code("handover")
    if code is None:
        return
    call.open_modal(_view(call.turn, call.ctx(), code))


def open_handover_from_button(turn: Turn) -> None:
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        return turn.tell(t("fallback.button", turn.locale))
    turn.client.views_open(
        trigger_id=turn.trigger_id, view=_view(turn, turn.ctx(Surface.BUTTON), clicked.code)
    )


def submit_handover(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field

    def parse(form: dict[str, Any], ctx: Ctx) -> HandoverInput:
        return HandoverInput.model_validate({k: v for k, v in form.items() if v is not None})

    def work(db: Session, ctx: Ctx, data: HandoverInput) -> dict[str, object]:
        record = handover.record_handover(db, ctx, code, data)
        return {"code": code, "to": record.handed_to, "on": record.handed_over_on.isoformat()}

    outcome = submit_once(turn, blocks=HANDOVER_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _ = outcome
    view = handover_done_modal(
        turn.locale, str(result["code"]), str(result["to"]), date.fromisoformat(str(result["on"]))
    )
    turn.ack(response_action="update", view=view)
