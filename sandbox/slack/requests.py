"""Builders of signed requests shaped like the ones Slack sends to an app.

End-to-end tests post these to the running bot, so the bot's real signature verification and Bolt's real
routing are exercised.  Payload shapes follow bolt-python's scenario tests.  Each builder returns a
``SignedRequest`` (a ``(body, headers)`` tuple); pass ``timestamp=`` to forge a stale request.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any, NamedTuple
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from .server import APP_ID, TEAM_DOMAIN, TEAM_ID

VERIFICATION_TOKEN = "verification-token"  # deprecated by Slack but still present in payloads

Payload = dict[str, Any]

_counter = itertools.count(1)


class SignedRequest(NamedTuple):
    """A request body and the headers Slack would send with it."""

    body: str
    headers: dict[str, str]


def _unique() -> str:
    return f"{next(_counter)}{secrets.token_hex(3)}"


def new_trigger_id() -> str:
    """A trigger id in Slack's ``<digits>.<digits>.<hex>`` shape, unique per call."""
    return f"{int(time.time())}.{next(_counter)}.{secrets.token_hex(16)}"


def new_view_id() -> str:
    return "V" + _unique().upper()


def new_event_id() -> str:
    return "Ev" + _unique().upper()


def sign(secret: str, body: str, *, content_type: str, timestamp: int | None = None) -> SignedRequest:
    """Attach ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` computed the way Slack does."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    return SignedRequest(body, headers)


def _form(secret: str, fields: dict[str, str], timestamp: int | None) -> SignedRequest:
    return sign(
        secret, urlencode(fields), content_type="application/x-www-form-urlencoded", timestamp=timestamp
    )


def _interactive(secret: str, payload: Payload, timestamp: int | None) -> SignedRequest:
    """Interactivity payloads arrive as a form with one ``payload`` field holding JSON."""
    return _form(secret, {"payload": json.dumps(payload, ensure_ascii=False)}, timestamp)


def user_object(user_id: str, team_id: str = TEAM_ID) -> Payload:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def team_object(team_id: str = TEAM_ID) -> Payload:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def view_object(
    *,
    callback_id: str = "",
    state_values: Payload | None = None,
    private_metadata: str = "",
    view_id: str | None = None,
    view_hash: str | None = None,
    team_id: str = TEAM_ID,
    **extra: Any,
) -> Payload:
    """A modal view as Slack includes it in interactivity payloads; ``extra`` overrides any key."""
    view_id = view_id or new_view_id()
    view: Payload = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": state_values or {}},
        "hash": view_hash or f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": "Casebot", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "BBOT",
    }
    view.update(extra)
    return view


def _complete_view(view: Payload, team_id: str) -> Payload:
    """Fill in whatever a test left out of a view so Bolt sees a full payload."""
    known = {k: view[k] for k in ("callback_id", "private_metadata") if k in view}
    state = view.get("state", {}).get("values")
    full = view_object(
        view_id=view.get("id"), view_hash=view.get("hash"), state_values=state, team_id=team_id, **known
    )
    full.update(view)
    return full


def slash_command(
    secret: str,
    *,
    command: str = "/case",
    text: str,
    user_id: str,
    team_id: str = TEAM_ID,
    channel_id: str = "C0001",
    channel_name: str | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    timestamp: int | None = None,
) -> SignedRequest:
    """A slash command; ``response_url`` is omitted unless given so nothing can reach hooks.slack.com."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else "general"),
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "trigger_id": trigger_id or new_trigger_id(),
    }
    if response_url is not None:
        fields["response_url"] = response_url
    return _form(secret, fields, timestamp)


def block_actions(
    secret: str,
    *,
    user_id: str,
    actions: list[Payload],
    view: Payload | None = None,
    channel_id: str | None = None,
    message: Payload | None = None,
    trigger_id: str | None = None,
    container: Payload | None = None,
    response_url: str | None = None,
    team_id: str = TEAM_ID,
    timestamp: int | None = None,
) -> SignedRequest:
    """A ``block_actions`` payload from a message (``channel_id``/``message``) or a view (``view``)."""
    now = f"{time.time():.6f}"
    full_actions = [{"type": "button", "block_id": "b", "action_ts": now, **action} for action in actions]
    payload: Payload = {
        "type": "block_actions",
        "user": user_object(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": team_object(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": full_actions,
    }
    message_ts = (message or {}).get("ts") or now
    if view is not None:
        payload["view"] = _complete_view(view, team_id)
    if message is not None:
        payload["message"] = {"type": "message", "ts": message_ts, **message}
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": f"channel-{channel_id.lower()}"}
    if container is None and view is not None:
        container = {"type": "view", "view_id": payload["view"]["id"]}
    elif container is None and (message is not None or channel_id is not None):
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
    if container is not None:
        payload["container"] = container
    if response_url is not None:
        payload["response_url"] = response_url
    return _interactive(secret, payload, timestamp)


def view_submission(
    secret: str,
    *,
    user_id: str,
    callback_id: str,
    state_values: Payload,
    private_metadata: str = "",
    view_id: str | None = None,
    view_hash: str | None = None,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    timestamp: int | None = None,
    **view_extra: Any,
) -> SignedRequest:
    """A modal submission; ``state_values`` is ``{block_id: {action_id: {"type": ..., "value": ...}}}``."""
    payload: Payload = {
        "type": "view_submission",
        "team": team_object(team_id),
        "user": user_object(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": view_object(
            callback_id=callback_id,
            state_values=state_values,
            private_metadata=private_metadata,
            view_id=view_id,
            view_hash=view_hash,
            team_id=team_id,
            **view_extra,
        ),
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return _interactive(secret, payload, timestamp)


def view_closed(
    secret: str,
    *,
    user_id: str,
    view: Payload,
    is_cleared: bool = False,
    team_id: str = TEAM_ID,
    timestamp: int | None = None,
) -> SignedRequest:
    """The user closed a modal whose view asked for ``notify_on_close``."""
    payload: Payload = {
        "type": "view_closed",
        "team": team_object(team_id),
        "user": user_object(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": _complete_view(view, team_id),
        "is_cleared": is_cleared,
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return _interactive(secret, payload, timestamp)


def message_shortcut(
    secret: str,
    *,
    user_id: str,
    callback_id: str,
    message: Payload,
    channel_id: str,
    trigger_id: str | None = None,
    response_url: str | None = None,
    team_id: str = TEAM_ID,
    timestamp: int | None = None,
) -> SignedRequest:
    """A message shortcut (``message_action``) invoked on ``message`` in ``channel_id``."""
    message_ts = message.get("ts") or f"{time.time():.6f}"
    payload: Payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": team_object(team_id),
        "user": user_object(user_id, team_id),
        "channel": {"id": channel_id, "name": f"channel-{channel_id.lower()}"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "message_ts": message_ts,
        "message": {"type": "message", "ts": message_ts, **message},
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return _interactive(secret, payload, timestamp)


def global_shortcut(
    secret: str,
    *,
    user_id: str,
    callback_id: str,
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
    timestamp: int | None = None,
) -> SignedRequest:
    """A global shortcut (``shortcut``) from the lightning menu."""
    payload: Payload = {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": team_object(team_id),
        "user": user_object(user_id, team_id),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return _interactive(secret, payload, timestamp)


def event(
    secret: str,
    *,
    event: Payload,
    event_id: str | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    team_id: str = TEAM_ID,
    event_time: int | None = None,
    timestamp: int | None = None,
) -> SignedRequest:
    """An Events API ``event_callback``; ``retry_num`` adds the headers Slack sends on redelivery."""
    envelope: Payload = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    signed = sign(
        secret, json.dumps(envelope, ensure_ascii=False), content_type="application/json", timestamp=timestamp
    )
    if retry_num is not None:
        signed.headers["X-Slack-Retry-Num"] = str(retry_num)
        signed.headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return signed


def url_verification(
    secret: str, *, challenge: str | None = None, timestamp: int | None = None
) -> SignedRequest:
    """The handshake Slack sends when the Events API request URL is configured."""
    body = {
        "token": VERIFICATION_TOKEN,
        "challenge": challenge or secrets.token_hex(8),
        "type": "url_verification",
    }
    return sign(secret, json.dumps(body), content_type="application/json", timestamp=timestamp)


def post(
    url: str, body: str, headers: dict[str, str], timeout: float = 10
) -> tuple[int, dict[str, str], str]:
    """POST a built request to a running app; error statuses are returned, not raised, so tests can assert."""
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read().decode("utf-8")
