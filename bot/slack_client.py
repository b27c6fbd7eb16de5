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
- Bolt does not use the client it is given for listeners: since Bolt 1.15 it builds a plain `WebClient` per
  request. `install_outbound_gate(app)` adds a global middleware (registered first) that replaces the
  request's `client` with a `GatedWebClient` copy, so the `client` argument, `say` (built from it) and the
  error handler all pass the gate. `respond` posts to a response_url, not `chat.*`; an ephemeral answer does
  not persist but `replace_original` / `in_channel` answers do, so it gets `GatedRespond`.
- It also makes every listener start with an empty set of seen values (`models.privacy.begin_scope`) in the
  listener's own thread, through Bolt's listener start handler: middleware runs in the request thread,
  the listener in a pool thread.

Not gated: `views.*`. Modals are private and gone when closed. The App Home persists per user but only
its owner sees it, it is replaced on every publish and is no message history; what it may show is the
access rules' business (R9), checked where it is built (handlers/home.py, bot/views/home.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.context.respond import Respond
from slack_bolt.listener.listener_start_handler import ListenerStartHandler
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.middleware import ContextMiddleware
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


def gated_copy(client: WebClient) -> GatedWebClient:
    """The same client (token, URL, retries, team) behind the gate; Bolt's per-request client goes here."""
    if isinstance(client, GatedWebClient):
        return client
    # Bolt has just built `client` for this request alone: take over its state rather than run
    # WebClient.__init__ again (user agent, proxy lookup in the environment) before every ack.
    gated = GatedWebClient.__new__(GatedWebClient)
    gated.__dict__.update(client.__dict__)
    gated.retry_handlers = list(client.retry_handlers) if client.retry_handlers is not None else None
    return gated


class GatedRespond(Respond):
    """Bolt's respond() (a POST to the response_url) behind the same gate."""

    def __call__(self, text: str | dict = "", *args: Any, **kwargs: Any) -> WebhookResponse:  # type: ignore[override]
        check_outbound("response_url", {"text": text, "args": list(args), **kwargs})
        return super().__call__(text, *args, **kwargs)


class _FreshScopeOnListenerStart(ListenerStartHandler):
    """Runs in the listener's thread before the listener: that listener's seen values start empty."""

    def __init__(self, inner: ListenerStartHandler) -> None:
        self.inner = inner

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        privacy.begin_scope()
        self.inner.handle(request=request, response=response)


def install_outbound_gate(app: App) -> None:
    """Put the gate in front of everything a Bolt listener can send. Call right after creating the App."""
    privacy.install_recorder()
    runner = app.listener_runner
    if not isinstance(runner.listener_start_handler, _FreshScopeOnListenerStart):
        runner.listener_start_handler = _FreshScopeOnListenerStart(runner.listener_start_handler)

    def gate_outbound(context: BoltContext, next: Callable[[], None]) -> None:
        gated = gated_copy(context.client)
        context["client"] = gated
        context.pop("say", None)  # rebuilt from the gated client on first use
        context["respond"] = GatedRespond(response_url=context.response_url, proxy=gated.proxy, ssl=gated.ssl)
        next()

    app.middleware(ContextMiddleware(gate_outbound))

    # The e2e privacy scan looks for this line: the gate is on in the process that served the lifecycle.
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
