"""`/case access CODE` (열람): who sees a case — co-workers, and restriction to named people."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ids import View
from bot.views.blocks import YES
from bot.views.sharing import ACCESS_BLOCKS, access_modal, access_saved_modal
from handlers.common import Invocation, metadata, subcommand, submit_once
from models.services import cases, staff
from models.services.context import Ctx
from models.staff import StaffMember


def register(app: App) -> None:
    app.view(View.ACCESS)(submit_access)


@subcommand("access", "열람")
def open_access(call: Invocation) -> None:
    code = call.code("access")
    if code is None:
        return
    with call.context["uow"]() as db:
        circle = cases.access_circle(db, call.ctx(), code)
        people = _slack_ids(db, [*circle.coworker_ids, *circle.named_ids, circle.case.case_manager_id])
        view = access_modal(
            call.locale,
            circle.case.code,
            coworkers=[people[i] for i in circle.coworker_ids if i in people],
            restricted=circle.case.restricted,
            named=[people[i] for i in circle.named_ids if i in people],
            manager=people.get(circle.case.case_manager_id, ""),
        )
    call.open_modal(view)


def _slack_ids(db: Session, staff_ids: list[int]) -> dict[int, str]:
    rows = db.execute(select(StaffMember.id, StaffMember.slack_user_id).where(StaffMember.id.in_(staff_ids)))
    return dict(rows.all())


class AccessForm(BaseModel):
    coworkers: list[str] = []
    restricted: bool = False
    named: list[str] = []


def submit_access(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    code = str(metadata(view).get("code") or "")

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

    outcome = submit_once(ack, view, context, blocks=ACCESS_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    ack(
        response_action="update",
        view=access_saved_modal(context["locale"], str(result["code"]), bool(result["restricted"])),
    )
