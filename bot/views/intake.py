"""The intake modal (접수·초기상담): pure function of the locale and the deployment profile."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseRef, channel_ref
from bot.views.blocks import (
    YES,
    actions,
    button,
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
from models.enums import (
    BenefitStatus,
    ClientCharacteristic,
    ConsentScope,
    CrisisFlag,
    HousingType,
    IntakeRoute,
    LegalStanding,
    LifeStage,
    NextStep,
    Profile,
    domains_for,
)
from models.schemas import MAX_GUARDIANS, MAX_HOUSEHOLD
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


# Slack takes 100 blocks in a modal: rows are added only while the whole form stays within this.
MAX_BLOCKS = 90
MEMBER_FIELDS = ("name", "relation", "age_band", "flags")
STRICT_MEMBER_FIELDS = ("relation", "age_band", "flags")
GUARDIAN_FIELDS = ("name", "relationship_kind", "contact", "legal_standing", "flags")
CO_RESIDENT, MAIN_CARER, ALLEGED_ABUSER = "co_resident", "main_carer", "alleged_abuser"
DETAIL_BLOCKS = [
    "client.characteristics",
    "client.interpreter",
    "client.interpreter_language",
    "client.benefits",
    "client.housing_type",
]
SELF_SIGNS = "self"  # the consent signer: the client, or "guardian.<n>" (a row of the guardians)


def intake_modal(
    locale: str,
    profile: Profile,
    *,
    channel_id: str | None = None,
    strict: bool = False,
    load_warning: LoadWarning | None = None,
    members: int = 0,
    guardians: int = 1,
    values: dict[str, Any] | None = None,
) -> dict:
    """The intake form; `strict` (privacy_mode=strict) asks for no identifier at all. `load_warning`:
    the case goes to the person opening it, whose weighted caseload is (or would be) over the threshold:
    said first, and the form is still there to fill in. `members` and `guardians`: how many rows of
    each (the "add" buttons raise them); `values`: what was typed so far ({block_id: value}), kept."""
    v = values or {}
    members = max(0, min(members, MAX_HOUSEHOLD))
    guardians = max(1, min(guardians, MAX_GUARDIANS))
    if strict:
        blocks = _strict_blocks(locale, profile, members, v)
    else:
        blocks = _standard_blocks(locale, profile, members, guardians, v)
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


def rows_in(view: dict) -> tuple[int, int]:
    """How many household member and guardian rows a rendered intake modal holds."""
    ids = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict)}
    members = sum(1 for i in range(MAX_HOUSEHOLD) if f"household.{i}.relation" in ids)
    guardians = sum(1 for i in range(MAX_GUARDIANS) if f"guardians.{i}.relationship_kind" in ids)
    return members, guardians


def _text(v: dict[str, Any], key: str) -> str | None:
    value = v.get(key)
    return value if isinstance(value, str) else None


def _many(v: dict[str, Any], key: str) -> list[str]:
    value = v.get(key)
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


def _day(v: dict[str, Any], key: str) -> date | None:
    try:
        return date.fromisoformat(v[key]) if isinstance(v.get(key), str) else None
    except ValueError:
        return None


def _client_detail_blocks(locale: str, v: dict[str, Any]) -> list[dict]:
    """Characteristics, interpreter, benefits and housing (none of them identifies the person)."""

    def label(key: str) -> str:
        return t("intake.details." + key, locale)

    return [
        checkboxes(
            "client.characteristics",
            label("characteristics"),
            [(c.label(locale), c.value) for c in ClientCharacteristic],
            initial=_many(v, "client.characteristics"),
        ),
        checkboxes(
            "client.interpreter",
            label("interpreter"),
            [(label("interpreter_option"), YES)],
            initial=_many(v, "client.interpreter"),
        ),
        text_input(
            "client.interpreter_language",
            label("interpreter_language"),
            optional=True,
            max_length=40,
            initial=_text(v, "client.interpreter_language"),
        ),
        checkboxes(
            "client.benefits",
            label("benefits"),
            [(b.label(locale), b.value) for b in BenefitStatus],
            initial=_many(v, "client.benefits"),
        ),
        select(
            "client.housing_type",
            label("housing_type"),
            [(h.label(locale), h.value) for h in HousingType],
            optional=True,
            initial=_text(v, "client.housing_type"),
        ),
    ]


def _crisis_block(locale: str, v: dict[str, Any]) -> dict:
    return checkboxes(
        "crisis_flags",
        t("intake.details.crisis", locale),
        [(f.label(locale), f.value) for f in CrisisFlag],
        initial=_many(v, "crisis_flags"),
        hint=t("intake.details.crisis_hint", locale),
    )


def _route_block(locale: str, v: dict[str, Any]) -> dict:
    return radio(
        "intake_route",
        t("intake.details.route", locale),
        [(r.label(locale), r.value) for r in IntakeRoute],
        optional=True,
        initial=_text(v, "intake_route"),
    )


def _member_rows(locale: str, index: int, v: dict[str, Any], *, named: bool) -> list[dict]:
    def label(key: str) -> str:
        return t("intake.household." + key, locale, n=index + 1)

    key = f"household.{index}."
    rows = [
        text_input(
            key + "relation",
            label("relation"),
            optional=True,
            max_length=40,
            initial=_text(v, key + "relation"),
        ),
        select(
            key + "age_band",
            label("age_band"),
            [(s.label(locale), s.value) for s in LifeStage],
            optional=True,
            initial=_text(v, key + "age_band"),
        ),
        checkboxes(
            key + "flags",
            label("flags"),
            [(label(CO_RESIDENT), CO_RESIDENT), (label(MAIN_CARER), MAIN_CARER)],
            initial=_many(v, key + "flags") if key + "flags" in v else [CO_RESIDENT],
        ),
    ]
    if named:
        rows.insert(
            0,
            text_input(
                key + "name", label("name"), optional=True, max_length=100, initial=_text(v, key + "name")
            ),
        )
    return rows


def _guardian_rows(locale: str, index: int, v: dict[str, Any]) -> list[dict]:
    def label(key: str) -> str:
        return t("intake.guardians." + key, locale, n=index + 1)

    key = f"guardians.{index}."
    return [
        text_input(
            key + "name", label("name"), optional=True, max_length=100, initial=_text(v, key + "name")
        ),
        text_input(
            key + "relationship_kind",
            label("relationship"),
            optional=True,
            max_length=40,
            initial=_text(v, key + "relationship_kind"),
        ),
        text_input(
            key + "contact",
            label("contact"),
            optional=True,
            max_length=100,
            initial=_text(v, key + "contact"),
        ),
        select(
            key + "legal_standing",
            label("standing"),
            [(s.label(locale), s.value) for s in LegalStanding],
            optional=True,
            initial=_text(v, key + "legal_standing"),
        ),
        checkboxes(
            key + "flags",
            label("flags"),
            [(label(ALLEGED_ABUSER), ALLEGED_ABUSER)],
            initial=_many(v, key + "flags"),
            hint=label("flags_hint"),
        ),
    ]


def _household(locale: str, members: int, v: dict[str, Any], *, named: bool) -> list[dict]:
    """The household section and its rows (the "add a member" button is placed by `_with_buttons`)."""
    out = [section(t("intake.household.title", locale))]
    for index in range(members):
        out += _member_rows(locale, index, v, named=named)
    return out


def _add_button(text: str, action: str, block_id: str) -> dict:
    return actions(button(text, action), block_id=block_id)


def _fits(blocks: int, row: int) -> bool:
    """Whether one more row of `row` blocks keeps the modal within MAX_BLOCKS."""
    return blocks + row <= MAX_BLOCKS


def _signer_choices(locale: str, guardians: int) -> list[tuple[str, str]]:
    return [(t("intake.consent.self", locale), SELF_SIGNS)] + [
        (t("intake.consent.guardian", locale, n=i + 1), f"guardian.{i}") for i in range(guardians)
    ]


# Whether the intake interview was held now, or only a referral is recorded (stage 0).
HELD, REFERRAL_ONLY = "held", "referral_only"


def _referral_blocks(locale: str, v: dict[str, Any]) -> list[dict]:
    """What kind of record, and for a referral: who referred, when, and why in their words."""

    def label(key: str) -> str:
        return t("intake.referral." + key, locale)

    return [
        radio(
            "intake_held",
            label("kind"),
            [(label(HELD), HELD), (label(REFERRAL_ONLY), REFERRAL_ONLY)],
            initial=_text(v, "intake_held") or HELD,
        ),
        text_input(
            "referrer",
            label("referrer"),
            optional=True,
            max_length=200,
            hint=label("referrer_hint"),
            initial=_text(v, "referrer"),
        ),
        date_input("referred_on", label("referred_on"), optional=True, initial=_day(v, "referred_on")),
        text_input(
            "referral_reason",
            label("reason"),
            optional=True,
            multiline=True,
            max_length=3000,
            initial=_text(v, "referral_reason"),
        ),
    ]


def _standard_blocks(
    locale: str, profile: Profile, members: int, guardians: int, v: dict[str, Any]
) -> list[dict]:
    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    head = [
        section(label("notice")),
        *_referral_blocks(locale, v),
        select(
            "referral_source",
            label("referral_source"),
            [(t(f"intake.source.{s}", locale), s) for s in REFERRAL_SOURCES],
            initial=_text(v, "referral_source"),
        ),
        _route_block(locale, v),
        text_input("client.name", label("name"), max_length=100, initial=_text(v, "client.name")),
        date_input(
            "client.birth_date", label("birth_date"), optional=True, initial=_day(v, "client.birth_date")
        ),
        select(
            "client.sex",
            label("sex"),
            [(t(f"intake.sex.{s}", locale), s) for s in ("female", "male", "other")],
            optional=True,
            initial=_text(v, "client.sex"),
        ),
        text_input(
            "client.contact",
            label("contact"),
            optional=True,
            max_length=100,
            initial=_text(v, "client.contact"),
        ),
        text_input(
            "client.address",
            label("address"),
            optional=True,
            max_length=300,
            initial=_text(v, "client.address"),
        ),
        select(
            "client.life_stage",
            label("life_stage"),
            [(s.label(locale), s.value) for s in LifeStage],
            optional=True,
            initial=_text(v, "client.life_stage"),
        ),
        checkboxes(
            "client.under14",
            label("under14"),
            [(label("under14_option"), YES)],
            initial=_many(v, "client.under14"),
        ),
        *_client_detail_blocks(locale, v),
        multi_select(
            "presenting_needs",
            label("presenting_needs"),
            [(d.label(locale), d.value) for d in domains_for(profile)],
            optional=True,
            initial=_many(v, "presenting_needs"),
        ),
        text_input(
            "intake_summary",
            label("intake_summary"),
            optional=True,
            multiline=True,
            initial=_text(v, "intake_summary"),
        ),
        _crisis_block(locale, v),
    ]
    tail = [
        checkboxes(
            "confidentiality_notice_given",
            label("notice_given"),
            [(label("notice_given_option"), YES)],
            hint=t("intake.referral.notice_hint", locale),
            initial=_many(v, "confidentiality_notice_given"),
        ),
        select(
            "consent_signer",
            t("intake.consent.signer", locale),
            _signer_choices(locale, guardians),
            optional=True,
            initial=_text(v, "consent_signer"),
            hint=t("intake.consent.signer_hint", locale),
        ),
        checkboxes(
            "consent_scopes",
            label("consent_scopes"),
            [(s.label(locale), s.value) for s in INTAKE_CONSENT_SCOPES],
            hint=label("consent_hint"),
            initial=_many(v, "consent_scopes"),
        ),
        checkboxes(
            "refusal_notice",
            label("refusal_notice"),
            [(label("refusal_notice_option"), YES)],
            initial=_many(v, "refusal_notice"),
        ),
    ]
    household = _household(locale, members, v, named=True)
    guardian_rows = [section(t("intake.guardians.title", locale))]
    for index in range(guardians):
        guardian_rows += _guardian_rows(locale, index, v)
    total = len(head) + len(household) + len(guardian_rows) + len(tail) + 2  # with both buttons
    if members < MAX_HOUSEHOLD and _fits(total, len(MEMBER_FIELDS)):
        household.append(
            _add_button(t("intake.household.add", locale), Action.INTAKE_ADD_MEMBER, "household.add")
        )
    if guardians < MAX_GUARDIANS and _fits(total, len(GUARDIAN_FIELDS)):
        guardian_rows.append(
            _add_button(t("intake.guardians.add", locale), Action.INTAKE_ADD_GUARDIAN, "guardians.add")
        )
    return [*head, *household, *guardian_rows, *tail]


def _strict_blocks(locale: str, profile: Profile, members: int, v: dict[str, Any]) -> list[dict]:
    """No name, birth date, contact or address, the client's, a household member's or a guardian's:
    only the system's number."""

    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    def strict(key: str) -> str:
        return t("strict.intake." + key, locale)

    head = [
        section(label("notice")),
        section(strict("notice")),
        select(
            "referral_source",
            label("referral_source"),
            [(t(f"intake.source.{s}", locale), s) for s in REFERRAL_SOURCES],
            initial=_text(v, "referral_source"),
        ),
        _route_block(locale, v),
        text_input(
            "client.external_ref",
            strict("external_ref"),
            max_length=64,
            hint=strict("external_ref_hint"),
            initial=_text(v, "client.external_ref"),
        ),
        select(
            "client.sex",
            label("sex"),
            [(t(f"intake.sex.{s}", locale), s) for s in ("female", "male", "other")],
            optional=True,
            initial=_text(v, "client.sex"),
        ),
        select(
            "client.life_stage",
            label("life_stage"),
            [(s.label(locale), s.value) for s in LifeStage],
            optional=True,
            initial=_text(v, "client.life_stage"),
        ),
        checkboxes(
            "client.under14",
            label("under14"),
            [(label("under14_option"), YES)],
            initial=_many(v, "client.under14"),
        ),
        *_client_detail_blocks(locale, v),
        multi_select(
            "presenting_needs",
            label("presenting_needs"),
            [(d.label(locale), d.value) for d in domains_for(profile)],
            optional=True,
            initial=_many(v, "presenting_needs"),
        ),
        text_input(
            "intake_summary",
            label("intake_summary"),
            optional=True,
            multiline=True,
            hint=strict("intake_summary_hint"),
            initial=_text(v, "intake_summary"),
        ),
        _crisis_block(locale, v),
    ]
    household = _household(locale, members, v, named=False)
    tail = [
        text_input(
            "guardian.relationship_kind",
            strict("guardian_relationship"),
            optional=True,
            max_length=40,
            initial=_text(v, "guardian.relationship_kind"),
        ),
        checkboxes(
            "guardian.verified",
            strict("guardian_verified"),
            [(strict("guardian_verified_option"), YES)],
            initial=_many(v, "guardian.verified"),
        ),
        checkboxes(
            "confidentiality_notice_given",
            label("notice_given"),
            [(label("notice_given_option"), YES)],
            optional=False,
            initial=_many(v, "confidentiality_notice_given"),
        ),
        checkboxes(
            "consent_scopes",
            label("consent_scopes"),
            [(s.label(locale), s.value) for s in INTAKE_CONSENT_SCOPES],
            hint=strict("consent_hint"),
            initial=_many(v, "consent_scopes"),
        ),
        checkboxes(
            "refusal_notice",
            label("refusal_notice"),
            [(label("refusal_notice_option"), YES)],
            initial=_many(v, "refusal_notice"),
        ),
    ]
    if members < MAX_HOUSEHOLD and _fits(
        len(head) + len(household) + len(tail) + 1, len(STRICT_MEMBER_FIELDS)
    ):
        household.append(
            _add_button(t("intake.household.add", locale), Action.INTAKE_ADD_MEMBER, "household.add")
        )
    return [*head, *household, *tail]


def intake_crisis_message(locale: str, code: str) -> tuple[str, list[dict]]:
    """The supervisor's DM when a crisis is ticked at intake: the case code, what to do, a button.
    Nothing about the client, not even which flag (R1)."""
    return t("intake.crisis.fallback", locale, code=code), [
        section(t("intake.crisis.text", locale, code=code)),
        actions(
            button(
                t("intake.crisis.show", locale), Action.OPEN_SHOW, CaseRef(code=code).dump(), style="danger"
            )
        ),
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


# The record-intake modal's fixed inputs (the household and guardian rows come on top, as at intake).
RECORD_INTAKE_BLOCKS = [
    "intake_summary",
    "intake_route",
    *DETAIL_BLOCKS,
    "crisis_flags",
    "confidentiality_notice_given",
]


def record_intake_modal(
    locale: str,
    code: str,
    *,
    strict: bool = False,
    members: int = 0,
    guardians: int = 1,
    values: dict[str, Any] | None = None,
) -> dict:
    """`/case intake CODE` (초기상담): the first interview of a case recorded as a referral (stage 0), with
    the intake's details (the same blocks as `/case new`): the intake route, characteristics,
    interpreter, benefits, housing, crisis flags, and household members and guardians to add to those
    recorded with the referral. `strict`: no names (household rows without one, no guardian rows)."""
    v = values or {}
    members = max(0, min(members, MAX_HOUSEHOLD))
    guardians = 0 if strict else max(1, min(guardians, MAX_GUARDIANS))

    def label(key: str) -> str:
        return t("intake.modal." + key, locale)

    head = [
        header(code),
        section(t("intake.record.intro", locale)),
        text_input(
            "intake_summary",
            label("intake_summary"),
            optional=True,
            multiline=True,
            initial=_text(v, "intake_summary"),
        ),
        _route_block(locale, v),
        *_client_detail_blocks(locale, v),
        _crisis_block(locale, v),
    ]
    household = _household(locale, members, v, named=not strict)
    guardian_rows: list[dict] = []
    if not strict:
        guardian_rows.append(section(t("intake.guardians.title", locale)))
        for index in range(guardians):
            guardian_rows += _guardian_rows(locale, index, v)
    tail = [
        checkboxes(
            "confidentiality_notice_given",
            label("notice_given"),
            [(label("notice_given_option"), YES)],
            initial=_many(v, "confidentiality_notice_given"),
        ),
        context(t("intake.record.next", locale)),
    ]
    total = len(head) + len(household) + len(guardian_rows) + len(tail) + 2  # with both buttons
    member_fields = STRICT_MEMBER_FIELDS if strict else MEMBER_FIELDS
    if members < MAX_HOUSEHOLD and _fits(total, len(member_fields)):
        household.append(
            _add_button(t("intake.household.add", locale), Action.INTAKE_ADD_MEMBER, "household.add")
        )
    if not strict and guardians < MAX_GUARDIANS and _fits(total, len(GUARDIAN_FIELDS)):
        guardian_rows.append(
            _add_button(t("intake.guardians.add", locale), Action.INTAKE_ADD_GUARDIAN, "guardians.add")
        )
    return modal(
        View.RECORD_INTAKE,
        t("intake.record.title", locale),
        [*head, *household, *guardian_rows, *tail],
        submit=t("intake.record.submit", locale),
        close=label("close"),
        private_metadata=CaseRef(code=code).dump(),
    )
