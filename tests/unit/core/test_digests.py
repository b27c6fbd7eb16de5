"""The daily and weekly digests: right content, once per person per day, working days only."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from models.enums import CaseIntensity, ReminderKind, TaskStatus
from models.services import cases, notes, plans
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from sandbox.slack import FakeSlack
from scheduler import digests, jobs
from tests.factories import CLIENT_NAME, case_in_monitoring, contact, intake

SEOUL = ZoneInfo("Asia/Seoul")


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def runtime(uow, slack):
    return jobs.Runtime(
        uow, WebClient(token="xoxb-digest", base_url=slack.url), Policy(), WorkCalendar(SEOUL), "ko"
    )


def to(slack, user: str) -> list:
    return [c for c in slack.calls("chat.postMessage") if c.params["channel"] == user]


def test_daily_digest_lists_today_and_tomorrow_once(db, world, runtime, slack):
    # Intensive cases (a contact every 14 days) classified on three days: their contacts are due on
    # Monday 16 March (today), Tuesday the 17th (tomorrow) and Thursday the 19th (not in the digest).
    today_case, tomorrow_case, later_case = (
        case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE, now=kst(2026, 3, day, 10))
        for day in (2, 3, 5)
    )
    db.commit()
    monday = kst(2026, 3, 16, 9, 0)
    assert digests.send_daily(runtime, monday) >= 1
    [message] = to(slack, world.manager.slack_user_id)
    blocks = message.params["blocks"]
    [today_block, tomorrow_block] = [b["text"]["text"] for b in blocks[1:]]
    assert today_block.startswith("*오늘*") and today_case.code in today_block
    assert tomorrow_block.startswith("*내일*") and tomorrow_case.code in tomorrow_block
    assert ReminderKind.NEXT_CONTACT.ko in today_block + tomorrow_block
    assert later_case.code not in str(blocks)  # three days out: not in today's digest
    assert CLIENT_NAME not in str(message.params)
    assert digests.send_daily(runtime, monday + timedelta(minutes=5)) == 0  # once a day
    assert len(to(slack, world.manager.slack_user_id)) == 1
    assert to(slack, world.coworker.slack_user_id) == []  # nothing due: no "nothing due" message


def test_daily_digest_keeps_an_overdue_task_until_it_is_done_and_never_lists_a_done_one(
    db, world, runtime, slack
):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)  # contact due 16 March
    db.commit()
    assert digests.send_daily(runtime, kst(2026, 3, 18, 9, 0)) == 1
    [message] = to(slack, world.manager.slack_user_id)
    text = message.params["blocks"][1]["text"]["text"]
    assert text.startswith("*기한 지남*") and case.code in text and "기한 2026-03-16 · 2일 지남" in text
    at = kst(2026, 3, 18, 11, 0)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    for task in plans.case_tasks(db, world.ctx(now=at), case.code).tasks:  # the plan's task, due 16 March
        tasks_done = plans.set_task_status(db, world.ctx(now=at), task.id, TaskStatus.DONE)
        assert tasks_done.status == TaskStatus.DONE
    db.commit()
    assert digests.send_daily(runtime, kst(2026, 3, 19, 9, 0)) == 0  # done: nothing left to list


def test_no_digest_on_a_holiday(db, world, runtime, slack):
    assert digests.send_daily(runtime, kst(2026, 3, 2, 9, 0)) == 0
    assert digests.send_weekly(runtime, kst(2026, 3, 2, 9, 0)) == 0
    assert slack.calls("chat.postMessage") == []


def test_weekly_digest_goes_to_supervisors_on_the_first_working_day_of_the_week(db, world, runtime, slack):
    cases.open_case(db, world.ctx(), intake())
    db.commit()
    assert digests.send_weekly(runtime, kst(2026, 3, 4, 9, 0)) == 0  # Wednesday: not the first working day
    assert digests.send_weekly(runtime, kst(2026, 3, 3, 9, 0)) >= 1  # Tuesday, after the Monday holiday
    [message] = to(slack, world.supervisor.slack_user_id)
    assert world.manager.display_name in str(message.params["blocks"])
    assert to(slack, world.manager.slack_user_id) == []  # case managers get no weekly digest
    assert digests.send_weekly(runtime, kst(2026, 3, 3, 9, 30)) == 0
    assert digests.send_weekly(runtime, kst(2026, 3, 9, 9, 0)) >= 1  # next Monday: a working day


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_digest_messages_are_valid_block_kit(locale):
    from datetime import date

    from slack_sdk.models.blocks import Block

    from bot.views import digests as views
    from models.services.desk import TeamCaseload, WorkerLoad
    from models.services.digest import DueLine

    today = date(2026, 3, 3)
    lines = [
        DueLine(f"C-2026-{i:04d}", ReminderKind.NEXT_CONTACT, today + timedelta(days=i % 2))
        for i in range(300)
    ]
    for text, blocks in (
        views.daily(lines, today, locale),
        views.weekly(
            TeamCaseload(workers=[WorkerLoad(1, "가" * 80, "case_manager", 3, 2.5, 1)]), today, locale
        ),
    ):
        assert text and len(blocks) <= 50
        for block in blocks:
            Block.parse(block).validate_json()
