"""Answers reach the person wherever they typed: a channel the bot was never invited to, a DM between
two people. The Slack stand-in refuses posts into conversations the bot is not in, as Slack does
(`channel_not_found`), so only the command's response_url, a modal and the bot's own DM get through."""

from __future__ import annotations

import json

import pytest

from bot.ids import View
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, answer_to, command, submit
from tests.e2e.test_home import NAME, open_cases
from tests.e2e.test_intake import cases_in, valid_intake

NO_BOT = "CNOBOT"  # a channel the bot is not in
TWO_PEOPLE = "DPEOPLE"  # a DM between UCM1 and UOTHER


@pytest.fixture
def strict(bot: RunningBot) -> RunningBot:
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    bot.slack.set_channel(NO_BOT, members=["UCM1", "UOTHER"])
    bot.slack.set_channel(TWO_PEOPLE, members=["UCM1", "UOTHER"])
    bot.slack.enforce_membership()
    return bot


def refused_posts(bot: RunningBot) -> list[str]:
    """chat.* calls the bot made into the conversations it is not in (each one a lost answer)."""
    return [
        c.method
        for c in bot.slack.calls()
        if c.method.startswith("chat.") and c.params.get("channel") in (NO_BOT, TWO_PEOPLE)
    ]


@pytest.mark.parametrize("where", [NO_BOT, TWO_PEOPLE])
def test_list_show_new_and_a_refusal_reach_the_person_where_the_bot_is_not(strict: RunningBot, where: str):
    bot = strict
    [code] = open_cases(bot, "UCM1", 0)

    # /case list: the list, through the response_url
    assert command(bot, "목록", "UCM1", channel_id=where)[0] == 200
    listed = answer_to(bot, "UCM1")
    assert code in json.dumps(listed["blocks"], ensure_ascii=False)

    # /case show: the summary modal (views.open works anywhere)
    assert command(bot, f"show {code}", "UCM1", channel_id=where)[0] == 200
    shown = bot.slack.wait_for("views.open")[0].params["view"]
    assert code in json.dumps(shown, ensure_ascii=False)

    # a refusal: another team's case manager asks for the case
    assert command(bot, f"show {code}", "UOTHER", channel_id=where)[0] == 200
    refusal = answer_to(bot, "UOTHER")
    assert "권한이 없습니다" in refusal["text"] and NAME not in json.dumps(refusal, ensure_ascii=False)

    # /case new: the intake modal, and after it the confirmation in the bot's DM (a modal has no
    # response_url, and Slack refuses an ephemeral message where the bot is not)
    assert command(bot, "new", "UCM1", channel_id=where)[0] == 200
    opened = bot.slack.wait_for("views.open", 2)[1].params["view"]
    assert opened["callback_id"] == View.INTAKE
    status, body = submit(
        bot, "UCM1", View.INTAKE, valid_intake(), private_metadata=opened["private_metadata"]
    )
    assert status == 200 and body["response_action"] == "update"
    new_code = next(c.code for c in cases_in(bot) if c.code != code)
    bot.slack.wait_for("chat.postMessage")
    dms = [c.params for c in bot.slack.calls("chat.postMessage") if c.params["channel"] == "UCM1"]
    assert len(dms) == 1 and new_code in dms[0]["text"]

    # The one post into the conversation was the intake's try, refused; the DM carried it instead.
    assert refused_posts(bot) == ["chat.postEphemeral"]
    for call in bot.slack.calls():
        if call.method.startswith("chat.") or call.method == "response_url":
            assert NAME not in json.dumps(call.params, ensure_ascii=False)
