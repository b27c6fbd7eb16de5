"""`/case guardian CODE` (보호자): mark or clear "alleged abuser" on the case's guardians (R12)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bot.ids import View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.guardians import GUARDIAN_BLOCKS, guardians_modal, guardians_saved_modal
from handlers.common import Invocation, submit_once
from models.services import guardians
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("guardian")(open_guardians)
    on.view(View.GUARDIANS, ack=submit_guardians)


def open_guardians(call: Invocation) -> None:
    code = call.code("guardian")
    if code is None:
        return
    locale = call.locale
    with call.uow() as db:
        view = guardians_modal(locale, guardians.of_case(db, call.ctx(), code))
    call.open_modal(view)


class GuardianForm(BaseModel):
    alleged: set[int] = set()


def parse_guardians(form: dict[str, Any], ctx: Ctx) -> GuardianForm:
    # A forged value that is no id reads as an id no guardian has (a field error from the core).
    ticked = [str(v) for v in form.get("guardian") or []]
    return GuardianForm(alleged={int(v) if v.isdigit() and len(v) <= 18 else 0 for v in ticked})


def submit_guardians(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field

    def work(db: Session, ctx: Ctx, form: GuardianForm) -> dict[str, object]:
        changed = guardians.set_alleged_abusers(db, ctx, code, form.alleged)
        return {"code": code, "changed": changed}

    outcome = submit_once(turn, blocks=GUARDIAN_BLOCKS, parse=parse_guardians, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    turn.ack(response_action="update", view=guardians_saved_modal(turn.locale, str(result["code"])))
