"""One scheduler per database, whatever the number of bot processes.

APScheduler 3 cannot share a job store between schedulers, so only the leader runs one. On
PostgreSQL the leader holds a session-level advisory lock on a connection of its own; if its process
dies the lock goes with the connection, and a waiting process (which retries every 30 s) takes over
within a minute. SQLite is the single-process development database: the process is the leader.
Even two sweepers at once could not double-send: claims are atomic (models/services/sweeper.py).
"""

from __future__ import annotations

import logging
import threading
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, Engine, text

from models.clock import SYSTEM_CLOCK
from scheduler import runtime

log = logging.getLogger("casebot.scheduler")

LEADER_LOCK_KEY = 0x43415345  # "CASE": one advisory lock key for Casebot's scheduler
RETRY_SECONDS = 30
JOBS_TABLE = "apscheduler_jobs"  # created by APScheduler itself; Alembic leaves it alone


def build_scheduler(engine: Engine, zone: ZoneInfo) -> BackgroundScheduler:
    """The fixed jobs; the cron ones (09:00, 06:30 on weekdays) in the agency's zone (`TIMEZONE`)."""
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone="UTC",
    )
    # Fixed jobs with stable ids: re-adding them at every start replaces, never duplicates.
    scheduler.add_job(
        "scheduler.jobs:sweep_reminders",
        "interval",
        minutes=1,
        id="reminders.sweep",
        replace_existing=True,
        # At once on start, not a minute later: what fell due while no process led goes out now.
        # APScheduler keeps real time (its triggers fire on it), so this is the system clock's now;
        # the jobs themselves read the runtime's clock.
        next_run_time=SYSTEM_CLOCK.now(),
    )
    scheduler.add_job(
        "scheduler.jobs:send_digests",
        "cron",
        day_of_week="mon-fri",
        hour=9,
        minute=0,
        timezone=zone,
        id="digests.morning",
        replace_existing=True,
    )
    # Team boards: the morning post (skips holidays itself: WorkCalendar), and in-place updates.
    scheduler.add_job(
        "scheduler.jobs:post_team_boards",
        "cron",
        day_of_week="mon-fri",
        hour=9,
        minute=0,
        timezone=zone,
        id="boards.morning",
        replace_existing=True,
    )
    scheduler.add_job(
        "scheduler.jobs:refresh_team_boards",
        "interval",
        minutes=1,
        id="boards.refresh",
        replace_existing=True,
    )
    scheduler.add_job(
        "scheduler.jobs:run_housekeeping",
        "cron",
        day_of_week="mon-fri",
        hour=6,
        minute=30,
        timezone=zone,
        id="housekeeping.daily",
        replace_existing=True,
    )
    return scheduler


class LeaderElection:
    """Holds the advisory lock while this process leads; `try_lead` is cheap to call again and again."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def try_lead(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self.connection is not None:
            return True
        connection = self.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}).scalar()
        connection.commit()  # the lock is held by the session, not the transaction
        if got:
            self.connection = connection
            return True
        connection.close()
        return False

    def resign(self) -> None:
        if self.connection is not None:
            # The lock lives as long as the database session: a pooled connection would keep it, so
            # the connection is discarded, not returned to the pool.
            self.connection.invalidate()
            self.connection.close()
            self.connection = None


class SchedulerService:
    """Starts the scheduler as soon as this process becomes the leader; stops it on shutdown.

    `zone`: the agency's time zone for the cron jobs; by default the installed runtime's
    (scheduler/runtime.py, built from the settings), which must then be installed first.
    """

    def __init__(
        self, engine: Engine, *, zone: ZoneInfo | None = None, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        if zone is None:
            installed = runtime.installed()
            if installed is None:
                raise RuntimeError("install the scheduler runtime first, or give the agency's zone")
            zone = installed.policy.zone
        self.engine = engine
        self.zone = zone
        self.retry_seconds = retry_seconds
        self.election = LeaderElection(engine)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-election", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.election.try_lead():
                    self.scheduler = build_scheduler(self.engine, self.zone)
                    self.scheduler.start()
                    log.info("this process runs the scheduler")
                    return
            except Exception:
                log.exception("leader election failed; retrying")
            self._stop.wait(self.retry_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.election.resign()
