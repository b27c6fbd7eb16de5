"""Building modal state the way Slack sends it, and driving the running bot."""

from __future__ import annotations

import json
from typing import Any

from models.enums import StaffRole
from models.schemas import StaffInput
from models.services import staff
from sandbox.slack.requests import post, slash_command, view_submission
from tests.e2e.conftest import SIGNING_SECRET, RunningBot


def text(value: str | None) -> dict:
    return {"type": "plain_text_input", "value": value}


def choice(value: str | None) -> dict:
    return {"type": "static_select", "selected_option": {"value": value} if value else None}


def choices(*values: str, kind: str = "checkboxes") -> dict:
    return {"type": kind, "selected_options": [{"value": v} for v in values]}


def day(value: str | None) -> dict:
    return {"type": "datepicker", "selected_date": value}


def state(**blocks: dict) -> dict:
    """`state(**{"client.name": text("x")})` → Slack's {block_id: {action_id: element}}."""
    return {block_id: {block_id: element} for block_id, element in blocks.items()}


def add_staff(bot: RunningBot, user_id: str, role: StaffRole = StaffRole.CASE_MANAGER, team: str = "1팀"):
    with bot.uow() as db:
        return staff.add_staff(
            db, StaffInput(slack_user_id=user_id, display_name=user_id, role=role, team=team)
        )


def command(bot: RunningBot, text_: str, user_id: str, **kwargs: Any) -> tuple[int, str]:
    request = slash_command(SIGNING_SECRET, text=text_, user_id=user_id, **kwargs)
    status, _, body = post(bot.events_url, request.body, request.headers)
    return status, body


def submit(bot: RunningBot, user_id: str, callback_id: str, values: dict, **kwargs: Any) -> tuple[int, dict]:
    request = view_submission(
        SIGNING_SECRET, user_id=user_id, callback_id=callback_id, state_values=values, **kwargs
    )
    status, _, body = post(bot.events_url, request.body, request.headers)
    return status, json.loads(body) if body else {}
