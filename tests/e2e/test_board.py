"""The team board through the running bot: `/case channel`, the morning post from the operator's
`casebot reminders send --as-of`, a contact note logged from the post's button, the post edited in place."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import NoteMeta
from bot.settings import load_settings
from casebot.cli import main
from models.board import TeamBoardPost
from models.enums import CaseIntensity, StaffRole, Surface
from models.services import assessments, cases, plans, staff
from models.services.calendar import WorkCalendar
from models.services.context import Ctx
from models.staff import Team
from sandbox.slack import BOT_USER_ID
from sandbox.slack.requests import block_actions, post
from tests.conftest import TEST_KEY
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answer_to, command, submit
from tests.e2e.test_notes import valid_note
from tests.factories import CLIENT_NAME, assessment_input, intake, plan_input

SEOUL = ZoneInfo("Asia/Seoul")
CHANNEL = "C0BOARD1"


def board_day():
    """The last working day before today: the note is logged today (real time), after that morning."""
    calendar, day = WorkCalendar(SEOUL), datetime.now(SEOUL).date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def send_reminders(bot: RunningBot, moment: datetime) -> None:
    url = bot.uow.session_factory.kw["bind"].url.render_as_string(hide_password=False)  # type: ignore[attr-defined]

    def settings():  # type: ignore[no-untyped-def]
        return load_settings(
            database_url=url,
            slack_bot_token="xoxb-cli",
            slack_api_url=bot.slack.url,
            encryption_keys=TEST_KEY,
        )

    as_of = moment.strftime("%Y-%m-%dT%H:%M")
    assert main(["reminders", "send", "--as-of", as_of], settings_loader=settings) == 0


def board_posts(bot: RunningBot, day) -> list:  # type: ignore[no-untyped-def]
    return [
        c
        for c in bot.slack.calls("chat.postMessage")
        if c.params.get("channel") == CHANNEL and day.isoformat() in c.params.get("text", "")
    ]


def click(bot: RunningBot, user: str, button: dict, ts: str) -> None:
    request = block_actions(
        SIGNING_SECRET,
        user_id=user,
        actions=[{"action_id": button["action_id"], "value": button["value"]}],
        channel_id=CHANNEL,
        message={"ts": ts, "text": ""},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200


def test_the_team_board_is_posted_and_edited_in_place(bot):
    day = board_day()
    add_staff(bot, "USUP", StaffRole.SUPERVISOR)
    add_staff(bot, "UCM1")
    add_staff(bot, "UCM2")  # a colleague in the same team
    opened_at = datetime.combine(day - timedelta(days=100), time(10), tzinfo=SEOUL)
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, "UCM1"), surface=Surface.CLI, now=opened_at)
        case = cases.open_case(db, ctx, intake())
        assessments.assess(db, ctx, case.code, assessment_input())
        cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
        plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
        code = case.code

    # A case manager may not link the channel: a plain private refusal, nothing linked.
    assert command(bot, "channel", "UCM1", channel_id=CHANNEL)[0] == 200
    assert "슈퍼바이저" in answer_to(bot, "UCM1")["text"]
    # The supervisor links it and is told to invite the bot: the bot is not in the channel yet, and
    # the command's response_url carries the answer (Slack would refuse an ephemeral message there).
    bot.slack.enforce_membership()
    bot.slack.set_channel(CHANNEL, members=["USUP", "UCM1"])
    assert command(bot, "채널", "USUP", channel_id=CHANNEL)[0] == 200
    linked = answer_to(bot, "USUP")
    assert f"<#{CHANNEL}>" in linked["text"] and "/invite" in linked["text"]
    bot.slack.set_channel(CHANNEL, members=["USUP", "UCM1", BOT_USER_ID])  # and they invite the bot
    with bot.uow() as db:
        assert db.scalar(select(Team.slack_channel_id).where(Team.name == "1팀")) == CHANNEL

    # The working morning's post: both overdue items of the case, by code, nothing about the client.
    send_reminders(bot, datetime.combine(day, time(9, 5), tzinfo=SEOUL))
    [morning] = board_posts(bot, day)
    blocks = morning.params["blocks"]
    assert code in str(blocks) and "UCM1" in str(blocks) and CLIENT_NAME not in str(morning.params)
    buttons = {b["accessory"]["action_id"]: b["accessory"] for b in blocks if b.get("accessory")}
    assert set(buttons) == {Action.OPEN_NOTE, Action.OPEN_PLAN}
    with bot.uow() as db:
        board_post = db.scalar(select(TeamBoardPost).where(TeamBoardPost.day == day))
        ts = board_post.message_ts
    assert ts and not board_post.dirty

    # A colleague's click opens nothing they may use: the plan button answers with the refusal.
    click(bot, "UCM2", buttons[Action.OPEN_PLAN], ts)
    refused = bot.slack.wait_for("views.update")[0].params["view"]
    assert "권한" in json.dumps(refused, ensure_ascii=False)
    # …and a note submitted from the note button is refused by the core.
    _, body = submit(
        bot, "UCM2", View.NOTE, valid_note(), view_id="VBOARD1", private_metadata=NoteMeta(code=code).dump()
    )
    assert body["response_action"] == "errors" and "권한" in str(body["errors"])

    # The case manager logs the contact from the post's button.
    opened_before = len(bot.slack.calls("views.open"))
    click(bot, "UCM1", buttons[Action.OPEN_NOTE], ts)
    note_modal = bot.slack.wait_for("views.open", count=opened_before + 1)[-1].params["view"]
    assert note_modal["callback_id"] == View.NOTE
    status, body = submit(
        bot,
        "UCM1",
        View.NOTE,
        valid_note(),
        view_id="VBOARD2",
        private_metadata=note_modal["private_metadata"],
    )
    assert status == 200 and body["response_action"] == "update", body
    with bot.uow() as db:
        assert db.scalar(select(TeamBoardPost.dirty).where(TeamBoardPost.day == day)) is True

    # The next run edits the same message: the contact is gone, the plan review is still due.
    send_reminders(bot, datetime.combine(day, time(10, 0), tzinfo=SEOUL))
    [edit] = [c for c in bot.slack.calls("chat.update") if c.params["channel"] == CHANNEL]
    assert edit.params["ts"] == ts
    edited = {b["accessory"]["action_id"] for b in edit.params["blocks"] if b.get("accessory")}
    assert edited == {Action.OPEN_PLAN} and code in str(edit.params["blocks"])
    assert len(board_posts(bot, day)) == 1  # never posted again
    # Nothing changed since: no further edit.
    send_reminders(bot, datetime.combine(day, time(10, 5), tzinfo=SEOUL))
    assert len([c for c in bot.slack.calls("chat.update") if c.params["channel"] == CHANNEL]) == 1
