"""서비스 제공기록: `/case serve CODE` (제공) opens the delivery form; its submission saves once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.ids import View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef
from bot.views.blocks import YES
from bot.views.services import SERVE_BLOCKS, serve_done_modal, serve_modal
from handlers.common import Invocation, submit_once
from models.errors import InvalidInput, Message
from models.schemas import DeliveryInput
from models.services import deliveries
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session


def register(on: Listeners) -> None:
    on.view(View.SERVE, ack=submit_delivery)
    on.subcommand("serve")(open_serve)


def open_serve(call: Invocation) -> None:
    code = call.code("serve")
    if code is None:
        return
    ctx = call.ctx()
    with call.uow() as db:
        choices = deliveries.delivery_choices(db, ctx, code, call.locale)
    call.open_modal(serve_modal(choices, call.locale, today_iso=ctx.today.isoformat()))


def parse_delivery(form: dict[str, Any], ctx: Ctx) -> DeliveryInput:
    """The modal's values as the core's input; raises ValidationError with field locations."""
    return DeliveryInput.model_validate(
        {
            "delivered_on": form.get("delivered_on"),
            "category": form.get("category"),
            "description": form.get("description"),
            "quantity": form.get("quantity"),
            "unit": form.get("unit") or "TIMES",
            "amount_won": form.get("amount_won") or 0,
            "funding_source": form.get("funding_source"),
            "provider_resource_id": form.get("provider_resource_id"),
            "provider_staff_id": form.get("provider_staff_id"),
            "plan_task_id": form.get("plan_task_id"),
            "referral_id": form.get("referral_id"),
            "over_cap_confirmed": YES in (form.get("over_cap_confirmed") or []),
        }
    )


def submit_delivery(turn: Turn) -> None:
    """The ack: field errors (negative amount, a date before the case opened, an unknown fund, a cap
    passed without confirmation), or the done modal."""
    ref = CaseRef.read(turn.view.get("private_metadata"))
    code = ref.code if ref else ""  # a forged or stale view: told under the first field

    def parse(form: dict[str, Any], ctx: Ctx) -> DeliveryInput:
        if not code:
            raise InvalidInput({"delivered_on": Message("serve.errors.no_case")})
        return parse_delivery(form, ctx)

    def work(db: Session, ctx: Ctx, data: DeliveryInput) -> dict[str, object]:
        delivery = deliveries.record_delivery(db, ctx, code, data)
        return {
            "code": code,
            "delivery": delivery.id,
            "amount": data.amount_won,
            "funding": data.funding_source,
        }

    outcome = submit_once(turn, blocks=SERVE_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _first_time = outcome
    turn.ack(
        response_action="update",
        view=serve_done_modal(
            turn.locale, str(result["code"]), int(str(result["amount"])), str(result["funding"])
        ),
    )
