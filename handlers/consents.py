"""`/case consent CODE` (동의): add a consent of any scope, renew one, withdraw one (R2, R3, R13).

The stage follows at once: the case reaches stage 2 when collection and use is recorded and falls
back to 1 when it is withdrawn or expires. An expiry nudge opens this dialogue with "renew" ready.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import Field

from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import ConsentForm, ConsentOpen, ConsentPick
from bot.views.blocks import YES
from bot.views.consents import (
    CONSENT_BLOCKS,
    ITEMS,
    PURPOSES,
    RETENTION,
    WITHDRAW_BLOCKS,
    catalog_label,
    consent_done_modal,
    consent_modal,
    withdraw_modal,
)
from handlers.common import Invocation, submit_once
from models.enums import Stage, Surface
from models.errors import InvalidInput, Message
from models.schemas import STRICT_CONTEXT, ConsentInput, Form, SafeText
from models.services import cases, consents
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

# A third-party consent's recipients: from the directory or typed (the error goes to the typed ones).
ALIASES = {"recipient_resource_ids": "recipient_names"}


def register(on: Listeners) -> None:
    on.subcommand("consent")(open_consent)
    on.action(Action.OPEN_CONSENT, lazy=[open_consent_from_button])
    on.action(Action.CONSENT_RENEW, lazy=[renew_in_dialogue])
    on.action(Action.CONSENT_WITHDRAW, lazy=[open_withdraw])
    on.view(View.CONSENT, ack=submit_consent)
    on.view(View.CONSENT_WITHDRAW, ack=submit_withdraw)


# ---------------------------------------------------------------- opening the dialogue


def _dialogue(
    turn: Turn, ctx: Ctx, code: str, *, renew_id: int | None = None, renew_next: bool = False
) -> dict:
    locale = turn.locale  # before the unit of work: the first reading may store it
    with turn.uow() as db:
        overview = consents.consent_overview(db, ctx, code, renew_id=renew_id, renew_next=renew_next)
    return consent_modal(locale, overview, ctx.today, strict=ctx.policy.strict_privacy)


def open_consent(call: Invocation) -> None:
    code = call.code("consent")
    if code is None:
        return
    call.open_modal(_dialogue(call.turn, call.ctx(), code))


def open_consent_from_button(turn: Turn) -> None:
    """The Home's "record consent" and an expiry nudge's button (`renew`: the consent ending first)."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    clicked = ConsentOpen.read(turn.action.get("value"))
    if clicked is None:
        return
    view = _dialogue(turn, turn.ctx(Surface.BUTTON), clicked.code, renew_next=clicked.renew)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def renew_in_dialogue(turn: Turn) -> None:
    """A consent's "renew" button: the same dialogue, its form starting from that consent."""
    clicked = ConsentPick.read(turn.action.get("value"))
    if clicked is None or turn.actor is None:
        return
    view = _dialogue(turn, turn.ctx(Surface.BUTTON), clicked.code, renew_id=clicked.consent_id)
    turn.client.views_update(view_id=turn.view.get("id"), view=view)


def open_withdraw(turn: Turn) -> None:
    """A consent's "withdraw" button: the withdrawal modal on top of the dialogue."""
    clicked = ConsentPick.read(turn.action.get("value"))
    if clicked is None or turn.actor is None:
        return
    ctx = turn.ctx(Surface.BUTTON)
    locale = turn.locale
    with turn.uow() as db:
        overview = consents.consent_overview(db, ctx, clicked.code)
    row = next((r for r in overview.rows if r.consent_id == clicked.consent_id), None)
    if row is None:
        return turn.tell(Message("consents.errors.no_consent_record").text(locale))
    view = withdraw_modal(locale, overview.code, row.consent_id, row.scope, ctx.today)
    turn.client.views_push(trigger_id=turn.trigger_id, view=view)


# ---------------------------------------------------------------- a new consent or a renewal


def _joined(kind: str, codes: tuple[str, ...], picked: Any, other: Any, locale: str) -> str | None:
    """Catalog picks as their labels in the worker's language, then what was written besides."""
    chosen = [catalog_label(kind, code, locale) for code in codes if code in (picked or [])]
    if isinstance(picked, str) and picked in codes:  # a single select
        chosen = [catalog_label(kind, picked, locale)]
    if other:
        chosen.append(str(other))
    return ", ".join(chosen) or None


def _ids(values: Any) -> list[int]:
    return [int(v) for v in (values or []) if isinstance(v, str) and re.fullmatch(r"[0-9]{1,9}", v)]


def _names(text: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def parse_consent(form: dict[str, Any], locale: str, today: date, *, strict: bool = False) -> ConsentInput:
    values = {
        "scope": form.get("scope"),
        "signer_name": None if strict else form.get("signer_name"),
        "signer_relationship": form.get("signer_relationship"),
        "purposes": _joined("purposes", PURPOSES, form.get("purposes"), form.get("purposes_other"), locale),
        "items": _joined("items", ITEMS, form.get("items"), form.get("items_other"), locale),
        "retention": _joined(
            "retention", RETENTION, form.get("retention"), form.get("retention_other"), locale
        ),
        "recipient_resource_ids": _ids(form.get("recipient_resource_ids")),
        "recipient_names": _names(form.get("recipient_names")),
        "refusal_notice_given": YES in (form.get("refusal_notice_given") or []),
        "method": form.get("method"),
        "guardian_verified": YES in (form.get("guardian_verified") or []),
        "given_on": form.get("given_on"),
        "expires_on": form.get("expires_on"),
    }
    data = ConsentInput.model_validate(
        {key: value for key, value in values.items() if value is not None},
        context=STRICT_CONTEXT if strict else None,
    )
    if data.given_on > today:
        raise InvalidInput({"given_on": Message("consents.errors.given_in_future")})
    return data


def submit_consent(turn: Turn) -> None:
    meta = ConsentForm.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field
    renews = meta.renews if meta else None
    locale = turn.locale

    def work(db: Session, ctx: Ctx, data: ConsentInput) -> dict[str, object]:
        consents.record_consent(db, ctx, code, data, renews_id=renews)
        shown = cases.show(db, ctx, code)
        return {"code": shown.case.code, "stage": shown.state.stage.value}

    outcome = submit_once(
        turn,
        blocks=CONSENT_BLOCKS,
        parse=lambda form, ctx: parse_consent(form, locale, ctx.today, strict=ctx.policy.strict_privacy),
        work=work,
        aliases=ALIASES,
    )
    if outcome is None:
        return
    result, _ = outcome
    stage = Stage(str(result["stage"])).label(locale)
    key = "renewed" if renews else "recorded"
    turn.ack(response_action="update", view=consent_done_modal(locale, str(result["code"]), key, stage))


# ---------------------------------------------------------------- withdrawal


class WithdrawForm(Form):
    withdrawn_on: date
    reason: SafeText = Field(min_length=1, max_length=1000)


def submit_withdraw(turn: Turn) -> None:
    meta = ConsentPick.read(turn.view.get("private_metadata"))
    locale = turn.locale

    def work(db: Session, ctx: Ctx, form: WithdrawForm) -> dict[str, object]:
        if meta is None:
            raise InvalidInput({"withdrawn_on": Message("consents.errors.no_consent_record")})
        stopped = consents.withdraw_consent(
            db, ctx, meta.consent_id, on=form.withdrawn_on, reason=form.reason
        )
        code = consents.case_code_of_consent(db, ctx, meta.consent_id)
        shown = cases.show(db, ctx, code)
        return {"code": shown.case.code, "stage": shown.state.stage.value, "cancelled": len(stopped)}

    outcome = submit_once(
        turn,
        blocks=WITHDRAW_BLOCKS,
        parse=lambda form, ctx: WithdrawForm.model_validate({k: v for k, v in form.items() if v is not None}),
        work=work,
    )
    if outcome is None:
        return
    result, _ = outcome
    stage = Stage(str(result["stage"])).label(locale)
    view = consent_done_modal(locale, str(result["code"]), "withdrawn", stage, int(result["cancelled"]))
    # The withdrawal sits on top of the dialogue: both close, the answer stays.
    turn.ack(response_action="update", view=view)
