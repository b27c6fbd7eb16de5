"""The daily housekeeping job (working days, early morning, before the first sweep and the digests).

Housekeeping is a list of tasks run one after the other; one failing is logged and does not stop the
others: consent expiry, the notice of cases due for destruction (30 and 7 days before), then the
retention purge (R10).
Every task must be safe to run twice: the job runs again after a restart or on another leader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import loggable
from bot.notify import dm
from bot.views.retention import destruction_notice
from models.services import housekeeping, idempotency, retention
from scheduler.runtime import Runtime

log = logging.getLogger("casebot.scheduler")


@dataclass
class ConsentExpiryReport:
    already_done_today: bool = False
    since: str | None = None
    recorded: int = 0
    failed: int = 0

    def __str__(self) -> str:
        if self.already_done_today:
            return "consent expiry: already done today"
        window = f"since {self.since}" if self.since else "all time (first run)"
        return f"consent expiry ({window}): {self.recorded} recorded, {self.failed} failed"


def consent_expiry(runtime: Runtime, now: datetime) -> ConsentExpiryReport:
    """Record each consent expired since the last run once; the run's marker is written only when
    every expiry went through, so a failed one is tried again on the next run."""
    today = now.astimezone(runtime.policy.zone).date()
    report = ConsentExpiryReport()
    with runtime.uow() as db:
        if idempotency.remembered(db, housekeeping.run_key(today)) is not None:
            report.already_done_today = True
            return report
        previous = housekeeping.last_run(db)
        since = previous - housekeeping.LOOKBACK if previous else None
        expiries = housekeeping.expired_since(db, today, since)
    report.since = since.isoformat() if since else None
    for expiry in expiries:
        try:
            _, first = idempotency.once(
                runtime.uow,
                expiry.key,
                lambda db, expiry=expiry: housekeeping.record_expiry(db, expiry, runtime.policy, now),
            )
        except Exception as error:
            log.error("consent expiry of consent #%s not recorded\n%s", expiry.consent_id, loggable(error))
            report.failed += 1
            continue
        report.recorded += 1 if first else 0
    if not report.failed:
        idempotency.once(runtime.uow, housekeeping.run_key(today), lambda db: {"recorded": report.recorded})
    return report


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[Runtime, datetime], object]  # returns a report whose str() goes to the log


@dataclass
class RetentionNoticeReport:
    told: int = 0  # supervisors sent a notice
    cases: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"retention notice: {self.cases} case(s) to {self.told} supervisor(s), {self.failed} failed"


def retention_notice(runtime: Runtime, now: datetime) -> RetentionNoticeReport:
    """D-30 and D-7: each supervisor who sees a case due for destruction gets its code and date in a
    DM, once per notice; a case is marked told only when every DM about it went out (else tomorrow)."""
    today = now.astimezone(runtime.policy.zone).date()
    report = RetentionNoticeReport()
    with runtime.uow() as db:
        by_person = retention.notices_to_send(db, today)
    failed: set[str] = set()
    everything: dict[str, retention.DueForDestruction] = {}
    for (slack_id, locale), items in by_person.items():
        everything.update({retention.notice_key(i): i for i in items})
        try:
            text, blocks = destruction_notice(items, locale or runtime.default_locale)
            dm(runtime.client, slack_id, text, blocks)
            report.told += 1
        except Exception as error:
            log.error(
                "retention notice to a supervisor failed; tried again on the next run\n%s", loggable(error)
            )
            report.failed += 1
            failed.update(retention.notice_key(i) for i in items)
    for key, item in everything.items():
        if key not in failed:
            idempotency.once(runtime.uow, key, lambda db, item=item: {"code": item.code, "days": item.days})
            report.cases += 1
    return report


def retention_purge(runtime: Runtime, now: datetime) -> retention.PurgeReport:
    """R10: cases past their retention date destroyed, each in its own unit of work, so one failure
    leaves the others done (and itself tried again tomorrow)."""
    zone = runtime.policy.zone
    today = now.astimezone(zone).date()
    report = retention.PurgeReport()
    with runtime.uow() as db:
        due = retention.expired_case_ids(db, today)
    for case_id in due:
        try:
            with runtime.uow() as db:
                report.destroyed.append(retention.purge_case(db, case_id, now=now, zone=zone))
        except Exception as error:
            log.error(
                "retention purge of case #%s failed; tried again on the next run\n%s",
                case_id,
                loggable(error),
            )
    return report


TASKS: tuple[Task, ...] = (
    Task("consent_expiry", consent_expiry),
    Task("retention_notice", retention_notice),
    Task("retention_purge", retention_purge),
)


def run_daily(runtime: Runtime, now: datetime, tasks: tuple[Task, ...] = TASKS) -> dict[str, object]:
    """Every task once, on working days only; returns each task's report (None when it failed)."""
    if not runtime.calendar.is_working_day(now.astimezone(runtime.policy.zone).date()):
        return {}
    reports: dict[str, object] = {}
    for task in tasks:
        try:
            reports[task.name] = task.run(runtime, now)
        except Exception as error:
            log.error("housekeeping task %s failed\n%s", task.name, loggable(error))
            reports[task.name] = None
            continue
        log.info("housekeeping: %s", reports[task.name])
    return reports
