"""The sweep: claim due reminders, send each batch once, stamp it. Run every minute, or by hand.

Slack is called outside any database transaction; the claim commits first so that a second
sweeper (or process) cannot take the same rows, and the stamp commits after the send.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import loggable
from bot.views import conferences as conference_views
from bot.views.reminders import nudge
from models.case import Case
from models.conference import ActionItem, CaseConference
from models.db import UnitOfWork
from models.enums import ReminderKind
from models.reminder import Reminder
from models.services import access, conferences, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.staff import StaffMember

log = logging.getLogger("casebot.scheduler")
PER_CHANNEL_INTERVAL = 1.0  # Slack allows about one message per second per channel


@dataclass
class SweepReport:
    outside_working_time: bool = False
    sent: int = 0
    coalesced: int = 0
    stale: int = 0
    failed: int = 0
    given_up: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.outside_working_time:
            return "Outside working time: nothing sent; due reminders wait for the next working morning."
        return (
            f"sent {self.sent} message(s) ({self.coalesced} late reminders folded in), "
            f"dropped {self.stale} for closed cases, {self.failed} failed"
            + (f", gave up on {self.given_up}" if self.given_up else "")
        )


@dataclass(frozen=True)
class Outgoing:
    ids: list[int]
    channel: str
    text: str
    blocks: list[dict]


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
) -> SweepReport:
    report = SweepReport()
    if not calendar.is_working_time(now):
        report.outside_working_time = True
        return report
    with uow() as db:
        sweeper.release_stale_claims(db, now)
        ids = sweeper.claim(db, now, limit)
    if not ids:
        return report
    with uow() as db:
        groups, stale = sweeper.batches(db, ids, now)
        sweeper.mark_cancelled(db, [r.id for r in stale])
        report.stale = len(stale)
        outgoing = _render(db, groups, policy, now, default_locale)
    last_post: dict[str, float] = {}
    for message in outgoing:
        wait = PER_CHANNEL_INTERVAL - (time.monotonic() - last_post.get(message.channel, -1e9))
        if wait > 0:
            sleep(wait)
        try:
            response = client.chat_postMessage(
                channel=message.channel, text=message.text, blocks=message.blocks
            )
            last_post[message.channel] = time.monotonic()
        except (SlackApiError, OSError) as error:
            log.error("reminders %s not sent\n%s", message.ids, loggable(error))
            with uow() as db:
                report.given_up += sweeper.mark_failed(db, message.ids, error=type(error).__name__, now=now)
            report.failed += 1
            continue
        with uow() as db:
            sweeper.mark_sent(db, message.ids, ts=response.get("ts"), now=now)
        report.sent += 1
        report.coalesced += len(message.ids) - 1
    return report


def _render(db, groups, policy: Policy, now: datetime, default_locale: str) -> list[Outgoing]:  # type: ignore[no-untyped-def]
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
        locale = (person.locale if person else None) or default_locale
        rendered = _render_conference(db, lead, codes, policy, now, locale)
        if rendered is None and lead.case_id in codes:
            # The task's own deadline, never the row's fire time (an escalation, a snooze, a retry).
            deadline = sweeper.deadline_of(lead, policy.zone)
            rendered = nudge(lead.kind, codes[lead.case_id], deadline, today, lead.id, locale)
        if channel is None or rendered is None or (lead.case_id, lead.recipient_id) in barred:
            # Nobody to tell (recipient deactivated or, on a school case, not approved): no failure to retry.
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
