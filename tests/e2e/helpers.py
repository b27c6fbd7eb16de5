"""Building modal state the way Slack sends it, and driving the running bot."""

from __future__ import annotations

import json
import time
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
    """`/case <text_>` as Slack sends it, with a response_url (the stand-in's, one per person) unless
    `response_url=` says otherwise; what the bot answers through it is `answers_to(bot, user_id)`."""
    kwargs.setdefault("response_url", bot.slack.response_url(user_id))
    request = slash_command(SIGNING_SECRET, text=text_, user_id=user_id, **kwargs)
    status, _, body = post(bot.events_url, request.body, request.headers)
    return status, body


def answers_to(bot: RunningBot, user_id: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
    """The answers posted to `user_id`'s response_urls (see `command`), oldest first, once there are
    `count`: each is {"text", "blocks", "response_type", "replace_original"…}."""
    deadline = time.monotonic() + timeout
    path = f"/response_url/{user_id}"
    while True:
        found = [c.params for c in bot.slack.calls("response_url") if c.path == path]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{len(found)} answer(s) to {user_id}, expected {count}"
            return found
        time.sleep(0.02)


def answer_to(bot: RunningBot, user_id: str, count: int = 1) -> dict:
    """The `count`-th answer to `user_id` through a response_url (ephemeral: only they see it)."""
    answer = answers_to(bot, user_id, count)[count - 1]
    assert answer.get("response_type") == "ephemeral", answer
    return answer


def submit(bot: RunningBot, user_id: str, callback_id: str, values: dict, **kwargs: Any) -> tuple[int, dict]:
    request = view_submission(
        SIGNING_SECRET, user_id=user_id, callback_id=callback_id, state_values=values, **kwargs
    )
    status, _, body = post(bot.events_url, request.body, request.headers)
    return status, json.loads(body) if body else {}
