"""The scheduler's fixed jobs. APScheduler stores them by textual reference, so they take no
arguments: what they need (unit of work, Slack client, settings) is installed once by the runner."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient

from models.db import UnitOfWork
from models.services.calendar import WorkCalendar
from models.services.context import Policy

log = logging.getLogger("casebot.scheduler")


@dataclass(frozen=True)
class Runtime:
    uow: UnitOfWork
    client: WebClient
    policy: Policy
    calendar: WorkCalendar
    default_locale: str


_runtime: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


def sweep_reminders() -> None:
    """Every minute: send what is due (nothing outside working time)."""
    from scheduler.sweep import sweep

    if _runtime is None:
        raise RuntimeError("scheduler runtime not installed")
    report = sweep(
        _runtime.uow,
        _runtime.client,
        _runtime.policy,
        _runtime.calendar,
        datetime.now(UTC),
        default_locale=_runtime.default_locale,
    )
    if report.sent or report.failed or report.stale:
        log.info("reminder sweep: %s", report)


def send_digests() -> None:
    """09:00 on working days: the daily digest, and on the week's first working day the weekly one."""
    from scheduler.digests import send_daily, send_weekly

    if _runtime is None:
        raise RuntimeError("scheduler runtime not installed")
    now = datetime.now(UTC)
    log.info("digests: %d daily, %d weekly", send_daily(_runtime, now), send_weekly(_runtime, now))
