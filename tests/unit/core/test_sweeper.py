"""Sending due reminders: working time, exactly once, coalescing, stale rows, failures, snooze."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select

from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import ReminderKind, ReminderStatus
from models.reminder import Reminder
from models.services import cases, notes, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.services.reminders import refresh
from sandbox.slack import FakeSlack
from scheduler.sweep import sweep
from tests.factories import CLIENT_NAME, TODAY, case_in_monitoring, contact, intake

SEOUL = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar(SEOUL, 9, 18)


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def test_calendar_skips_weekends_and_korean_holidays():
    assert not CAL.is_working_day(kst(2026, 3, 2).date())  # substitute holiday for 삼일절
    assert not CAL.is_working_day(kst(2026, 2, 28).date())  # Saturday
    assert CAL.is_working_time(kst(2026, 3, 3, 9, 0))
    assert not CAL.is_working_time(kst(2026, 3, 3, 8, 59))
    assert not CAL.is_working_time(kst(2026, 3, 3, 18, 0))
    # Friday evening → the Monday is a holiday → Tuesday morning
    assert CAL.next_working_start(kst(2026, 2, 27, 18, 30)) == kst(2026, 3, 3, 9, 0)
    assert CAL.next_working_start(kst(2026, 9, 23, 19, 0)) == kst(2026, 9, 28, 9, 0)  # 추석 then weekend
    assert CAL.next_working_start(kst(2026, 3, 4, 10, 15)) == kst(2026, 3, 4, 10, 15)


def due_reminders(db, case) -> list[Reminder]:
    return list(
        db.scalars(
            select(Reminder).where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
        )
    )


def test_claim_takes_each_due_row_once(db, world):
    case = case_in_monitoring(db, world)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    expected = {r.id for r in due_reminders(db, case) if r.due_at <= later}
    first = sweeper.claim(db, later)
    assert set(first) == expected and first
    assert sweeper.claim(db, later) == []
    assert all(db.get(Reminder, i).status == ReminderStatus.CLAIMED for i in first)


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_two_concurrent_claimers_never_take_the_same_row(migrated_database_url, backend_name):
    engine = make_engine(migrated_database_url(backend_name))
    uow = UnitOfWork(make_session_factory(engine))
    due_at = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    with uow() as db:
        db.add_all(
            Reminder(key=f"k{i}", kind=ReminderKind.NEXT_CONTACT, due_at=due_at, attempts=0)
            for i in range(600)
        )
    taken: list[list[int]] = [[], []]

    def worker(index: int) -> None:
        while True:
            with uow() as db:
                ids = sweeper.claim(db, due_at, limit=25)
            if not ids:
                return
            taken[index].extend(ids)
            time.sleep(0.02)  # a real sweeper sends (about a second per channel) between claims

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert not set(taken[0]) & set(taken[1])
    assert len(taken[0]) + len(taken[1]) == 600
    assert taken[0] and taken[1]  # both really worked


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def client_for(slack) -> WebClient:
    return WebClient(
        token="xoxb-test", base_url=slack.url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )


def run(uow, slack, now, **kwargs):
    return sweep(uow, client_for(slack), Policy(), CAL, now, sleep=lambda _: None, **kwargs)


def test_a_due_nudge_is_sent_once_by_dm_with_the_code_only(db, uow, world, slack):
    case = case_in_monitoring(db, world)
    db.commit()
    next_contact = next(r for r in due_reminders(db, case) if r.kind == ReminderKind.NEXT_CONTACT)
    at = CAL.next_working_start(next_contact.due_at)
    report = run(uow, slack, at)
    assert report.sent >= 1
    messages = [c for c in slack.calls("chat.postMessage") if case.code in c.params["text"]]
    assert messages and all(m.params["channel"] == world.manager.slack_user_id for m in messages)
    assert all(CLIENT_NAME not in str(m.params) for m in slack.calls("chat.postMessage"))
    db.expire_all()  # the sweep wrote through its own sessions
    assert db.get(Reminder, next_contact.id).status == ReminderStatus.SENT
    assert db.get(Reminder, next_contact.id).message_ts
    before = len(slack.calls("chat.postMessage"))
    assert run(uow, slack, at).sent == 0  # idempotent: nothing left to send
    assert len(slack.calls("chat.postMessage")) == before


def test_a_nudge_whose_task_was_done_is_updated_to_say_so_once(db, uow, world, slack):
    case = case_in_monitoring(db, world)
    db.commit()
    next_contact = next(r for r in due_reminders(db, case) if r.kind == ReminderKind.NEXT_CONTACT)
    at = CAL.next_working_start(next_contact.due_at)
    assert run(uow, slack, at).sent >= 1
    db.expire_all()
    sent = db.get(Reminder, next_contact.id)
    assert sent.message_channel == "D" + world.manager.slack_user_id and sent.message_ts

    # The contact is logged: the nudge's task is done, its message must not stay actionable.
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    db.commit()
    report = run(uow, slack, at + timedelta(minutes=1))
    assert report.settled >= 1
    updates = [c.params for c in slack.calls("chat.update") if c.params["ts"] == sent.message_ts]
    assert len(updates) == 1 and updates[0]["channel"] == sent.message_channel
    assert case.code in updates[0]["text"] and "더 할 일이 없습니다" in updates[0]["text"]
    assert "actions" not in str(updates[0]["blocks"])  # no buttons left
    db.expire_all()
    assert db.get(Reminder, next_contact.id).settled_at is not None

    before = len(slack.calls("chat.update"))
    assert run(uow, slack, at + timedelta(minutes=2)).settled == 0  # once
    assert len(slack.calls("chat.update")) == before


def test_nothing_goes_out_outside_working_time(db, uow, world, slack):
    case_in_monitoring(db, world)
    db.commit()
    saturday = kst(2026, 12, 5, 10, 0)
    report = run(uow, slack, saturday)
    assert report.outside_working_time and slack.calls("chat.postMessage") == []


def test_late_reminders_of_one_kind_coalesce_and_closed_cases_are_dropped(db, uow, world, slack):
    case = cases.open_case(db, world.ctx(), intake())
    other = cases.open_case(db, world.ctx(), intake(name="다른가상"))
    due_at = kst(2026, 3, 3, 9, 0)
    for key in ("a", "b", "c"):
        db.add(
            Reminder(
                key=f"late-{key}",
                kind=ReminderKind.ACTION_ITEM,
                case_id=case.id,
                recipient_id=world.manager.id,
                due_at=due_at - timedelta(days=3),
                attempts=0,
            )
        )
    db.add(
        Reminder(
            key="stale",
            kind=ReminderKind.ACTION_ITEM,
            case_id=other.id,
            recipient_id=world.manager.id,
            due_at=due_at,
            attempts=0,
        )
    )
    other.status = other.status.CLOSED
    db.commit()
    report = run(uow, slack, due_at + timedelta(hours=1))
    db.expire_all()
    coalesced = [
        c
        for c in slack.calls("chat.postMessage")
        if case.code in c.params["text"] and ReminderKind.ACTION_ITEM.ko in c.params["text"]
    ]
    assert len(coalesced) == 1 and report.coalesced >= 2
    assert report.stale == 1
    assert db.scalar(select(Reminder.status).where(Reminder.key == "stale")) == ReminderStatus.CANCELLED
    assert not any(other.code in c.params["text"] for c in slack.calls("chat.postMessage"))


def test_429_is_retried_after_retry_after_and_failures_back_off_without_giving_up(db, uow, world, slack):
    case = cases.open_case(db, world.ctx(), intake())
    due_at = kst(2026, 3, 3, 9, 0)
    db.add(
        Reminder(
            key="one",
            kind=ReminderKind.ACTION_ITEM,
            case_id=case.id,
            recipient_id=world.manager.id,
            due_at=due_at,
            attempts=0,
        )
    )
    db.commit()
    slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
    assert run(uow, slack, due_at).sent >= 1
    posts = slack.calls("chat.postMessage")
    assert len(posts) >= 2 and posts[1].at - posts[0].at >= 0.9  # waited Retry-After, then succeeded

    db.add(
        Reminder(
            key="two",
            kind=ReminderKind.PLAN_END,
            case_id=case.id,
            recipient_id=world.manager.id,
            due_at=due_at,
            attempts=0,
        )
    )
    db.commit()
    slack.fail("chat.postMessage", error="internal_error", status=500, retry_after=None, times=100)
    moment = due_at
    for _ in range(8):  # more tries than the old limit of five
        report = run(uow, slack, moment)
        moment += timedelta(hours=1)
    db.expire_all()
    row = db.scalar(select(Reminder).where(Reminder.key == "two"))
    assert row.status == ReminderStatus.PENDING and row.attempts == 8 and row.last_error == "internal_error"
    assert row.due_at == due_at.astimezone(UTC)  # the obligation's time is kept; the wait is in retry_at
    assert report.failed == 1 and report.given_up == [] and report.errors == {"internal_error": 1}


def test_snooze_survives_recomputation(db, world):
    case = case_in_monitoring(db, world)
    reminder = next(r for r in due_reminders(db, case) if r.kind == ReminderKind.NEXT_CONTACT)
    reminder.status = ReminderStatus.SENT
    until = kst(2026, 6, 1, 9, 0)
    sweeper.snooze(db, world.manager.id, reminder.id, until)
    refresh(db, case, Policy(), today=TODAY)
    db.refresh(reminder)
    assert reminder.status == ReminderStatus.PENDING and reminder.due_at == until.astimezone(UTC)
    with pytest.raises(Exception, match="No such reminder"):
        sweeper.snooze(db, world.coworker.id, reminder.id, until)
