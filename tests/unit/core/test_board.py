"""The team board: what is due per team, the channel link, dirty marking, and the posting jobs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select

from bot.settings import Settings
from models.audit import AuditLog
from models.board import TeamBoardPost
from models.case import Case
from models.closure import AfterCareCheck
from models.enums import (
    AfterCareStatus,
    AuditAction,
    CaseIntensity,
    ClosureReason,
    ContactType,
    GoalAttainment,
    ReminderKind,
    ReminderStatus,
)
from models.errors import NotAllowed, RuleViolation
from models.reminder import Reminder
from models.schemas import AfterCareInput, ClosureInput
from models.services import assessments, board, cases, closure, notes, plans, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.staff import StaffMember, Team
from sandbox.slack import FakeSlack
from scheduler import board as board_jobs
from scheduler import jobs
from scheduler.pacing import PER_CHANNEL_INTERVAL, ChannelPacer
from tests.factories import CLIENT_NAME, World, assessment_input, contact, intake, plan_input

SEOUL = ZoneInfo("Asia/Seoul")
POLICY = Policy()
CHANNEL = "C0TEAMBOARD"


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


# Cases are classified on Tuesday 3 March 2026 (the Monday is a substitute holiday): a GENERAL case's
# first contact is due on Friday 3 April, its plan review on 3 June.
START = kst(2026, 3, 3, 10, 0)
CONTACT_DUE = date(2026, 4, 3)
MONDAY = kst(2026, 4, 6, 9, 0)  # three days after the contact fell due


def monitored(db, world: World, who: StaffMember | None = None, now: datetime = START) -> Case:
    ctx = world.ctx(who, now=now)
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
    return case


def items_of(db, world: World, day: date, team: Team | None = None) -> list[tuple[str, str, str, int]]:
    result = board.board_items(db, (team or world.team).id, day, POLICY)
    return [(g.name, i.code, i.kind.value, i.days_overdue) for g in result.groups for i in g.items]


def close(db, world: World, case: Case, reason: ClosureReason, now: datetime) -> None:
    goals = {g.id: GoalAttainment.MET for g in snapshot(db, case).plan_in_force.goals}
    request = closure.request_closure(
        db,
        world.ctx(db.get(StaffMember, case.case_manager_id), now=now),
        case.code,
        ClosureInput(reason=reason, attainments=goals, worker_evaluation="평가", client_informed=True),
    )
    closure.decide_closure(db, world.ctx(world.supervisor, now=now), request.id, approve=True)


# ------------------------------------------------------------------ what is due


def test_due_today_and_overdue_by_manager_and_code_other_teams_left_out(db, world):
    mine = monitored(db, world)
    theirs = monitored(db, world, world.coworker)
    outsiders = monitored(db, world, world.outsider)  # the other team's
    cases.open_case(db, world.ctx(now=START), intake())  # not classified: no contact due yet

    assert items_of(db, world, CONTACT_DUE - timedelta(days=1)) == []
    assert items_of(db, world, CONTACT_DUE) == [
        ("Co-worker", theirs.code, "contact", 0),
        ("Manager", mine.code, "contact", 0),
    ]
    monday = board.board_items(db, world.team.id, MONDAY.date(), POLICY)
    assert monday.team_name == world.team.name and monday.total == 2
    [first, _] = monday.groups
    assert first.items[0].due_on == CONTACT_DUE and first.items[0].days_overdue == 3
    # The plan review joins the contact when it falls due (3 months after agreement).
    assert items_of(db, world, date(2026, 6, 3)) == [
        ("Co-worker", theirs.code, "contact", 61),
        ("Co-worker", theirs.code, "plan_review", 0),
        ("Manager", mine.code, "contact", 61),
        ("Manager", mine.code, "plan_review", 0),
    ]
    assert items_of(db, world, CONTACT_DUE, world.other_team) == [
        ("Other team", outsiders.code, "contact", 0)
    ]


def test_a_logged_contact_takes_the_item_off_even_after_the_nudge_was_sent(db, world):
    case = monitored(db, world)
    # The sweep sent the contact nudge: the row stays SENT whatever happens next.
    nudge = db.scalar(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == ReminderKind.NEXT_CONTACT)
    )
    nudge.status = ReminderStatus.SENT
    db.flush()
    assert items_of(db, world, MONDAY.date()) == [("Manager", case.code, "contact", 3)]

    notes.log_contact(db, world.ctx(now=MONDAY + timedelta(hours=1)), case.code, contact(MONDAY))
    assert db.get(Reminder, nudge.id).status == ReminderStatus.SENT
    assert items_of(db, world, MONDAY.date()) == []
    # A later due date comes round again.
    assert items_of(db, world, date(2026, 5, 6)) == [("Manager", case.code, "contact", 0)]


def test_a_snoozed_nudge_is_still_owed_work_on_the_board(db, world):
    case = monitored(db, world)
    nudge = db.scalar(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == ReminderKind.NEXT_CONTACT)
    )
    sweeper.snooze(db, world.manager.id, nudge.id, kst(2026, 4, 13, 9, 0))
    db.flush()
    assert items_of(db, world, MONDAY.date()) == [("Manager", case.code, "contact", 3)]


def test_closed_cases_are_left_out_and_aftercare_checks_come_and_go(db, world):
    gone = monitored(db, world)
    aftercare = monitored(db, world, world.coworker)
    closed_on = kst(2026, 3, 20, 10, 0)
    close(db, world, gone, ClosureReason.DECEASED, closed_on)
    close(db, world, aftercare, ClosureReason.GOAL_ACHIEVED, closed_on)
    assert gone.status.value == "CLOSED" and aftercare.status.value == "AFTERCARE"

    # Neither owes a contact any more; the after-care check is due one month after closure.
    assert items_of(db, world, MONDAY.date()) == []
    assert items_of(db, world, date(2026, 4, 21)) == [("Co-worker", aftercare.code, "aftercare", 1)]
    first = db.scalars(
        select(AfterCareCheck).where(AfterCareCheck.case_id == aftercare.id).order_by(AfterCareCheck.due_on)
    ).first()
    closure.record_aftercare(
        db,
        world.ctx(world.coworker, now=kst(2026, 4, 21, 11, 0)),
        first.id,
        AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE),
    )
    assert items_of(db, world, date(2026, 4, 21)) == []  # the next check is months away


# ------------------------------------------------------------------ the channel link


def test_only_supervisors_and_admins_link_the_channel_and_it_is_audited(db, world, uow):
    with pytest.raises(NotAllowed), uow() as session:
        board.link_channel(session, world.ctx(world.manager), CHANNEL)
    assert db.get(Team, world.team.id).slack_channel_id is None
    refused = db.scalar(
        select(AuditLog).where(AuditLog.actor_id == world.manager.id, AuditLog.action == AuditAction.REFUSED)
    )
    assert refused is not None and refused.detail == "team channel"
    with pytest.raises(NotAllowed):
        board.channel_link(db, world.ctx(world.coworker))

    link = board.link_channel(db, world.ctx(world.supervisor), CHANNEL)
    assert link.changed and link.channel_id == CHANNEL and world.team.slack_channel_id == CHANNEL
    logged = db.scalar(select(AuditLog).where(AuditLog.record == "team_channel"))
    assert logged.actor_id == world.supervisor.id and logged.action == AuditAction.UPDATE
    assert CHANNEL in logged.detail

    again = board.link_channel(db, world.ctx(world.admin), CHANNEL)  # an admin of the team; no change
    assert not again.changed
    assert len(db.scalars(select(AuditLog).where(AuditLog.record == "team_channel")).all()) == 1

    with pytest.raises(RuleViolation):  # another team's channel is theirs
        board.link_channel(db, world.ctx(world.other_supervisor), CHANNEL)
    with pytest.raises(RuleViolation):  # a DM cannot be a team channel
        board.link_channel(db, world.ctx(world.other_supervisor), "DUSUPER2")

    off = board.link_channel(db, world.ctx(world.supervisor), None)
    assert off.previous == CHANNEL and off.channel_id is None and world.team.slack_channel_id is None


# ------------------------------------------------------------------ dirty marking


def test_a_contact_note_marks_the_teams_current_post_dirty(db, world):
    case = monitored(db, world)
    other = monitored(db, world, world.outsider)
    posts = {
        key: TeamBoardPost(team_id=team.id, day=day, slack_channel_id=CHANNEL, message_ts="1.1")
        for key, team, day in (
            ("old", world.team, date(2026, 4, 3)),
            ("today", world.team, MONDAY.date()),
            ("other", world.other_team, MONDAY.date()),
        )
    }
    db.add_all(posts.values())
    db.flush()
    assert not any(p.dirty for p in posts.values())

    notes.log_contact(db, world.ctx(now=MONDAY + timedelta(hours=1)), case.code, contact(MONDAY))
    for post in posts.values():
        db.refresh(post)
    assert posts["today"].dirty and not posts["old"].dirty and not posts["other"].dirty

    posts["today"].dirty = False
    db.flush()
    notes.log_contact(
        db, world.ctx(world.outsider, now=MONDAY + timedelta(hours=2)), other.code, contact(MONDAY)
    )
    for post in posts.values():
        db.refresh(post)
    assert posts["other"].dirty and not posts["today"].dirty


# ------------------------------------------------------------------ posting and updating


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def runtime(uow, slack):
    return jobs.Runtime(
        uow, WebClient(token="xoxb-board", base_url=slack.url), POLICY, WorkCalendar(SEOUL), "ko"
    )


def in_channel(slack: FakeSlack, method: str, channel: str = CHANNEL) -> list:
    return [c for c in slack.calls(method) if c.params.get("channel") == channel]


def linked(db, world: World) -> None:
    board.link_channel(db, world.ctx(world.supervisor), CHANNEL)
    db.commit()


def post_of(db, world: World, day: date) -> TeamBoardPost:
    db.expire_all()
    return db.scalar(
        select(TeamBoardPost).where(TeamBoardPost.team_id == world.team.id, TeamBoardPost.day == day)
    )


def test_the_morning_post_goes_out_once_and_is_updated_in_place(db, world, runtime, slack):
    case = monitored(db, world)
    linked(db, world)

    report = board_jobs.post_morning_boards(runtime, MONDAY)
    assert report.posted == 1
    [posted] = in_channel(slack, "chat.postMessage")
    assert case.code in str(posted.params["blocks"]) and CLIENT_NAME not in str(posted.params)
    post = post_of(db, world, MONDAY.date())
    assert post.message_ts and post.content_hash and not post.dirty
    first_ts, first_hash = post.message_ts, post.content_hash

    again = board_jobs.post_morning_boards(runtime, MONDAY + timedelta(minutes=30))
    assert again.posted == 0 and len(in_channel(slack, "chat.postMessage")) == 1

    # Nothing changed: no update, whatever the job is asked.
    assert board_jobs.update_dirty_boards(runtime, MONDAY + timedelta(minutes=31)).updated == 0
    assert slack.calls("chat.update") == []

    notes.log_contact(db, world.ctx(now=MONDAY + timedelta(hours=1)), case.code, contact(MONDAY))
    db.commit()
    assert post_of(db, world, MONDAY.date()).dirty
    report = board_jobs.update_dirty_boards(runtime, MONDAY + timedelta(hours=1, minutes=1))
    assert report.updated == 1
    [update] = slack.calls("chat.update")
    assert update.params["channel"] == CHANNEL and update.params["ts"] == first_ts
    assert case.code not in str(update.params["blocks"])
    assert "없습니다" in str(update.params["blocks"])  # nothing due any more
    after = post_of(db, world, MONDAY.date())
    assert not after.dirty and after.content_hash != first_hash and after.message_ts == first_ts
    assert len(in_channel(slack, "chat.postMessage")) == 1  # never re-posted

    # A change that leaves the board as it is (a note on a case not due) marks it dirty, but sends nothing.
    quiet = monitored(db, world, now=MONDAY)
    db.commit()
    assert post_of(db, world, MONDAY.date()).dirty
    report = board_jobs.update_dirty_boards(runtime, MONDAY + timedelta(hours=2))
    assert report.unchanged == 1 and report.updated == 0
    assert len(slack.calls("chat.update")) == 1 and not post_of(db, world, MONDAY.date()).dirty
    assert quiet.code not in str(slack.calls("chat.update"))


def test_moving_the_channel_posts_the_board_in_the_new_one(db, world, runtime, slack):
    case = monitored(db, world)
    linked(db, world)
    board_jobs.refresh_boards(runtime, MONDAY)
    board.link_channel(db, world.ctx(world.supervisor, now=MONDAY + timedelta(hours=1)), "C0NEWBOARD")
    db.commit()
    notes.log_contact(db, world.ctx(now=MONDAY + timedelta(hours=1)), case.code, contact(MONDAY))
    db.commit()
    assert board_jobs.refresh_boards(runtime, MONDAY + timedelta(hours=1, minutes=1)).posted == 1
    assert len(in_channel(slack, "chat.postMessage", "C0NEWBOARD")) == 1
    assert slack.calls("chat.update") == []  # the old channel's message is left as it was
    assert post_of(db, world, MONDAY.date()).slack_channel_id == "C0NEWBOARD"


@pytest.mark.parametrize(
    "moment",
    [
        kst(2026, 3, 2, 9, 0),  # substitute holiday for Independence Movement Day
        kst(2026, 9, 24, 9, 0),  # the day before Chuseok
        kst(2026, 9, 25, 9, 0),  # Chuseok
        kst(2026, 4, 4, 9, 0),  # Saturday
        kst(2026, 4, 6, 8, 30),  # before working hours
        kst(2026, 4, 6, 18, 0),  # after
    ],
)
def test_nothing_is_posted_outside_working_time(db, world, runtime, slack, moment):
    monitored(db, world)
    linked(db, world)
    report = board_jobs.refresh_boards(runtime, moment)
    assert report.outside_working_time
    assert slack.calls("chat.postMessage") == [] and slack.calls("chat.update") == []
    assert db.scalars(select(TeamBoardPost)).all() == []


def test_a_bot_outside_the_channel_is_reported_once_and_the_post_is_tried_again(db, world, runtime, slack):
    case = monitored(db, world)
    linked(db, world)
    slack.fail("chat.postMessage", "not_in_channel", status=200, retry_after=None)

    assert board_jobs.post_morning_boards(runtime, MONDAY).failed == 1
    told = [
        c for c in slack.calls("chat.postMessage") if c.params["channel"] == world.supervisor.slack_user_id
    ]
    assert len(told) == 1 and CHANNEL in told[0].params["text"] and "/invite" in told[0].params["text"]
    assert [c for c in slack.calls("chat.postMessage") if c.params["channel"] == world.admin.slack_user_id]
    assert not [
        c for c in slack.calls("chat.postMessage") if c.params["channel"] == world.manager.slack_user_id
    ]
    assert post_of(db, world, MONDAY.date()).message_ts is None

    # Not again within the back-off; then tried again, failing again: no second DM that day.
    assert board_jobs.post_morning_boards(runtime, MONDAY + timedelta(minutes=2)).failed == 0
    slack.fail("chat.postMessage", "not_in_channel", status=200, retry_after=None)
    assert board_jobs.post_morning_boards(runtime, MONDAY + timedelta(minutes=6)).failed == 1
    assert (
        len(
            [
                c
                for c in slack.calls("chat.postMessage")
                if c.params["channel"] == world.supervisor.slack_user_id
            ]
        )
        == 1
    )

    # Invited: the next try posts.
    report = board_jobs.refresh_boards(runtime, MONDAY + timedelta(minutes=12))
    assert report.posted == 1
    assert case.code in str(in_channel(slack, "chat.postMessage")[-1].params["blocks"])
    assert post_of(db, world, MONDAY.date()).message_ts


def test_a_failed_update_stays_dirty_and_a_deleted_message_is_posted_again(db, world, runtime, slack):
    case = monitored(db, world)
    linked(db, world)
    board_jobs.post_morning_boards(runtime, MONDAY)
    first_ts = post_of(db, world, MONDAY.date()).message_ts
    notes.log_contact(db, world.ctx(now=MONDAY + timedelta(hours=1)), case.code, contact(MONDAY))
    db.commit()

    slack.fail("chat.update", "internal_error", status=500, retry_after=None)
    assert board_jobs.update_dirty_boards(runtime, MONDAY + timedelta(hours=1)).failed == 1
    assert post_of(db, world, MONDAY.date()).dirty  # retried on the next run
    assert board_jobs.update_dirty_boards(runtime, MONDAY + timedelta(hours=1, minutes=1)).updated == 1

    monitored(db, world, world.coworker, now=kst(2026, 3, 5, 10, 0))  # another case, due later
    post = post_of(db, world, MONDAY.date())
    post.dirty = True
    db.commit()
    slack.fail("chat.update", "message_not_found", status=200, retry_after=None)
    assert board_jobs.refresh_boards(runtime, MONDAY + timedelta(hours=2)).failed == 1
    assert post_of(db, world, MONDAY.date()).message_ts is None
    assert board_jobs.refresh_boards(runtime, MONDAY + timedelta(hours=2, minutes=1)).posted == 1
    assert post_of(db, world, MONDAY.date()).message_ts not in (None, first_ts)


def test_a_429_is_answered_by_waiting_retry_after(db, world, uow, slack):
    monitored(db, world)
    linked(db, world)
    client = WebClient(
        token="xoxb-board", base_url=slack.url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    runtime = jobs.Runtime(uow, client, POLICY, WorkCalendar(SEOUL), "ko")
    slack.fail("chat.postMessage", "ratelimited", status=429, retry_after=1)
    assert board_jobs.post_morning_boards(runtime, MONDAY).posted == 1
    first, second = slack.calls("chat.postMessage")
    assert second.at - first.at >= 1.0


def test_messages_to_one_channel_are_a_second_apart():
    slept: list[float] = []
    pacer = ChannelPacer(sleep=slept.append)
    pacer.wait("C1")
    pacer.sent("C1")
    pacer.wait("C2")  # another channel: no wait
    assert slept == []
    pacer.wait("C1")
    assert PER_CHANNEL_INTERVAL == 1.0
    assert len(slept) == 1 and 0.9 < slept[0] <= PER_CHANNEL_INTERVAL


def test_the_interval_between_messages_is_the_setting(monkeypatch):
    monkeypatch.delenv("SLACK_CHANNEL_INTERVAL_SECONDS", raising=False)
    assert Settings(_env_file=None).slack_channel_interval_seconds == PER_CHANNEL_INTERVAL  # type: ignore[call-arg]
    monkeypatch.setenv("SLACK_CHANNEL_INTERVAL_SECONDS", "0.25")
    interval = Settings(_env_file=None).slack_channel_interval_seconds  # type: ignore[call-arg]
    slept: list[float] = []
    pacer = ChannelPacer(interval, sleep=slept.append)
    pacer.sent("C1")
    pacer.wait("C1")
    assert len(slept) == 1 and 0.2 < slept[0] <= 0.25


def test_the_board_jobs_are_registered(tmp_path):
    from models.db import make_engine
    from scheduler.runner import build_scheduler

    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    by_id = {job.id: job for job in build_scheduler(engine, SEOUL).get_jobs()}
    morning, refresh = by_id["boards.morning"], by_id["boards.refresh"]
    assert morning.func_ref == "scheduler.jobs:post_team_boards" and isinstance(morning.trigger, CronTrigger)
    assert str(morning.trigger.timezone) == "Asia/Seoul"
    assert "day_of_week='mon-fri'" in str(morning.trigger) and "hour='9'" in str(morning.trigger)
    assert refresh.func_ref == "scheduler.jobs:refresh_team_boards"
    assert isinstance(refresh.trigger, IntervalTrigger) and refresh.trigger.interval == timedelta(minutes=1)
    engine.dispose()
