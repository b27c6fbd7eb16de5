"""The intake modal's submission: parse, open the case once per view, answer privately."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.i18n import t
from bot.ids import View
from bot.views.intake import YES, intake_done_modal, intake_modal
from handlers.common import Invocation, metadata, subcommand, submit_once
from models.enums import NextStep, SignerRelationship
from models.schemas import IntakeInput
from models.services import cases
from models.services.context import Ctx

BLOCKS = [
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
# Core field names that are not blocks of this view, mapped to the input they are about.
ALIASES = {
    "client": "client.name",
    "guardians": "guardian.name",
    "consents": "refusal_notice",
    "consents.signer_name": "guardian.name",
    "consents.scope": "consent_scopes",
    "signer_relationship": "guardian.name",
}


def register(app: App) -> None:
    app.view(View.INTAKE)(submit_intake)


def parse_intake(form: dict, locale: str, today: date) -> IntakeInput:
    """The modal's values as the core's input; raises ValidationError with field locations."""
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
                "relationship_kind": form.get("guardian.relationship_kind") or "보호자",
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
            "referral_source": t(f"intake.source.{form.get('referral_source') or 'other'}", "ko"),
            "presenting_needs": form.get("presenting_needs") or [],
            "intake_summary": form.get("intake_summary"),
            "confidentiality_notice_given": YES in (form.get("confidentiality_notice_given") or []),
            "intake_held": True,
            "guardians": guardians,
            "consents": consents,
        }
    )


@subcommand("new", "접수", "신규")
def open_intake(call: Invocation) -> None:
    call.open_modal(
        intake_modal(call.locale, call.context["policy"].profile, channel_id=call.command.get("channel_id"))
    )


def _open_case(db: Session, ctx: Ctx, data: IntakeInput) -> dict[str, object]:
    case = cases.open_case(db, ctx, data)
    return {"code": case.code, "next_step": cases.current_state(db, ctx, case).next_step.value}


def submit_intake(ack: Ack, view: dict, context: BoltContext, client: WebClient) -> None:
    locale = context["locale"]
    outcome = submit_once(
        ack,
        view,
        context,
        blocks=BLOCKS,
        aliases=ALIASES,
        parse=lambda form, ctx: parse_intake(form, locale, ctx.today),
        work=_open_case,
    )
    if outcome is None:
        return
    result, first_time = outcome
    code, next_step = str(result["code"]), NextStep(str(result["next_step"]))
    ack(response_action="update", view=intake_done_modal(locale, code, next_step))
    channel = metadata(view).get("channel")
    if first_time and channel:
        client.chat_postEphemeral(
            channel=channel,
            user=context.user_id,
            text=t("intake.done.message", locale, code=code, next_step=next_step.label(locale)),
        )
