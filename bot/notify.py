"""Messages that stay in Slack's history (DMs, channels): case codes, task, due date, stage, buttons.

Never a client's name, contact, birth date, address or free text (domain.md R1).
"""

from __future__ import annotations

from slack_sdk import WebClient


def dm(client: WebClient, slack_user_id: str, text: str, blocks: list[dict] | None = None) -> str | None:
    """Post to a staff member's DM with the bot; returns the message ts."""
    response = client.chat_postMessage(channel=slack_user_id, text=text, blocks=blocks)
    return response.get("ts")


def dm_at(
    client: WebClient, slack_user_id: str, text: str, blocks: list[dict] | None = None
) -> tuple[str, str]:
    """Post to a staff member's DM with the bot; returns where the message is (channel, ts), to change
    it later."""
    response = client.chat_postMessage(channel=slack_user_id, text=text, blocks=blocks)
    return str(response.get("channel") or ""), str(response.get("ts") or "")
