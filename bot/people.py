"""What Slack says about a staff member (users.info): their language and time zone.

Asked once per person and kept on the staff record (StaffMember.locale, .tz): when they are registered
(`casebot staff add`), when they are first nudged (scheduler/sweep.py) or when they first use the bot
(bot/listeners.py), whichever comes first, so nobody's first message from Casebot is in the wrong language.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient

from bot.i18n import locale_from_slack
from models.services import staff
from models.staff import StaffMember

# A short timeout and no retries: a slow or rate-limited Slack never holds an ack or a sweep back.
LOOKUP_TIMEOUT = 1.0


@dataclass(frozen=True)
class SlackProfile:
    locale: str  # "ko" or "en"
    tz: str | None  # a zone this machine knows, else None


def slack_profile(client: WebClient, slack_user_id: str, default_locale: str) -> SlackProfile | None:
    """The person's language and zone from users.info; None when Slack did not answer (ask again later)."""
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT, retry_handlers=[])
    try:
        user = quick.users_info(user=slack_user_id, include_locale=True)["user"]
    except Exception:
        return None
    return SlackProfile(locale_from_slack(user.get("locale"), default_locale), zone_name(user.get("tz")))


def zone_name(value: object) -> str | None:
    """Slack's `tz` if it names a zone this machine knows (the column holds 64 characters), else None."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def learn_language(db, client: WebClient, member: StaffMember, default_locale: str) -> str:  # type: ignore[no-untyped-def]
    """The member's language, asked of Slack and kept on their record if it is not known yet."""
    if member.locale:
        return member.locale
    profile = slack_profile(client, member.slack_user_id, default_locale)
    if profile is None:
        return default_locale
    staff.set_language(db, member, profile.locale, member.tz or profile.tz)
    return profile.locale
