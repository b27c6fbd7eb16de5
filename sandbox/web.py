"""The sandbox's web page and its JSON API: the browser plays the Slack client.

The page (sandbox/static) asks this API to run a command, click a button or submit a modal; the API turns
that into the signed request Slack would send (sandbox/slack/requests.py) and posts it to the bot's own
``/slack/events`` endpoint on the same server, so the bot's signature check, Bolt's routing and every
handler run exactly as with Slack. What the bot then calls on the Web API lands in the workspace
(sandbox/workspace.py), which the page polls.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from models.clock import SYSTEM_CLOCK, MovableClock
from models.clock import Clock as BaseClock
from models.services.calendar import WorkCalendar
from sandbox.slack import requests as slack
from sandbox.slack.server import BOT_USER_ID, FakeSlack
from sandbox.workspace import Message, Reply, Workspace

log = logging.getLogger("casebot.sandbox")

Payload = dict[str, Any]
STATIC = Path(__file__).parent / "static"
COMMAND = "/case"
MAX_BODY = 1_000_000
MAX_ADVANCE = timedelta(days=366)


class Clock(MovableClock):
    """The sandbox's time: real time plus how far the user moved it. Moving it runs the scheduler's work
    as of the new time, so nudges, digests and conference reminders can be watched arriving."""

    def __init__(self, calendar: WorkCalendar, base: BaseClock = SYSTEM_CLOCK) -> None:
        super().__init__(base=base)
        self.calendar = calendar

    def next_working_morning(self) -> datetime:
        """Half an hour into the next working day (today's, if it has not begun yet)."""
        local = self.now().astimezone(self.calendar.zone)
        if local.hour >= self.calendar.start_hour:  # today's morning is past: look from midnight on
            local = datetime.combine(
                local.date() + timedelta(days=1), datetime.min.time(), self.calendar.zone
            )
        start = self.calendar.next_working_start(local)
        return (start + timedelta(minutes=30)).astimezone(UTC)

    def as_json(self) -> Payload:
        return {
            "now": self.now().astimezone(self.calendar.zone).isoformat(timespec="minutes"),
            "offset_days": round(self.offset.total_seconds() / 86400, 3),
            "offset_hours": round(self.offset.total_seconds() / 3600, 2),
        }


class PageError(Exception):
    """A request the page should not have made; answered with 400 and the reason."""


@dataclass
class Sandbox:
    workspace: Workspace
    slack: FakeSlack
    signing_secret: str
    clock: Clock
    # Runs the scheduler's work as of a time and reports what it did (scheduler.jobs.run_due).
    catch_up: Callable[[datetime], list[str]]
    events_url: str = ""  # the bot's /slack/events on this same server, known once it is bound
    allowed_hosts: frozenset[str] = frozenset()
    # One catch-up at a time: a clock jump and the minute's tick would only split the same work.
    _scheduler: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
        if self.allowed_hosts and environ.get("HTTP_HOST") not in self.allowed_hosts:
            # A page on another site could point a name it controls at 127.0.0.1 (DNS rebinding).
            return _respond(start_response, "421 Misdirected Request", {"ok": False, "error": "unknown host"})
        if method == "GET" and path in ("/", "/index.html"):
            return _file(start_response, STATIC / "index.html")
        if method == "GET" and path.startswith("/static/"):
            return _file(start_response, STATIC / Path(path).name)
        route = _ROUTES.get((method, path))
        if route is None:
            return _respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})
        try:
            if method == "POST":
                # Only JSON: a form on another site cannot send it without a CORS preflight we never answer.
                if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
                    raise PageError("expected application/json")
                length = int(environ.get("CONTENT_LENGTH") or 0)
                if length > MAX_BODY:
                    raise PageError("request too large")
                data = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(data, dict):
                    raise PageError("expected a JSON object")
            else:
                data = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            return _respond(start_response, "200 OK", route(self, data))
        except (PageError, ValueError, KeyError, TypeError) as exc:
            return _respond(start_response, "400 Bad Request", {"ok": False, "error": str(exc)})

    # ------------------------------------------------------------------ API

    def session(self, data: Payload) -> Payload:
        return {
            "users": [p.as_json() for p in self.workspace.people.values()],
            "bot": {"id": BOT_USER_ID, "name": "Casebot"},
            "clock": self.clock.as_json(),
            "command": COMMAND,
        }

    def state(self, data: Payload) -> Payload:
        user = self._user(data)
        since = int(data["since"]) if data.get("since") not in (None, "") else None
        shown = self.workspace.state(user, since)
        shown["clock"] = self.clock.as_json()
        return shown

    def command(self, data: Payload) -> Payload:
        user, channel = self._user(data), self._conversation(data)
        name, _, text = str(data.get("text", "")).strip().partition(" ")
        if name != COMMAND:
            raise PageError(f"the sandbox understands {COMMAND} commands only")
        request = slack.slash_command(
            self.signing_secret,
            command=COMMAND,
            text=text.strip(),
            user_id=user,
            channel_id=channel,
            trigger_id=self.workspace.new_trigger(user),
            response_url=self._reply_url(Reply(user, channel)),
        )
        status, body = self._send(request)
        if status == 200 and body:
            answer = _json_or_text(body)
            self.workspace.add_ephemeral(user, channel, str(answer.get("text", "")), answer.get("blocks"))
        elif status != 200:
            self._failed(user, channel, status)
        return {"ok": True, "status": status}

    def action(self, data: Payload) -> Payload:
        user, action, container = self._user(data), data["action"], data["container"]
        if not isinstance(action, dict) or not action.get("action_id"):
            raise PageError("an action needs an action_id")
        trigger = self.workspace.new_trigger(user)
        if container.get("type") == "view":
            view = self.workspace.view(user, str(container.get("view_id")))
            if view is None:
                raise PageError("that view is no longer open")
            view["state"] = {"values": data.get("values") or {}}
            request = slack.block_actions(
                self.signing_secret, user_id=user, actions=[action], view=view, trigger_id=trigger
            )
        else:
            channel = self._conversation({"user": user, "channel": container.get("channel")})
            ts = str(container.get("ts"))
            message = self._message(channel, ts)
            request = slack.block_actions(
                self.signing_secret,
                user_id=user,
                actions=[action],
                channel_id=channel,
                message={"ts": ts, "text": message.text, "blocks": message.blocks or []},
                container={
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": message.for_user is not None,
                },
                trigger_id=trigger,
                response_url=self._reply_url(Reply(user, channel, ts)),
            )
        status, _ = self._send(request)
        return {"ok": True, "status": status}

    def submit(self, data: Payload) -> Payload:
        user, view_id = self._user(data), str(data.get("view_id"))
        view = self.workspace.top_view(user, view_id)
        if view is None:
            raise PageError("that modal is no longer open")
        values = data.get("values") or {}
        if not isinstance(values, dict):
            raise PageError("values must be an object")
        kept = ("blocks", "title", "submit", "close", "notify_on_close", "clear_on_close", "external_id")
        request = slack.view_submission(
            self.signing_secret,
            user_id=user,
            callback_id=str(view.get("callback_id", "")),
            state_values=values,
            private_metadata=str(view.get("private_metadata", "")),
            view_id=view_id,
            view_hash=view.get("hash"),
            trigger_id=self.workspace.new_trigger(user),
            **{key: view[key] for key in kept if key in view},
        )
        status, body = self._send(request)
        if status != 200:
            # Slack keeps the modal open and says it could not reach the app; so does the sandbox.
            return {"ok": False, "status": status, "error": f"Casebot answered HTTP {status}"}
        answer = _json_or_text(body) if body else {}
        self.workspace.answer_submission(user, view_id, answer)
        return {
            "ok": True,
            "response_action": answer.get("response_action"),
            "errors": answer.get("errors") or {},
        }

    def close(self, data: Payload) -> Payload:
        user = self._user(data)
        closed = self.workspace.close(user, str(data.get("view_id")))
        if closed is not None and closed.get("notify_on_close"):
            self._send(slack.view_closed(self.signing_secret, user_id=user, view=closed))
        return {"ok": True}

    def home(self, data: Payload) -> Payload:
        user = self._user(data)
        opened: Payload = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.workspace.people[user].dm,
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        current = self.workspace.state(user).get("home")
        if current:
            opened["view"] = current
        status, _ = self._send(slack.event(self.signing_secret, event=opened))
        return {"ok": True, "status": status}

    def shortcut(self, data: Payload) -> Payload:
        user, channel = self._user(data), self._conversation(data)
        ts = str(data.get("ts"))
        message = self._message(channel, ts)
        request = slack.message_shortcut(
            self.signing_secret,
            user_id=user,
            callback_id=str(data.get("callback_id")),
            message={"ts": ts, "text": message.text, "user": BOT_USER_ID},
            channel_id=channel,
            trigger_id=self.workspace.new_trigger(user),
            response_url=self._reply_url(Reply(user, channel)),
        )
        status, _ = self._send(request)
        return {"ok": True, "status": status}

    def move_clock(self, data: Payload) -> Payload:
        if data.get("to") == "next_working_morning":
            target = self.clock.next_working_morning()
        else:
            step = timedelta(days=float(data.get("days") or 0), hours=float(data.get("hours") or 0))
            if step <= timedelta(0) or step > MAX_ADVANCE:
                raise PageError("the clock moves forward only, by up to a year at a time")
            target = self.clock.now() + step
        with self._scheduler:
            self.clock.move_to(target)
            report = self.catch_up(self.clock.now())
        log.info("sandbox clock moved to %s: %s", self.clock.as_json()["now"], "; ".join(report))
        return {"ok": True, "clock": self.clock.as_json(), "report": report}

    def tick(self) -> list[str]:
        """The scheduler's every-minute work, at the sandbox's time."""
        with self._scheduler:
            return self.catch_up(self.clock.now())

    # ------------------------------------------------------------------ helpers

    def _user(self, data: Payload) -> str:
        user = str(data.get("user", ""))
        if user not in self.workspace.people:
            raise PageError(f"unknown sandbox user {user!r}")
        return user

    def _conversation(self, data: Payload) -> str:
        channel = str(data.get("channel", ""))
        if channel not in {c["id"] for c in self.workspace.conversations(self._user(data))}:
            raise PageError("that user is not in that conversation")
        return channel

    def _message(self, channel: str, ts: str) -> Message:
        message = self.workspace.message(channel, ts)
        if message is None:
            raise PageError("that message is gone")
        return message

    def _reply_url(self, reply: Reply) -> str:
        return self.slack.response_url(self.workspace.new_reply(reply))

    def _send(self, request: slack.SignedRequest) -> tuple[int, str]:
        status, _, body = slack.post(self.events_url, request.body, request.headers, timeout=30)
        return status, body

    def _failed(self, user: str, channel: str, status: int) -> None:
        # What Slack itself shows when an app does not answer a command properly.
        self.workspace.add_ephemeral(
            user, channel, f"{COMMAND} 명령이 실패했습니다 / {COMMAND} failed (HTTP {status})"
        )


_ROUTES: dict[tuple[str, str], Callable[[Sandbox, Payload], Payload]] = {
    ("GET", "/api/session"): Sandbox.session,
    ("GET", "/api/state"): Sandbox.state,
    ("POST", "/api/command"): Sandbox.command,
    ("POST", "/api/action"): Sandbox.action,
    ("POST", "/api/submit"): Sandbox.submit,
    ("POST", "/api/close"): Sandbox.close,
    ("POST", "/api/home"): Sandbox.home,
    ("POST", "/api/shortcut"): Sandbox.shortcut,
    ("POST", "/api/clock"): Sandbox.move_clock,
}


def _json_or_text(body: str) -> Payload:
    try:
        decoded = json.loads(body)
    except ValueError:
        return {"text": body}
    return decoded if isinstance(decoded, dict) else {"text": body}


def _respond(start_response: Callable, status: str, payload: Payload) -> list[bytes]:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [data]


def _file(start_response: Callable, path: Path) -> list[bytes]:
    if not path.is_file():
        return _respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})
    data = path.read_bytes()
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    start_response(
        "200 OK",
        [
            (
                "Content-Type",
                f"{kind}; charset=utf-8" if kind.startswith("text/") or "javascript" in kind else kind,
            ),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-cache"),
            ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self'"),
        ],
    )
    return [data]
