"""privacy_mode=strict on the Slack surface: the setting, the intake and referral forms, the summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.i18n import t
from bot.settings import SettingsError, load_settings
from bot.views import blocks as b
from bot.views.intake import GUARDIAN_FIELDS, intake_modal
from bot.views.referrals import ResourceChoice, refer_modal
from bot.views.show import show_modal
from handlers.intake import BLOCKS, STRICT_BLOCKS, intake_blocks, parse_intake
from handlers.referrals import parse_refer
from models.case import Case
from models.client import Client
from models.enums import CaseStatus, NextStep, Profile, ResourceCategory, SignerRelationship, Stage
from models.errors import InvalidInput, invalid_input_from
from models.services.desk import CaseSummary
from models.services.lifecycle import CaseSnapshot, CaseState

TODAY = date(2026, 3, 2)
REF = "HE-2026-000123"
NAME = "가나다테스트"
IDENTIFIER_BLOCKS = {
    "client.name",
    "client.birth_date",
    "client.contact",
    "client.address",
    "guardians.0.name",
    "guardians.0.contact",
}
# Identifiers in the rows the "add" buttons bring: never in the strict modal, whatever its rows.
ROW_IDENTIFIERS = {"household.0.name", "household.7.name"}


def validate(view: dict) -> None:
    b.check_view(view)
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()


def inputs(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


def all_text(node: object) -> str:
    """Every string in the view, one per line."""
    if isinstance(node, dict):
        return "\n".join(all_text(v) for v in node.values())
    if isinstance(node, list):
        return "\n".join(all_text(v) for v in node)
    return node if isinstance(node, str) else ""


# --- the setting ---------------------------------------------------------------------------------


def test_privacy_mode_defaults_to_standard_and_reaches_the_policy(monkeypatch):
    monkeypatch.delenv("PRIVACY_MODE", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.privacy_mode == "standard" and not settings.policy().strict_privacy
    monkeypatch.setenv("PRIVACY_MODE", "strict")
    policy = load_settings(_env_file=None).policy()
    assert policy.privacy_mode == "strict" and policy.strict_privacy


def test_a_wrong_privacy_mode_names_the_variable(monkeypatch):
    monkeypatch.setenv("PRIVACY_MODE", "lenient")
    with pytest.raises(SettingsError, match="PRIVACY_MODE"):
        load_settings(_env_file=None)


# --- the intake modal ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("profile", list(Profile))
def test_strict_intake_modal_asks_for_no_identifier(locale, profile):
    view = intake_modal(locale, profile, channel_id="C0001", strict=True)
    validate(view)
    ids = inputs(view)
    assert ids == STRICT_BLOCKS  # the handler maps errors onto exactly these blocks
    assert not IDENTIFIER_BLOCKS & set(ids)
    full = inputs(intake_modal(locale, Profile.WELFARE_CENTRE, strict=True, members=8))
    assert not (IDENTIFIER_BLOCKS | ROW_IDENTIFIERS) & set(full) and "household.7.relation" in full
    [ref] = [block for block in view["blocks"] if block.get("block_id") == "client.external_ref"]
    assert ref["optional"] is False and ref["element"]["max_length"] == 64
    assert t("strict.intake.notice", locale)[:40] in all_text(view)
    assert len(view["title"]["text"]) <= 24


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_standard_intake_modal_is_unchanged(locale):
    view = intake_modal(locale, Profile.WELFARE_CENTRE, channel_id="C0001")
    validate(view)
    ids = inputs(view)
    assert set(ids) == set(intake_blocks(dict.fromkeys(ids), strict=False)) - {"household.add"}
    assert set(ids) >= IDENTIFIER_BLOCKS and set(ids) - set(BLOCKS) == {
        f"guardians.0.{name}" for name in GUARDIAN_FIELDS
    }
    assert "client.external_ref" not in ids and t("strict.intake.notice", locale)[:40] not in all_text(view)


def strict_form(**overrides: object) -> dict:
    form: dict = {
        "referral_source": "public_office",
        "client.external_ref": REF,
        "client.under14": [],
        "presenting_needs": ["ECONOMIC"],
        "confidentiality_notice_given": ["yes"],
        "consent_scopes": ["COLLECT_USE", "SENSITIVE"],
        "refusal_notice": ["yes"],
    }
    form.update(overrides)
    return form


def test_strict_parse_builds_an_intake_without_names():
    # A name slipped into the submitted state (not a block of the strict modal) is never read.
    data = parse_intake(strict_form(**{"client.name": NAME}), "ko", TODAY, strict=True)
    assert data.client.name is None and data.client.external_ref == REF
    assert data.guardians == []
    assert [c.scope.value for c in data.consents] == ["COLLECT_USE", "SENSITIVE"]
    assert all(
        c.signer_name is None and c.signer_relationship == SignerRelationship.SELF for c in data.consents
    )
    assert NAME not in data.model_dump_json()


def test_strict_parse_of_a_child_takes_the_verified_representative():
    data = parse_intake(
        strict_form(
            **{"client.under14": ["yes"], "guardian.relationship_kind": "모", "guardian.verified": ["yes"]}
        ),
        "en",
        TODAY,
        strict=True,
    )
    assert data.client.under14
    [guardian] = data.guardians
    assert guardian.name is None and guardian.relationship_kind == "모" and guardian.is_legal_representative
    assert all(
        c.signer_relationship == SignerRelationship.PARENT and c.guardian_verified for c in data.consents
    )

    unverified = parse_intake(strict_form(**{"client.under14": ["yes"]}), "ko", TODAY, strict=True)
    assert not any(c.guardian_verified for c in unverified.consents)  # the core then refuses it (R7)


def test_standard_parse_still_requires_the_name():
    form = strict_form()
    del form["client.external_ref"]
    with pytest.raises(ValidationError) as caught:
        parse_intake(form, "ko", TODAY)
    # the signer is the client, so each consent misses the name too (shown on the name block)
    errors = set(invalid_input_from(caught.value).errors)
    assert errors == {"client.name", "consents.0.signer_name", "consents.1.signer_name"}


# --- the referral modal's consent ----------------------------------------------------------------

RESOURCES = [ResourceChoice(1, "행복주거지원센터", ResourceCategory.HOUSING)]


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_strict_referral_consent_asks_for_no_signer_name(locale):
    strict = refer_modal(locale, Profile.WELFARE_CENTRE, "C-2026-0007", RESOURCES, strict=True)
    validate(strict)
    assert "consent.signer_name" not in inputs(strict)
    assert t("strict.consent.signed_on_paper", locale) in all_text(strict)
    standard = refer_modal(locale, Profile.WELFARE_CENTRE, "C-2026-0007", RESOURCES)
    assert "consent.signer_name" in inputs(standard)
    assert set(inputs(standard)) - set(inputs(strict)) == {"consent.signer_name"}


def test_strict_referral_parse_records_a_paper_consent():
    form = {
        "resource_id": "1",
        "domain": "LIVING_ENV",
        "reason": "주거 지원",
        "consent_now": ["yes"],
        "consent.signer_name": NAME,  # not a block in strict mode: never read
        "consent.refusal_notice_given": ["yes"],
    }
    parsed = parse_refer(form, "ko", TODAY, strict=True)
    assert parsed.consent is not None and parsed.consent.signer_name is None
    assert parsed.consent.recipient_resource_ids == [1]

    del form["consent.signer_name"]
    with pytest.raises(InvalidInput) as caught:
        parse_refer(form, "ko", TODAY)
    assert set(caught.value.errors) == {"consent.signer_name"}


# --- the summary modal ---------------------------------------------------------------------------


def summary(client: Client, *, strict: bool) -> CaseSummary:
    case = Case(
        id=1,
        code="C-2026-0007",
        profile=Profile.WELFARE_CENTRE,
        status=CaseStatus.OPEN,
        client=client,
        presenting_needs=[],
        episode=1,
    )
    snap = CaseSnapshot(case=case, consents=[], assessments=[], plans=[], referrals=[], notes=[])
    return CaseSummary(
        snap=snap,
        state=CaseState(Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT),
        today=TODAY,
        zone=ZoneInfo("Asia/Seoul"),
        strict_privacy=strict,
    )


def client_fields(view: dict, locale: str) -> dict[str, str]:
    """{label: value} of the section under the modal's "client" header."""
    blocks = view["blocks"]
    index = next(
        i
        for i, block in enumerate(blocks)
        if block["type"] == "header" and block["text"]["text"] == t("show.modal.client", locale)
    )
    pairs = [field["text"].split("\n", 1) for field in blocks[index + 1]["fields"]]
    return {label.strip("*"): value for label, value in pairs}


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_strict_summary_shows_the_reference_never_a_name(locale):
    nameless = Client(external_ref=REF, under14=True, created_at=datetime(2026, 3, 2, tzinfo=UTC))
    view = show_modal(summary(nameless, strict=True), locale)
    validate(view)
    fields = client_fields(view, locale)
    assert next(iter(fields.items())) == (t("strict.show.external_ref", locale), REF)  # where the name was
    assert t("show.modal.name", locale) not in fields and t("show.modal.under14", locale) in fields

    # A case from before the switch to strict mode: its stored name is not shown either.
    named = show_modal(summary(Client(name=NAME, external_ref=REF), strict=True), locale)
    assert NAME not in all_text(named) and REF in client_fields(named, locale).values()


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_standard_summary_shows_the_name_and_any_reference(locale):
    name_label, ref_label = t("show.modal.name", locale), t("strict.show.external_ref", locale)
    view = show_modal(summary(Client(name=NAME, external_ref=REF), strict=False), locale)
    validate(view)
    fields = client_fields(view, locale)
    assert fields[name_label] == NAME and fields[ref_label] == REF
    plain = client_fields(show_modal(summary(Client(name=NAME), strict=False), locale), locale)
    assert plain[name_label] == NAME and ref_label not in plain
    # A strict-mode case seen after switching back: no name to show, and no "None" either.
    nameless = client_fields(show_modal(summary(Client(external_ref=REF), strict=False), locale), locale)
    assert nameless[name_label] == t("show.modal.unknown", locale) and nameless[ref_label] == REF
