"""The consent dialogue (동의): the case's consents with renew and withdraw buttons, and a form for a
new consent or a renewal; the withdrawal modal. Codes, scopes and dates only: no signer, no free text
about the client is shown back (R1)."""

from __future__ import annotations

from datetime import date

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import ConsentForm, ConsentPick
from bot.views.blocks import (
    YES,
    actions,
    button,
    checkboxes,
    context,
    date_input,
    divider,
    header,
    modal,
    multi_select,
    section,
    select,
    text_input,
)
from models.enums import ConsentMethod, ConsentScope, SignerRelationship
from models.services.consents import ConsentOverview, ConsentRow, RenewalDraft

# The catalog of purposes, items and retention periods (labels in models/i18n/*/consents.toml);
# what is picked is stored as the labels in the worker's language, with anything written added.
PURPOSES = ("case_management", "linkage", "conference", "benefits", "school_support")
ITEMS = ("name", "birth_date", "contact", "address", "household", "needs", "health", "income")
RETENTION = ("closure_5y", "closure_3y", "until_withdrawn", "linkage_end")

CONSENT_BLOCKS = [
    "scope",
    "purposes",
    "purposes_other",
    "items",
    "items_other",
    "retention",
    "retention_other",
    "recipient_resource_ids",
    "recipient_names",
    "signer_name",
    "signer_relationship",
    "guardian_verified",
    "method",
    "given_on",
    "expires_on",
    "refusal_notice_given",
]
WITHDRAW_BLOCKS = ["withdrawn_on", "reason"]


def catalog_label(kind: str, code: str, locale: str) -> str:
    return t(f"consents.catalog.{kind}.{code}", locale)


def _choices(kind: str, codes: tuple[str, ...], locale: str) -> list[tuple[str, str]]:
    return [(catalog_label(kind, code, locale), code) for code in codes]


def _picked(kind: str, codes: tuple[str, ...], text: str, locale: str) -> tuple[list[str], str]:
    """A stored text split back into catalog picks and what was written besides."""
    labels = {catalog_label(kind, code, locale): code for code in codes}
    parts = [part.strip() for part in text.split(",") if part.strip()]
    picked = [labels[p] for p in parts if p in labels]
    other = ", ".join(p for p in parts if p not in labels)
    return picked, other


def _row_text(row: ConsentRow, locale: str) -> str:
    k = "consents.modal."
    if row.withdrawn_on is not None:
        standing = t(k + "withdrawn", locale, date=row.withdrawn_on.isoformat())
    elif row.active:
        standing = t(k + "active", locale)
    else:
        standing = t(k + "inactive", locale)
    expiry = (
        t(k + "expires", locale, date=row.expires_on.isoformat())
        if row.expires_on
        else t(k + "no_expiry", locale)
    )
    return t(
        k + "row",
        locale,
        scope=row.scope.label(locale),
        given=row.given_on.isoformat(),
        expiry=expiry,
        standing=standing,
    )


def consent_modal(locale: str, overview: ConsentOverview, today: date, *, strict: bool = False) -> dict:
    """The dialogue; with a renewal draft the form starts from that consent (not its signer)."""
    k = "consents.modal."
    draft: RenewalDraft | None = overview.renewal
    # A school case's missing student-support consent, else collection and use signed by the client.
    suggested_scope, suggested_signer = overview.suggested or (
        ConsentScope.COLLECT_USE,
        SignerRelationship.SELF,
    )
    blocks: list[dict] = [header(overview.code)]
    if overview.rows:
        for row in overview.rows:
            blocks.append(section(_row_text(row, locale)))
            if row.withdrawn_on is None:
                pick = ConsentPick(code=overview.code, consent_id=row.consent_id).dump()
                blocks.append(
                    actions(
                        button(t(k + "renew", locale), Action.CONSENT_RENEW, pick),
                        button(t(k + "withdraw", locale), Action.CONSENT_WITHDRAW, pick, style="danger"),
                    )
                )
    else:
        blocks.append(section(t(k + "none", locale)))
    blocks.append(divider())
    if draft is not None:
        blocks.append(section(t(k + "renewing", locale, scope=draft.scope.label(locale))))
    else:
        blocks.append(section(t(k + "add", locale)))
    purposes, purposes_other = _picked("purposes", PURPOSES, draft.purposes, locale) if draft else ([], "")
    items, items_other = _picked("items", ITEMS, draft.items, locale) if draft else ([], "")
    retention, retention_other = (
        _picked("retention", RETENTION, draft.retention, locale) if draft else ([], "")
    )
    blocks += [
        select(
            "scope",
            t(k + "scope", locale),
            [(s.label(locale), s.value) for s in ConsentScope],
            initial=draft.scope.value if draft else suggested_scope.value,
        ),
        multi_select(
            "purposes",
            t(k + "purposes", locale),
            _choices("purposes", PURPOSES, locale),
            optional=True,
            initial=purposes,
        ),
        text_input(
            "purposes_other",
            t(k + "purposes_other", locale),
            optional=True,
            initial=purposes_other,
            max_length=1000,
        ),
        multi_select(
            "items", t(k + "items", locale), _choices("items", ITEMS, locale), optional=True, initial=items
        ),
        text_input(
            "items_other", t(k + "items_other", locale), optional=True, initial=items_other, max_length=1000
        ),
        select(
            "retention",
            t(k + "retention", locale),
            _choices("retention", RETENTION, locale),
            optional=True,
            initial=retention[0] if retention else None,
        ),
        text_input(
            "retention_other",
            t(k + "retention_other", locale),
            optional=True,
            initial=retention_other,
            max_length=200,
        ),
    ]
    if overview.resources:
        blocks.append(
            multi_select(
                "recipient_resource_ids",
                t(k + "recipients", locale),
                [(name, str(rid)) for rid, name in overview.resources],
                optional=True,
                initial=[str(r) for r in draft.recipient_resource_ids] if draft else (),
                hint=t(k + "recipients_hint", locale),
            )
        )
    blocks.append(
        text_input(
            "recipient_names",
            t(k + "recipient_names", locale),
            optional=True,
            initial=", ".join(draft.recipient_names) if draft else None,
            max_length=1000,
        )
    )
    if not strict:
        blocks.append(text_input("signer_name", t(k + "signer_name", locale), max_length=100))
    else:
        blocks.append(context(t("strict.consent.signed_on_paper", locale)))
    blocks += [
        select(
            "signer_relationship",
            t(k + "signer_relationship", locale),
            [(r.label(locale), r.value) for r in SignerRelationship],
            initial=draft.signer_relationship.value if draft else suggested_signer.value,
        ),
        checkboxes(
            "guardian_verified",
            t(k + "guardian_verified", locale),
            [(t(k + "guardian_verified_option", locale), YES)],
        ),
        select(
            "method",
            t(k + "method", locale),
            [(m.label(locale), m.value) for m in ConsentMethod],
            initial=draft.method.value if draft else ConsentMethod.WRITTEN.value,
        ),
        date_input("given_on", t(k + "given_on", locale), initial=today),
        date_input("expires_on", t(k + "expires_on", locale), optional=True),
        checkboxes(
            "refusal_notice_given",
            t(k + "refusal_notice", locale),
            [(t(k + "refusal_notice_option", locale), YES)],
            optional=False,
        ),
    ]
    meta = ConsentForm(code=overview.code, renews=draft.consent_id if draft else None).dump()
    return modal(
        View.CONSENT,
        t(k + "title", locale),
        blocks,
        submit=t(k + ("submit_renew" if draft else "submit"), locale),
        close=t(k + "close", locale),
        private_metadata=meta,
    )


def withdraw_modal(locale: str, code: str, consent_id: int, scope: ConsentScope, today: date) -> dict:
    k = "consents.withdraw."
    return modal(
        View.CONSENT_WITHDRAW,
        t(k + "title", locale),
        [
            header(code),
            section(t(k + "intro", locale, scope=scope.label(locale))),
            date_input("withdrawn_on", t(k + "withdrawn_on", locale), initial=today),
            text_input("reason", t(k + "reason", locale), multiline=True, max_length=1000),
            context(t(k + "effect", locale)),
        ],
        submit=t(k + "submit", locale),
        close=t(k + "close", locale),
        private_metadata=ConsentPick(code=code, consent_id=consent_id).dump(),
    )


def consent_done_modal(locale: str, code: str, key: str, stage: str, cancelled: int = 0) -> dict:
    """After a save: what happened, and the stage the case is now at."""
    text = t(f"consents.done.{key}", locale, code=code, stage=stage)
    if cancelled:
        text += "\n" + t("consents.done.cancelled_referrals", locale, count=cancelled)
    return modal(
        View.DONE, t("consents.modal.title", locale), [section(text)], close=t("consents.modal.close", locale)
    )
