"""A local stand-in for the Slack Web API.

End-to-end tests run Casebot as a real process with ``SLACK_API_URL`` pointing here, so the bot's own
``slack_sdk.WebClient`` talks HTTP to this server instead of slack.com.  Every call is recorded so tests
can assert on what the bot sent, and per-test overrides (``fail``, ``respond``, ``delay``) let tests
reproduce rate limits, errors and a slow Slack without mocking inside the bot.

Only the standard library is used so that the fake has no behaviour of its own beyond what is written here.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TEAM_ID = "T0001"
TEAM_DOMAIN = "casebot-test"
TEAM_NAME = "Casebot Test"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0001"
WORKSPACE_URL = f"https://{TEAM_DOMAIN}.slack.com/"
DEFAULT_LOCALE = "ko-KR"
DEFAULT_TZ = "Asia/Seoul"
VALID_TOKEN_PREFIXES = ("xoxb-", "xapp-")

# Methods that post into a conversation, which Slack refuses where the bot is not a member.
_MEMBERSHIP_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete", "chat.scheduleMessage"}
)

# Form values holding plain prose are never JSON-decoded, even if they happen to look like JSON.
_PROSE_FIELDS = frozenset({"text", "markdown_text", "alt_text", "title", "initial_comment", "content"})

Payload = dict[str, Any]
Responder = Payload | Callable[[Payload], Payload]
Listener = Callable[["Call", Payload], None]


@dataclass(frozen=True)
class Call:
    """One request the fake received; ``params`` is the decoded body (plus query string)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    path: str = ""


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | float | None
    times: int


@dataclass
class _User:
    id: str
    name: str
    locale: str = DEFAULT_LOCALE
    tz: str = DEFAULT_TZ
    email: str | None = None
    real_name: str | None = None
    is_bot: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Channel:
    id: str
    name: str
    members: list[str]
    is_private: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _maybe_json(key: str, value: Any) -> Any:
    """Decode JSON-looking form values (``blocks``, ``view``...) so tests can inspect them as objects."""
    if not isinstance(value, str) or key in _PROSE_FIELDS:
        return value
    stripped = value.lstrip()
    if not stripped.startswith(("{", "[")):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _decode_values(params: dict[str, Any]) -> dict[str, Any]:
    return {key: _maybe_json(key, value) for key, value in params.items()}


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parse multipart bodies (slack_sdk uses them for file uploads); file parts stay as bytes."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is None:
            params[str(name)] = payload.decode("utf-8", errors="replace")
        else:
            params[str(name)] = payload
    return params


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true", "yes"}


class FakeSlack:
    """Threaded HTTP server imitating the parts of the Slack Web API that Casebot uses.

    Use as ``with FakeSlack() as slack:`` and point a ``WebClient(base_url=slack.url)`` (or the bot's
    ``SLACK_API_URL``) at it.  Unknown methods answer ``{"ok": true}`` so new bot features don't crash
    the suite, but they are still recorded for assertions.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        stamp: Callable[[], str] | None = None,
        enforce_membership: bool = False,
    ) -> None:
        """``stamp`` gives message timestamps (the sandbox passes its clock's); by default they count
        up from the server's start. ``enforce_membership``: see ``enforce_membership()``."""
        self._host = host
        self._membership_default = enforce_membership
        self._membership = enforce_membership
        self._stamp = stamp
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._responses: dict[str, Responder] = {}
        self._delays: dict[str, float] = {}
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._views: dict[str, Payload] = {}
        self._scheduled: dict[str, Payload] = {}
        self._home_views: dict[str, str] = {}  # user id -> id of the App Home view published for them
        self._listeners: list[Listener] = []
        # Counters survive reset() so ids and timestamps never repeat within one server's lifetime.
        self._ts_base = int(time.time())
        self._ts_counter = itertools.count(1)
        self._view_counter = itertools.count(1)
        self._scheduled_counter = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Bind an ephemeral port and serve in a daemon thread (so a forgotten stop() can't hang pytest)."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self._host, self._port), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        # A short poll interval keeps stop() (which waits for the next poll) from adding 0.5 s per test.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="FakeSlack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Server root without a path, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL; the trailing slash matters because slack_sdk joins method names with urljoin."""
        return f"{self.base_url}/api/"

    def response_url(self, response_id: str = "default") -> str:
        """A URL to put in a payload's ``response_url``; Bolt's ``respond()`` posts are recorded here."""
        return f"{self.base_url}/response_url/{response_id}"

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        """A snapshot of recorded calls, optionally only those of one method, oldest first."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        """The most recent call of ``method``; an AssertionError if there was none."""
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method} call; methods seen: {self._methods_seen()}")
        return found[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived, because the bot calls Slack asynchronously."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s, got {len(found)}; "
                        f"methods seen: {self._methods_seen()}"
                    )
                self._cond.wait(min(remaining, 0.05))

    def _methods_seen(self) -> list[str]:
        with self._cond:
            return [c.method for c in self._calls]

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(call, body)`` after each answered call (the sandbox's workspace follows along)."""
        with self._cond:
            self._listeners.append(listener)

    def _notify(self, call: Call, status: int, body: Payload | str) -> None:
        if status != 200 or (isinstance(body, dict) and not body.get("ok")):
            return  # a failed call changed nothing in the workspace
        with self._cond:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(call, body if isinstance(body, dict) else {"ok": True})

    # ------------------------------------------------------------------ per-test configuration

    def reset(self) -> None:
        """Forget calls, overrides, users, channels, views and scheduled messages (ids keep increasing)."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self._responses.clear()
            self._delays.clear()
            self._users.clear()
            self._channels.clear()
            self._views.clear()
            self._scheduled.clear()
            self._home_views.clear()
            self._membership = self._membership_default

    def enforce_membership(self, on: bool = True) -> None:
        """Refuse posts into conversations the bot is not a member of, as Slack does.

        ``chat.postMessage``, ``chat.postEphemeral``, ``chat.update`` … into a channel whose members
        (``set_channel``) do not include the bot answer ``channel_not_found``. A user id as the channel
        is the bot's DM with that user and always works; a ``D…`` channel not configured is the bot's DM
        with ``D``'s user; a DM between two people is ``set_channel("D…", members=[a, b])``. Until
        ``reset()``.
        """
        with self._cond:
            self._membership = on

    def _outside(self, method: str, params: Payload) -> bool:
        """Whether ``method`` posts into a conversation the bot is not in (only when enforced)."""
        with self._cond:
            if not self._membership or method not in _MEMBERSHIP_METHODS:
                return False
        channel = str(params.get("channel") or "")
        if not channel or channel[:1] in {"U", "W"}:
            return False  # no channel (Slack's own error) or a user id: the bot's DM with them
        return BOT_USER_ID not in self._channel(channel).members

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int | float | None = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status`` and ``{"ok": false, "error"}``.

        ``retry_after`` becomes a ``Retry-After`` header (None omits it); use ``status=200`` for the
        ordinary Slack errors that arrive with HTTP 200 (e.g. ``channel_not_found``).
        """
        with self._cond:
            self._failures.setdefault(method, deque()).append(_Failure(error, status, retry_after, times))

    def respond(self, method: str, payload: Responder) -> None:
        """Replace the canned body of ``method``; ``payload`` may be a dict or a function of the params."""
        with self._cond:
            self._responses[method] = payload

    def delay(self, method: str, seconds: float) -> None:
        """Sleep ``seconds`` before answering ``method``, to simulate a slow Slack (0 removes the delay)."""
        with self._cond:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def set_user(
        self,
        user_id: str,
        *,
        locale: str = DEFAULT_LOCALE,
        tz: str = DEFAULT_TZ,
        name: str | None = None,
        email: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
        **extra: Any,
    ) -> None:
        """Configure what ``users.info`` / ``users.lookupByEmail`` return for ``user_id``."""
        with self._cond:
            self._users[user_id] = _User(
                id=user_id,
                name=name or user_id.lower(),
                locale=locale,
                tz=tz,
                email=email,
                real_name=real_name,
                is_bot=is_bot,
                extra=extra,
            )

    def set_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: list[str] | None = None,
        is_private: bool = False,
        **extra: Any,
    ) -> None:
        """Configure what ``conversations.info`` / ``conversations.members`` return for ``channel_id``."""
        with self._cond:
            self._channels[channel_id] = _Channel(
                id=channel_id,
                name=name or f"channel-{channel_id.lower()}",
                members=list(members) if members is not None else [BOT_USER_ID],
                is_private=is_private,
                extra=extra,
            )

    def scheduled_messages(self) -> list[Payload]:
        """Messages scheduled via chat.scheduleMessage and not deleted since."""
        with self._cond:
            return list(self._scheduled.values())

    def view(self, view_id: str) -> Payload:
        """The latest state of a view opened/pushed/updated/published through the fake."""
        with self._cond:
            return dict(self._views[view_id])

    # ------------------------------------------------------------------ request handling

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _take_failure(self, method: str) -> _Failure | None:
        with self._cond:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
            return failure

    def _handle(
        self, method: str, params: Payload, headers: dict[str, str]
    ) -> tuple[int, Payload, dict[str, str]]:
        """Answer one Web API call: (HTTP status, JSON body, extra headers)."""
        self._pause(method)
        token = _bearer_token(headers)
        if token is None or not token.startswith(VALID_TOKEN_PREFIXES):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        failure = self._take_failure(method)
        if failure is not None:
            return _failure_response(failure)
        with self._cond:
            override = self._responses.get(method)
        if override is not None:
            return 200, override(params) if callable(override) else override, {}
        if self._outside(method, params):
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        handler = _CANNED.get(method)
        body = handler(self, params) if handler is not None else {"ok": True}
        return 200, body, {}

    def _handle_response_url(self, params: Payload) -> tuple[int, Payload | str, dict[str, str]]:
        self._pause("response_url")
        failure = self._take_failure("response_url")
        if failure is not None:
            return _failure_response(failure)
        with self._cond:
            override = self._responses.get("response_url")
        if override is not None:
            return 200, override(params) if callable(override) else override, {}
        # Slack's response_url endpoint answers with a bare "ok", as WebhookClient expects.
        return 200, "ok", {}

    def _pause(self, method: str) -> None:
        with self._cond:
            seconds = self._delays.get(method, 0.0)
        if seconds:
            time.sleep(seconds)

    # ------------------------------------------------------------------ canned responses

    def _next_ts(self) -> str:
        if self._stamp is not None:
            return self._stamp()
        # One base second plus a counter keeps ts strictly increasing as numbers and as strings.
        return f"{self._ts_base}.{next(self._ts_counter):06d}"

    def _user(self, user_id: str) -> _User:
        with self._cond:
            return self._users.get(user_id) or _User(id=user_id, name=user_id.lower())

    def _dm_channel(self, channel: Any) -> str:
        """Slack posts to a user id land in that user's DM, whose id the response reports."""
        channel = str(channel or "")
        if channel[:1] in {"U", "W"}:
            return "D" + channel
        return channel

    def _message(self, params: Payload, ts: str) -> Payload:
        message: Payload = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
            "text": params.get("text", ""),
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in params:
                message[key] = params[key]
        return message

    def _post_message(self, params: Payload) -> Payload:
        ts = self._next_ts()
        return {
            "ok": True,
            "channel": self._dm_channel(params.get("channel")),
            "ts": ts,
            "message": self._message(params, ts),
        }

    def _post_ephemeral(self, params: Payload) -> Payload:
        return {"ok": True, "channel": self._dm_channel(params.get("channel")), "message_ts": self._next_ts()}

    def _update(self, params: Payload) -> Payload:
        ts = str(params.get("ts") or self._next_ts())
        message = self._message(params, ts)
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _delete(self, params: Payload) -> Payload:
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def _schedule(self, params: Payload) -> Payload:
        scheduled_id = f"Q{next(self._scheduled_counter):08d}"
        channel = self._dm_channel(params.get("channel"))
        post_at = int(float(params.get("post_at") or 0))
        message = self._message(params, self._next_ts())
        with self._cond:
            self._scheduled[scheduled_id] = {
                "id": scheduled_id,
                "channel_id": channel,
                "post_at": post_at,
                "date_created": int(time.time()),
                "text": message["text"],
            }
        return {
            "ok": True,
            "channel": channel,
            "scheduled_message_id": scheduled_id,
            "post_at": post_at,
            "message": message,
        }

    def _delete_scheduled(self, params: Payload) -> Payload:
        with self._cond:
            self._scheduled.pop(str(params.get("scheduled_message_id")), None)
        return {"ok": True}

    def _list_scheduled(self, params: Payload) -> Payload:
        return {
            "ok": True,
            "scheduled_messages": self.scheduled_messages(),
            "response_metadata": {"next_cursor": ""},
        }

    def _permalink(self, params: Payload) -> Payload:
        channel = str(params.get("channel", ""))
        ts = str(params.get("message_ts", "")).replace(".", "")
        return {"ok": True, "channel": channel, "permalink": f"{WORKSPACE_URL}archives/{channel}/p{ts}"}

    def _auth_test(self, params: Payload) -> Payload:
        return {
            "ok": True,
            "url": WORKSPACE_URL,
            "team": TEAM_NAME,
            "user": "casebot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _user_object(self, user: _User, *, include_locale: bool) -> Payload:
        real_name = user.real_name or user.name
        try:
            offset = datetime.now(ZoneInfo(user.tz)).utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        except (ZoneInfoNotFoundError, ValueError):
            tz_offset = 0
        profile: Payload = {"real_name": real_name, "display_name": user.name, "team": TEAM_ID}
        if user.email:
            profile["email"] = user.email
        obj: Payload = {
            "id": user.id,
            "team_id": TEAM_ID,
            "name": user.name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "tz": user.tz,
            "tz_label": user.tz,
            "tz_offset": tz_offset,
            "profile": profile,
        }
        # Like real Slack, the locale is only present when the caller asked for it with include_locale.
        if include_locale:
            obj["locale"] = user.locale
        obj.update(user.extra)
        return obj

    def _users_info(self, params: Payload) -> Payload:
        user = self._user(str(params.get("user", "")))
        return {
            "ok": True,
            "user": self._user_object(user, include_locale=_truthy(params.get("include_locale"))),
        }

    def _lookup_by_email(self, params: Payload) -> Payload:
        email_address = str(params.get("email", ""))
        with self._cond:
            user = next((u for u in self._users.values() if u.email == email_address), None)
        if user is None:
            # Synthesize a stable user so lookups succeed by default; fail(..., status=200) tests not-found.
            user_id = "U" + hashlib.sha1(email_address.encode()).hexdigest()[:8].upper()
            user = _User(id=user_id, name=email_address.split("@")[0] or user_id.lower(), email=email_address)
        return {"ok": True, "user": self._user_object(user, include_locale=False)}

    def _conversations_open(self, params: Payload) -> Payload:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        # A DM's id is derived from the user so tests can predict it; group DMs get a G id.
        channel_id = "D" + users[0] if len(users) == 1 else "G" + "".join(sorted(users))[:16]
        return {"ok": True, "channel": {"id": channel_id}}

    def _channel(self, channel_id: str) -> _Channel:
        with self._cond:
            known = self._channels.get(channel_id)
        if known is not None:
            return known
        if channel_id.startswith("D"):
            return _Channel(id=channel_id, name=channel_id, members=[channel_id[1:], BOT_USER_ID])
        return _Channel(
            id=channel_id,
            name=f"channel-{channel_id.lower()}",
            members=[BOT_USER_ID],
            is_private=channel_id.startswith("G"),
        )

    def _conversations_info(self, params: Payload) -> Payload:
        channel = self._channel(str(params.get("channel", "")))
        is_im = channel.id.startswith("D")
        info: Payload = {
            "id": channel.id,
            "name": channel.name,
            "created": self._ts_base,
            "is_channel": not is_im and not channel.is_private,
            "is_group": channel.is_private,
            "is_im": is_im,
            "is_private": channel.is_private or is_im,
            "is_archived": False,
            "is_member": True,
            "context_team_id": TEAM_ID,
        }
        if is_im:
            info["user"] = channel.id[1:]
        else:
            info["num_members"] = len(channel.members)
        info.update(channel.extra)
        return {"ok": True, "channel": info}

    def _conversations_members(self, params: Payload) -> Payload:
        channel = self._channel(str(params.get("channel", "")))
        return {"ok": True, "members": list(channel.members), "response_metadata": {"next_cursor": ""}}

    def _view_response(self, params: Payload, *, api: str) -> Payload:
        submitted = params.get("view")
        if not isinstance(submitted, dict):
            return {"ok": False, "error": "invalid_arguments"}
        with self._cond:
            previous: Payload | None = None
            if api == "update":
                view_id = params.get("view_id")
                if view_id is None and params.get("external_id"):
                    view_id = next(
                        (
                            v["id"]
                            for v in self._views.values()
                            if v.get("external_id") == params["external_id"]
                        ),
                        None,
                    )
                if view_id is None:
                    return {"ok": False, "error": "not_found"}
                previous = self._views.get(str(view_id))
            elif api == "publish":
                view_id = self._home_views.get(str(params.get("user_id", "")))
                previous = self._views.get(view_id) if view_id else None
            else:
                view_id = None
            if view_id is None:
                view_id = f"V{next(self._view_counter):06d}"
            root = previous["root_view_id"] if previous else view_id
            view: Payload = {
                "id": view_id,
                "team_id": TEAM_ID,
                "type": submitted.get("type", "modal"),
                "blocks": [],
                "private_metadata": "",
                "callback_id": "",
                "external_id": "",
                "state": {"values": {}},
                "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
                "clear_on_close": False,
                "notify_on_close": False,
                "root_view_id": root,
                "previous_view_id": None,
                "app_id": APP_ID,
                "app_installed_team_id": TEAM_ID,
                "bot_id": BOT_ID,
            }
            view.update(submitted)
            view["id"] = view_id
            if api == "push":
                view["root_view_id"] = self._root_for_push(params)
            self._views[view_id] = view
            if api == "publish":
                self._home_views[str(params.get("user_id", ""))] = view_id
        return {"ok": True, "view": view}

    def _root_for_push(self, params: Payload) -> str | None:
        # A pushed view has no link to its parent in the request; the newest modal is the best guess.
        modals = [v for v in self._views.values() if v.get("type") == "modal"]
        return str(modals[-1]["root_view_id"]) if modals else None


def _failure_response(failure: _Failure) -> tuple[int, Payload, dict[str, str]]:
    headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
    return failure.status, {"ok": False, "error": failure.error}, headers


def _bearer_token(headers: dict[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


_CANNED: dict[str, Callable[[FakeSlack, Payload], Payload]] = {
    "auth.test": FakeSlack._auth_test,
    "users.info": FakeSlack._users_info,
    "users.lookupByEmail": FakeSlack._lookup_by_email,
    "conversations.open": FakeSlack._conversations_open,
    "conversations.info": FakeSlack._conversations_info,
    "conversations.members": FakeSlack._conversations_members,
    "chat.postMessage": FakeSlack._post_message,
    "chat.postEphemeral": FakeSlack._post_ephemeral,
    "chat.update": FakeSlack._update,
    "chat.delete": FakeSlack._delete,
    "chat.scheduleMessage": FakeSlack._schedule,
    "chat.deleteScheduledMessage": FakeSlack._delete_scheduled,
    "chat.scheduledMessages.list": FakeSlack._list_scheduled,
    "chat.getPermalink": FakeSlack._permalink,
    "views.open": lambda fake, params: fake._view_response(params, api="open"),
    "views.push": lambda fake, params: fake._view_response(params, api="push"),
    "views.update": lambda fake, params: fake._view_response(params, api="update"),
    "views.publish": lambda fake, params: fake._view_response(params, api="publish"),
}


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    """Build a request handler class bound to ``fake`` (http.server instantiates it per request)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeSlack/1.0"

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def log_message(self, *args: Any) -> None:
            """Silence per-request logging; the recorded calls are the log."""

        def _dispatch(self) -> None:
            try:
                parts = urlsplit(self.path)
                headers = dict(self.headers.items())
                params = self._params(parts.query)
                if parts.path.startswith("/api/"):
                    call = Call(parts.path[len("/api/") :], params, headers, time.time(), parts.path)
                    fake._record(call)
                    status, body, extra = fake._handle(call.method, params, headers)
                    fake._notify(call, status, body)
                elif parts.path.startswith("/response_url/"):
                    call = Call("response_url", params, headers, time.time(), parts.path)
                    fake._record(call)
                    status, body, extra = fake._handle_response_url(params)
                    fake._notify(call, status, body)
                else:
                    fake._record(Call(parts.path, params, headers, time.time(), parts.path))
                    status, body, extra = 404, {"ok": False, "error": "unknown_path"}, {}
            except Exception as exc:  # answer instead of dropping the connection so the client sees why
                status, body, extra = 500, {"ok": False, "error": f"fake_slack_error: {exc!r}"}, {}
            self._send(status, body, extra)

        def _params(self, query: str) -> Payload:
            params: Payload = dict(parse_qsl(query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if raw:
                if "json" in content_type:
                    decoded = json.loads(raw.decode("utf-8"))
                    params.update(decoded if isinstance(decoded, dict) else {"_json": decoded})
                elif content_type.startswith("multipart/form-data"):
                    params.update(_parse_multipart(content_type, raw))
                else:
                    params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            return _decode_values(params)

        def _send(self, status: int, body: Payload | str, extra: dict[str, str]) -> None:
            if isinstance(body, str):
                data, content_type = body.encode("utf-8"), "text/html; charset=utf-8"
            else:
                data, content_type = json.dumps(body).encode("utf-8"), "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
