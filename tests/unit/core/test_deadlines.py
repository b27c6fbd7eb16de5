"""Every date shown with a task is that task's own deadline (issue 19): the nudge, the digest, the
board, the desk (Home and `/case list`) and the summary agree, "N일 지남" counts from the deadline, and
a snooze changes when a nudge comes back, never the deadline it shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.views import home as home_views
from bot.views import messages as message_views
from bot.views import show as show_views
from models.enums import CaseIntensity, MonitoringResult, NextStep, ReminderKind, ReminderStatus
from models.reminder import Reminder
from models.services import desk, notes, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from sandbox.slack import FakeSlack
from scheduler import digests, jobs
from scheduler.sweep import sweep
from tests.factories import case_in_monitoring, contact

SEOUL = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar(SEOUL, 9, 18)
K = ReminderKind


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(token="xoxb-deadlines", base_url=slack.url)


def nudges_to(slack, user: str) -> list[str]:
    return [c.params["text"] for c in slack.calls("chat.postMessage") if c.params["channel"] == user]


def test_an_escalation_nudge_shows_the_contact_deadline_and_counts_from_it(db, world, uow, slack, client):
    # Intensive: a contact every 14 days. Due Monday 16 March; the manager's escalation fires on the 30th.
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)
    db.commit()
    sweep(uow, client, Policy(), CAL, kst(2026, 3, 30, 10, 0), sleep=lambda s: None)
    [overdue] = [
        text
        for text in nudges_to(slack, world.manager.slack_user_id)
        if K.CONTACT_OVERDUE.ko in text and case.code in text
    ]
    assert "기한 2026-03-16" in overdue and "14일 지남" in overdue, overdue


def test_a_snoozed_nudge_comes_back_later_with_the_same_deadline(db, world, uow, slack, client):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)
    db.commit()
    sweep(uow, client, Policy(), CAL, kst(2026, 3, 16, 9, 5), sleep=lambda s: None)
    [first] = [t for t in nudges_to(slack, world.manager.slack_user_id) if K.NEXT_CONTACT.ko in t]
    assert "기한 2026-03-16" in first and "지남" not in first
    row = next(
        r
        for r in db.query(Reminder).filter_by(case_id=case.id, kind=K.NEXT_CONTACT)
        if r.status == ReminderStatus.SENT
    )
    with uow() as session:
        sweeper.snooze(session, world.manager.id, row.id, kst(2026, 3, 23, 9, 0))
    sweep(uow, client, Policy(), CAL, kst(2026, 3, 23, 9, 5), sleep=lambda s: None)
    again = [t for t in nudges_to(slack, world.manager.slack_user_id) if K.NEXT_CONTACT.ko in t]
    assert len(again) == 2
    assert "기한 2026-03-16" in again[1] and "7일 지남" in again[1], again[1]


def test_the_digest_lists_a_task_by_its_deadline_not_by_when_its_escalation_fires(
    db, world, uow, slack, client
):
    # Classified on Tuesday 3 March: contact due Tuesday the 17th, escalation on Tuesday the 31st.
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE, now=kst(2026, 3, 3, 10))
    db.commit()
    runtime = jobs.Runtime(uow, client, Policy(), WorkCalendar(SEOUL), "ko")
    assert digests.send_daily(runtime, kst(2026, 3, 30, 9, 0)) == 1
    [message] = [
        c for c in slack.calls("chat.postMessage") if c.params["channel"] == world.manager.slack_user_id
    ]
    text = str(message.params["blocks"])
    assert K.CONTACT_OVERDUE.ko not in text  # the escalation is not a task due tomorrow
    assert case.code in text and "2026-03-17" in text and "13일 지남" in text, text


def reassessment_before_contact(db, world):
    """High complexity (weekly contacts): a home visit on 5 March asks for a re-assessment (due the 12th)
    and agrees the next contact for the 9th. The next step is the re-assessment; the contact comes first."""
    case = case_in_monitoring(db, world, intensity=CaseIntensity.HIGH_COMPLEXITY)
    at = kst(2026, 3, 5)
    notes.log_contact(
        db,
        world.ctx(now=at),
        case.code,
        contact(at, result=MonitoringResult.REASSESS, next_contact_on=date(2026, 3, 9)),
    )
    return case


def test_the_desk_pairs_the_next_step_with_its_own_deadline(db, world):
    case = reassessment_before_contact(db, world)
    ctx = world.ctx(now=kst(2026, 3, 10))
    [item] = desk.my_desk(db, ctx).items
    assert item.state.next_step == NextStep.COMPLETE_REASSESSMENT
    home = home_views.case_blocks(item, "ko")[0]["text"]["text"]
    listed = message_views.case_list_blocks(desk.my_desk(db, ctx), "ko")[1]["text"]["text"]
    shown = str(show_views.show_modal(desk.case_summary(db, ctx, case.code), "ko"))
    for text in (home, listed, shown):
        assert "재사정 완료 · 기한 2026-03-12" in text, text
        assert "재사정 완료 · 기한 2026-03-09" not in text and "재사정 완료\n기한 2026-03-09" not in text
        # The contact is due first, and says so with its own label and the days since its deadline.
        assert f"{K.NEXT_CONTACT.ko} · 기한 2026-03-09 · 1일 지남" in text, text
    assert item.group == desk.DueGroup.OVERDUE  # grouped by the earliest deadline: the contact


def test_a_snooze_never_moves_the_deadline_the_desk_shows(db, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)
    row = next(r for r in db.query(Reminder).filter_by(case_id=case.id, kind=K.NEXT_CONTACT))
    before = case.next_due_on
    sweeper.snooze(db, world.manager.id, row.id, kst(2026, 3, 23, 9, 0))
    notes_ctx = world.ctx(now=kst(2026, 3, 17))
    from models.services.reminders import refresh

    refresh(db, case, notes_ctx.policy, today=notes_ctx.today)
    assert case.next_due_on == before == date(2026, 3, 16)
    assert row.deadline_on == date(2026, 3, 16) and row.due_at == kst(2026, 3, 23, 9, 0)
    assert timedelta(0) < row.due_at - kst(2026, 3, 16, 9, 0)
