"""The daily and weekly digests: right content, once per person per day, working days only."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from models.enums import ReminderKind
from models.reminder import Reminder
from models.services import cases
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from sandbox.slack import FakeSlack
from scheduler import digests, jobs
from tests.factories import CLIENT_NAME, intake

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
    case = cases.open_case(db, world.ctx(), intake())
    tuesday = kst(2026, 3, 3, 9, 0)  # Monday the 2nd is a substitute holiday
    for key, days, kind in (
        ("a", 0, ReminderKind.NEXT_CONTACT),
        ("b", 1, ReminderKind.PLAN_REVIEW),
        ("c", 3, ReminderKind.PLAN_END),
    ):
        db.add(
            Reminder(
                key=key,
                kind=kind,
                case_id=case.id,
                recipient_id=world.manager.id,
                due_at=tuesday + timedelta(days=days),
                attempts=0,
            )
        )
    db.commit()
    assert digests.send_daily(runtime, tuesday) >= 1
    [message] = to(slack, world.manager.slack_user_id)
    text = str(message.params["blocks"])
    assert case.code in text and ReminderKind.NEXT_CONTACT.ko in text and ReminderKind.PLAN_REVIEW.ko in text
    assert ReminderKind.PLAN_END.ko not in text  # three days out: not in today's digest
    assert CLIENT_NAME not in str(message.params)
    assert digests.send_daily(runtime, tuesday + timedelta(minutes=5)) == 0  # once a day
    assert len(to(slack, world.manager.slack_user_id)) == 1
    assert to(slack, world.coworker.slack_user_id) == []  # nothing due: no "nothing due" message


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
