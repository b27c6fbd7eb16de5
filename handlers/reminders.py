"""Snooze buttons on nudges: tomorrow or in a week, at the start of that working morning."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.ids import Action
from bot.views.blocks import section
from models.case import Case
from models.enums import Surface
from models.errors import DomainError
from models.services import sweeper
from models.services.calendar import WorkCalendar


def register(app: App) -> None:
    app.action(re.compile(rf"^{re.escape(Action.SNOOZE_REMINDER)}\.\d+$"))(snooze)


def snooze(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    actor, locale = context["actor"], context["locale"]
    if actor is None:
        return
    value = json.loads(action.get("value") or "{}")
    ctx = context["ctx_for"](Surface.BUTTON)
    policy = ctx.policy
    calendar = WorkCalendar(policy.zone, policy.workday_start_hour)
    day = ctx.today + timedelta(days=int(value.get("days", 1)))
    until = calendar.next_working_start(
        datetime.combine(day, time(policy.workday_start_hour), tzinfo=policy.zone)
    )
    try:
        with context["uow"]() as db:
            reminder = sweeper.snooze(db, actor.id, int(value["reminder_id"]), until)
            code = db.get(Case, reminder.case_id).code if reminder.case_id else ""
            what = reminder.kind.label(locale)
    except DomainError as error:
        return client.chat_postEphemeral(
            channel=body["channel"]["id"], user=actor.slack_user_id, text=error.text(locale)
        )
    text = t("reminders.snoozed", locale, code=code, what=what, until=until.date().isoformat())
    client.chat_update(
        channel=body["channel"]["id"], ts=body["message"]["ts"], text=text, blocks=[section(text)]
    )
