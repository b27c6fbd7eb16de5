"""The referral modal (서비스 연계) and the case manager's referral message with its status buttons.

The message stays in Slack's history, so it carries the case code, the agency's name (not client
data), the status and buttons only: never the client's name or the reason (domain.md R1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseRef, MessageRef, ReferFrom, ReferralMove, ReferralOutcome, conversation_id
from bot.views.blocks import (
    LIMITS,
    YES,
    Block,
    actions,
    button,
    checkboxes,
    context,
    cut,
    date_input,
    divider,
    header,
    modal,
    option,
    plain,
    section,
    select,
    text_input,
)
from models.enums import (
    ClientDeclineReason,
    DeclineReason,
    LabeledEnum,
    NeedDomain,
    Profile,
    ReferralStatus,
    ReplyMethod,
    ResourceCategory,
    SignerRelationship,
    StatutoryBasis,
    domains_for,
)

# The R5 part of the form: ticking this records a THIRD_PARTY consent naming the chosen agency.
CONSENT_NOW = "consent_now"
CONSENT_STATUS = "consent_status"
# Order of the status buttons: forward first, the endings last.
STATUS_ORDER = tuple(ReferralStatus)
# The outcome dialogue's inputs, in order (field errors go under these block ids).
OUTCOME_BLOCKS = ["outcome_on", "outcome_reason", "outcome_note", "no_alternative"]
# The reasons each decline is chosen from (the same lists as the core's, models/services/referrals.py).
REASON_LISTS: dict[ReferralStatus, type[LabeledEnum]] = {
    ReferralStatus.DECLINED: DeclineReason,
    ReferralStatus.CLIENT_DECLINED: ClientDeclineReason,
}
REPLY_BLOCKS = ["replied_on", "method"]


@dataclass(frozen=True)
class ResourceChoice:
    """One directory entry as the views need it (no database object in the views)."""

    id: int
    name: str
    category: ResourceCategory


def status_action_id(to: ReferralStatus) -> str:
    """Buttons in one block need distinct action ids; the listener matches the common prefix."""
    return f"{Action.REFERRAL_STATUS}:{to.value}"


def resource_element(
    resources: Sequence[ResourceChoice],
    locale: str,
    *,
    covered: Iterable[int] = (),
    initial: int | None = None,
) -> dict:
    """A static select grouped by category (at most 100 options in all, as Slack allows)."""
    covered_ids = set(covered)
    groups: dict[ResourceCategory, list[dict]] = {}
    chosen = None
    for resource in list(resources)[: LIMITS["options"]]:
        note = t("referrals.modal.has_consent", locale) if resource.id in covered_ids else None
        opt = option(resource.name, str(resource.id), note)
        groups.setdefault(resource.category, []).append(opt)
        if resource.id == initial:
            chosen = opt
    element: dict = {
        "type": "static_select",
        "option_groups": [
            {"label": plain(category.label(locale), LIMITS["option_text"]), "options": opts}
            for category, opts in groups.items()
        ],
    }
    if chosen:
        element["initial_option"] = chosen
    return element


def input_block(
    block_id: str,
    label: str,
    element: dict,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LIMITS["label"]),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LIMITS["hint"])
    if dispatch:
        block["dispatch_action"] = True
    return block


def consent_status_text(
    locale: str, resources: Sequence[ResourceChoice], covered: Iterable[int], selected: int | None
) -> str:
    covered_ids = set(covered)
    names = {r.id: r.name for r in resources}
    if selected is not None and selected in names:
        key = "consent_found" if selected in covered_ids else "consent_missing"
        return t(f"referrals.modal.{key}", locale, resource=names[selected])
    listed = [names[i] for i in sorted(covered_ids) if i in names]
    if listed:
        return t("referrals.modal.consent_covers", locale, resources=", ".join(listed))
    return t("referrals.modal.consent_none", locale)


def refer_modal(
    locale: str,
    profile: Profile,
    code: str,
    resources: Sequence[ResourceChoice],
    *,
    covered: Iterable[int] = (),
    selected: int | None = None,
    channel_id: str | None = None,
    strict: bool = False,
    aftercare_check: int | None = None,
) -> dict:
    """The referral form; `covered` are the resources an active THIRD_PARTY consent names.

    `strict` (privacy_mode=strict): no signer's name; the signed form stays in the system of record.
    `aftercare_check`: opened from an after-care check that chose to link a service (사후관리 → 연계).
    """
    k = "referrals.modal."

    def label(key: str, **values: object) -> str:
        return t(k + key, locale, **values)

    covered = set(covered)
    metadata = ReferFrom(code=code, channel=conversation_id(channel_id), check_id=aftercare_check).dump()
    if not resources:
        return modal(
            View.REFER,
            label("title"),
            [header(code), section(label("no_resources"))],
            close=label("close"),
            private_metadata=metadata,
        )
    domains = [*domains_for(profile), NeedDomain.OTHER]
    origin = [context(label("from_aftercare"))] if aftercare_check is not None else []
    blocks: list[Block] = [
        *origin,
        section(label("intro", code=code)),
        input_block(
            "resource_id",
            label("resource"),
            resource_element(resources, locale, covered=covered, initial=selected),
            hint=label("resource_hint"),
            dispatch=True,
        ),
        select("domain", label("domain"), [(d.label(locale), d.value) for d in domains]),
        text_input("reason", label("reason"), multiline=True, max_length=2000, hint=label("reason_hint")),
        divider(),
        section(
            "*" + label("consent_header") + "*\n" + consent_status_text(locale, resources, covered, selected),
            block_id=CONSENT_STATUS,
        ),
        checkboxes(CONSENT_NOW, label("consent_now"), [(label("consent_now_option"), YES)]),
        context(t("strict.consent.signed_on_paper", locale))
        if strict
        else text_input("consent.signer_name", label("signer_name"), optional=True, max_length=100),
        select(
            "consent.signer_relationship",
            label("signer_relationship"),
            [(r.label(locale), r.value) for r in SignerRelationship],
            optional=True,
            initial=SignerRelationship.SELF.value,
        ),
        checkboxes(
            "consent.refusal_notice_given",
            label("refusal_notice"),
            [(label("refusal_notice_option"), YES)],
        ),
        checkboxes(
            "consent.guardian_verified",
            label("guardian_verified"),
            [(label("guardian_verified_option"), YES)],
        ),
        context(label("or_basis")),
        select(
            "statutory_basis",
            label("statutory_basis"),
            [(b.label(locale), b.value) for b in StatutoryBasis],
            optional=True,
        ),
        text_input(
            "statutory_note",
            label("statutory_note"),
            optional=True,
            multiline=True,
            max_length=1000,
            hint=label("statutory_note_hint"),
        ),
    ]
    return modal(
        View.REFER,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=metadata,
    )


def refer_done_modal(locale: str, code: str, resource: str, status: ReferralStatus) -> dict:
    return modal(
        View.DONE,
        t("referrals.done.title", locale),
        [
            header(code),
            section(
                t("referrals.done.text", locale, code=code, resource=resource, status=status.label(locale))
            ),
            context(t("referrals.done.dm_note", locale)),
        ],
    )


def referral_message(
    locale: str,
    *,
    referral_id: int,
    code: str,
    resource: str,
    status: ReferralStatus,
    next_statuses: Iterable[ReferralStatus],
    response_due: date | None = None,
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the case manager's DM about one referral."""
    k = "referrals.message."
    text = t(k + "text", locale, code=code, resource=resource, status=status.label(locale))
    lines = [t(k + "line", locale, code=code, resource=resource, status=status.label(locale))]
    if response_due is not None:
        lines.append(t(k + "response_due", locale, date=response_due.isoformat()))
    blocks: list[Block] = [section("\n".join(lines))]
    allowed = set(next_statuses)
    buttons = [
        button(
            to.label(locale),
            status_action_id(to),
            ReferralMove(referral_id=referral_id, to=to).dump(),
            style="danger" if to.terminal and to != ReferralStatus.COMPLETED else None,
        )
        for to in STATUS_ORDER
        if to in allowed
    ]
    if buttons:
        blocks.append(actions(*buttons, block_id=f"referral.{referral_id}"))
    else:
        blocks.append(context(t(k + "finished", locale)))
    return cut(text, 3000), blocks


def notice_modal(title: str, text: str, close: str) -> dict:
    """A modal that only says something (a refusal, a missing case) in place of a form."""
    return modal(View.DONE, title, [section(text)], close=close)


def loading_modal(title: str, text: str) -> dict:
    """Opened at once with the trigger id (valid for 3 s); the form replaces it via views.update."""
    return modal(View.DONE, title, [section(text)])


# ------------------------------------------------------------------ the outcome dialogue


def outcome_modal(
    locale: str,
    *,
    code: str,
    resource: str,
    referral_id: int,
    to: ReferralStatus,
    today: date,
    message: MessageRef | None = None,
) -> dict:
    """접수·대기·서비스개시·완료·반려·대상자 거부: the day, a note, and for a decline the reason (and, for the
    agency's decline, whether an alternative resource exists). The note and reason stay in the record:
    the DM about the referral shows the status only."""
    k = "referrals.outcome."

    def label(key: str, **values: object) -> str:
        return t(k + key, locale, **values)

    reasons = REASON_LISTS.get(to)
    blocks: list[Block] = [
        header(code),
        section(label("intro", resource=resource, status=to.label(locale))),
        date_input("outcome_on", label("on"), initial=today),
    ]
    if reasons is not None:
        blocks.append(
            select("outcome_reason", label("reason"), [(r.label(locale), r.value) for r in reasons])
        )
    declined = to == ReferralStatus.DECLINED
    blocks.append(
        text_input(
            "outcome_note",
            label("note"),
            optional=not declined,
            multiline=True,
            max_length=2000,
            hint=label("note_hint"),
        )
    )
    if declined:
        blocks.append(
            checkboxes(
                "no_alternative",
                label("no_alternative"),
                [(label("no_alternative_option"), YES)],
                hint=label("no_alternative_hint"),
            )
        )
    return modal(
        View.REFERRAL_STATUS,
        label("title"),
        blocks,
        submit=label("submit"),
        close=label("close"),
        private_metadata=ReferralOutcome(referral_id=referral_id, to=to, message=message).dump(),
    )


def outcome_done_modal(
    locale: str,
    code: str,
    resource: str,
    status: ReferralStatus,
    unmet: bool,
    after: list[dict] | None = None,
) -> dict:
    """The outcome recorded; `after`: what follows from it for this case (a school's next Wee step)."""
    lines = [t("referrals.outcome.done", locale, code=code, resource=resource, status=status.label(locale))]
    if unmet:
        lines.append(t("referrals.outcome.done_unmet", locale))
    blocks = [header(code), section("\n".join(lines)), *(after or [])]
    return modal(View.DONE, t("referrals.outcome.title", locale), blocks)


# ------------------------------------------------------------------ the reply to the referrer


def reply_modal(locale: str, code: str, today: date) -> dict:
    """회신: the day the referrer was answered and how; nothing of the answer itself."""
    k = "referrals.reply."
    return modal(
        View.REFERRER_REPLY,
        t(k + "title", locale),
        [
            header(code),
            section(t(k + "intro", locale, code=code)),
            date_input("replied_on", t(k + "on", locale), initial=today),
            select("method", t(k + "method", locale), [(m.label(locale), m.value) for m in ReplyMethod]),
        ],
        submit=t(k + "submit", locale),
        close=t("referrals.modal.close", locale),
        private_metadata=CaseRef(code=code).dump(),
    )


def reply_done_modal(locale: str, code: str, on: str, method: ReplyMethod) -> dict:
    text = t("referrals.reply.done", locale, code=code, date=on, method=method.label(locale))
    return modal(View.DONE, t("referrals.reply.title", locale), [header(code), section(text)])
