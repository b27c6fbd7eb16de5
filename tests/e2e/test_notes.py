"""`/case note`, the note button and "add as case note" on a message, through the running bot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import Action, Shortcut, View
from bot.metadata import MessageRef, NoteMeta
from models import Case
from models.contact import ContactNote
from models.enums import CaseIntensity, StaffRole, Surface
from models.services import assessments, cases, plans
from models.services.context import Ctx
from sandbox.slack.requests import block_actions, message_shortcut, post
from sandbox.slack.server import WORKSPACE_URL
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, choice, choices, command, day, state, submit, text
from tests.factories import CLIENT_NAME, assessment_input, intake, plan_input

SEOUL = ZoneInfo("Asia/Seoul")
MESSAGE_TEXT = "어머니와 통화함: 월세 두 달 밀림, 병원 예약 필요"


def case_in_monitoring(bot: RunningBot, manager: str = "UCM1", supervisor: str | None = "USUP") -> str:
    """Staff of one team and a case with an agreed plan, made through the core services."""
    add_staff(bot, manager)
    if supervisor:
        add_staff(bot, supervisor, StaffRole.SUPERVISOR)
    with bot.uow() as db:
        from models.services import staff

        ctx = Ctx(actor=staff.find_staff(db, manager), surface=Surface.CLI, now=datetime.now(UTC))
        case = cases.open_case(db, ctx, intake())
        assessments.assess(db, ctx, case.code, assessment_input())
        cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
        plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
        return case.code


def when(moment: datetime) -> dict:
    """The date and time blocks as Slack sends them, in Seoul time."""
    local = moment.astimezone(SEOUL)
    return {
        "contact_on": day(local.date().isoformat()),
        "contact_at": {
            "type": "timepicker",
            "selected_time": local.strftime("%H:%M"),
            "timezone": "Asia/Seoul",
        },
    }


def valid_note(moment: datetime | None = None, **overrides: dict) -> dict:
    values = {
        **when(moment or datetime.now(UTC) - timedelta(hours=2)),
        "contact_type": choice("PHONE"),
        "kind": choice("REGULAR"),
        "outcome": choice("DONE"),
        "result": choice("MAINTAIN"),
        "plan_adherence": choice("4"),
        "satisfaction": choice("5"),
        "risk_changed": choices(),
        "summary": text("주거급여 신청 진행 확인"),
        "next_contact_on": day((datetime.now(SEOUL).date() + timedelta(days=14)).isoformat()),
    }
    values.update(overrides)
    return state(**values)


def notes_of(bot: RunningBot, code: str) -> list[ContactNote]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        return list(db.scalars(select(ContactNote).where(ContactNote.case_id == case.id)))


def assert_no_private_text(bot: RunningBot, *texts: str) -> None:
    for call in bot.slack.calls():
        if call.method.startswith("chat."):
            for private in texts:
                assert private not in str(call.params), call.method


def test_case_note_opens_the_modal_at_once_and_logs_the_contact_once(bot):
    code = case_in_monitoring(bot)
    status, _ = command(bot, f"note {code.lower()}", "UCM1")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.NOTE and code in str(opened["blocks"][0])
    block_ids = {b.get("block_id") for b in opened["blocks"]}
    assert {"contact_on", "contact_at", "contact_type", "summary", "next_contact_on"} <= block_ids
    assert "case_code" not in block_ids

    moment = datetime.now(UTC) - timedelta(hours=2)
    values = valid_note(moment)
    status, body = submit(
        bot, "UCM1", View.NOTE, values, view_id="VNOTE1", private_metadata=opened["private_metadata"]
    )
    assert status == 200 and body["response_action"] == "update", body
    assert code in str(body["view"])
    [note] = notes_of(bot, code)
    assert note.contact_type.value == "PHONE" and note.plan_adherence == 4 and note.satisfaction == 5
    assert note.source_ref is None
    # the picked Seoul time, to the minute
    stored = note.contact_at if note.contact_at.tzinfo else note.contact_at.replace(tzinfo=UTC)
    assert abs(stored - moment.replace(second=0, microsecond=0)) < timedelta(seconds=1)

    # a double click or Slack retry of the same view: the same answer, nothing new
    _, again = submit(
        bot, "UCM1", View.NOTE, values, view_id="VNOTE1", private_metadata=opened["private_metadata"]
    )
    assert again["response_action"] == "update" and code in str(again["view"])
    assert len(notes_of(bot, code)) == 1


def test_a_future_contact_time_is_a_field_error_on_the_time(bot):
    code = case_in_monitoring(bot)
    metadata = NoteMeta(code=code).dump()
    future = datetime.now(UTC) + timedelta(hours=3)
    _, body = submit(bot, "UCM1", View.NOTE, valid_note(future), view_id="VNOTE2", private_metadata=metadata)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"contact_at"}
    assert "미래" in body["errors"]["contact_at"]
    assert notes_of(bot, code) == []

    # a missing time is an error on the same block
    values = valid_note(contact_at={"type": "timepicker", "selected_time": None})
    _, body = submit(bot, "UCM1", View.NOTE, values, view_id="VNOTE3", private_metadata=metadata)
    assert set(body["errors"]) == {"contact_at"}
    assert notes_of(bot, code) == []


def test_the_note_button_opens_the_same_modal(bot):
    code = case_in_monitoring(bot)
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.OPEN_NOTE, "value": NoteMeta(code=code).dump()}],
        channel_id="DUCM1",
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.NOTE and json.loads(opened["private_metadata"]) == {"code": code}


def test_a_message_becomes_a_note_with_its_permalink_and_never_its_text(bot):
    code = case_in_monitoring(bot)
    other = case_in_monitoring(bot, manager="UCM2", supervisor=None)
    request = message_shortcut(
        SIGNING_SECRET,
        user_id="UCM1",
        callback_id=Shortcut.ADD_AS_NOTE,
        message={"text": MESSAGE_TEXT, "user": "UCM1", "ts": "1790000000.000200"},
        channel_id="C0042",
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.NOTE
    blocks = {b.get("block_id"): b for b in opened["blocks"]}
    offered = [o["value"] for o in blocks["case_code"]["element"]["options"]]
    assert offered == [code]  # the actor's own cases only, by code
    assert blocks["summary"]["element"]["initial_value"] == MESSAGE_TEXT
    assert MESSAGE_TEXT not in opened["private_metadata"]

    values = valid_note(case_code=choice(code), summary=text(MESSAGE_TEXT))
    status, body = submit(
        bot, "UCM1", View.NOTE, values, view_id="VNOTE4", private_metadata=opened["private_metadata"]
    )
    assert status == 200 and body["response_action"] == "update", body
    [note] = notes_of(bot, code)
    assert note.source_ref == f"{WORKSPACE_URL}archives/C0042/p1790000000000200"
    assert note.summary == MESSAGE_TEXT
    assert notes_of(bot, other) == []
    permalink = bot.slack.last("chat.getPermalink").params
    assert permalink["channel"] == "C0042" and permalink["message_ts"] == "1790000000.000200"

    _, again = submit(
        bot, "UCM1", View.NOTE, values, view_id="VNOTE4", private_metadata=opened["private_metadata"]
    )
    assert again["response_action"] == "update"
    assert len(notes_of(bot, code)) == 1
    assert_no_private_text(bot, MESSAGE_TEXT, CLIENT_NAME)


def test_the_shortcut_needs_a_case_choice_and_access_to_it(bot):
    case_in_monitoring(bot)
    other = case_in_monitoring(bot, manager="UCM2", supervisor=None)
    metadata = NoteMeta(source=MessageRef(channel="C0042", ts="1790000000.000300")).dump()
    _, body = submit(bot, "UCM1", View.NOTE, valid_note(), view_id="VNOTE5", private_metadata=metadata)
    assert set(body["errors"]) == {"case_code"}
    # a forged choice of somebody else's case is refused by the core
    _, body = submit(
        bot,
        "UCM1",
        View.NOTE,
        valid_note(case_code=choice(other)),
        view_id="VNOTE6",
        private_metadata=metadata,
    )
    assert body["response_action"] == "errors" and "권한" in body["errors"]["case_code"]
    assert notes_of(bot, other) == []


def test_someone_who_is_not_staff_gets_a_refusal_from_the_shortcut(bot):
    request = message_shortcut(
        SIGNING_SECRET,
        user_id="UNOBODY",
        callback_id=Shortcut.ADD_AS_NOTE,
        message={"text": MESSAGE_TEXT, "user": "UX"},
        channel_id="C0042",
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    answer = bot.slack.wait_for("chat.postEphemeral")[0].params
    assert answer["user"] == "UNOBODY" and "권한이 없습니다" in answer["text"]
    assert bot.slack.calls("views.open") == []
    assert_no_private_text(bot, MESSAGE_TEXT)
