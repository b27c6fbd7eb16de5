"""The intake modal (접수·초기상담): pure function of the locale and the deployment profile."""

from __future__ import annotations

from bot.i18n import t
from bot.ids import View
from bot.metadata import channel_ref
from bot.views.blocks import (
    YES,
    checkboxes,
    context,
    date_input,
    header,
    modal,
    multi_select,
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


def _standard_blocks(locale: str, profile: Profile) -> list[dict]:
    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    return [
        section(label("notice")),
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
            optional=False,
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
