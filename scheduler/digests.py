"""The daily digest (09:00 on working days) and the weekly supervisor digest (first working day of
the week). Each person gets each digest once: the day's key is kept in processed_requests."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.errors import loggable
from bot.views import digests as views
from models.enums import Surface
from models.services import desk, digest, idempotency
from models.services.context import Ctx
from scheduler.runtime import Runtime

log = logging.getLogger("casebot.scheduler")


def first_working_day_of_week(runtime: Runtime, day: date) -> bool:
    monday = day - timedelta(days=day.weekday())
    earlier = (monday + timedelta(days=i) for i in range(day.weekday()))
    return runtime.calendar.is_working_day(day) and not any(
        runtime.calendar.is_working_day(d) for d in earlier
    )


def send_daily(runtime: Runtime, now: datetime) -> int:
    today = now.astimezone(runtime.policy.zone).date()
    if not runtime.calendar.is_working_day(today):
        return 0
    with runtime.uow() as db:
        people = [(p.id, p.slack_user_id, p.locale) for p in digest.digest_recipients(db)]
    sent = 0
    for staff_id, slack_id, locale in people:

        def build(db, staff_id=staff_id, slack_id=slack_id, locale=locale):  # type: ignore[no-untyped-def]
            lines = digest.due_between(db, staff_id, today, today + timedelta(days=1), runtime.policy)
            if not lines:
                return None  # no "nothing due" message every morning: silence says it
            return {"message": views.daily(lines, today, locale or runtime.default_locale)}

        sent += _send_once(runtime, f"digest:daily:{today}:{staff_id}", slack_id, build)
    return sent


def send_weekly(runtime: Runtime, now: datetime) -> int:
    today = now.astimezone(runtime.policy.zone).date()
    if not first_working_day_of_week(runtime, today):
        return 0
    with runtime.uow() as db:
        people = digest.digest_recipients(db, supervisors_only=True)
        for person in people:
            db.expunge(person)
    sent = 0
    for person in people:

        def build(db, person=person):  # type: ignore[no-untyped-def]
            ctx = Ctx(actor=person, surface=Surface.SCHEDULER, now=now, policy=runtime.policy)
            caseload = desk.team_caseload(db, ctx)
            return {"message": views.weekly(caseload, today, person.locale or runtime.default_locale)}

        sent += _send_once(runtime, f"digest:weekly:{today}:{person.id}", person.slack_user_id, build)
    return sent


def _send_once(runtime: Runtime, key: str, slack_id: str, build) -> int:  # type: ignore[no-untyped-def]
    """Build, post and remember in one unit of work: a failed post leaves no key, so the next run
    retries it (the post is inside the transaction on purpose; a failed commit after it could repeat
    one digest, which is the lesser harm than losing it)."""

    def work(db):  # type: ignore[no-untyped-def]
        built = build(db)
        if built is None:
            return {"empty": True}
        text, blocks = built["message"]
        response = runtime.client.chat_postMessage(channel=slack_id, text=text, blocks=blocks)
        return {"ts": response.get("ts")}

    try:
        result, first = idempotency.once(runtime.uow, key, work)
    except (SlackApiError, OSError) as error:
        log.error("digest %s not sent\n%s", key, loggable(error))
        return 0
    return 1 if first and "ts" in result else 0
