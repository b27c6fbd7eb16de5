"""The intake modal's submission: parse, open the case once per view, answer privately."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from pydantic import Field
from slack_sdk.errors import SlackApiError

from bot.forms import read_state
from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import CaseRef, ChannelRef
from bot.views.intake import (
    RECORD_INTAKE_BLOCKS,
    REFERRAL_ONLY,
    REFERRAL_SOURCES,
    YES,
    intake_done_modal,
    intake_modal,
    record_intake_modal,
)
from handlers.common import Invocation, submit_once
from models.enums import ConsentMethod, NextStep, SignerRelationship, Surface
from models.errors import InvalidInput, Message
from models.schemas import STRICT_CONTEXT, Form, IntakeInput, OptionalText
from models.services import access, cases, supervision
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")
BLOCKS = [
    "intake_held",
    "referrer",
    "referred_on",
    "referral_reason",
    "referral_source",
    "client.name",
    "client.birth_date",
    "client.sex",
    "client.contact",
    "client.address",
    "client.life_stage",
    "client.under14",
    "presenting_needs",
    "intake_summary",
    "guardian.name",
    "guardian.relationship_kind",
    "guardian.contact",
    "confidentiality_notice_given",
    "consent_scopes",
    "refusal_notice",
]
# Core field names that are not blocks of this view, mapped to the input they are about. The signer
# is the guardian for a child under 14 (GUARDIAN_SIGNS) and the client otherwise (ALIASES): a signer's
# error is about the input the name was taken from, never the empty, optional guardian field.
ALIASES = {
    "client": "client.name",
    "guardians": "guardian.name",
    "consents": "refusal_notice",
    "consents.signer_name": "client.name",
    "consents.scope": "consent_scopes",
    "signer_relationship": "client.name",
}
GUARDIAN_SIGNS = {
    **ALIASES,
    "consents.signer_name": "guardian.name",
    "signer_relationship": "guardian.name",
}
# privacy_mode=strict: the modal has no identifier inputs, and the system-of-record number instead.
STRICT_BLOCKS = [
    "referral_source",
    "client.external_ref",
    "client.sex",
    "client.life_stage",
    "client.under14",
    "presenting_needs",
    "intake_summary",
    "guardian.relationship_kind",
    "guardian.verified",
    "confidentiality_notice_given",
    "consent_scopes",
    "refusal_notice",
]
STRICT_ALIASES = {
    "client": "client.external_ref",
    "guardians": "guardian.relationship_kind",
    "consents": "refusal_notice",
    "consents.signer_name": "guardian.verified",
    "consents.scope": "consent_scopes",
    "signer_relationship": "guardian.verified",
}


def register(on: Listeners) -> None:
    on.view(View.INTAKE, ack=submit_intake, lazy=[confirm_intake])
    on.subcommand("new")(open_intake)
    on.subcommand("intake")(open_record_intake)
    on.action(Action.OPEN_RECORD_INTAKE, lazy=[open_record_intake_from_button])
    on.view(View.RECORD_INTAKE, ack=submit_record_intake)


def parse_intake(form: dict, locale: str, today: date, *, strict: bool = False) -> IntakeInput:
    """The modal's values as the core's input; raises ValidationError with field locations."""
    if strict:
        return _parse_strict_intake(form, locale, today)
    under14 = YES in (form.get("client.under14") or [])
    guardian_name = form.get("guardian.name")
    signer, relationship = (
        (guardian_name or "", SignerRelationship.PARENT)
        if under14
        else (form.get("client.name") or "", SignerRelationship.SELF)
    )
    consents = [
        {
            "scope": scope,
            "signer_name": signer,
            "signer_relationship": relationship,
            "purposes": t("intake.modal.consent_purposes", locale),
            "items": t("intake.modal.consent_items", locale),
            "retention": t("intake.modal.consent_retention", locale),
            "refusal_notice_given": YES in (form.get("refusal_notice") or []),
            "guardian_verified": under14 and bool(guardian_name),
            "given_on": today,
        }
        for scope in form.get("consent_scopes") or []
    ]
    guardians = []
    if guardian_name:
        guardians.append(
            {
                "name": guardian_name,
                "relationship_kind": form.get("guardian.relationship_kind")
                or t("intake.guardian.default_relationship", "ko"),
                "contact": form.get("guardian.contact"),
                "is_legal_representative": under14,
            }
        )
    return IntakeInput.model_validate(
        {
            "client": {
                "name": form.get("client.name") or "",
                "birth_date": form.get("client.birth_date"),
                "sex": form.get("client.sex"),
                "contact": form.get("client.contact"),
                "address": form.get("client.address"),
                "life_stage": form.get("client.life_stage"),
                "under14": under14,
            },
            "referral_source": referral_source(form),
            "presenting_needs": form.get("presenting_needs") or [],
            "intake_summary": form.get("intake_summary"),
            "confidentiality_notice_given": YES in (form.get("confidentiality_notice_given") or []),
            **referral_fields(form),
            "guardians": guardians,
            "consents": consents,
        }
    )


def referral_fields(form: dict) -> dict:
    """Intake held now, or a referral only (stage 0) with its referrer, date and reason."""
    held = form.get("intake_held") != REFERRAL_ONLY
    fields: dict = {"intake_held": held}
    for name in ("referrer", "referred_on", "referral_reason"):
        if form.get(name) is not None:
            fields[name] = form.get(name)
    return fields


def _parse_strict_intake(form: dict, locale: str, today: date) -> IntakeInput:
    """Strict mode: no names anywhere; a consent is the signed paper form kept in the system of record."""
    under14 = YES in (form.get("client.under14") or [])
    verified = YES in (form.get("guardian.verified") or [])
    relationship_kind = form.get("guardian.relationship_kind")
    consents = [
        {
            "scope": scope,
            "signer_name": None,
            "signer_relationship": SignerRelationship.PARENT if under14 else SignerRelationship.SELF,
            "purposes": t("intake.modal.consent_purposes", locale),
            "items": t("intake.modal.consent_items", locale),
            "retention": t("intake.modal.consent_retention", locale),
            "refusal_notice_given": YES in (form.get("refusal_notice") or []),
            "method": ConsentMethod.WRITTEN,
            "guardian_verified": under14 and verified,
            "given_on": today,
        }
        for scope in form.get("consent_scopes") or []
    ]
    guardians = []
    if relationship_kind or verified:
        guardians.append(
            {
                "relationship_kind": relationship_kind or t("intake.guardian.default_relationship", "ko"),
                "is_legal_representative": under14,
            }
        )
    return IntakeInput.model_validate(
        {
            "client": {
                "external_ref": form.get("client.external_ref"),
                "sex": form.get("client.sex"),
                "life_stage": form.get("client.life_stage"),
                "under14": under14,
            },
            "referral_source": referral_source(form),
            "presenting_needs": form.get("presenting_needs") or [],
            "intake_summary": form.get("intake_summary"),
            "confidentiality_notice_given": YES in (form.get("confidentiality_notice_given") or []),
            "intake_held": True,
            "guardians": guardians,
            "consents": consents,
        },
        context=STRICT_CONTEXT,
    )


def intake_aliases(form: dict) -> dict[str, str]:
    """Where the core's errors about the consent's signer go: under the input the signer is taken from."""
    return GUARDIAN_SIGNS if YES in (form.get("client.under14") or []) else ALIASES


def referral_source(form: dict) -> str:
    """The chosen source as recorded (in Korean); a value the modal never offered is a field error."""
    source = form.get("referral_source") or "other"
    if source not in REFERRAL_SOURCES:
        raise InvalidInput({"referral_source": Message("errors.input.enum")})
    return t(f"intake.source.{source}", "ko")


def open_intake(call: Invocation) -> None:
    policy = call.turn.policy
    ctx = call.ctx()
    with call.uow() as db:
        if access.approval_required(ctx.profile):
            # Refused (and logged) before the form, not after it is filled in: the head of the school's
            # approval is checked again when the case is saved.
            cases.require_may_open(db, ctx)
        # The case goes to the person opening it: warned (never refused) when that puts them over the
        # caseload threshold.
        warning = supervision.over_threshold(db, ctx, ctx.actor.id)
    call.open_modal(
        intake_modal(
            call.locale,
            ctx.profile,  # the profile of the team the case opens in
            channel_id=call.command.get("channel_id"),
            strict=policy.strict_privacy,
            load_warning=warning,
        )
    )


def _open_case(db: Session, ctx: Ctx, data: IntakeInput) -> dict[str, object]:
    case = cases.open_case(db, ctx, data)
    return {"code": case.code, "next_step": cases.current_state(db, ctx, case).next_step.value}


def submit_intake(turn: Turn) -> None:
    """The ack: parse and open the case once per view, and show the done modal (or field errors)."""
    locale = turn.locale
    strict = turn.policy.strict_privacy
    outcome = submit_once(
        turn,
        blocks=STRICT_BLOCKS if strict else BLOCKS,
        aliases=STRICT_ALIASES if strict else intake_aliases(read_state(turn.view)),
        parse=lambda form, ctx: parse_intake(form, locale, ctx.today, strict=strict),
        work=_open_case,
    )
    if outcome is None:
        return
    result, first_time = outcome
    code, next_step = str(result["code"]), NextStep(str(result["next_step"]))
    turn.ack(response_action="update", view=intake_done_modal(locale, code, next_step))
    opened_in = ChannelRef.read(turn.view.get("private_metadata"))  # None: not opened in a channel
    if first_time and opened_in:
        turn.pass_on(channel=opened_in.channel, code=code, next_step=next_step.value)


def confirm_intake(turn: Turn) -> None:
    """After the ack: a private note where `/case new` was typed, once, when the case was opened."""
    outcome = turn.outcome
    if outcome is None:
        return
    locale = turn.locale
    next_step = NextStep(str(outcome["next_step"]))
    try:
        turn.tell_in(  # the bot's DM where it is not in that channel (a DM between two people)
            str(outcome["channel"]),
            t("intake.done.message", locale, code=str(outcome["code"]), next_step=next_step.label(locale)),
        )
    except SlackApiError as error:  # the case is opened and the modal said so: a lost note is no failure
        log.warning("could not post the intake confirmation: %s", error.response.get("error"))


# ---------------------------------------------------------------- the intake of a referred case


def _record_intake_view(turn: Turn, ctx: Ctx, code: str) -> dict | str:
    """The intake modal of a referred case, or why not (already held)."""
    locale = turn.locale
    with turn.uow() as db:
        shown = cases.show(db, ctx, code)
        if shown.case.intake_at is not None:
            return t("intake.record.already", locale, code=shown.case.code)
        return record_intake_modal(locale, shown.case.code)


def open_record_intake(call: Invocation) -> None:
    code = call.code("intake")
    if code is None:
        return
    view = _record_intake_view(call.turn, call.ctx(), code)
    if isinstance(view, str):
        return call.reply(text=view)
    call.open_modal(view)


def open_record_intake_from_button(turn: Turn) -> None:
    """The Home's RECORD_INTAKE button."""
    if turn.actor is None:
        return turn.tell(t("common.not_staff", turn.locale))
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        return
    view = _record_intake_view(turn, turn.ctx(Surface.BUTTON), clicked.code)
    if isinstance(view, str):
        return turn.tell(view)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


class RecordIntakeForm(Form):
    intake_summary: OptionalText = Field(None, max_length=3000)
    confidentiality_notice_given: bool = False


def submit_record_intake(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field
    locale = turn.locale

    def parse(form: dict, ctx: Ctx) -> RecordIntakeForm:
        return RecordIntakeForm(
            intake_summary=form.get("intake_summary"),
            confidentiality_notice_given=YES in (form.get("confidentiality_notice_given") or []),
        )

    def work(db: Session, ctx: Ctx, form: RecordIntakeForm) -> dict[str, object]:
        case = cases.record_intake(
            db, ctx, code, summary=form.intake_summary, notice_given=form.confidentiality_notice_given
        )
        return {"code": case.code, "next_step": cases.current_state(db, ctx, case).next_step.value}

    outcome = submit_once(turn, blocks=RECORD_INTAKE_BLOCKS, parse=parse, work=work)
    if outcome is None:
        return
    result, _ = outcome
    view = intake_done_modal(locale, str(result["code"]), NextStep(str(result["next_step"])))
    turn.ack(response_action="update", view=view)
