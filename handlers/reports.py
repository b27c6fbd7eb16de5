"""`/case report CODE` (신고): record a mandatory abuse report on a case of one's circle (R12).

The modal shows the case's earlier reports (to the circle only: the core loads the case through
`access`) and takes the new one; saving answers in the modal itself. No channel post, no DM: a report
and its reporter never reach Slack's history.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.ids import View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.reports import REPORT_BLOCKS, report_modal, report_saved_modal
from handlers.common import Invocation, submit_once
from handlers.notes import zone_of
from models.schemas import MandatoryReportInput
from models.services import reports
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.subcommand("report")(open_report)
    on.view(View.REPORT, ack=submit_report)


def open_report(call: Invocation) -> None:
    code = call.code("report")
    if code is None:
        return
    locale = call.locale
    ctx = call.ctx()
    with call.uow() as db:
        view = report_modal(locale, reports.reports_of(db, ctx, code), zone_of(ctx), now=ctx.now)
    call.open_modal(view)


def _moment(day: str | None, clock: str | None, zone: ZoneInfo) -> datetime | None:
    if not day or not clock:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone)
    except ValueError:
        return None


def parse_report(form: dict[str, Any], ctx: Ctx) -> MandatoryReportInput:
    return MandatoryReportInput.model_validate(
        {
            "reported_at": _moment(form.get("reported_on"), form.get("reported_time"), zone_of(ctx)),
            "agency": form.get("agency"),
            "reference": form.get("reference"),
        }
    )


def submit_report(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field

    def work(db: Session, ctx: Ctx, form: MandatoryReportInput) -> dict[str, object]:
        report = reports.record_report(db, ctx, code, form)
        return {"code": code, "report": report.id}

    outcome = submit_once(
        turn, blocks=REPORT_BLOCKS, parse=parse_report, work=work, aliases={"reported_at": "reported_on"}
    )
    if outcome is None:
        return
    result, _first_time = outcome
    turn.ack(response_action="update", view=report_saved_modal(turn.locale, str(result["code"])))
