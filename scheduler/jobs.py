"""The scheduler's fixed jobs. APScheduler stores them by textual reference, so they take no
arguments: what they need (unit of work, Slack client, settings, clock) is the `Runtime` installed once
at start (scheduler/runtime.py). Each job reads "now" from the runtime's clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from models import privacy
from scheduler.board import post_morning_boards, refresh_boards
from scheduler.digests import send_daily, send_weekly
from scheduler.housekeeping import run_daily
from scheduler.runtime import Runtime, current, install
from scheduler.sweep import sweep

__all__ = ["Runtime", "install", "run_due"]  # Runtime and install: the runner's callers set up here

log = logging.getLogger("casebot.scheduler")


# Set by a graceful stop: the reminder sweep in progress stops before its next message and puts back
# what it claimed and did not send (then call sweeper.release_unsent_claims for anything left).
stopping = threading.Event()


def sweep_reminders() -> None:
    """Every minute: send what is due (nothing outside working time)."""
    runtime = current()
    report = sweep(
        runtime.uow,
        runtime.client,
        runtime.policy,
        runtime.calendar,
        runtime.clock.now(),
        default_locale=runtime.default_locale,
        interval=runtime.channel_interval,
        stop=stopping,
    )
    if report.sent or report.failed or report.stale:
        log.info("reminder sweep: %s", report)


def send_digests() -> None:
    """09:00 on working days: the daily digest, and on the week's first working day the weekly one."""
    runtime = current()
    now = runtime.clock.now()
    log.info("digests: %d daily, %d weekly", send_daily(runtime, now), send_weekly(runtime, now))


def run_housekeeping() -> None:
    """06:30 on working days: consent expiry (and later the retention purge); see scheduler/housekeeping.py."""
    runtime = current()
    run_daily(runtime, runtime.clock.now())


def post_team_boards() -> None:
    """09:00 on working days: each linked team channel's board (nothing on holidays or weekends)."""
    runtime = current()
    report = post_morning_boards(runtime, runtime.clock.now())
    if report.posted or report.failed:
        log.info("%s", report)


def refresh_team_boards() -> None:
    """Every minute in working time: boards whose items changed are updated in place; a board still
    missing today (a channel linked later, a failed post) is posted."""
    runtime = current()
    report = refresh_boards(runtime, runtime.clock.now())
    if report.posted or report.updated or report.failed:
        log.info("%s", report)


class DueRun(list[str]):
    """`run_due`'s report lines, with the number of reminder messages its sweep could not send."""

    def __init__(self, lines: list[str], failures: int) -> None:
        super().__init__(lines)
        self.failures = failures


def run_due(
    runtime: Runtime, now: datetime, *, digests: bool = False, sleep: Callable[[float], None] = time.sleep
) -> DueRun:
    """What the scheduler does by ``now``, at once: send the due reminders, bring the team boards up to
    date and, with ``digests``, send the day's digests if the working day has begun. `casebot reminders
    send --as-of` (cron, tests) and the sandbox's clock run this; returns one report line per part and
    the sweep's failure count (`DueRun.failures`: the CLI exits non-zero on it)."""
    privacy.begin_scope()
    report = sweep(
        runtime.uow,
        runtime.client,
        runtime.policy,
        runtime.calendar,
        now,
        default_locale=runtime.default_locale,
        sleep=sleep,
        interval=runtime.channel_interval,
    )
    lines = [str(report)]
    boards = refresh_boards(runtime, now)
    if not boards.outside_working_time:
        lines.append(str(boards))
    if digests and runtime.calendar.is_working_time(now):
        lines.append(f"Digests: {send_daily(runtime, now)} daily, {send_weekly(runtime, now)} weekly")
    return DueRun(lines, report.failures)
