"""`/case access CODE` (열람): who sees a case — co-workers, and restriction to named people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bot.ids import View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.blocks import YES
from bot.views.sharing import ACCESS_BLOCKS, access_modal, access_saved_modal
from handlers.common import Invocation, submit_once
from models.services import cases, staff
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("access")(open_access)
    on.view(View.ACCESS, ack=submit_access)


def open_access(call: Invocation) -> None:
    code = call.code("access")
    if code is None:
        return
    locale = call.locale  # before the unit of work: the first reading may store it (remember_locale)
    with call.uow() as db:
        circle = cases.access_circle(db, call.ctx(), code)
        people = staff.slack_ids_of(
            db, [*circle.coworker_ids, *circle.named_ids, circle.case.case_manager_id]
        )
        view = access_modal(
            locale,
            circle.case.code,
            coworkers=[people[i] for i in circle.coworker_ids if i in people],
            restricted=circle.case.restricted,
            named=[people[i] for i in circle.named_ids if i in people],
            manager=people.get(circle.case.case_manager_id, ""),
        )
    call.open_modal(view)


class AccessForm(BaseModel):
    coworkers: list[str] = []
    restricted: bool = False
    named: list[str] = []


def submit_access(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field

    def parse(form: dict[str, Any], ctx: Ctx) -> AccessForm:
        return AccessForm(
            coworkers=form.get("coworkers") or [],
            restricted=YES in (form.get("restricted") or []),
            named=form.get("named") or [],
        )

    def work(db: Session, ctx: Ctx, form: AccessForm) -> dict[str, object]:
        case = cases.set_access(
            db,
            ctx,
            code,
            coworker_ids=staff.staff_ids_for(db, form.coworkers, "coworkers"),
            restricted=form.restricted,
            named_ids=staff.staff_ids_for(db, form.named, "named") if form.restricted else [],
        )
        return {"code": case.code, "restricted": case.restricted}

    outcome = submit_once(turn, blocks=ACCESS_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    turn.ack(
        response_action="update",
        view=access_saved_modal(turn.locale, str(result["code"]), bool(result["restricted"])),
    )
