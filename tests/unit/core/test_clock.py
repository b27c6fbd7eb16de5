"""One clock, and the agency's zone from the settings everywhere (TIMEZONE=Europe/Berlin here).

22:30 UTC on Monday 9 March 2026 (a working day in both places) is 23:30 that Monday in Berlin but 07:30
on Tuesday in Seoul: every date below must be Berlin's Monday, never Seoul's Tuesday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.settings import Settings, load_settings
from models.clock import FixedClock, MovableClock, today
from models.db import make_engine
from models.enums import Profile, Surface
from models.errors import NotAllowed
from models.schema import upgrade
from models.services import access, cases, housekeeping, idempotency
from models.services import staff as staff_service
from models.services.calendar import WorkCalendar
from models.services.context import Ctx, Policy
from scheduler import jobs, runtime
from scheduler.runner import SchedulerService, build_scheduler
from tests.factories import intake

BERLIN, SEOUL = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Seoul")
NEAR_MIDNIGHT = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)
MONDAY, TUESDAY = date(2026, 3, 9), date(2026, 3, 10)


@pytest.fixture
def berlin(monkeypatch) -> Settings:
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("PROFILE", "school")
    return load_settings(_env_file=None)


@pytest.fixture
def clean_runtime():
    before = runtime.installed()
    yield
    runtime.install(before)  # type: ignore[arg-type]


def test_the_clocks_read_what_they_are_set_to():
    fixed = FixedClock(NEAR_MIDNIGHT)
    assert fixed.now() == NEAR_MIDNIGHT and fixed.now().tzinfo is not None
    fixed.advance(timedelta(hours=1))
    assert today(fixed, BERLIN) == TUESDAY
    fixed.set(NEAR_MIDNIGHT.astimezone(SEOUL))
    assert fixed.now() == NEAR_MIDNIGHT and fixed.now().tzinfo == UTC
    moved = MovableClock(base=FixedClock(NEAR_MIDNIGHT))
    moved.move_to(NEAR_MIDNIGHT + timedelta(days=7))
    assert moved.now() == NEAR_MIDNIGHT + timedelta(days=7)
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 3, 9, 22, 30))  # a naive moment is refused, not guessed at


def test_the_policy_and_a_requests_date_follow_the_timezone_setting(berlin):
    policy = berlin.policy()
    assert policy.zone == BERLIN
    assert today(FixedClock(NEAR_MIDNIGHT), policy.zone) == MONDAY
    assert today(FixedClock(NEAR_MIDNIGHT), SEOUL) == TUESDAY  # what the old default zone said


def approve_until_monday(db, member) -> None:
    staff_service.approve(
        db,
        member.slack_user_id,
        approved_by="교장 김가상",
        approved_on=MONDAY - timedelta(days=30),
        reference=f"교무-{member.id}",
        valid_until=MONDAY,
        entered_by="cli:test",
        today=MONDAY - timedelta(days=1),
        now=NEAR_MIDNIGHT - timedelta(days=1),
    )


def test_a_school_approval_ending_today_holds_until_berlins_midnight(db, world, berlin):
    """The access checks take their date from the request (Ctx.now in the settings' zone): approvals
    that end on Monday still hold at 23:30 on Monday in Berlin, though it is Tuesday in Seoul."""
    policy = berlin.policy()
    approve_until_monday(db, world.manager)
    approve_until_monday(db, world.supervisor)
    ctx = Ctx(world.manager, Surface.CLI, NEAR_MIDNIGHT, policy)
    assert ctx.today == MONDAY
    case = cases.open_case(db, ctx, intake())
    assert case.profile == Profile.SCHOOL
    assert access.load_case(db, ctx, case.code).id == case.id
    assert access.case_supervisors(db, case, today=ctx.today) == [world.supervisor.id]
    in_seoul = Ctx(world.manager, Surface.CLI, NEAR_MIDNIGHT, Policy(profile=Profile.SCHOOL))
    assert in_seoul.today == TUESDAY
    with pytest.raises(NotAllowed) as refused:
        access.load_case(db, in_seoul, case.code)
    assert refused.value.at == NEAR_MIDNIGHT  # the refusal is dated by the request, for the audit log


def test_the_scheduler_reads_its_clock_and_dates_its_work_in_the_settings_zone(uow, berlin, clean_runtime):
    """The housekeeping job run at 22:30 UTC marks Berlin's Monday as done, not Seoul's Tuesday."""
    calendar = WorkCalendar(berlin.zone, berlin.working_hours.start_hour, berlin.working_hours.end_hour)
    client = WebClient(token="xoxb-clock", base_url="http://127.0.0.1:9/")  # housekeeping sends nothing
    jobs.install(jobs.Runtime(uow, client, berlin.policy(), calendar, "ko", clock=FixedClock(NEAR_MIDNIGHT)))
    jobs.run_housekeeping()
    with uow() as db:
        assert idempotency.remembered(db, housekeeping.run_key(MONDAY)) is not None
        assert idempotency.remembered(db, housekeeping.run_key(TUESDAY)) is None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_cron_jobs_run_in_the_settings_zone(backend, empty_database_url, berlin, clean_runtime):
    engine = make_engine(empty_database_url(backend))
    upgrade(engine)
    try:
        calendar = WorkCalendar(berlin.zone)
        client = WebClient(token="xoxb-clock", base_url="http://127.0.0.1:9/")
        jobs.install(jobs.Runtime(None, client, berlin.policy(), calendar, "ko"))  # type: ignore[arg-type]
        service = SchedulerService(engine)  # the zone of the installed runtime, built from the settings
        assert service.zone == BERLIN
        scheduler = build_scheduler(engine, service.zone)
        scheduler.start(paused=True)
        try:
            cron = {job.id: job for job in scheduler.get_jobs() if job.id != "reminders.sweep"}
            for job_id in ("digests.morning", "boards.morning", "housekeeping.daily"):
                assert str(cron[job_id].trigger.timezone) == "Europe/Berlin", job_id
            nine = cron["digests.morning"].trigger.get_next_fire_time(None, NEAR_MIDNIGHT)
            assert nine.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 10, 9, 0)
        finally:
            scheduler.shutdown(wait=False)
    finally:
        engine.dispose()
