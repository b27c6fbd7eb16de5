"""The scheduler: fixed jobs with stable ids, one leader per database, and the job itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy import select

from models.case import Case
from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import ReminderKind, ReminderStatus, StaffRole, Surface
from models.reminder import Reminder
from models.schemas import StaffInput
from models.services import cases, staff
from models.services.calendar import WorkCalendar
from models.services.context import Ctx, Policy
from sandbox.slack import FakeSlack
from scheduler import jobs
from scheduler.runner import LeaderElection, build_scheduler
from tests.factories import intake


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, migrated_database_url):
    engine = make_engine(migrated_database_url(request.param))
    yield engine
    engine.dispose()


def test_fixed_jobs_with_stable_ids_are_replaced_not_duplicated(engine):
    for _ in range(2):  # a restart adds the same jobs again
        scheduler = build_scheduler(engine, ZoneInfo("Asia/Seoul"))
        scheduler.start(paused=True)
        jobs_now = scheduler.get_jobs()
        scheduler.shutdown(wait=False)
    by_id = {job.id: job for job in jobs_now}
    assert sorted(by_id) == [
        "boards.morning",
        "boards.refresh",
        "digests.morning",
        "housekeeping.daily",
        "reminders.sweep",
    ]
    sweep = by_id["reminders.sweep"]
    assert isinstance(sweep.trigger, IntervalTrigger) and sweep.trigger.interval == timedelta(minutes=1)
    # The first sweep runs as the scheduler starts: reminders due during down time go out at once.
    assert sweep.next_run_time <= datetime.now(UTC) + timedelta(seconds=1)
    assert sweep.func_ref == "scheduler.jobs:sweep_reminders"
    digests = by_id["digests.morning"]
    assert digests.func_ref == "scheduler.jobs:send_digests"
    assert str(digests.trigger.timezone) == "Asia/Seoul" and "hour='9'" in str(digests.trigger)


def test_only_one_process_leads_on_postgresql_and_another_takes_over(empty_database_url):
    engine = make_engine(empty_database_url("postgresql"))
    first, second = LeaderElection(engine), LeaderElection(engine)
    assert first.try_lead() is True
    assert second.try_lead() is False
    first.resign()  # the leader's connection goes away (its process died)
    # The server ends the old session a moment after the socket closes: the lock is free soon, not at once.
    deadline = time.monotonic() + 10
    while not second.try_lead():
        assert time.monotonic() < deadline, "the lock was not released after the leader's connection closed"
        time.sleep(0.05)
    second.resign()
    engine.dispose()


def test_the_sweep_job_sends_what_is_due(engine):
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as db:
        member = staff.add_staff(
            db, StaffInput(slack_user_id="UJOB1", display_name="x", role=StaffRole.CASE_MANAGER, team="t")
        )
        ctx = Ctx(actor=member, surface=Surface.SYSTEM, now=datetime.now(UTC))
        code = cases.open_case(db, ctx, intake()).code
    with uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        db.add(
            Reminder(
                key="job",
                kind=ReminderKind.PLAN_END,
                case_id=case_id,
                recipient_id=member.id,
                due_at=datetime.now(UTC) - timedelta(days=1),
                attempts=0,
            )
        )
    always_open = WorkCalendar(ZoneInfo("Asia/Seoul"), 0, 24)
    always_open.is_working_day = lambda day: True  # this test is about the job, not the calendar
    with FakeSlack() as slack:
        jobs.install(
            jobs.Runtime(uow, WebClient(token="xoxb-job", base_url=slack.url), Policy(), always_open, "ko")
        )
        jobs.sweep_reminders()
        posted = [c for c in slack.calls("chat.postMessage") if code in c.params["text"]]
    with uow() as db:
        row = db.scalar(select(Reminder).where(Reminder.key == "job"))
    assert posted and posted[0].params["channel"] == "UJOB1"
    assert row.status == ReminderStatus.SENT and row.message_ts


def test_a_leader_whose_session_is_cut_stops_and_one_other_takes_over_never_two(empty_database_url):
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import text

    from scheduler.runner import LEADER_LOCK_KEY, SchedulerService

    engine = make_engine(empty_database_url("postgresql"))
    runs: list[tuple[str, float]] = []

    def builder(name):
        def build(_engine, _zone):
            scheduler = BackgroundScheduler(jobstores={"default": MemoryJobStore()}, timezone="UTC")
            scheduler.add_job(lambda: runs.append((name, time.monotonic())), "interval", seconds=0.2)
            return scheduler

        return build

    seoul = ZoneInfo("Asia/Seoul")
    first = SchedulerService(engine, zone=seoul, retry_seconds=1, check_seconds=1, build=builder("first"))
    second = SchedulerService(engine, zone=seoul, retry_seconds=1, check_seconds=1, build=builder("second"))
    try:
        first.start()
        deadline = time.monotonic() + 10
        while not first.leading and time.monotonic() < deadline:
            time.sleep(0.05)
        second.start()
        time.sleep(2.5)  # off the second's 1 s retry beat, so that the figure printed is not luck
        assert first.leading and not second.leading
        with engine.connect() as admin:
            pid = admin.execute(
                # this test's database only: other tests' processes hold the same key in theirs
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid::bigint = :key"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"key": LEADER_LOCK_KEY},
            ).scalar_one()
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        cut = time.monotonic()
        both, took_over = 0, None
        while time.monotonic() - cut < 60 and not (took_over and time.monotonic() - cut > 5):
            first_leads, second_leads = first.leading, second.leading
            both += first_leads and second_leads
            if second_leads and took_over is None:
                took_over = time.monotonic() - cut
            time.sleep(0.01)
        assert took_over is not None and took_over < 60
        assert second.leading and not first.leading and both == 0
        time.sleep(1)
        first_after = [at for name, at in runs if name == "first" and at > cut]
        second_runs = [at for name, at in runs if name == "second"]
        assert second_runs and (not first_after or max(first_after) < min(second_runs))
        print(f"\ncut leader: the other took over in {took_over:.1f} s; two leaders seen 0 times")
    finally:
        first.stop()
        second.stop()
        engine.dispose()
