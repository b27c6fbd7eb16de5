"""`/case history CODE` through the running bot: a note's text in a modal for the case's circle only,
paged with views.update, never in a message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.ids import Action, View
from bot.metadata import HistoryPage
from models.enums import Surface
from models.services import cases, notes, staff
from models.services.case_file import Section
from models.services.context import Ctx
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answers_to, command
from tests.e2e.test_notes import assert_no_private_text, case_in_monitoring
from tests.factories import CLIENT_NAME, contact

NOTE_TEXT = "어머니와 통화: 월세 두 달 밀림, 병원 예약 필요"
NEXT_ACTION = "주민센터 긴급지원 신청 동행"


def with_notes(bot: RunningBot) -> str:
    code = case_in_monitoring(bot)
    add_staff(bot, "UCW1")
    add_staff(bot, "UOTHER", team="2팀")
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, "UCM1"), surface=Surface.CLI, now=datetime.now(UTC))
        cases.add_coworker(db, ctx, code, staff.find_staff(db, "UCW1").id)
        for i in range(11):
            notes.log_contact(
                db,
                ctx,
                code,
                contact(
                    ctx.now - timedelta(hours=20 - i), summary=f"{NOTE_TEXT} ({i})", next_action=NEXT_ACTION
                ),
            )
    return code


def open_history(bot: RunningBot, code: str, user: str) -> dict | None:
    before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, f"과정기록 {code}", user)
    assert status == 200
    try:
        return bot.slack.wait_for("views.open", count=before + 1, timeout=3)[-1].params["view"]
    except AssertionError:
        return None


def test_the_circle_reads_the_notes_other_teams_do_not_and_no_message_carries_them(bot: RunningBot):
    code = with_notes(bot)
    for reader in ("UCM1", "UCW1", "USUP"):
        view = open_history(bot, code, reader)
        assert view is not None and view["callback_id"] == View.HISTORY
        shown = str(view["blocks"])
        assert f"{NOTE_TEXT} (10)" in shown and NEXT_ACTION in shown
        assert f"{NOTE_TEXT} (0)" not in shown  # the oldest is on the second page

    told = len(answers_to(bot, "UOTHER", 0))
    assert open_history(bot, code, "UOTHER") is None
    refusal = answers_to(bot, "UOTHER", told + 1)[-1]
    assert NOTE_TEXT not in str(refusal)

    # the older page, in place
    view = open_history(bot, code, "UCM1")
    assert view is not None
    value = HistoryPage(code=code, section=Section.NOTES, page=1).dump()
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": f"{Action.HISTORY_PAGE}.older", "value": value}],
        view={**view, "id": "VHIST1"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    updated = bot.slack.wait_for("views.update")[-1].params
    assert updated["view_id"] == "VHIST1"
    assert f"{NOTE_TEXT} (0)" in str(updated["view"]["blocks"])

    # a forged page button for another team's person: refused in the bot's DM, nothing shown
    updates, dms = len(bot.slack.calls("views.update")), len(bot.slack.calls("chat.postMessage"))
    request = block_actions(
        SIGNING_SECRET,
        user_id="UOTHER",
        actions=[{"action_id": f"{Action.HISTORY_PAGE}.notes", "value": value}],
        view={**view, "id": "VHIST2"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    refusal = bot.slack.wait_for("chat.postMessage", count=dms + 1)[-1]
    assert refusal.params["channel"] == "UOTHER"
    assert len(bot.slack.calls("views.update")) == updates
    assert_no_private_text(bot, NOTE_TEXT, NEXT_ACTION, CLIENT_NAME)


def test_the_print_button_without_an_address_says_how_to_print_from_the_command_line(bot: RunningBot):
    code = case_in_monitoring(bot)
    status, _ = command(bot, f"history {code}", "UCM1", channel_id="C0042")
    assert status == 200
    view = bot.slack.wait_for("views.open")[-1].params["view"]
    buttons = [e for b in view["blocks"] if b.get("block_id") == "history.print" for e in b["elements"]]
    assert len(buttons) == 7
    [plan] = [b for b in buttons if b["action_id"] == f"{Action.PRINT_FORM}.plan"]
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": plan["action_id"], "value": plan["value"]}],
        view={**view, "id": "VHIST3"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    told = bot.slack.wait_for("chat.postEphemeral")[-1].params
    assert told["channel"] == "C0042" and told["user"] == "UCM1"
    assert f"casebot print {code} --form plan" in told["text"]
