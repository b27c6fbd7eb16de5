"""One scheduler per database, whatever the number of bot processes.

APScheduler 3 cannot share a job store between schedulers, so only the leader runs one. On
PostgreSQL the leader holds a session-level advisory lock on a connection of its own; if its process
dies the lock goes with the connection, and a waiting process (which retries every 30 s) takes over
within a minute. The lock also goes when the database cuts the session (a restart, a failover,
`pg_terminate_backend`) while the process lives on: so the leader asks the database whether it still
holds the lock before every job run (`LeaderOnlyExecutor`) and every `CHECK_SECONDS` in between, and
stops scheduling the moment it does not; it then waits its turn like any other process.
SQLite is the single-process development database: the process is the leader.
Even two sweepers at once could not double-send: claims are atomic (models/services/sweeper.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, Engine, text

from models.clock import SYSTEM_CLOCK
from scheduler import runtime

log = logging.getLogger("casebot.scheduler")

LEADER_LOCK_KEY = 0x43415345  # "CASE": one advisory lock key for Casebot's scheduler
RETRY_SECONDS = 30
CHECK_SECONDS = 10  # between job runs, the leader checks its lock this often
# Whether this session holds the lock: a bigint key below 2**32 is (classid 0, objid key, objsubid 1).
HOLDS_LOCK = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
    "AND classid = 0 AND objid::bigint = :key AND objsubid = 1"
)
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
    """Holds the advisory lock while this process leads; `try_lead` is cheap to call again and again,
    `still_leads` asks the database (one query on the lock's own connection)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self._lock = threading.Lock()  # the scheduler's thread and the election's share the connection

    def try_lead(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self.connection is not None:
            return self.still_leads()
        connection = self.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}).scalar()
        connection.commit()  # the lock is held by the session, not the transaction
        if got:
            self.connection = connection
            return True
        connection.close()
        return False

    def still_leads(self) -> bool:
        """True while this process's session holds the lock. A cut session (an error here) or a lock
        no longer held ends the leadership: the connection is dropped."""
        if self.engine.dialect.name != "postgresql":
            return True
        with self._lock:
            if self.connection is None:
                return False
            try:
                held = self.connection.execute(HOLDS_LOCK, {"key": LEADER_LOCK_KEY}).scalar()
                self.connection.commit()
            except Exception as error:
                log.error("the scheduler lock's database session is gone (%s)", type(error).__name__)
                held = False
            if not held:
                self._drop()
            return bool(held)

    def resign(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            # The lock lives as long as the database session: a pooled connection would keep it, so
            # the connection is discarded, not returned to the pool.
            try:
                self.connection.invalidate()
                self.connection.close()
            except Exception:  # a session already cut has nothing left to close
                log.debug("closing the lock's connection failed", exc_info=True)
            self.connection = None


class LeaderOnlyExecutor(ThreadPoolExecutor):
    """Runs a job only after `leads()` confirmed the lock; otherwise calls `lost()` and runs nothing."""

    def __init__(self, leads: Callable[[], bool], lost: Callable[[], None]) -> None:
        super().__init__()
        self._leads = leads
        self._lost = lost

    def submit_job(self, job, run_times) -> None:  # type: ignore[no-untyped-def,override]
        if not self._leads():
            log.error("job %s not run: this process no longer holds the scheduler lock", job.id)
            self._lost()
            return
        super().submit_job(job, run_times)


class SchedulerService:
    """Starts the scheduler as soon as this process becomes the leader, stops it the moment this
    process no longer leads (and tries again to lead, every `retry_seconds`), and on shutdown.

    `zone`: the agency's time zone for the cron jobs; by default the installed runtime's
    (scheduler/runtime.py, built from the settings), which must then be installed first.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        zone: ZoneInfo | None = None,
        retry_seconds: float = RETRY_SECONDS,
        check_seconds: float = CHECK_SECONDS,
        build: Callable[[Engine, ZoneInfo], BackgroundScheduler] = build_scheduler,
    ) -> None:
        if zone is None:
            installed = runtime.installed()
            if installed is None:
                raise RuntimeError("install the scheduler runtime first, or give the agency's zone")
            zone = installed.policy.zone
        self.engine = engine
        self.zone = zone
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.build = build
        self.election = LeaderElection(engine)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-election", daemon=True)

    @property
    def leading(self) -> bool:
        """This process's scheduler would run a job now: it is running and its lock is confirmed (a
        query, as before every job run)."""
        scheduler = self.scheduler
        return (
            scheduler is not None
            and scheduler.running
            and not self._lost.is_set()
            and self.election.still_leads()
        )

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.scheduler is None:
                    if self.election.try_lead():
                        self._begin()
                elif self._lost.is_set() or not self.election.still_leads():
                    self._step_down()
            except Exception:
                log.exception("leader election failed; retrying")
            self._wake.wait(self.check_seconds if self.scheduler is not None else self.retry_seconds)
            self._wake.clear()

    def _begin(self) -> None:
        self._lost.clear()
        scheduler = self.build(self.engine, self.zone)
        scheduler.add_executor(LeaderOnlyExecutor(self.election.still_leads, self._on_lost), "default")
        self.scheduler = scheduler
        scheduler.start()
        log.info("this process runs the scheduler")

    def _on_lost(self) -> None:
        """From the scheduler's thread: no job from now on; the election thread shuts it down."""
        self._lost.set()
        if self.scheduler is not None:
            self.scheduler.pause()
        self._wake.set()

    def _step_down(self) -> None:
        log.error("this process lost the scheduler lock (its database session was cut?): it stops scheduling")
        self._lost.set()
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        self.election.resign()

    def stop(self, *, wait: bool = False) -> None:
        """Stop scheduling; with `wait`, the job that is running finishes first (a sweep in progress
        stops between two messages when `scheduler.jobs.stopping` is set)."""
        self._stop.set()
        self._wake.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.election.resign()
