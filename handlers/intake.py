"""The intake modal's submission: parse, open the case once per view, answer privately."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.errors import loggable
from bot.forms import read_state
from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn, user_locale
from bot.metadata import CaseRef, ChannelRef
from bot.notify import dm
from bot.views.intake import (
    ALLEGED_ABUSER,
    CO_RESIDENT,
    DETAIL_BLOCKS,
    GUARDIAN_FIELDS,
    MAIN_CARER,
    MEMBER_FIELDS,
    RECORD_INTAKE_BLOCKS,
    REFERRAL_ONLY,
    REFERRAL_SOURCES,
    SELF_SIGNS,
    STRICT_MEMBER_FIELDS,
    YES,
    intake_crisis_message,
    intake_done_modal,
    intake_modal,
    record_intake_modal,
    rows_in,
)
from handlers.common import Invocation, submit_once
from models.enums import ConsentMethod, NextStep, SignerRelationship, Surface
from models.errors import InvalidInput, Message
from models.schemas import (
    MAX_GUARDIANS,
    MAX_HOUSEHOLD,
    STRICT_CONTEXT,
    IntakeInput,
    RecordIntakeInput,
)
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
    "intake_route",
    "client.name",
    "client.birth_date",
    "client.sex",
    "client.contact",
    "client.address",
    "client.life_stage",
    "client.under14",
    *DETAIL_BLOCKS,
    "presenting_needs",
    "intake_summary",
    "crisis_flags",
    "confidentiality_notice_given",
    "consent_signer",
    "consent_scopes",
    "refusal_notice",
]
# Core field names that are not blocks of this view, mapped to the input they are about. A list's
# error (`client.benefits.0`) goes under its input; the signer's under the input the name came from.
LIST_ALIASES = {
    "client.characteristics": "client.characteristics",
    "client.benefits": "client.benefits",
    "client.interpreter_needed": "client.interpreter",
    "crisis_flags": "crisis_flags",
    "presenting_needs": "presenting_needs",
    "signer_guardian": "consent_signer",
    "signer_name": "consent_signer",  # a consent in an alleged abuser's name (R12)
    "consents": "refusal_notice",
    "consents.scope": "consent_scopes",
}
ALIASES = {
    **LIST_ALIASES,
    "client": "client.name",
    "guardians": "consent_signer",
    "household": "household.add",
    "consents.signer_name": "client.name",
    "signer_relationship": "client.name",
}
# privacy_mode=strict: the modal has no identifier inputs, and the system-of-record number instead.
STRICT_BLOCKS = [
    "referral_source",
    "intake_route",
    "client.external_ref",
    "client.sex",
    "client.life_stage",
    "client.under14",
    *DETAIL_BLOCKS,
    "presenting_needs",
    "intake_summary",
    "crisis_flags",
    "guardian.relationship_kind",
    "guardian.verified",
    "confidentiality_notice_given",
    "consent_scopes",
    "refusal_notice",
]
STRICT_ALIASES = {
    **LIST_ALIASES,
    "client": "client.external_ref",
    "guardians": "guardian.relationship_kind",
    "household": "household.add",
    "consents.signer_name": "guardian.verified",
    "signer_relationship": "guardian.verified",
    "signer_guardian": "guardian.verified",
    "signer_name": "guardian.verified",
}


def register(on: Listeners) -> None:
    on.view(View.INTAKE, ack=submit_intake, lazy=[confirm_intake, notify_crisis])
    on.action(Action.INTAKE_ADD_MEMBER, lazy=[add_member])
    on.action(Action.INTAKE_ADD_GUARDIAN, lazy=[add_guardian])
    on.subcommand("new")(open_intake)
    on.subcommand("intake")(open_record_intake)
    on.action(Action.OPEN_RECORD_INTAKE, lazy=[open_record_intake_from_button])
    on.view(View.RECORD_INTAKE, ack=submit_record_intake, lazy=[notify_crisis])


def _chosen(form: dict, block: str) -> list[str]:
    value = form.get(block)
    return value if isinstance(value, list) else []


def _filled(form: dict, prefix: str, fields: tuple[str, ...]) -> bool:
    """Whether a row holds anything typed or chosen (an untouched row is left out, not an error)."""
    for name in fields:
        value = form.get(prefix + name)
        if name == "flags":
            continue  # a member row's "lives together" is ticked from the start
        if value:
            return True
    return False


def household_of(form: dict, *, named: bool = True) -> list[dict]:
    """The household rows as the core's inputs, in their order; rows left empty are not members."""
    fields = MEMBER_FIELDS if named else STRICT_MEMBER_FIELDS
    members = []
    for index in range(MAX_HOUSEHOLD):
        key = f"household.{index}."
        if not _filled(form, key, fields):
            continue
        flags = _chosen(form, key + "flags")
        member = {
            "relation": form.get(key + "relation") or "",
            "age_band": form.get(key + "age_band"),
            "co_resident": CO_RESIDENT in flags,
            "is_main_carer": MAIN_CARER in flags,
        }
        if named:
            member["name"] = form.get(key + "name")
        members.append(member)
    return members


def guardian_rows(form: dict) -> dict[int, dict]:
    """The guardian rows filled in, by row number (the signer select names a row)."""
    rows = {}
    for index in range(MAX_GUARDIANS):
        key = f"guardians.{index}."
        if not _filled(form, key, GUARDIAN_FIELDS) and ALLEGED_ABUSER not in _chosen(form, key + "flags"):
            continue
        rows[index] = {
            "name": form.get(key + "name"),
            "relationship_kind": form.get(key + "relationship_kind")
            or t("intake.guardian.default_relationship", "ko"),
            "contact": form.get(key + "contact"),
            "legal_standing": form.get(key + "legal_standing"),
            "is_alleged_abuser": ALLEGED_ABUSER in _chosen(form, key + "flags"),
        }
    return rows


def signer_row(form: dict) -> int | None:
    """The guardian row chosen to sign the consents; None: the client. Not chosen: the first guardian
    for a child under 14 (R7), the client otherwise. A choice the modal never offered reads as the client
    is not assumed: it is a field error."""
    chosen = form.get("consent_signer")
    if chosen is None:
        return 0 if YES in _chosen(form, "client.under14") else None
    if chosen == SELF_SIGNS:
        return None
    prefix, _, number = str(chosen).partition(".")
    if prefix != "guardian" or not number.isdigit() or int(number) >= MAX_GUARDIANS:
        raise InvalidInput({"consent_signer": Message("errors.input.enum")})
    return int(number)


def client_details(form: dict) -> dict:
    """Characteristics, interpreter, benefits and housing: the same inputs in both modes."""
    language = form.get("client.interpreter_language")
    return {
        "characteristics": _chosen(form, "client.characteristics"),
        "interpreter_needed": YES in _chosen(form, "client.interpreter") or bool(language),
        "interpreter_language": language,
        "benefits": _chosen(form, "client.benefits"),
        "housing_type": form.get("client.housing_type"),
    }


def parse_intake(form: dict, locale: str, today: date, *, strict: bool = False) -> IntakeInput:
    """The modal's values as the core's input; raises ValidationError with field locations."""
    if strict:
        return _parse_strict_intake(form, locale, today)
    under14 = YES in (form.get("client.under14") or [])
    rows = guardian_rows(form)
    signer_at = signer_row(form)
    order = sorted(rows)
    # A guardian row left empty signs nothing: the consent then has no signer's name, an error under
    # that row's name input.
    signer_index = order.index(signer_at) if signer_at in rows else None
    if signer_at is not None:
        signer = (rows[signer_at]["name"] if signer_at in rows else None) or ""
        relationship = SignerRelationship.PARENT
    else:
        signer, relationship = form.get("client.name") or "", SignerRelationship.SELF
    consents = [
        {
            "scope": scope,
            "signer_name": signer,
            "signer_relationship": relationship,
            "purposes": t("intake.modal.consent_purposes", locale),
            "items": t("intake.modal.consent_items", locale),
            "retention": t("intake.modal.consent_retention", locale),
            "refusal_notice_given": YES in (form.get("refusal_notice") or []),
            "guardian_verified": signer_at is not None and bool(signer),
            "given_on": today,
        }
        for scope in form.get("consent_scopes") or []
    ]
    guardians = [{**rows[i], "is_legal_representative": under14 and i == signer_at} for i in order]
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
                **client_details(form),
            },
            "referral_source": referral_source(form),
            "intake_route": form.get("intake_route"),
            "presenting_needs": form.get("presenting_needs") or [],
            "intake_summary": form.get("intake_summary"),
            "crisis_flags": _chosen(form, "crisis_flags"),
            "confidentiality_notice_given": YES in (form.get("confidentiality_notice_given") or []),
            **referral_fields(form),
            "household": household_of(form),
            "guardians": guardians,
            "signer_guardian": signer_index,
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
                **client_details(form),
            },
            "referral_source": referral_source(form),
            "intake_route": form.get("intake_route"),
            "presenting_needs": form.get("presenting_needs") or [],
            "intake_summary": form.get("intake_summary"),
            "crisis_flags": _chosen(form, "crisis_flags"),
            "confidentiality_notice_given": YES in (form.get("confidentiality_notice_given") or []),
            "intake_held": True,
            "household": household_of(form, named=False),
            "guardians": guardians,
            "consents": consents,
        },
        context=STRICT_CONTEXT,
    )


def intake_aliases(form: dict) -> dict[str, str]:
    """Where the core's errors about the consent's signer go: under the input the signer is taken from
    (the client's name, or the chosen guardian's name)."""
    try:
        signer_at = signer_row(form)
    except InvalidInput:
        return ALIASES
    if signer_at is None:
        return ALIASES
    source = f"guardians.{signer_at}.name"
    return {**ALIASES, "consents.signer_name": source, "signer_relationship": source}


def row_blocks(form: dict, *, strict: bool) -> list[str]:
    """Every input of the household and guardian rows the view holds."""
    rows: list[str] = []
    member_fields = STRICT_MEMBER_FIELDS if strict else MEMBER_FIELDS
    for kind, fields, most in (
        ("household", member_fields, MAX_HOUSEHOLD),
        ("guardians", () if strict else GUARDIAN_FIELDS, MAX_GUARDIANS),
    ):
        for index in range(most):
            if any(key.startswith(f"{kind}.{index}.") for key in form):
                rows += [f"{kind}.{index}.{name}" for name in fields]
    return rows


def intake_blocks(form: dict, *, strict: bool) -> list[str]:
    """The view's inputs: the fixed ones and every input of the household and guardian rows it holds."""
    return [*(STRICT_BLOCKS if strict else BLOCKS), *row_blocks(form, strict=strict), "household.add"]


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
    return {
        "code": case.code,
        "next_step": cases.current_state(db, ctx, case).next_step.value,
        # A crisis ticked at intake: the supervisors to tell at once (kept with the result, so a retried
        # submission does not tell them twice).
        "notify": [list(pair) for pair in cases.crisis_recipients(db, case, today=ctx.today)],
    }


def submit_intake(turn: Turn) -> None:
    """The ack: parse and open the case once per view, and show the done modal (or field errors)."""
    locale = turn.locale
    strict = turn.policy.strict_privacy
    form = read_state(turn.view)
    outcome = submit_once(
        turn,
        blocks=intake_blocks(form, strict=strict),
        aliases=STRICT_ALIASES if strict else intake_aliases(form),
        parse=lambda form, ctx: parse_intake(form, locale, ctx.today, strict=strict),
        work=_open_case,
    )
    if outcome is None:
        return
    result, first_time = outcome
    code, next_step = str(result["code"]), NextStep(str(result["next_step"]))
    turn.ack(response_action="update", view=intake_done_modal(locale, code, next_step))
    opened_in = ChannelRef.read(turn.view.get("private_metadata"))  # None: not opened in a channel
    if first_time:
        turn.pass_on(
            channel=opened_in.channel if opened_in else None,
            code=code,
            next_step=next_step.value,
            notify=result.get("notify") or [],
        )


def confirm_intake(turn: Turn) -> None:
    """After the ack: a private note where `/case new` was typed, once, when the case was opened."""
    outcome = turn.outcome
    if outcome is None or not outcome.get("channel"):
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


def notify_crisis(turn: Turn) -> None:
    """After the ack: a crisis ticked at intake is told to each of the team's supervisors at once, by
    DM, case code only (R1); the first-response nudge is already among the case's reminders."""
    outcome = turn.outcome
    if outcome is None:
        return
    code = str(outcome["code"])
    for user, stored_locale in outcome.get("notify") or []:
        try:
            text, blocks = intake_crisis_message(stored_locale or user_locale(turn.client, user, "ko"), code)
            dm(turn.client, user, text, blocks)
        except Exception as error:  # one supervisor's failed DM must not keep the others from theirs
            log.error("intake crisis DM for %s to a supervisor failed\n%s", code, loggable(error))


def _add_row(turn: Turn, *, member: bool) -> None:
    """An "add" button inside the intake modal: the same modal with one more row, what was typed kept
    (the same block ids keep Slack's own values too)."""
    view_id = turn.view.get("id")
    callback = turn.view.get("callback_id")
    if turn.actor is None or not view_id or callback not in (View.INTAKE, View.RECORD_INTAKE):
        return
    members, guardians = rows_in(turn.view)
    members, guardians = (members + 1, guardians) if member else (members, guardians + 1)
    if callback == View.RECORD_INTAKE:
        case = CaseRef.read(turn.view.get("private_metadata"))
        if case is None:
            return
        view = record_intake_modal(
            turn.locale,
            case.code,
            strict=turn.policy.strict_privacy,
            members=members,
            guardians=guardians,
            values=read_state(turn.view),
        )
    else:
        opened_in = ChannelRef.read(turn.view.get("private_metadata"))
        view = intake_modal(
            turn.locale,
            turn.policy.profile,
            channel_id=opened_in.channel if opened_in else None,
            strict=turn.policy.strict_privacy,
            members=members,
            guardians=guardians,
            values=read_state(turn.view),
        )
    try:
        turn.client.views_update(view_id=view_id, hash=turn.view.get("hash"), view=view)
    except SlackApiError as error:  # closed meanwhile, or typed into again (hash_conflict): nothing lost
        log.warning("could not add a row to the intake modal: %s", error.response.get("error"))


def add_member(turn: Turn) -> None:
    _add_row(turn, member=True)


def add_guardian(turn: Turn) -> None:
    _add_row(turn, member=False)


# ---------------------------------------------------------------- the intake of a referred case


def _record_intake_view(turn: Turn, ctx: Ctx, code: str) -> dict | str:
    """The intake modal of a referred case, or why not (already held)."""
    locale = turn.locale
    with turn.uow() as db:
        shown = cases.show(db, ctx, code)
        if shown.case.intake_at is not None:
            return t("intake.record.already", locale, code=shown.case.code)
        return record_intake_modal(locale, shown.case.code, strict=turn.policy.strict_privacy)


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


# Where the core's errors about the record-intake's inputs go (a list's error under its input).
RECORD_ALIASES = {
    "client.characteristics": "client.characteristics",
    "client.benefits": "client.benefits",
    "client.interpreter_needed": "client.interpreter",
    "crisis_flags": "crisis_flags",
    "household": "household.add",
    "guardians": "guardians.0.name",
}


def parse_record_intake(form: dict, *, strict: bool = False) -> RecordIntakeInput:
    """The record-intake modal's values as the core's input, parsed as the intake's (the same blocks);
    raises ValidationError with field locations."""
    rows = {} if strict else guardian_rows(form)
    return RecordIntakeInput.model_validate(
        {
            "intake_summary": form.get("intake_summary"),
            "confidentiality_notice_given": YES in (form.get("confidentiality_notice_given") or []),
            "client": client_details(form),
            "intake_route": form.get("intake_route"),
            "household": household_of(form, named=not strict),
            "guardians": [rows[i] for i in sorted(rows)],
            "crisis_flags": _chosen(form, "crisis_flags"),
        },
        context=STRICT_CONTEXT if strict else None,
    )


def _record_intake(db: Session, ctx: Ctx, code: str, data: RecordIntakeInput) -> dict[str, object]:
    recorded = cases.record_first_interview(db, ctx, code, data)
    case = recorded.case
    return {
        "code": case.code,
        "next_step": cases.current_state(db, ctx, case).next_step.value,
        # A crisis newly ticked at this interview: the supervisors to tell at once (kept with the
        # result, so a retried submission does not tell them twice).
        "notify": [list(p) for p in cases.crisis_recipients(db, case, today=ctx.today)]
        if recorded.crisis_ticked
        else [],
    }


def submit_record_intake(turn: Turn) -> None:
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field
    locale = turn.locale
    strict = turn.policy.strict_privacy
    form = read_state(turn.view)
    outcome = submit_once(
        turn,
        blocks=[*RECORD_INTAKE_BLOCKS, *row_blocks(form, strict=strict), "household.add"],
        aliases=RECORD_ALIASES,
        parse=lambda form, ctx: parse_record_intake(form, strict=strict),
        work=lambda db, ctx, data: _record_intake(db, ctx, code, data),
    )
    if outcome is None:
        return
    result, first_time = outcome
    view = intake_done_modal(locale, str(result["code"]), NextStep(str(result["next_step"])))
    turn.ack(response_action="update", view=view)
    if first_time:
        turn.pass_on(code=str(result["code"]), notify=result.get("notify") or [])
