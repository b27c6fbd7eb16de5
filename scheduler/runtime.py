"""What the scheduler's jobs work with: the unit of work, the Slack client, the agency's policy and
calendar, and the clock. APScheduler stores jobs by textual reference, so they take no arguments: the
runner's caller installs one `Runtime` at start and each job takes it from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk import WebClient

from models import privacy
from models.clock import SYSTEM_CLOCK, Clock
from models.db import UnitOfWork
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from scheduler.pacing import PER_CHANNEL_INTERVAL


@dataclass(frozen=True)
class Runtime:
    uow: UnitOfWork
    client: WebClient
    policy: Policy
    calendar: WorkCalendar
    default_locale: str
    # Every job's "now". Real time in production; the sandbox and the tests set or move it.
    clock: Clock = field(default=SYSTEM_CLOCK)
    # Seconds between two messages to one channel (SLACK_CHANNEL_INTERVAL_SECONDS; scheduler/pacing.py).
    channel_interval: float = PER_CHANNEL_INTERVAL


_runtime: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


def installed() -> Runtime | None:
    return _runtime


def current() -> Runtime:
    """The installed runtime, with a fresh set of seen client values for the outbound gate: a job
    checks its messages against what it read itself, not what earlier jobs in this thread read."""
    if _runtime is None:
        raise RuntimeError("scheduler runtime not installed")
    privacy.begin_scope()
    return _runtime
