"""Views that differ by a team's profile: the closure's dropout prompt (the classification list is in
test_assessment_views.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.views import blocks as b
from bot.views.closure import close_done_modal
from bot.views.reminders import OPENS, nudge
from models.enums import ReminderKind
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
