"""The sandbox's web page and its JSON API: the browser plays the Slack client.

The page (sandbox/static) asks this API to run a command, click a button or submit a modal; the API turns
that into the signed request Slack would send (sandbox/slack/requests.py) and posts it to the bot's own
``/slack/events`` endpoint on the same server, so the bot's signature check, Bolt's routing and every
handler run exactly as with Slack. What the bot then calls on the Web API lands in the workspace
(sandbox/workspace.py), which the page polls.
"""

from __future__ import annotations

import itertools
import json
import logging
import mimetypes
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bot.i18n import locale_from_slack, t
from models.clock import SYSTEM_CLOCK, MovableClock
from models.clock import Clock as BaseClock
from models.services.calendar import WorkCalendar
from sandbox.slack import requests as slack
from sandbox.slack.server import BOT_USER_ID, FakeSlack
from sandbox.story import Story
from sandbox.workspace import Message, Person, Reply, Workspace

log = logging.getLogger("casebot.sandbox")

Payload = dict[str, Any]
STATIC = Path(__file__).parent / "static"
COMMAND = "/case"
MAX_BODY = 1_000_000
MAX_ADVANCE = timedelta(days=366)
# A page's /api/state may wait this long for a change (a long poll), so what the bot does shows at once;
# no more than MAX_WAITING at a time, so the server's threads stay free for the bot's own requests.
MAX_WAIT_SECONDS = 20.0
MAX_WAITING = 3


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
            # One number, in one unit: the page shows it as days, hours and minutes.
            "offset_minutes": round(self.offset.total_seconds() / 60),
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
    story: Story | None = None  # where the clock's offset is kept across restarts
    # One catch-up at a time: a clock jump and the minute's tick would only split the same work.
    _scheduler: threading.Lock = field(default_factory=threading.Lock)
    _waiting: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(MAX_WAITING)
    )
    # The newest long poll of each open page: an older one still waiting (the page gave up on it, its
    # user did something) stops waiting and frees its thread.
    _polls: dict[str, int] = field(default_factory=dict)
    _poll_numbers: Iterator[int] = field(default_factory=itertools.count)

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
        wait = min(float(data.get("wait") or 0), MAX_WAIT_SECONDS)
        waited = False
        if since is not None and wait > 0:
            page, number = str(data.get("page") or user), next(self._poll_numbers)
            self._polls[page] = number
            self.workspace.wake()  # this page's earlier poll, if it still waits, gives way
            if self._waiting.acquire(blocking=False):
                try:
                    waited = True
                    self.workspace.wait_for_change(since, wait, lambda: self._polls.get(page) != number)
                finally:
                    self._waiting.release()
        shown = self.workspace.state(user, since)
        shown["waited"] = waited  # False: the page should not ask again at once
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
            error = t("sandbox.submit_failed", self._locale(user), status=status)
            return {"ok": False, "status": status, "error": error}
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
        locale = self._locale(str(data["user"])) if data.get("user") in self.workspace.people else "ko"
        if data.get("to") == "next_working_morning":
            target = self.clock.next_working_morning()
        else:
            step = timedelta(days=float(data.get("days") or 0), hours=float(data.get("hours") or 0))
            if step <= timedelta(0) or step > MAX_ADVANCE:
                raise PageError(t("sandbox.clock.forward_only", locale))
            target = self.clock.now() + step
        with self._scheduler:
            self.clock.move_to(target)
            if self.story is not None:
                self.story.save_offset(self.clock.offset)
            mark = self.workspace.activity()
            now = self.clock.now()
            lines = self.catch_up(now)
            report = describe(
                self.workspace.posted_since(mark),
                self.clock.calendar.is_working_time(now),
                self.workspace.people,
                {c.id: c.name for c in self.workspace.channels.values()},
                locale,
            )
        self.workspace.touch()  # other open pages show the new time at once
        log.info("sandbox clock moved to %s: %s", self.clock.as_json()["now"], "; ".join(lines))
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

    def _locale(self, user: str) -> str:
        return locale_from_slack(self.workspace.people[user].locale)

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
        text = t("sandbox.command_failed", self._locale(user), command=COMMAND, status=status)
        self.workspace.add_ephemeral(user, channel, text)


def describe(
    posted: list[tuple[str, str]],
    working_time: bool,
    people: dict[str, Person],
    channels: dict[str, str],
    locale: str,
) -> list[str]:
    """What a clock move brought, as a case manager would say it: who got how many messages, which team
    channels got new or refreshed posts. ``posted`` is (Web API method, conversation) per post or update."""
    if not working_time and not posted:
        return [t("sandbox.report.outside_hours", locale)]
    if not posted:
        return [t("sandbox.report.nothing", locale)]
    dms = Counter(c for method, c in posted if method == "chat.postMessage" and c.startswith("D"))
    lines, others, other_count = [], set(), 0
    for channel, count in dms.items():
        person = people.get(channel[1:])
        if person is None:
            others.add(channel)
            other_count += count
        else:
            lines.append(t("sandbox.report.dm", locale, name=person.name, count=count))
    if others:
        lines.append(t("sandbox.report.dm_others", locale, people=len(others), count=other_count))
    for channel, name in channels.items():
        new = sum(1 for method, c in posted if c == channel and method == "chat.postMessage")
        changed = sum(1 for method, c in posted if c == channel and method == "chat.update")
        if new:
            lines.append(t("sandbox.report.channel_posts", locale, channel=name, count=new))
        if changed:
            lines.append(t("sandbox.report.channel_updates", locale, channel=name, count=changed))
    return lines or [t("sandbox.report.nothing", locale)]


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
