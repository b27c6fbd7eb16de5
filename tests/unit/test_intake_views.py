"""The intake dialogue's views: household and guardian rows added in place within Slack's block budget,
what was typed kept, the crisis DM and nudge (case code only, with buttons), the intake in the history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.forms import read_state
from bot.i18n import t
from bot.ids import Action
from bot.views import blocks as b
from bot.views.history import intake_blocks
from bot.views.intake import MAX_BLOCKS, intake_crisis_message, intake_modal, rows_in
from bot.views.reminders import nudge
from handlers.intake import household_of, parse_intake
from models.enums import (
    BenefitStatus,
    ClientCharacteristic,
    CrisisFlag,
    LegalStanding,
    LifeStage,
    Profile,
    ReminderKind,
)
from models.schemas import MAX_GUARDIANS, MAX_HOUSEHOLD
from models.services.case_file import GuardianEntry, HouseholdEntry, IntakeEntry

ZONE = ZoneInfo("Asia/Seoul")


def validate(view: dict) -> None:
    b.check_view(view)
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()


def block_ids(view: dict) -> list[str]:
    return [block.get("block_id", "") for block in view["blocks"]]


def state_of(view: dict, values: dict) -> dict:
    """A view_submission-like state: every input block, with `values` where given."""
    state: dict = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"])
        kind = element["type"]
        if kind == "plain_text_input":
            entry = {"type": kind, "value": value}
        elif kind in ("static_select", "radio_buttons"):
            entry = {"type": kind, "selected_option": {"value": value} if value else None}
        elif kind in ("checkboxes", "multi_static_select"):
            entry = {"type": kind, "selected_options": [{"value": v} for v in value or []]}
        elif kind == "datepicker":
            entry = {"type": kind, "selected_date": value}
        else:
            continue
        state[block["block_id"]] = {block["block_id"]: entry}
    return {**view, "id": "V1", "state": {"values": state}}


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("strict", [False, True])
def test_every_row_count_stays_within_the_block_budget(locale, strict):
    for members in range(MAX_HOUSEHOLD + 1):
        for guardians in range(1, MAX_GUARDIANS + 1):
            view = intake_modal(
                locale, Profile.WELFARE_CENTRE, strict=strict, members=members, guardians=guardians
            )
            assert len(view["blocks"]) <= MAX_BLOCKS < 100
            if (members, guardians) in ((0, 1), (MAX_HOUSEHOLD, 1), (3, 3)):
                validate(view)


def test_the_add_buttons_are_there_until_the_rows_or_the_budget_run_out():
    first = intake_modal("ko", Profile.WELFARE_CENTRE)
    assert {"household.add", "guardians.add"} <= set(block_ids(first))
    buttons = [blk for blk in first["blocks"] if blk["type"] == "actions"]
    assert {blk["elements"][0]["action_id"] for blk in buttons} == {
        Action.INTAKE_ADD_MEMBER,
        Action.INTAKE_ADD_GUARDIAN,
    }
    full = intake_modal("ko", Profile.WELFARE_CENTRE, members=MAX_HOUSEHOLD)
    assert "household.add" not in block_ids(full) and "household.7.relation" in block_ids(full)
    assert rows_in(full) == (MAX_HOUSEHOLD, 1)
    crowded = intake_modal("ko", Profile.WELFARE_CENTRE, members=MAX_HOUSEHOLD, guardians=5)
    assert "guardians.add" not in block_ids(crowded)  # one more guardian would pass the budget
    roomy = intake_modal("ko", Profile.WELFARE_CENTRE, guardians=MAX_GUARDIANS)
    assert rows_in(roomy) == (0, MAX_GUARDIANS) and "guardians.add" not in block_ids(roomy)


def test_new_inputs_offer_every_choice_of_their_enums():
    view = intake_modal("en", Profile.WELFARE_CENTRE, members=1)
    by_id = {blk.get("block_id"): blk for blk in view["blocks"]}

    def values(block_id: str) -> set[str]:
        return {o["value"] for o in by_id[block_id]["element"]["options"]}

    assert values("client.characteristics") == {c.value for c in ClientCharacteristic}
    assert values("client.benefits") == {v.value for v in BenefitStatus}
    assert values("crisis_flags") == {f.value for f in CrisisFlag}
    assert values("guardians.0.legal_standing") == {s.value for s in LegalStanding}
    assert values("household.0.age_band") == {s.value for s in LifeStage}
    assert values("consent_signer") == {"self", "guardian.0"}
    assert by_id["crisis_flags"]["hint"]["text"] == t("intake.details.crisis_hint", "en")


def test_a_row_added_keeps_everything_typed_so_far():
    typed = {
        "client.name": "가나다",
        "client.birth_date": "1980-05-06",
        "client.benefits": ["MEDICAL"],
        "crisis_flags": ["ABUSE"],
        "intake_route": "PHONE",
        "household.0.name": "라마바",
        "household.0.relation": "자녀",
        "household.0.flags": ["main_carer"],
        "guardians.0.name": "사아자",
        "guardians.0.flags": ["alleged_abuser"],
        "consent_signer": "self",
    }
    before = state_of(intake_modal("ko", Profile.WELFARE_CENTRE, members=1), typed)
    members, guardians = rows_in(before)
    after = intake_modal(
        "ko", Profile.WELFARE_CENTRE, members=members, guardians=guardians + 1, values=read_state(before)
    )
    validate(after)
    assert rows_in(after) == (1, 2)
    again = read_state(state_from_initials(after))
    for key, value in typed.items():
        assert again[key] == value, key
    assert again["guardians.1.name"] is None


def state_from_initials(view: dict) -> dict:
    """The state a view would submit untouched: each input's initial value."""
    values: dict = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if "initial_value" in element:
            values[block["block_id"]] = element["initial_value"]
        elif "initial_option" in element:
            values[block["block_id"]] = element["initial_option"]["value"]
        elif "initial_options" in element:
            values[block["block_id"]] = [o["value"] for o in element["initial_options"]]
        elif "initial_date" in element:
            values[block["block_id"]] = element["initial_date"]
    return state_of(view, values)


def test_an_untouched_member_row_is_no_member_and_lives_together_by_default():
    view = intake_modal("ko", Profile.WELFARE_CENTRE, members=2)
    form = read_state(state_from_initials(view))
    assert household_of(form) == []
    form["household.1.relation"] = "조모"
    assert household_of(form) == [
        {"relation": "조모", "age_band": None, "co_resident": True, "is_main_carer": False, "name": None}
    ]


def test_the_chosen_guardian_signs_and_an_alleged_abuser_is_kept_as_such():
    form = {
        "referral_source": "public_office",
        "client.name": "가나다",
        "client.under14": ["yes"],
        "confidentiality_notice_given": ["yes"],
        "consent_scopes": ["COLLECT_USE"],
        "refusal_notice": ["yes"],
        "guardians.0.name": "부친",
        "guardians.0.flags": ["alleged_abuser"],
        "guardians.1.name": "모친",
        "guardians.1.legal_standing": "PARENTAL_AUTHORITY",
        "consent_signer": "guardian.1",
    }
    data = parse_intake(form, "ko", date(2026, 3, 2))
    assert data.signer_guardian == 1 and data.consents[0].signer_name == "모친"
    assert data.guardians[0].is_alleged_abuser and data.guardians[1].is_legal_representative
    offered = parse_intake({**form, "consent_signer": "guardian.0"}, "ko", date(2026, 3, 2))
    assert offered.signer_guardian == 0  # refused by the core (R12), with the error under the signer


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_supervisors_crisis_dm_names_the_case_only(locale):
    text, blocks = intake_crisis_message(locale, "HC-2026-0007")
    assert "HC-2026-0007" in text
    buttons = [e for blk in blocks if blk["type"] == "actions" for e in blk["elements"]]
    assert [e["action_id"] for e in buttons] == [Action.OPEN_SHOW]
    for blk in blocks:
        Block.parse(blk).validate_json()


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_first_response_nudge_has_buttons(locale):
    text, blocks = nudge(
        ReminderKind.CRISIS_FIRST_RESPONSE, "HC-2026-0007", date(2026, 3, 3), date(2026, 3, 2), 5, locale
    )
    assert ReminderKind.CRISIS_FIRST_RESPONSE.label(locale) in text
    ids = [e["action_id"] for blk in blocks if blk["type"] == "actions" for e in blk["elements"]]
    assert ids[0] == Action.OPEN_NOTE and len(ids) == 3


def test_the_history_shows_the_intake_but_never_an_alleged_abusers_contact():
    entry = IntakeEntry(
        datetime(2026, 3, 2, 1, tzinfo=UTC),
        "행정복지센터",
        None,
        [ClientCharacteristic.LIVING_ALONE],
        True,
        "베트남어",
        [BenefitStatus.LIVELIHOOD],
        None,
        [CrisisFlag.SELF_HARM],
        datetime(2026, 3, 2, 1, tzinfo=UTC),
        [HouseholdEntry("라마바", "자녀", LifeStage.CHILD, True, False)],
        [
            GuardianEntry("사아자", "부", None, LegalStanding.PARENTAL_AUTHORITY, True, True),
            GuardianEntry("차카타", "조모", "010-3333-4444", LegalStanding.MINOR_GUARDIAN, True, False),
        ],
    )
    text = "\n".join(blk["text"]["text"] for blk in intake_blocks(entry, "ko", ZONE))
    for shown in ("독거", "베트남어", "생계급여", "자해", "라마바", "친권자", "차카타", "010-3333-4444"):
        assert shown in text, shown
    assert "사아자" not in text and "학대행위자 의심" in text  # R12: warned, never named where shown
