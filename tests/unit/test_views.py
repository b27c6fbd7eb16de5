"""Every view respects Slack's limits in both languages, even with text at the limits."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.i18n import catalog
from bot.views import blocks as b
from bot.views.intake import intake_done_modal, intake_modal
from bot.views.messages import help_blocks
from models.enums import NextStep, Profile


def validate_with_slack_sdk(view: dict) -> None:
    """slack-sdk's model classes check titles, lengths and element shapes (it skips plain dicts)."""
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("profile", list(Profile))
def test_intake_modal_is_valid(locale, profile):
    view = intake_modal(locale, profile, channel_id="C0001")
    validate_with_slack_sdk(view)
    b.check_view(view)
    inputs = [block["block_id"] for block in view["blocks"] if block["type"] == "input"]
    assert "client.name" in inputs and len(inputs) == len(set(inputs))


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_done_modal_and_help_are_valid(locale):
    validate_with_slack_sdk(intake_done_modal(locale, "C-2026-0007", NextStep.COMPLETE_ASSESSMENT))
    for block in help_blocks(locale):
        Block.parse(block).validate_json()


@pytest.mark.parametrize("text", ["가" * 5000, "A" * 5000])
def test_builders_cut_long_text_to_slacks_limits(text):
    view = b.modal(
        "x",
        text,
        [
            b.header(text),
            b.section(text),
            b.text_input("f", text, placeholder=text, hint=text, initial=text),
            b.select("s", text, [(text, "v" * 500)]),
            b.actions(b.button(text, "a", "v")),
            b.context(text),
        ],
        submit=text,
        close=text,
    )
    validate_with_slack_sdk(view)
    assert len(view["title"]["text"]) == 24


def test_check_view_refuses_what_slack_would_refuse():
    with pytest.raises(ValueError, match="blocks"):
        b.modal("x", "t", [b.section("a")] * 101)
    with pytest.raises(ValueError, match="private_metadata"):
        b.modal("x", "t", [b.section("a")], private_metadata="x" * 3001)
    with pytest.raises(ValueError, match="submit"):
        b.modal("x", "t", [b.text_input("f", "label")])
    with pytest.raises(ValueError, match="duplicate"):
        b.modal("x", "t", [b.text_input("f", "a"), b.text_input("f", "b")], submit="ok")


def test_every_catalog_text_fits_where_it_is_used():
    for locale in ("ko", "en"):
        texts = catalog(locale)
        for key in ("intake.modal.title", "intake.modal.submit", "intake.modal.close", "intake.done.title"):
            assert len(texts[key]) <= 24, (locale, key)
