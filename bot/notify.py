"""Messages that stay in Slack's history (DMs, channels): case codes, task, due date, stage, buttons.

Never a client's name, contact, birth date, address or free text (domain.md R1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.people import slack_profile

log = logging.getLogger("casebot")


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


def tell_transfer(
    client: WebClient, code: str, people: Iterable[Sequence[str | None]], to: str, default_locale: str = "ko"
) -> None:
    """A transfer, to both case managers by DM (`cases.transfer_notice`: Slack ids and stored
    languages): the case code and who has it now, nothing else (R1). One failed DM does not keep the
    other from theirs."""
    for user, stored_locale in people:
        assert user is not None
        profile = None if stored_locale else slack_profile(client, user, default_locale)
        locale = stored_locale or (profile.locale if profile else default_locale)
        try:
            dm(client, user, t("holds.transfer.dm", locale, code=code, to=f"<@{to}>"))
        except SlackApiError as error:
            log.warning("transfer DM for %s failed: %s", code, error.response.get("error"))
