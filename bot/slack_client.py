"""The one WebClient shared by the app and the scheduler, with retries and the outbound privacy gate.

The gate (domain.md R1): every Web API call that writes into Slack's history — every `chat.*` method
(postMessage, update, postEphemeral, scheduleMessage, meMessage …) and the few other methods that leave
text behind (`HISTORY_METHODS`) — is scanned by `models.privacy.scan` before it leaves the process. A
finding refuses the call with `OutboundRefused` and nothing is sent; the log names the rule or column,
never the value.

Where the gate sits, and why there:
- `GatedWebClient.api_call`: every `chat_*` method of slack_sdk ends in `api_call`, so one override covers
  them all, the generic `api_call("chat.postMessage", …)` too. `make_web_client` builds this client for
  the scheduler and the CLI sweep.
- Listeners never use the plain `WebClient` Bolt builds per request: they reach Slack through their `Turn`
  (bot/listeners.py), whose client is the app's one `GatedWebClient` (`gated_client`) and whose `respond`
  is a `GatedRespond` (a response_url answer with `replace_original` / `in_channel` persists).
- Every listener function starts with an empty set of seen values (`models.privacy.begin_scope`), in the
  thread it runs in (`bot.listeners.Listeners.bind`).

Not gated: `views.*`. Modals are private and gone when closed. The App Home persists per user but only
its owner sees it, it is replaced on every publish and is no message history; what it may show is the
access rules' business (R9), checked where it is built (handlers/home.py, bot/views/home.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.settings import Settings
from models import privacy

log = logging.getLogger("casebot.privacy")

# Besides chat.*, methods whose text stays in a channel, a file or the workspace. Casebot calls none of
# them today; a future call is gated from its first day.
HISTORY_METHODS = frozenset(
    {
        "bookmarks.add",
        "bookmarks.edit",
        "canvases.create",
        "canvases.edit",
        "conversations.canvases.create",
        "conversations.create",
        "conversations.rename",
        "conversations.setPurpose",
        "conversations.setTopic",
        "files.completeUploadExternal",
        "files.upload",
        "reminders.add",
    }
)

_refusals = 0
_refusals_lock = threading.Lock()


def is_gated(api_method: str) -> bool:
    return api_method.startswith("chat.") or api_method in HISTORY_METHODS


def refusal_count() -> int:
    """How many calls this process refused (the app itself should never cause one)."""
    return _refusals


class OutboundRefused(SlackApiError):
    """A call the gate stopped. A SlackApiError, so that every place that handles a failed send (the
    sweep's retry and give-up, the digests, the per-supervisor closure DMs, the app's error handler)
    handles this one the same way."""

    def __init__(self, api_method: str, findings: list[privacy.Finding]) -> None:
        self.api_method = api_method
        self.findings = tuple(findings)
        where = "; ".join(str(f) for f in self.findings)
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url=api_method,
            req_args={},
            data={"ok": False, "error": "outbound_refused"},
            headers={},
            status_code=200,
        )
        super().__init__(f"{api_method} refused by the outbound privacy gate: {where}", response)


def check_outbound(api_method: str, *parts: Any) -> None:
    """Raise OutboundRefused if any part (JSON body, form data, query) carries what R1 keeps out of Slack."""
    global _refusals
    findings = [finding for part in parts if part for finding in privacy.scan(part)]
    if not findings:
        return
    with _refusals_lock:
        _refusals += 1
    # The findings say which rule or column matched and where; the value itself is never logged.
    log.warning("outbound gate refused %s: %s", api_method, "; ".join(str(f) for f in findings))
    raise OutboundRefused(api_method, findings)


class GatedWebClient(WebClient):
    """A WebClient whose history-writing calls pass the privacy gate first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        privacy.install_recorder()  # a gate without the recorder would only have the detectors

    def api_call(  # type: ignore[override]
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | None = None,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> SlackResponse:
        if is_gated(api_method):
            check_outbound(api_method, json, data, params)
        return super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


def gated_client(client: WebClient) -> GatedWebClient:
    """`client` itself if it passes the gate already, else a gated client with its settings."""
    if isinstance(client, GatedWebClient):
        return client
    return GatedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        logger=client.logger,
        retry_handlers=list(client.retry_handlers) if client.retry_handlers is not None else None,
    )


class GatedRespond(Respond):
    """Bolt's respond() (a POST to the response_url) behind the same gate."""

    def __call__(self, text: str | dict = "", *args: Any, **kwargs: Any) -> WebhookResponse:  # type: ignore[override]
        check_outbound("response_url", {"text": text, "args": list(args), **kwargs})
        return super().__call__(text, *args, **kwargs)


def announce_gate() -> None:
    """Say in the log that the gate is on (the e2e privacy scan looks for this line)."""
    privacy.install_recorder()
    log.info("outbound privacy gate on: %d tagged columns", len(privacy.tagged_columns()))


def make_web_client(settings: Settings) -> GatedWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return GatedWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            # Honours Retry-After on 429. Listeners call Slack after ack(), so a wait never delays an ack.
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
