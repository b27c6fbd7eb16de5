"""A case conference through the running bot: `/case conference`, the modal submitted as Slack sends it,
then time moved with `casebot reminders send --as-of` to see the channel reminders, the chair's prompt,
the outcome recorded from that prompt, and the action item's nudge to its owner.

The bot runs on the real clock; the reminders are sent by the operator's command at chosen times, as an
agency would replay a missed sweep. Only setting up staff and a case, and reading rows, use the database.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import Action, View
from models.case import Case
from models.conference import ActionItem, CaseConference
from models.enums import ConferenceStatus, ReminderKind, ReminderStatus, StaffRole, Surface, TaskStatus
from models.reminder import Reminder
from models.services import cases
from models.services.calendar import WorkCalendar
from models.services.context import Ctx
from models.staff import StaffMember
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot, send_reminders_as_of
from tests.e2e.helpers import add_staff, answer_to, command, submit
from tests.factories import CLIENT_NAME, consent, intake, sharing_consent

SEOUL = ZoneInfo("Asia/Seoul")
CALENDAR = WorkCalendar(SEOUL, 9, 18)
CHAIR, PARTICIPANT = "UCHAIR", "UPART"
CHANNEL = "C0CONF"
EXTERNAL_ORG = "가상구 정신건강복지센터"  # the outside member's organisation, named by the consent
QUESTION = "주거급여 탈락 후 긴급지원 연계를 할지 가상 질문"
ITEM_TEXT = "긴급지원 신청서 가상 작성"


# ------------------------------------------------------------------------------- Slack's side


def element_state(element: dict, given: Any) -> dict:
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        return {"type": kind, "value": element.get("initial_value") if given is None else given}
    if kind in ("static_select", "radio_buttons"):
        chosen = element.get("initial_option") if given is None else {"value": given}
        return {"type": kind, "selected_option": chosen}
    if kind in ("checkboxes", "multi_static_select"):
        chosen = element.get("initial_options", []) if given is None else [{"value": v} for v in given]
        return {"type": kind, "selected_options": chosen}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date") if given is None else given}
    if kind == "timepicker":
        chosen = element.get("initial_time") if given is None else given
        return {"type": kind, "selected_time": chosen, "timezone": element.get("timezone")}
    if kind == "users_select":
        return {"type": kind, "selected_user": given}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": given or []}
    if kind == "conversations_select":
        chosen = element.get("initial_conversation") if given is None else given
        return {"type": kind, "selected_conversation": chosen}
    raise AssertionError(f"no state builder for a {kind}")


def fill(view: dict, typed: dict[str, Any]) -> dict:
    values, remaining = {}, dict(typed)
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            state = element_state(element, remaining.pop(block["block_id"], None))
            values[block["block_id"]] = {element["action_id"]: state}
    assert not remaining, f"no such inputs: {sorted(remaining)}"
    return values


def send_view(bot: RunningBot, user: str, view_id: str, view: dict, typed: dict[str, Any]) -> dict:
    status, body = submit(
        bot,
        user,
        view["callback_id"],
        fill(view, typed),
        view_id=view_id,
        private_metadata=view.get("private_metadata", ""),
    )
    assert status == 200
    return body


def click(bot: RunningBot, user: str, button: dict, **where: Any) -> None:
    request = block_actions(
        SIGNING_SECRET,
        user_id=user,
        actions=[{"action_id": button["action_id"], "value": button["value"], "type": "button"}],
        **where,
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200


def buttons_in(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


def posted_to(bot: RunningBot, channel: str) -> list[dict]:
    """Messages about conferences posted to a channel or DM (the chair also gets case nudges)."""
    return [
        c.params
        for c in bot.slack.calls("chat.postMessage")
        if c.params.get("channel") == channel
        and any(
            b["action_id"].startswith("case.conference") for b in buttons_in(c.params.get("blocks") or [])
        )
    ]


def send_reminders(bot: RunningBot, tmp_path: Path, at: datetime) -> str:
    """`casebot reminders send --as-of <time>` as an operator would run it, with the bot's settings."""
    return send_reminders_as_of(bot, at, tmp_path)


def wait_for_update(bot: RunningBot, count: int) -> dict:
    return bot.slack.wait_for("views.update", count)[count - 1].params


# ------------------------------------------------------------------------------- the record


def reminder_times(bot: RunningBot, conference_id: int) -> dict[tuple[ReminderKind, str | None], datetime]:
    with bot.uow() as db:
        found = db.scalars(select(Reminder).where(Reminder.conference_id == conference_id))
        return {
            (r.kind, r.slack_channel_id): r.due_at
            for r in found
            if r.recipient_id is None or r.kind == ReminderKind.CONFERENCE_RECORD
        }


def meeting_day() -> datetime:
    """A working day two weeks ahead at 14:00, so every reminder lies ahead of the bot's real clock."""
    day = datetime.now(SEOUL).date() + timedelta(days=14)
    while not CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 14, 0, tzinfo=SEOUL)


def test_a_conference_from_scheduling_to_its_action_item_nudge(bot: RunningBot, tmp_path: Path) -> None:
    add_staff(bot, CHAIR, StaffRole.CASE_MANAGER)
    add_staff(bot, PARTICIPANT, StaffRole.CASE_MANAGER)
    with bot.uow() as db:
        chair = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == CHAIR))
        ctx = Ctx(actor=chair, surface=Surface.CLI, now=datetime.now(SEOUL))
        code = cases.open_case(db, ctx, intake(consents=[consent(), sharing_consent(EXTERNAL_ORG)])).code
    meeting = meeting_day()

    # /case conference opens the scheduling modal in the channel it was typed in.
    status, _ = command(bot, "사례회의", CHAIR, channel_id=CHANNEL)
    assert status == 200
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == View.CONFERENCE
    typed = {
        "conference_type": "INTEGRATED",
        "scheduled_at": meeting.date().isoformat(),
        "scheduled_time": "14:00",
        "duration_minutes": "60",
        "participant_ids": [PARTICIPANT],
        "externals": f"김가상 / {EXTERNAL_ORG}",
        "pledge": ["yes"],
        "cases.0.code": code,
        "cases.0.question": QUESTION,
        "cases.2.code": "C-2099-0999",
    }
    # An unknown case code comes back under its own row; nothing is saved.
    answer = send_view(bot, CHAIR, "VCONF1", view, typed)
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"cases.2.code"}
    with bot.uow() as db:
        assert db.scalar(select(CaseConference.id)) is None
    typed.pop("cases.2.code")
    answer = send_view(bot, CHAIR, "VCONF1", view, typed)
    assert answer["response_action"] == "update" and code in str(answer["view"])
    assert QUESTION not in str(answer["view"])
    with bot.uow() as db:
        conference = db.scalar(select(CaseConference))
        conference_id = conference.id
        assert conference.slack_channel_id == CHANNEL
        assert conference.scheduled_at == meeting
        assert conference.cases[0].question == QUESTION
    times = reminder_times(bot, conference_id)

    # D-7: the agenda call in the channel, by case code, with the agenda figures and a button.
    send_reminders(bot, tmp_path, times[(ReminderKind.CONFERENCE_AGENDA, CHANNEL)])
    [agenda_call] = posted_to(bot, CHANNEL)
    assert code in agenda_call["text"] or code in str(agenda_call["blocks"])
    assert "안건 제출" in agenda_call["text"]
    assert buttons_in(agenda_call["blocks"])[0]["action_id"] == Action.CONFERENCE_AGENDA
    assert posted_to(bot, PARTICIPANT) == []  # participants hear from D-1

    # D-1: the papers call (not sent on its own day) folds into the day-before reminder.
    out = send_reminders(bot, tmp_path, times[(ReminderKind.CONFERENCE_DAY_BEFORE, CHANNEL)])
    assert "folded in" in out
    channel = posted_to(bot, CHANNEL)
    assert len(channel) == 2 and "D-1" in channel[1]["text"] and code in str(channel[1]["blocks"])
    assert len(posted_to(bot, PARTICIPANT)) == 1 and len(posted_to(bot, CHAIR)) == 1

    # One hour before.
    send_reminders(bot, tmp_path, times[(ReminderKind.CONFERENCE_SOON, CHANNEL)])
    channel = posted_to(bot, CHANNEL)
    assert len(channel) == 3 and "1시간" in channel[2]["text"]
    assert len(posted_to(bot, PARTICIPANT)) == 2

    # After the meeting: the chair is asked to record the outcome.
    send_reminders(bot, tmp_path, meeting + timedelta(minutes=61))
    prompt = posted_to(bot, CHAIR)[-1]
    assert "기록해 주세요" in prompt["text"]
    record = buttons_in(prompt["blocks"])[0]
    assert record["action_id"] == Action.CONFERENCE_RECORD
    assert len(posted_to(bot, CHANNEL)) == 3  # the prompt is the chair's, not the channel's

    for message in bot.slack.calls("chat.postMessage"):
        body = json.dumps(message.params, ensure_ascii=False)
        assert QUESTION not in body and CLIENT_NAME not in body and "김가상" not in body

    # The bot's clock is real: the meeting is in its future, so the record says it took place already.
    with bot.uow() as db:
        db.get(CaseConference, conference_id).scheduled_at = datetime.now(SEOUL) - timedelta(hours=2)

    click(bot, CHAIR, record, channel_id="DUCHAIR", message={"ts": "1.0", "text": prompt["text"]})
    update = wait_for_update(bot, 1)
    record_view = update["view"]
    assert record_view["callback_id"] == View.CONFERENCE_RECORD
    due = (datetime.now(SEOUL) + timedelta(days=10)).date()
    answer = send_view(
        bot,
        CHAIR,
        update["view_id"],
        record_view,
        {
            "decisions.0": "긴급지원 신청 후 한 달 뒤 재사정 (가상)",
            "action_items.0.description": ITEM_TEXT,
            "action_items.0.owner_id": PARTICIPANT,
            "action_items.0.due_date": due.isoformat(),
            "action_items.0.code": code,
        },
    )
    assert answer["response_action"] == "update"
    with bot.uow() as db:
        conference = db.get(CaseConference, conference_id)
        assert conference.status == ConferenceStatus.HELD and conference.recorded_at is not None
        item = db.scalar(select(ActionItem))
        assert item.description == ITEM_TEXT and item.due_date == due
        nudge = db.scalar(
            select(Reminder).where(
                Reminder.kind == ReminderKind.ACTION_ITEM, Reminder.case_id == item.case_id
            )
        )
        nudge_at = nudge.due_at
        assert db.get(Case, item.case_id).code == code

    # Two days before it is due, its owner gets a DM: case code, due date, buttons; never the text.
    before = len(posted_to(bot, PARTICIPANT))
    send_reminders(bot, tmp_path, CALENDAR.next_working_start(nudge_at))
    dms = posted_to(bot, PARTICIPANT)
    assert len(dms) == before + 1
    owner_nudge = dms[-1]
    assert code in owner_nudge["text"] and due.isoformat() in owner_nudge["text"]
    assert ITEM_TEXT not in json.dumps(owner_nudge, ensure_ascii=False)
    done = buttons_in(owner_nudge["blocks"])[0]
    assert done["action_id"] == Action.ACTION_ITEM_DONE

    # The owner marks it done from the DM: the message says so and the nudge is not repeated.
    click(bot, PARTICIPANT, done, channel_id="DUPART", message={"ts": "2.0", "text": owner_nudge["text"]})
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        with bot.uow() as db:
            if db.scalar(select(ActionItem.status)) == TaskStatus.DONE:
                break
        time.sleep(0.05)
    with bot.uow() as db:
        assert db.scalar(select(ActionItem.status)) == TaskStatus.DONE
    # The clicked message says so (the sweep may also mark the stored nudge done, by its own ts).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "2.0" not in [
        c.params["ts"] for c in bot.slack.calls("chat.update")
    ]:
        time.sleep(0.05)
    assert "2.0" in [c.params["ts"] for c in bot.slack.calls("chat.update")]


def test_list_reschedule_add_to_the_agenda_and_cancel_through_the_buttons(bot: RunningBot) -> None:
    add_staff(bot, CHAIR, StaffRole.CASE_MANAGER)
    add_staff(bot, PARTICIPANT, StaffRole.CASE_MANAGER)
    with bot.uow() as db:
        chair = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == CHAIR))
        ctx = Ctx(actor=chair, surface=Surface.CLI, now=datetime.now(SEOUL))
        code = cases.open_case(db, ctx, intake()).code
    meeting = meeting_day()
    assert command(bot, "conference", CHAIR, channel_id=CHANNEL)[0] == 200
    view = bot.slack.wait_for("views.open")[0].params["view"]
    answer = send_view(
        bot,
        CHAIR,
        "VSERIES",
        view,
        {
            "scheduled_at": meeting.date().isoformat(),
            "recurrence": "MONTHLY",
            "occurrences": "3",
            "participant_ids": [PARTICIPANT],
        },
    )
    assert answer["response_action"] == "update"

    # The participant's list: the agenda button only; the chair's: reschedule and cancel too.
    assert command(bot, "사례회의 목록", PARTICIPANT, channel_id=CHANNEL)[0] == 200
    listed = answer_to(bot, PARTICIPANT)
    assert {b["action_id"] for b in buttons_in(listed["blocks"])} == {
        Action.CONFERENCE_AGENDA,
        Action.OPEN_CONFERENCE,
    }
    assert command(bot, "conference list", CHAIR, channel_id=CHANNEL)[0] == 200
    listed = answer_to(bot, CHAIR)
    first = next(b for b in buttons_in(listed["blocks"]) if b["action_id"] == Action.CONFERENCE_RESCHEDULE)
    conference_id = json.loads(first["value"])["conference_id"]

    # Reschedule the first meeting a day later.
    click(bot, CHAIR, first, channel_id=CHANNEL)
    update = wait_for_update(bot, 1)
    moved = meeting + timedelta(days=1)
    answer = send_view(
        bot, CHAIR, update["view_id"], update["view"], {"scheduled_at": moved.date().isoformat()}
    )
    assert answer["response_action"] == "update"

    # Add the case from the agenda modal (answering the agenda call).
    agenda = next(b for b in buttons_in(listed["blocks"]) if b["action_id"] == Action.CONFERENCE_AGENDA)
    click(bot, CHAIR, agenda, channel_id=CHANNEL)
    update = wait_for_update(bot, 2)
    assert update["view"]["callback_id"] == View.CONFERENCE_AGENDA
    answer = send_view(bot, CHAIR, update["view_id"], update["view"], {"cases.1.code": code.lower()})
    assert answer["response_action"] == "update" and code in str(answer["view"])

    # Cancel it and the following meetings of the series.
    cancel = next(b for b in buttons_in(listed["blocks"]) if b["action_id"] == Action.CONFERENCE_CANCEL)
    click(bot, CHAIR, cancel, channel_id=CHANNEL)
    update = wait_for_update(bot, 3)
    answer = send_view(bot, CHAIR, update["view_id"], update["view"], {"scope": "following"})
    assert answer["response_action"] == "update"
    with bot.uow() as db:
        moved_one = db.get(CaseConference, conference_id)
        assert moved_one.scheduled_at == moved and [c.case_id for c in moved_one.cases]
        assert {c.status for c in db.scalars(select(CaseConference))} == {ConferenceStatus.CANCELLED}
        pending = db.scalars(select(Reminder).where(Reminder.status == ReminderStatus.PENDING)).all()
        assert [r.kind for r in pending if r.conference_id] == [ReminderKind.CONFERENCE_CANCELLED]
