"""`/case refer CODE` (연계, 의뢰): the referral modal, sending once per view (R5), and the status buttons.

Sending is one unit of work: the third-party consent obtained now (if ticked), the referral, and its
move to SENT commit together or not at all. The case manager then gets a DM with the case code, the
agency, the status and a button per next status; a click moves the referral and edits that DM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bot.errors import loggable
from bot.i18n import t
from bot.ids import Action, View
from bot.listeners import Listeners, Turn
from bot.metadata import (
    CaseRef,
    MessageRef,
    ReferFrom,
    ReferralMove,
    ReferralOutcome,
    conversation_id,
    option_id,
)
from bot.notify import dm
from bot.views.profiles import wee_step_up_message
from bot.views.referrals import (
    CONSENT_NOW,
    OUTCOME_BLOCKS,
    REPLY_BLOCKS,
    YES,
    ResourceChoice,
    loading_modal,
    notice_modal,
    outcome_done_modal,
    outcome_modal,
    refer_done_modal,
    refer_modal,
    referral_message,
    reply_done_modal,
    reply_modal,
)
from handlers.common import Invocation, clicked_in, submit_once
from models.enums import (
    OUTCOME_STATUSES,
    ConsentMethod,
    ConsentScope,
    ReferralStatus,
    ReplyMethod,
    SignerRelationship,
    Surface,
    WeeLevel,
)
from models.errors import DomainError, InvalidInput, Message, RuleViolation, invalid_input_from
from models.schemas import (
    STRICT_CONTEXT,
    ConsentInput,
    ReferralInput,
    ReferralOutcomeInput,
    ReferrerReplyInput,
)
from models.services import access, cases, consents, idempotency, referrals, resources, school
from models.services.context import Ctx

if TYPE_CHECKING:  # the units of work handlers pass to services; handlers hold no SQL
    from sqlalchemy.orm import Session

log = logging.getLogger("casebot")

BLOCKS = [
    "resource_id",
    "domain",
    "reason",
    CONSENT_NOW,
    "consent.signer_name",
    "consent.signer_relationship",
    "consent.refusal_notice_given",
    "consent.guardian_verified",
    "statutory_basis",
    "statutory_note",
]
# Core field names that are not blocks of this view, mapped to the input they are about.
ALIASES = {
    "consent_id": CONSENT_NOW,
    "recipient_resource_ids": "resource_id",
    "signer_name": "consent.signer_name",
    "signer_relationship": "consent.signer_relationship",
    "refusal_notice_given": "consent.refusal_notice_given",
    "guardian_verified": "consent.guardian_verified",
    "channel": "reason",
}
STATUS_ACTION = re.compile("^" + re.escape(Action.REFERRAL_STATUS) + "(:[A-Z_]+)?$")


def register(on: Listeners) -> None:
    on.subcommand("refer")(open_refer_command)
    on.view(View.REFER, ack=submit_refer, lazy=[notify_manager])
    on.action(Action.OPEN_REFER, lazy=[open_refer_button])
    on.action(STATUS_ACTION, lazy=[move_referral])
    on.view(View.REFERRAL_STATUS, ack=submit_outcome, lazy=[show_outcome_in_dm])
    on.action(Action.OPEN_REFERRER_REPLY, lazy=[open_reply])
    on.subcommand("reply")(open_reply_command)
    on.view(View.REFERRER_REPLY, ack=submit_reply)
    # Picking an agency re-renders the consent line for it (the inputs keep what was typed).
    on.action("resource_id", lazy=[resource_picked])


def _in_refer_modal(turn: Turn) -> bool:
    return turn.view.get("callback_id") == View.REFER


# ------------------------------------------------------------------ opening


def open_refer_command(call: Invocation) -> None:
    code = call.code("refer")
    if code is None:
        return
    open_refer(call.turn, code=code, channel_id=call.command.get("channel_id"), surface=Surface.SLASH_COMMAND)


def open_refer_button(turn: Turn) -> None:
    clicked = CaseRef.read(turn.action.get("value"))
    code = clicked.code if clicked else ""  # no case has code "": the core's "not found" in the modal
    open_refer(turn, code=code, channel_id=clicked_in(turn.body), surface=Surface.BUTTON)


def refer_form(
    db: Session,
    ctx: Ctx,
    locale: str,
    code: str,
    *,
    channel_id: str | None,
    selected: int | None = None,
    aftercare_check: int | None = None,
) -> dict:
    """The referral form for a case (or the core's refusal, raised); `aftercare_check`: opened from an
    after-care check that chose to link a service (handlers/closure.py)."""
    case = access.load_case(db, ctx, code, purpose="refer")
    referrals.require_referable(db, case, aftercare_check)
    choices = [ResourceChoice(r.id, r.name, r.category) for r in resources.by_category(db)]
    return refer_modal(
        locale,
        case.profile,
        case.code,
        choices,
        covered=consents.covered_resources(db, ctx, case),
        selected=selected,
        channel_id=channel_id,
        strict=ctx.policy.strict_privacy,
        aftercare_check=aftercare_check,
    )


def open_refer(turn: Turn, *, code: str, channel_id: str | None, surface: Surface) -> None:
    """Open a modal at once (the trigger id lasts 3 s), then put the form or the refusal in it."""
    locale = turn.locale
    title = t("referrals.modal.title", locale)
    opened = turn.client.views_open(
        trigger_id=turn.trigger_id, view=loading_modal(title, t("referrals.modal.loading", locale))
    )
    view = _refusal_or(
        turn, lambda db, ctx: refer_form(db, ctx, locale, code, channel_id=channel_id), surface
    )
    turn.client.views_update(view_id=opened["view"]["id"], hash=opened["view"].get("hash"), view=view)


def _refusal_or(turn: Turn, build: Callable[[Session, Ctx], dict], surface: Surface) -> dict:
    locale = turn.locale
    title, close = t("referrals.modal.title", locale), t("referrals.modal.close", locale)
    if turn.actor is None:
        return notice_modal(title, t("common.not_staff", locale), close)
    ctx = turn.ctx(surface)
    try:
        with turn.uow() as db:
            return build(db, ctx)
    except DomainError as error:
        return notice_modal(title, error.text(locale), close)


def resource_picked(turn: Turn) -> None:
    if not _in_refer_modal(turn):
        return  # a select of another view: nothing of this dialogue
    view = turn.view
    meta = ReferFrom.read(view.get("private_metadata"))
    code, channel, check = (meta.code, meta.channel, meta.check_id) if meta else ("", None, None)
    selected = option_id(turn.action.get("selected_option"))
    locale = turn.locale
    new_view = _refusal_or(
        turn,
        lambda db, ctx: refer_form(
            db, ctx, locale, code, channel_id=channel, selected=selected, aftercare_check=check
        ),
        Surface.MODAL,
    )
    turn.client.views_update(view_id=view["id"], hash=view.get("hash"), view=new_view)


# ------------------------------------------------------------------ submission


class ReferForm(BaseModel):
    referral: ReferralInput
    consent: ConsentInput | None = None


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _consent_block(field: str) -> str:
    return ALIASES.get(field, CONSENT_NOW)


def parse_refer(form: dict[str, Any], locale: str, today: Any, *, strict: bool = False) -> ReferForm:
    """The modal's values as the core's inputs; every problem at once, each on its own block."""
    errors: dict[str, Message] = {}
    resource_id = form.get("resource_id")
    referral = None
    try:
        referral = ReferralInput.model_validate(
            _present(
                {
                    "resource_id": resource_id,
                    "domain": form.get("domain"),
                    "reason": form.get("reason"),
                    "statutory_basis": form.get("statutory_basis"),
                    "statutory_note": form.get("statutory_note"),
                }
            )
        )
    except ValidationError as error:
        errors.update(invalid_input_from(error).errors)
    if form.get("statutory_basis") and not form.get("statutory_note"):
        errors.setdefault(
            "statutory_note",
            Message("referrals.errors.note_needed"),
        )
    consent = None
    if YES in (form.get(CONSENT_NOW) or []):
        relationship = form.get("consent.signer_relationship") or SignerRelationship.SELF.value
        try:
            consent = ConsentInput.model_validate(
                _present(
                    {
                        "scope": ConsentScope.THIRD_PARTY,
                        # Strict mode: the signed form, with the name, stays in the system of record.
                        "signer_name": None if strict else form.get("consent.signer_name"),
                        "signer_relationship": relationship,
                        "purposes": t("referrals.consent.purposes", locale),
                        "items": t("referrals.consent.items", locale),
                        "recipient_resource_ids": [resource_id] if resource_id else [],
                        "retention": t("referrals.consent.retention", locale),
                        "refusal_notice_given": YES in (form.get("consent.refusal_notice_given") or []),
                        "method": ConsentMethod.WRITTEN,
                        "guardian_verified": YES in (form.get("consent.guardian_verified") or []),
                        "given_on": today,
                    }
                ),
                context=STRICT_CONTEXT if strict else None,
            )
        except ValidationError as error:
            for name, message in invalid_input_from(error).errors.items():
                errors.setdefault(_consent_block(name), message)
    if errors or referral is None:
        raise InvalidInput(errors)
    return ReferForm(referral=referral, consent=consent)


def _send(
    db: Session, ctx: Ctx, code: str, form: ReferForm, aftercare_check: int | None = None
) -> dict[str, object]:
    """Consent (if obtained now), referral and SENT in the caller's one unit of work."""
    case = access.load_case(db, ctx, code, purpose="refer")
    data = form.referral
    if form.consent is not None:
        try:
            consent = consents.add_consent(db, ctx, case, form.consent)
        except InvalidInput as error:
            raise InvalidInput({_consent_block(f): m for f, m in error.errors.items()}) from None
        data = data.model_copy(update={"consent_id": consent.id})
    referral = referrals.create(db, ctx, case.code, data, aftercare_check_id=aftercare_check)
    try:
        referral = referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    except RuleViolation as refusal:
        if refusal.rule == "R5":  # shown on the consent block; the referral is rolled back with it
            raise InvalidInput({CONSENT_NOW: refusal.message}) from None
        raise
    found = referrals.summary(db, referral)
    return {
        "referral_id": found.referral_id,
        **_shown(found),
        "manager": found.manager,
        "manager_locale": found.manager_locale,
    }


def _shown(found: referrals.ReferralSummary) -> dict[str, object]:
    """What the case manager's message shows, as plain data."""
    return {
        "code": found.code,
        "resource": found.resource,
        "status": found.status.value,
        "response_due": found.response_due.isoformat() if found.response_due else None,
    }


def submit_refer(turn: Turn) -> None:
    """Sent once per view in the ack (field errors come back inline); the case manager's DM is lazy."""
    locale = turn.locale
    meta = ReferFrom.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field
    check = meta.check_id if meta else None
    outcome = submit_once(
        turn,
        blocks=BLOCKS,
        aliases=ALIASES,
        parse=lambda form, ctx: parse_refer(form, locale, ctx.today, strict=ctx.policy.strict_privacy),
        work=lambda db, ctx, form: _send(db, ctx, code, form, check),
    )
    if outcome is None:
        return
    result, first_time = outcome
    status = ReferralStatus(str(result["status"]))
    turn.ack(
        response_action="update",
        view=refer_done_modal(locale, str(result["code"]), str(result["resource"]), status),
    )
    if first_time and result.get("manager"):
        turn.pass_on(**result)


def notify_manager(turn: Turn) -> None:
    """The case manager's DM: case code, agency, status and the next statuses as buttons."""
    result = turn.outcome
    if result is None:
        return
    locale = str(result.get("manager_locale") or turn.locale)
    text, blocks = _message_for(int(str(result["referral_id"])), result, locale)
    try:
        dm(turn.client, str(result["manager"]), text, blocks)
    except Exception as error:  # the referral is sent; a lost DM must not undo or hide that
        log.warning("could not DM the case manager about a referral\n%s", loggable(error))


# ------------------------------------------------------------------ status buttons


def move_referral(turn: Turn) -> None:
    """A refused move (a DomainError) is told privately where clicked, by bot.listeners."""
    locale = turn.locale
    if turn.actor is None:
        return turn.tell(t("common.not_staff", locale))
    clicked = ReferralMove.read(turn.action.get("value"))
    if clicked is None:
        return turn.tell(t("fallback.button", locale))  # not a button this app made: nothing moves
    referral_id, to = clicked.referral_id, clicked.to
    ctx = turn.ctx(Surface.BUTTON)
    if to in OUTCOME_STATUSES:
        return _open_outcome(turn, ctx, referral_id, to)

    def move(db: Session) -> dict[str, object]:  # an ending move goes through the outcome dialogue
        return _shown(referrals.summary(db, referrals.move(db, ctx, referral_id, to)))

    # The statuses never go back, so (referral, status) happens at most once: a repeated or racing
    # click finds the key taken and changes nothing.
    result, first_time = idempotency.once(turn.uow, f"referral_status:{referral_id}:{to.value}", move)
    if not first_time:
        return turn.tell(t("referrals.message.already", locale, status=to.label(locale)))
    text, blocks = _message_for(referral_id, result, locale)
    if not turn.answer_in_place(text, blocks):
        container = turn.body.get("container") or {}
        ts = (turn.body.get("message") or {}).get("ts") or container.get("message_ts")
        channel = turn.channel_id
        if channel and ts:
            turn.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def _message_for(referral_id: int, result: dict[str, Any], locale: str) -> tuple[str, list[dict]]:
    status = ReferralStatus(str(result["status"]))
    due = result.get("response_due")
    return referral_message(
        locale,
        referral_id=referral_id,
        code=str(result["code"]),
        resource=str(result["resource"]),
        status=status,
        next_statuses=referrals.TRANSITIONS[status],
        response_due=date.fromisoformat(str(due)) if due else None,
    )


# ------------------------------------------------------------------ the outcome dialogue


def _clicked_message(turn: Turn) -> MessageRef | None:
    """The DM whose button was clicked (its status is shown there once the outcome is recorded)."""
    container = turn.body.get("container") or {}
    ts = (turn.body.get("message") or {}).get("ts") or container.get("message_ts")
    channel = conversation_id(turn.channel_id)
    if not channel or not isinstance(ts, str):
        return None
    try:
        return MessageRef(channel=channel, ts=ts)
    except ValidationError:  # not a message ts this app could have been sent: nothing to edit
        return None


def _open_outcome(turn: Turn, ctx: Ctx, referral_id: int, to: ReferralStatus) -> None:
    """A move with an outcome opens its dialogue (nothing moves until it is submitted)."""
    locale = turn.locale
    message = _clicked_message(turn)

    def build(db: Session, ctx: Ctx) -> dict:
        found = referrals.outcome_target(db, ctx, referral_id, to)
        return outcome_modal(
            locale,
            code=found.code,
            resource=found.resource,
            referral_id=referral_id,
            to=to,
            today=ctx.today,
            message=message,
        )

    with turn.uow() as db:  # a refusal (a DomainError) is told privately by bot.listeners
        view = build(db, ctx)
    turn.client.views_open(trigger_id=turn.trigger_id, view=view)


def parse_outcome(form: dict[str, Any], to: ReferralStatus) -> ReferralOutcomeInput:
    return ReferralOutcomeInput.model_validate(
        {
            "to": to,
            **_present(
                {
                    "on": form.get("outcome_on"),
                    "note": form.get("outcome_note"),
                    "reason": form.get("outcome_reason"),
                }
            ),
            "no_alternative": YES in (form.get("no_alternative") or []),
        }
    )


# The core's field names, mapped to the dialogue's blocks.
OUTCOME_ALIASES = {"on": "outcome_on", "note": "outcome_note", "reason": "outcome_reason", "to": "outcome_on"}


def submit_outcome(turn: Turn) -> None:
    """Recorded once per view (a double submit records nothing twice); the DM shows the new status."""
    locale = turn.locale
    meta = ReferralOutcome.read(turn.view.get("private_metadata"))
    if meta is None:
        return turn.ack(response_action="errors", errors={"outcome_on": t("fallback.button", locale)})
    referral_id, to = meta.referral_id, meta.to

    def work(db: Session, ctx: Ctx, data: ReferralOutcomeInput) -> dict[str, object]:
        referral = referrals.record_outcome(db, ctx, referral_id, data)
        shown = {**_shown(referrals.summary(db, referral)), "unmet": referral.no_alternative}
        step = school.wee_step_up(db, ctx, referral)  # school teams: the next step on the Wee ladder
        if step is not None:
            shown["wee"] = [step.level.value, step.next.value, step.resources]
        return shown

    outcome = submit_once(
        turn,
        blocks=OUTCOME_BLOCKS,
        aliases=OUTCOME_ALIASES,
        parse=lambda form, ctx: parse_outcome(form, to),
        work=work,
    )
    if outcome is None:
        return
    result, first_time = outcome
    status = ReferralStatus(str(result["status"]))
    wee, after = result.get("wee"), None
    if isinstance(wee, list):  # the case manager's private note: go one step up if the need was not met
        level, step, names = wee
        after = wee_step_up_message(
            locale, str(result["code"]), WeeLevel(level), WeeLevel(step), list(names)
        )[1]
    view = outcome_done_modal(
        locale, str(result["code"]), str(result["resource"]), status, bool(result.get("unmet")), after
    )
    turn.ack(response_action="update", view=view)
    if first_time and meta.message is not None:
        turn.pass_on(
            referral_id=referral_id,
            channel=meta.message.channel,
            ts=meta.message.ts,
            **{key: result[key] for key in ("code", "resource", "status", "response_due")},
        )


def show_outcome_in_dm(turn: Turn) -> None:
    """The referral's DM, edited to its new status and next buttons (the status only: R1)."""
    result = turn.outcome
    if result is None:
        return
    text, blocks = _message_for(int(str(result["referral_id"])), result, turn.locale)
    try:
        turn.client.chat_update(
            channel=str(result["channel"]), ts=str(result["ts"]), text=text, blocks=blocks
        )
    except Exception as error:  # the outcome is recorded; an old message left as it was must not hide that
        log.warning("could not update the referral DM\n%s", loggable(error))


# ------------------------------------------------------------------ the reply to the referrer


def open_reply(turn: Turn) -> None:
    """The nudge's button: the dialogue to record the reply to the referrer (회신)."""
    locale = turn.locale
    if turn.actor is None:
        return turn.tell(t("common.not_staff", locale))
    clicked = CaseRef.read(turn.action.get("value"))
    if clicked is None:
        return turn.tell(t("fallback.button", locale))
    ctx = turn.ctx(Surface.BUTTON)
    with turn.uow() as db:  # a refusal (a DomainError) is told privately by bot.listeners
        code = cases.referrer_reply_target(db, ctx, clicked.code)
    turn.client.views_open(trigger_id=turn.trigger_id, view=reply_modal(locale, code, ctx.today))


def open_reply_command(call: Invocation) -> None:
    """`/case reply CODE` (회신): the same dialogue without waiting for the nudge (a reply sent early)."""
    code = call.code("reply")
    if code is None:
        return
    ctx = call.ctx()
    with call.uow() as db:
        target = cases.referrer_reply_target(db, ctx, code)
    call.open_modal(reply_modal(call.locale, target, ctx.today))


def submit_reply(turn: Turn) -> None:
    locale = turn.locale
    meta = CaseRef.read(turn.view.get("private_metadata"))
    code = meta.code if meta else ""  # no case has code "": the core's "not found" under the first field

    def parse(form: dict[str, Any], ctx: Ctx) -> ReferrerReplyInput:
        return ReferrerReplyInput.model_validate(
            _present({"on": form.get("replied_on"), "method": form.get("method")})
        )

    def work(db: Session, ctx: Ctx, data: ReferrerReplyInput) -> dict[str, object]:
        case = cases.record_referrer_reply(db, ctx, code, data)
        return {"code": case.code, "on": data.on.isoformat(), "method": data.method.value}

    outcome = submit_once(
        turn,
        blocks=REPLY_BLOCKS,
        aliases={"on": "replied_on"},
        parse=parse,
        work=work,
    )
    if outcome is None:
        return
    result, _ = outcome
    view = reply_done_modal(
        locale, str(result["code"]), str(result["on"]), ReplyMethod(str(result["method"]))
    )
    turn.ack(response_action="update", view=view)
