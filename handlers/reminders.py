"""Snooze buttons on nudges: tomorrow or in a week, at the start of that working morning."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.ids import Action
from bot.views.blocks import section
from handlers.common import button_value, clicked_in, record_id
from models.case import Case
from models.enums import Surface
from models.errors import DomainError
from models.services import sweeper
from models.services.calendar import WorkCalendar

MAX_SNOOZE_DAYS = 30  # the nudges offer a day and a week; a button's value is never trusted further


def register(app: App) -> None:
    app.action(re.compile(rf"^{re.escape(Action.SNOOZE_REMINDER)}\.\d+$"))(snooze)


def snooze(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    actor, locale = context["actor"], context["locale"]
    if actor is None:
        return
    value = button_value(action)
    reminder_id, days = record_id(value, "reminder_id"), value.get("days", 1)
    if not reminder_id:
        return  # not a button this app made
    days = days if type(days) is int and 1 <= days <= MAX_SNOOZE_DAYS else 1
    channel = clicked_in(body)
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    ctx = context["ctx_for"](Surface.BUTTON)
    policy = ctx.policy
    calendar = WorkCalendar(policy.zone, policy.workday_start_hour)
    day = ctx.today + timedelta(days=days)
    until = calendar.next_working_start(
        datetime.combine(day, time(policy.workday_start_hour), tzinfo=policy.zone)
    )
    try:
        with context["uow"]() as db:
            reminder = sweeper.snooze(db, actor.id, reminder_id, until)
            code = db.get(Case, reminder.case_id).code if reminder.case_id else ""
            what = reminder.kind.label(locale)
    except DomainError as error:
        if channel:
            client.chat_postEphemeral(channel=channel, user=actor.slack_user_id, text=error.text(locale))
        return
    key = "reminders.snoozed" if code else "reminders.snoozed_no_case"  # a conference's item has no code
    text = t(key, locale, code=code, what=what, until=until.date().isoformat())
    if channel and ts:  # the nudge itself says it is snoozed
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])
