"""Views that differ by a team's profile: the closure's dropout prompt (the classification list is in
test_assessment_views.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk.models.blocks import Block

from bot.views import blocks as b
from bot.views.closure import close_done_modal
from bot.views.profiles import HANDOVER_BLOCKS, handover_done_modal, handover_modal, wee_step_up_message
from bot.views.reminders import OPENS, nudge
from models.enums import ReminderKind, WeeLevel
from models.text import LOCALES
from tests.unit.test_views import validate_with_slack_sdk

CODE = "C-2026-0007"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_closure_done_modal_prompts_a_referral_to_kkumdream_only_for_dropping_out(locale):
    plain = close_done_modal(locale, CODE)
    prompted = close_done_modal(locale, CODE, dropout_links=["가상시 학교밖청소년지원센터"])
    none_listed = close_done_modal(locale, CODE, dropout_links=[])
    for view in (plain, prompted, none_listed):
        validate_with_slack_sdk(view)
        b.check_view(view)
    assert len(prompted["blocks"]) == len(plain["blocks"]) + 1
    text = json.dumps(prompted, ensure_ascii=False)
    assert "꿈드림" in text and "가상시 학교밖청소년지원센터" in text and f"/case refer {CODE}" in text
    assert "꿈드림" not in json.dumps(plain, ensure_ascii=False)
    assert "꿈드림" in json.dumps(none_listed, ensure_ascii=False)


@pytest.mark.parametrize(
    "kind", [ReminderKind.SCHOOL_SELECTION, ReminderKind.SAFETY_CHECK, ReminderKind.GRADE_HANDOVER]
)
def test_calendar_nudges_have_a_button_and_the_case_code_only(kind):
    assert kind in OPENS
    text, blocks = nudge(kind, CODE, date(2026, 7, 19), date(2026, 7, 12), 1, "ko")
    assert CODE in text and kind.label("ko") in text
    buttons = [e for block in blocks if block["type"] == "actions" for e in block["elements"]]
    assert buttons[0]["action_id"] == OPENS[kind]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_wee_suggestion_names_the_step_and_its_resources(locale):
    text, blocks = wee_step_up_message(
        locale, CODE, WeeLevel.WEE_CLASS, WeeLevel.WEE_CENTER, ["가상 Wee 센터"]
    )
    assert CODE in text and WeeLevel.WEE_CENTER.label(locale) in text and "가상 Wee 센터" in text
    assert f"/case refer {CODE}" in text
    for block in blocks:
        Block.parse(block).validate_json()
    empty, _ = wee_step_up_message(locale, CODE, WeeLevel.WEE_CENTER, WeeLevel.FAMILY_WEE_CENTER, [])
    assert WeeLevel.FAMILY_WEE_CENTER.label(locale) in empty


@pytest.mark.parametrize("locale", LOCALES)
def test_the_handover_modal_asks_to_whom_when_and_a_note(locale):
    view = handover_modal(locale, CODE, date(2026, 3, 2))
    validate_with_slack_sdk(view)
    b.check_view(view)
    inputs = [block["block_id"] for block in view["blocks"] if block["type"] == "input"]
    assert inputs == HANDOVER_BLOCKS == ["handed_to", "handed_over_on", "note"]
    assert json.loads(view["private_metadata"]) == {"code": CODE}
    done = handover_done_modal(locale, CODE, "가상동 행정복지센터", date(2026, 3, 5))
    validate_with_slack_sdk(done)
    assert "가상동 행정복지센터" in json.dumps(done, ensure_ascii=False) and "2026-03-05" in json.dumps(done)
