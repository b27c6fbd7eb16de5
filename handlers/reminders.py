"""Snooze buttons on nudges: tomorrow or in a week, at the start of that working morning."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot.i18n import t
from bot.ids import Action
from bot.listeners import Listeners, Turn
from bot.metadata import Snooze
from bot.views.blocks import section
from handlers.common import clicked_in
from models.enums import Surface
from models.errors import DomainError
from models.services import sweeper
from models.services.calendar import WorkCalendar


def register(on: Listeners) -> None:
    on.action(re.compile(rf"^{re.escape(Action.SNOOZE_REMINDER)}\.\d+$"), lazy=[snooze])


def snooze(turn: Turn) -> None:
    actor = turn.actor
    if actor is None:
        return
    locale = turn.locale
    clicked = Snooze.read(turn.action.get("value"))
    if clicked is None:
        return  # not a button this app made
    reminder_id, days = clicked.reminder_id, clicked.days
    body = turn.body
    channel = clicked_in(body)
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    ctx = turn.ctx(Surface.BUTTON)
    policy = ctx.policy
    calendar = WorkCalendar(policy.zone, policy.workday_start_hour)
    day = ctx.today + timedelta(days=days)
    until = calendar.next_working_start(
        datetime.combine(day, time(policy.workday_start_hour), tzinfo=policy.zone)
    )
    try:
        with turn.uow() as db:
            snoozed = sweeper.snooze_nudge(db, actor.id, reminder_id, until)
    except DomainError as error:  # only where the nudge was clicked, never a DM
        if not turn.respond_privately(error.text(locale)) and channel:
            turn.client.chat_postEphemeral(channel=channel, user=actor.slack_user_id, text=error.text(locale))
        return
    code, what = snoozed.code, snoozed.kind.label(locale)
    key = "reminders.snoozed" if code else "reminders.snoozed_no_case"  # a conference's item has no code
    text = t(key, locale, code=code, what=what, until=until.date().isoformat())
    if turn.answer_in_place(text, [section(text)]):
        return  # the nudge itself says it is snoozed
    if channel and ts:
        turn.client.chat_update(channel=channel, ts=ts, text=text, blocks=[section(text)])
