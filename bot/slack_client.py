"""The one WebClient shared by the app and the scheduler, with retries for rate limits and drops."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.settings import Settings


def make_web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            # Honours Retry-After on 429. Listeners call Slack after ack(), so a wait never delays an ack.
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
