"""`/case agencies CODE` (기관) and the button of `/case show`: the case's lead agency (주사례관리기관)
and partner agencies with their roles, changed by the case manager or a team supervisor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.agencies import AGENCY_BLOCKS, ROWS, agencies_modal, saved_modal
from handlers.common import Invocation, open_for_clicked_case, submit_once
from models.schemas import AgenciesInput
from models.services import agencies
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("agencies")(open_agencies)
    on.action(Action.OPEN_AGENCIES, lazy=[open_from_show])
    on.view(View.AGENCIES, ack=submit_agencies)


def open_agencies(call: Invocation) -> None:
    code = call.code("agencies")
    if code is None:
        return
    with call.uow() as db:
        shown = agencies.show(db, call.ctx(), code)
    call.open_modal(agencies_modal(shown, call.locale))


def open_from_show(turn: Turn) -> None:
    """The button in the case summary modal: the agencies modal on top of it."""

    def build(turn: Turn, ctx: Ctx, code: str) -> dict:
        with turn.uow() as db:
            return agencies_modal(agencies.show(db, ctx, code), turn.locale)

    open_for_clicked_case(turn, build)


def parse(form: dict[str, Any], ctx: Ctx) -> AgenciesInput:
    """Each row with anything in it is an agency; empty rows are skipped (a pydantic error is turned into
    field errors by submit_once, under the row's blocks)."""

    def row(prefix: str) -> dict[str, Any] | None:
        values = {name: form.get(f"{prefix}.{name}") for name in ("resource_id", "organisation", "role")}
        if not any(values.values()):
            return None
        return values

    lead = row(ROWS[0])
    partners = [found for prefix in ROWS[1:] if (found := row(prefix)) is not None]
    return AgenciesInput.model_validate({"lead": lead, "partners": partners})


def submit_agencies(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code, locale = (meta.code if meta else ""), turn.locale

    def work(db: Session, ctx: Ctx, form: AgenciesInput) -> dict[str, object]:
        shown = agencies.set_agencies(db, ctx, code, form)
        # Kept as the submission's result (plain JSON): counts only, never a typed name.
        return {"code": shown.case_code, "lead": shown.lead is not None, "count": len(shown.partners)}

    outcome = submit_once(turn, blocks=AGENCY_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _ = outcome
    view = saved_modal(locale, str(result["code"]), bool(result["lead"]), int(str(result["count"])))
    turn.ack(response_action="update", view=view)
