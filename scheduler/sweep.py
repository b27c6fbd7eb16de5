"""The sweep: claim due reminders, send each batch once, stamp it. Run every minute, or by hand.

Slack is called outside any database transaction; the claim commits first so that a second
sweeper (or process) cannot take the same rows, and each message is stamped SENT (its own commit)
before the next one is posted: a crash (SIGKILL) can repeat at most the one message in flight.

A sweep stops between two messages when its `stop` event is set, and after `BURST_LIMIT` failures in
a row (Slack is down: the rest of the claim is not tried); either way what it claimed and did not try
goes back to the queue at once, uncounted. A sweep with nothing else due asks Slack with one reminder
waiting out a Slack-down back-off (`sweeper.claim_probe`), and the first message Slack takes makes every
such reminder due at once (`sweeper.wake_retries`). Failures are logged once per sweep: the counts, and
one traceback per distinct error.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import loggable
from bot.people import learn_language
from bot.views import conferences as conference_views
from bot.views.reminders import nudge, settled_nudge
from bot.views.supervision import follow_up_nudge
from models.case import Case
from models.conference import ActionItem, CaseConference
from models.db import UnitOfWork
from models.enums import ReminderKind
from models.reminder import Reminder
from models.services import access, conferences, reminders, supervision, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.staff import StaffMember
from scheduler.pacing import PER_CHANNEL_INTERVAL, ChannelPacer

log = logging.getLogger("casebot.scheduler")
RECIPIENT_INACTIVE = "account_inactive"  # a recipient deactivated in Casebot: as Slack says of one gone
BURST_LIMIT = 5  # this many failed sends in a row, none delivered: Slack is down, try again next sweep


@dataclass
class SweepReport:
    outside_working_time: bool = False
    sent: int = 0
    coalesced: int = 0
    stale: int = 0
    failed: int = 0  # messages not sent (to be retried, or undeliverable: `given_up`)
    given_up: list[int] = field(default_factory=list)  # reminders ended as undeliverable
    released: int = 0  # claimed, not tried (stopped, or Slack down): back in the queue
    stopped: bool = False  # the stop event ended the sweep early
    settled: int = 0  # nudges whose task was done, their messages updated to say so
    errors: dict[str, int] = field(default_factory=dict)  # failed messages per error code

    @property
    def failures(self) -> int:
        """Messages this sweep could not send; non-zero makes `casebot reminders send` fail."""
        return self.failed

    def __str__(self) -> str:
        if self.outside_working_time:
            return "Outside working time: nothing sent; due reminders wait for the next working morning."
        errors = ", ".join(f"{code} ×{count}" for code, count in sorted(self.errors.items()))
        return (
            f"sent {self.sent} message(s) ({self.coalesced} late reminders folded in), "
            f"dropped {self.stale} for closed cases, {self.failed} failed"
            + (f" ({errors})" if errors else "")
            + (f", {len(self.given_up)} undeliverable {self.given_up}" if self.given_up else "")
            + (f", {self.released} put back untried" if self.released else "")
            + (", stopped" if self.stopped else "")
            + (f", {self.settled} done nudge(s) updated" if self.settled else "")
        )


@dataclass(frozen=True)
class Outgoing:
    ids: list[int]
    channel: str
    text: str
    blocks: list[dict]


def error_code(error: BaseException) -> str:
    """Slack's error code for an API error (`user_not_found`, `ratelimited`, …); `slack_unreachable`
    for the network, or an HTTP error without one (the type is in the logged traceback)."""
    if isinstance(error, SlackApiError) and error.response is not None:
        code = error.response.get("error")
        if isinstance(code, str) and code:
            return code
    return "slack_unreachable"


def sweep(
    uow: UnitOfWork,
    client: WebClient,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    *,
    default_locale: str = "ko",
    limit: int = 1000,
    sleep=time.sleep,
    interval: float = PER_CHANNEL_INTERVAL,
    stop: threading.Event | None = None,
) -> SweepReport:
    """Send what is due at `now`. `stop`, once set, ends the sweep before its next message.

    First, at any hour (an edit notifies nobody), the nudges whose task was done since they were sent
    are changed to say so, without their buttons."""
    report = SweepReport()
    report.settled = settle(uow, client, now, default_locale)
    if not calendar.is_working_time(now):
        report.outside_working_time = True
        return report
    holder = sweeper.process_holder()
    with uow() as db:
        sweeper.release_stale_claims(db, now)
        # Nudges of someone who left go to the supervisors instead (derived again), before claiming.
        sweeper.readdress_departed(db, policy, now)
        ids = sweeper.claim(db, now, limit, holder=holder) or sweeper.claim_probe(db, now, holder=holder)
    if not ids:
        return report
    pending = set(ids)  # claimed, not yet sent or failed
    first_errors: dict[str, BaseException] = {}
    try:
        with uow() as db:
            groups, stale = sweeper.batches(db, ids, now)
            sweeper.mark_cancelled(db, [r.id for r in stale])
            report.stale = len(stale)
            outgoing = _render(db, client, groups, policy, now, default_locale)
        pending = {i for message in outgoing for i in message.ids}
        _send(
            uow,
            client,
            outgoing,
            now,
            report,
            pending,
            first_errors,
            holder,
            ChannelPacer(interval, sleep),
            stop,
        )
        with uow() as db:  # an overdue contact escalates again one interval later, until it is logged
            sweeper.rearm_escalations(db, ids, policy, now)
    finally:
        if pending:  # stopped, Slack down, or an error of our own: nothing here stays claimed
            with uow() as db:
                report.released += sweeper.release(db, sorted(pending))
        if first_errors:
            _log_failures(report, first_errors)
    return report


def _send(  # type: ignore[no-untyped-def]
    uow: UnitOfWork,
    client: WebClient,
    outgoing: list[Outgoing],
    now: datetime,
    report: SweepReport,
    pending: set[int],
    first_errors: dict[str, BaseException],
    holder: str,
    pacer: ChannelPacer,
    stop: threading.Event | None,
) -> None:
    begun = renewed = time.monotonic()
    failures_in_a_row = 0
    for message in outgoing:
        if stop is not None and stop.is_set():
            report.stopped = True
            return
        if failures_in_a_row >= BURST_LIMIT:
            return  # Slack is down: the rest waits for the next sweep, untried
        if time.monotonic() - renewed > sweeper.LEASE.total_seconds() / 3:
            renewed = time.monotonic()
            with uow() as db:  # a long sweep (rate limits, a slow Slack) keeps its claims
                until = now + timedelta(seconds=renewed - begun) + sweeper.LEASE
                sweeper.renew_lease(db, sorted(pending), until, holder)
        pacer.wait(message.channel)
        try:
            response = client.chat_postMessage(
                channel=message.channel, text=message.text, blocks=message.blocks
            )
            pacer.sent(message.channel)
        except (SlackApiError, OSError) as error:
            code = error_code(error)
            first_errors.setdefault(code, error)
            report.errors[code] = report.errors.get(code, 0) + 1
            with uow() as db:
                given_up = sweeper.mark_failed(db, message.ids, error=code, now=now)
            pending.difference_update(message.ids)
            report.given_up += given_up
            report.failed += 1
            if code in sweeper.SLACK_DOWN:
                failures_in_a_row += 1
            continue
        # Stamped before the next post: after a crash, at most this one message goes out again.
        with uow() as db:
            sweeper.mark_sent(
                db, message.ids, ts=response.get("ts"), now=now, channel=response.get("channel")
            )
            if report.sent == 0:
                # Slack answers (again): what waits out a back-off is due at once.
                sweeper.wake_retries(db, now)
        pending.difference_update(message.ids)
        failures_in_a_row = 0
        report.sent += 1
        report.coalesced += len(message.ids) - 1


# The message is gone or can no longer be changed: nothing more to try.
GONE = frozenset({"message_not_found", "cant_update_message", "channel_not_found", "edit_window_closed"})


def settle(uow: UnitOfWork, client: WebClient, now: datetime, default_locale: str = "ko") -> int:
    """Update each sent nudge whose task is no longer due to say so (chat.update on its stored ts),
    once; returns how many messages were changed. Slack failing leaves the rest for the next sweep."""
    with uow() as db:
        unneeded = sweeper.to_settle(db)
    settled = 0
    for message in unneeded:
        text, blocks = settled_nudge(message.kind, message.code, message.locale or default_locale)
        try:
            client.chat_update(channel=message.channel, ts=message.ts, text=text, blocks=blocks)
            settled += 1
        except (SlackApiError, OSError) as error:
            code = error_code(error)
            if code not in GONE:
                log.warning("could not update a done nudge (%s); trying again at the next sweep", code)
                break
        with uow() as db:
            sweeper.mark_settled(db, message.ids, now)
    return settled


def _log_failures(report: SweepReport, first_errors: dict[str, BaseException]) -> None:
    """One record per sweep: the counts, then the first traceback of each distinct error."""
    traces = "\n".join(
        f"-- {code} (first of {report.errors[code]}):\n{loggable(error)}"
        for code, error in first_errors.items()
    )
    log.error(
        "reminder sweep: %d of %d message(s) failed (%s); %d undeliverable, %d put back untried\n%s",
        report.failed,
        report.failed + report.sent,
        ", ".join(f"{code} ×{count}" for code, count in sorted(report.errors.items())),
        len(report.given_up),
        report.released,
        traces,
    )


def _render(
    db, client: WebClient, groups, policy: Policy, now: datetime, default_locale: str
) -> list[Outgoing]:  # type: ignore[no-untyped-def]
    case_ids = {b.lead.case_id for b in groups if b.lead.case_id}
    codes = dict(db.execute(select(Case.id, Case.code).where(Case.id.in_(case_ids))).all())
    staff_ids = {b.lead.recipient_id for b in groups if b.lead.recipient_id}
    people = {m.id: m for m in db.scalars(select(StaffMember).where(StaffMember.id.in_(staff_ids)))}
    today = now.astimezone(policy.zone).date()
    # School cases: nothing about them to anyone without the head of the school's approval (§17⑦).
    leads = {(b.lead.case_id, b.lead.recipient_id) for b in groups if b.lead.case_id and b.lead.recipient_id}
    barred = access.unapproved_on_school_cases(db, leads, today)
    outgoing = []
    for batch in groups:
        lead = batch.lead
        person = people.get(lead.recipient_id) if lead.recipient_id else None
        channel = lead.slack_channel_id or (person.slack_user_id if person and person.active else None)
        ids = [r.id for r in batch.reminders]
        # Someone nudged before they ever used the bot: their language from Slack, once.
        locale = learn_language(db, client, person, default_locale) if person else default_locale
        rendered = _render_conference(db, lead, codes, policy, now, locale)
        if lead.kind == ReminderKind.SUPERVISION_FOLLOW_UP:
            # A supervision follow-up: the session's date, the supervisor and the task's own due date.
            follow_up = supervision.follow_up_of(db, lead)
            if follow_up is not None and not follow_up.done:
                rendered = follow_up_nudge(follow_up, today, lead.id, locale)
        elif rendered is None and lead.case_id in codes:
            # The task's own deadline, never the row's fire time (an escalation, a snooze, a retry).
            deadline = sweeper.deadline_of(lead, policy.zone)
            task_id = reminders.task_id_of(lead)  # a plan task's nudge: its "mark done" button
            rendered = nudge(
                lead.kind, codes[lead.case_id], deadline, today, lead.id, locale, task_id=task_id
            )
        if rendered is not None and person is not None and not person.active and not lead.slack_channel_id:
            # The recipient left and nobody stands in (a case manager's nudges go to the supervisors:
            # sweeper.readdress_departed): the reminder cannot reach anyone; the supervisors see it
            # (undelivered()).
            sweeper.mark_failed(db, ids, error=RECIPIENT_INACTIVE, now=now)
            continue
        if channel is None or rendered is None or (lead.case_id, lead.recipient_id) in barred:
            # Nobody to tell (no address or, on a school case, not approved): no failure to retry.
            sweeper.mark_cancelled(db, ids)
            continue
        text, blocks = rendered
        outgoing.append(Outgoing(ids, channel, text, blocks))
    return outgoing


def _render_conference(
    db: Session, lead: Reminder, codes: dict[int, str], policy: Policy, now: datetime, locale: str
) -> tuple[str, list[dict]] | None:
    """A conference reminder or an action-item nudge (case-linked ones too: they show the item's own
    due date and a done button); None for the other case reminders or a row whose subject is gone."""
    item_id = conferences.action_item_id_of(lead)
    if item_id is not None:
        item = db.get(ActionItem, item_id)
        if item is None:
            return None  # a case row falls back to the plain nudge; a case-less one is dropped
        brief = conferences.brief(db, item.conference)
        return conference_views.action_item_nudge(
            item.id,
            codes.get(item.case_id) if item.case_id else None,
            item.due_date,
            now.astimezone(policy.zone).date(),
            brief,
            policy.zone,
            locale,
            reminder_id=lead.id,  # the owner's own row: they may snooze it, with or without a case
            outside=item.owner_id is None and bool(item.owner_external),
        )
    if lead.case_id is not None or lead.conference_id is None:
        return None
    conference = db.get(CaseConference, lead.conference_id)
    if conference is None:
        return None
    following = 0
    if lead.kind == ReminderKind.CONFERENCE_CANCELLED and conference.series_key:
        following = len(
            db.scalars(
                select(CaseConference.id).where(
                    CaseConference.series_key == conference.series_key,
                    CaseConference.scheduled_at > conference.scheduled_at,
                    CaseConference.cancelled_at == conference.cancelled_at,
                )
            ).all()
        )
    agenda = conferences.agenda_figures(db, conference, now, policy)
    return conference_views.conference_nudge(
        lead.kind,
        conferences.brief(db, conference),
        agenda,
        policy.zone,
        locale,
        cancelled_following=following,
    )
