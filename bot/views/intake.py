"""The intake modal (접수·초기상담): pure function of the locale and the deployment profile."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import CaseRef, channel_ref
from bot.views.blocks import (
    YES,
    checkboxes,
    context,
    date_input,
    header,
    modal,
    multi_select,
    radio,
    section,
    select,
    text_input,
)
from bot.views.supervision import load_warning_block
from models.enums import ConsentScope, LifeStage, NextStep, Profile, domains_for
from models.services.supervision import LoadWarning

REFERRAL_SOURCES = (
    "self",
    "family",
    "neighbour",
    "public_office",
    "school",
    "medical",
    "agency",
    "outreach",
    "other",
)
INTAKE_CONSENT_SCOPES = (
    ConsentScope.COLLECT_USE,
    ConsentScope.SENSITIVE,
    ConsentScope.UNIQUE_ID,
    ConsentScope.OUT_OF_PURPOSE,
    ConsentScope.MEDIA,
)


def intake_modal(
    locale: str,
    profile: Profile,
    *,
    channel_id: str | None = None,
    strict: bool = False,
    load_warning: LoadWarning | None = None,
) -> dict:
    """The intake form; `strict` (privacy_mode=strict) asks for no identifier at all. `load_warning`:
    the case goes to the person opening it, whose weighted caseload is (or would be) over the threshold:
    said first, and the form is still there to fill in."""
    blocks = _strict_blocks(locale, profile) if strict else _standard_blocks(locale, profile)
    if load_warning is not None:
        blocks.insert(0, load_warning_block(load_warning, locale))
    return modal(
        View.INTAKE,
        t("intake.modal.title", locale),
        blocks,
        submit=t("intake.modal.submit", locale),
        close=t("intake.modal.close", locale),
        private_metadata=channel_ref(channel_id),
    )


# Whether the intake interview was held now, or only a referral is recorded (stage 0).
HELD, REFERRAL_ONLY = "held", "referral_only"


def _referral_blocks(locale: str) -> list[dict]:
    """What kind of record, and for a referral: who referred, when, and why in their words."""

    def label(key: str) -> str:
        return t("intake.referral." + key, locale)

    return [
        radio(
            "intake_held",
            label("kind"),
            [(label(HELD), HELD), (label(REFERRAL_ONLY), REFERRAL_ONLY)],
            initial=HELD,
        ),
        text_input("referrer", label("referrer"), optional=True, max_length=200, hint=label("referrer_hint")),
        date_input("referred_on", label("referred_on"), optional=True),
        text_input("referral_reason", label("reason"), optional=True, multiline=True, max_length=3000),
    ]


def _standard_blocks(locale: str, profile: Profile) -> list[dict]:
    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    return [
        section(label("notice")),
        *_referral_blocks(locale),
        select(
            "referral_source",
            label("referral_source"),
            [(t(f"intake.source.{s}", locale), s) for s in REFERRAL_SOURCES],
        ),
        text_input("client.name", label("name"), max_length=100),
        date_input("client.birth_date", label("birth_date"), optional=True),
        select(
            "client.sex",
            label("sex"),
            [(t(f"intake.sex.{s}", locale), s) for s in ("female", "male", "other")],
            optional=True,
        ),
        text_input("client.contact", label("contact"), optional=True, max_length=100),
        text_input("client.address", label("address"), optional=True, max_length=300),
        select(
            "client.life_stage",
            label("life_stage"),
            [(s.label(locale), s.value) for s in LifeStage],
            optional=True,
        ),
        checkboxes("client.under14", label("under14"), [(label("under14_option"), YES)]),
        multi_select(
            "presenting_needs",
            label("presenting_needs"),
            [(d.label(locale), d.value) for d in domains_for(profile)],
            optional=True,
        ),
        text_input("intake_summary", label("intake_summary"), optional=True, multiline=True),
        text_input("guardian.name", label("guardian_name"), optional=True, max_length=100),
        text_input(
            "guardian.relationship_kind", label("guardian_relationship"), optional=True, max_length=40
        ),
        text_input("guardian.contact", label("guardian_contact"), optional=True, max_length=100),
        checkboxes(
            "confidentiality_notice_given",
            label("notice_given"),
            [(label("notice_given_option"), YES)],
            hint=t("intake.referral.notice_hint", locale),
        ),
        checkboxes(
            "consent_scopes",
            label("consent_scopes"),
            [(s.label(locale), s.value) for s in INTAKE_CONSENT_SCOPES],
            hint=label("consent_hint"),
        ),
        checkboxes("refusal_notice", label("refusal_notice"), [(label("refusal_notice_option"), YES)]),
    ]


def _strict_blocks(locale: str, profile: Profile) -> list[dict]:
    """No name, birth date, contact or address, the client's or a guardian's: only the system's number."""

    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    def strict(key: str) -> str:
        return t("strict.intake." + key, locale)

    return [
        section(label("notice")),
        section(strict("notice")),
        select(
            "referral_source",
            label("referral_source"),
            [(t(f"intake.source.{s}", locale), s) for s in REFERRAL_SOURCES],
        ),
        text_input(
            "client.external_ref", strict("external_ref"), max_length=64, hint=strict("external_ref_hint")
        ),
        select(
            "client.sex",
            label("sex"),
            [(t(f"intake.sex.{s}", locale), s) for s in ("female", "male", "other")],
            optional=True,
        ),
        select(
            "client.life_stage",
            label("life_stage"),
            [(s.label(locale), s.value) for s in LifeStage],
            optional=True,
        ),
        checkboxes("client.under14", label("under14"), [(label("under14_option"), YES)]),
        multi_select(
            "presenting_needs",
            label("presenting_needs"),
            [(d.label(locale), d.value) for d in domains_for(profile)],
            optional=True,
        ),
        text_input(
            "intake_summary",
            label("intake_summary"),
            optional=True,
            multiline=True,
            hint=strict("intake_summary_hint"),
        ),
        text_input(
            "guardian.relationship_kind", strict("guardian_relationship"), optional=True, max_length=40
        ),
        checkboxes(
            "guardian.verified", strict("guardian_verified"), [(strict("guardian_verified_option"), YES)]
        ),
        checkboxes(
            "confidentiality_notice_given",
            label("notice_given"),
            [(label("notice_given_option"), YES)],
            optional=False,
        ),
        checkboxes(
            "consent_scopes",
            label("consent_scopes"),
            [(s.label(locale), s.value) for s in INTAKE_CONSENT_SCOPES],
            hint=strict("consent_hint"),
        ),
        checkboxes("refusal_notice", label("refusal_notice"), [(label("refusal_notice_option"), YES)]),
    ]


def intake_done_modal(locale: str, code: str, next_step: NextStep) -> dict:
    return modal(
        View.DONE,
        t("intake.done.title", locale),
        [
            header(code),
            section(t("intake.done.text", locale, code=code, next_step=next_step.label(locale))),
            context(f"`/case show {code}`"),
        ],
    )


RECORD_INTAKE_BLOCKS = ["intake_summary", "confidentiality_notice_given"]


def record_intake_modal(locale: str, code: str) -> dict:
    """`/case intake CODE` (초기상담): the first interview of a case recorded as a referral (stage 0)."""

    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    return modal(
        View.RECORD_INTAKE,
        t("intake.record.title", locale),
        [
            header(code),
            section(t("intake.record.intro", locale)),
            text_input("intake_summary", label("intake_summary"), optional=True, multiline=True),
            checkboxes(
                "confidentiality_notice_given",
                label("notice_given"),
                [(label("notice_given_option"), YES)],
            ),
            context(t("intake.record.next", locale)),
        ],
        submit=t("intake.record.submit", locale),
        close=label("close"),
        private_metadata=CaseRef(code=code).dump(),
    )
