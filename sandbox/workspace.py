"""What the sandbox's Slack client shows: conversations, messages, modal stacks and App Home tabs.

The workspace follows the calls the bot makes to the local Slack stand-in (``FakeSlack.subscribe``), the
way Slack's own servers turn ``chat.postMessage`` into a message in a channel or ``views.open`` into a
modal on someone's screen. It holds no Casebot logic: everything it shows came from the bot through the
Web API, so the sandbox shows exactly what staff would see in Slack.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sandbox.slack.server import BOT_USER_ID, Call

Payload = dict[str, Any]


@dataclass(frozen=True)
class Person:
    """One of the sandbox's users, as the user switcher shows them."""

    slack_user_id: str
    name: str
    role: str
    persona_ko: str
    persona_en: str
    team: str
    locale: str

    @property
    def dm(self) -> str:
        return "D" + self.slack_user_id

    def as_json(self) -> Payload:
        return {
            "id": self.slack_user_id,
            "name": self.name,
            "role": self.role,
            "persona": {"ko": self.persona_ko, "en": self.persona_en},
            "team": self.team,
            "locale": self.locale,
        }


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    members: frozenset[str]


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Payload] | None
    for_user: str | None = None  # an ephemeral message is seen by this user only
    edited: bool = False

    def as_json(self) -> Payload:
        shown: Payload = {
            "ts": self.ts,
            "user": BOT_USER_ID,
            "text": self.text,
            "ephemeral": self.for_user is not None,
            "edited": self.edited,
        }
        if self.blocks:
            shown["blocks"] = self.blocks
        return shown


@dataclass(frozen=True)
class Reply:
    """Where a ``response_url`` answer lands: the user who acted, in which conversation, about which
    message (None for a slash command)."""

    user: str
    channel: str
    message_ts: str | None = None


class Keeper(Protocol):
    """Where messages are kept across restarts (sandbox/story.py)."""

    def save(self, message: Message) -> None: ...

    def delete(self, message: Message) -> None: ...


@dataclass
class _Screen:
    modals: list[Payload] = field(default_factory=list)
    home: Payload | None = None


class Workspace:
    """Thread-safe: the stand-in's request threads write, the web page's requests read.

    ``messages`` are those kept from before a restart, ``keeper`` keeps each change from now on, and
    ``stamp`` gives the timestamps of the messages the workspace itself adds (the sandbox's time).
    """

    def __init__(
        self,
        people: list[Person],
        channels: list[Channel],
        *,
        messages: list[Message] | None = None,
        keeper: Keeper | None = None,
        stamp: Callable[[], str] | None = None,
    ) -> None:
        self.people = {p.slack_user_id: p for p in people}
        self.channels = {c.id: c for c in channels}
        self._lock = threading.Condition()
        # Not 0: a page that polled the server before a restart must not take the new one's first
        # versions for ones it has already seen.
        self._version = int(time.time() * 1000)
        self._messages: dict[str, list[Message]] = {}
        for message in messages or []:
            self._messages.setdefault(message.channel, []).append(message)
        self._keeper = keeper
        self._stamp = stamp
        self._log: list[tuple[str, str]] = []  # (method, conversation) of the bot's posts and updates
        self._screens: dict[str, _Screen] = {p: _Screen() for p in self.people}
        self._triggers: dict[str, str] = {}
        self._replies: dict[str, Reply] = {}
        self._ids = itertools.count(1)
        self._ts_base = int(time.time())

    # ------------------------------------------------------------------ ids the page's requests carry

    def new_trigger(self, user: str) -> str:
        """A trigger id for a request the user makes; views opened with it go on the user's screen."""
        trigger = f"{int(time.time())}.{next(self._ids)}.sandbox"
        with self._lock:
            self._triggers[trigger] = user
        return trigger

    def new_reply(self, reply: Reply) -> str:
        """An id for a response_url whose answers land where ``reply`` says."""
        reply_id = f"r{next(self._ids)}"
        with self._lock:
            self._replies[reply_id] = reply
        return reply_id

    def _local_ts(self) -> str:
        if self._stamp is not None:
            return self._stamp()
        return f"{self._ts_base}.{900000 + next(self._ids):06d}"

    # ------------------------------------------------------------------ following the bot's calls

    def observe(self, call: Call, body: Payload) -> None:
        """``FakeSlack`` listener: apply one successful Web API call (or response_url post)."""
        handler = _OBSERVERS.get(call.method)
        if handler is None:
            return
        with self._lock:
            if handler(self, call.params, body, call.path) is not False:
                self._changed()

    def _changed(self) -> None:
        self._version += 1
        self._lock.notify_all()

    def _post(self, params: Payload, body: Payload, path: str) -> None:
        channel = str(body.get("channel"))
        self._append(Message(channel, str(body["ts"]), _text(params), _blocks(params)))
        self._log.append(("chat.postMessage", channel))

    def _post_ephemeral(self, params: Payload, body: Payload, path: str) -> None:
        channel, user = str(body.get("channel")), str(params.get("user"))
        self._append(Message(channel, str(body["message_ts"]), _text(params), _blocks(params), user))

    def _update(self, params: Payload, body: Payload, path: str) -> bool:
        message = self._find(str(params.get("channel")), str(params.get("ts")))
        if message is None:
            return False
        message.text, message.blocks, message.edited = _text(params), _blocks(params), True
        self._keep(message)
        self._log.append(("chat.update", message.channel))
        return True

    def _delete(self, params: Payload, body: Payload, path: str) -> bool:
        message = self._find(str(params.get("channel")), str(params.get("ts")))
        if message is None:
            return False
        self._remove(message)
        return True

    def _response_url(self, params: Payload, body: Payload, path: str) -> bool:
        reply = self._replies.get(path.rsplit("/", 1)[-1])
        if reply is None:
            return False
        original = self._find(reply.channel, reply.message_ts) if reply.message_ts else None
        if original is not None and _truthy(params.get("delete_original")):
            self._remove(original)
            return True
        if original is not None and _truthy(params.get("replace_original")):
            original.text, original.blocks, original.edited = _text(params), _blocks(params), True
            self._keep(original)
            return True
        public = params.get("response_type") == "in_channel"
        self._append(
            Message(
                reply.channel,
                self._local_ts(),
                _text(params),
                _blocks(params),
                None if public else reply.user,
            )
        )
        return True

    def _views_open(self, params: Payload, body: Payload, path: str) -> bool:
        user = self._triggers.get(str(params.get("trigger_id")))
        if user not in self._screens:
            return False
        self._screens[user].modals = [body["view"]]
        return True

    def _views_push(self, params: Payload, body: Payload, path: str) -> bool:
        user = self._triggers.get(str(params.get("trigger_id")))
        if user not in self._screens:
            return False
        self._screens[user].modals.append(body["view"])
        return True

    def _views_update(self, params: Payload, body: Payload, path: str) -> bool:
        view = body["view"]
        for screen in self._screens.values():
            if screen.home is not None and screen.home["id"] == view["id"]:
                screen.home = view
                return True
            for index, shown in enumerate(screen.modals):
                if shown["id"] == view["id"]:
                    screen.modals[index] = view
                    return True
        return False  # the user closed that modal already: Slack would refuse, nothing to show

    def _views_publish(self, params: Payload, body: Payload, path: str) -> bool:
        screen = self._screens.get(str(params.get("user_id")))
        if screen is None:
            return False
        screen.home = body["view"]
        return True

    def _append(self, message: Message) -> None:
        self._messages.setdefault(message.channel, []).append(message)
        self._keep(message)

    def _remove(self, message: Message) -> None:
        self._messages[message.channel].remove(message)
        if self._keeper is not None:
            self._keeper.delete(message)

    def _keep(self, message: Message) -> None:
        if self._keeper is not None:
            self._keeper.save(message)

    def _find(self, channel: str, ts: str | None) -> Message | None:
        return next((m for m in self._messages.get(channel, []) if m.ts == ts), None)

    # ------------------------------------------------------------------ the page's side

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            return self._find(channel, ts)

    def top_view(self, user: str, view_id: str) -> Payload | None:
        """The user's top modal, if it is ``view_id`` (a stale page can't act on a view it no longer has)."""
        with self._lock:
            modals = self._screens[user].modals
            return dict(modals[-1]) if modals and modals[-1]["id"] == view_id else None

    def view(self, user: str, view_id: str) -> Payload | None:
        with self._lock:
            screen = self._screens[user]
            views = [*screen.modals, *([screen.home] if screen.home else [])]
            return next((dict(v) for v in views if v["id"] == view_id), None)

    def answer_submission(self, user: str, view_id: str, response: Payload) -> None:
        """Apply what the bot answered a view submission with, as Slack does to the modal stack."""
        action = response.get("response_action")
        with self._lock:
            modals = self._screens[user].modals
            if not modals or modals[-1]["id"] != view_id or action == "errors":
                return
            if action == "update":
                modals[-1] = {**response["view"], "id": view_id, "hash": f"h{next(self._ids)}"}
            elif action == "push":
                modals.append({**response["view"], "id": f"VS{next(self._ids):05d}", "hash": "h0"})
            elif action == "clear":
                modals.clear()
            else:
                modals.pop()  # an empty answer closes the view that was submitted
            self._changed()

    def close(self, user: str, view_id: str) -> Payload | None:
        """The user closed the top modal; returns it (the bot may want a ``view_closed``)."""
        with self._lock:
            modals = self._screens[user].modals
            if not modals or modals[-1]["id"] != view_id:
                return None
            closed = modals.pop()
            self._changed()
            return closed

    def add_ephemeral(self, user: str, channel: str, text: str, blocks: list[Payload] | None = None) -> None:
        """A command's immediate answer (the ack's body) or the sandbox's own note, for one user."""
        with self._lock:
            self._append(Message(channel, self._local_ts(), text, blocks, user))
            self._changed()

    def conversations(self, user: str) -> list[Payload]:
        person = self.people[user]
        shown = [
            {"id": c.id, "name": c.name, "kind": "channel"}
            for c in self.channels.values()
            if user in c.members
        ]
        shown.append({"id": person.dm, "name": "Casebot", "kind": "dm"})
        return shown

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def touch(self) -> None:
        """Something the page shows besides the workspace changed (the clock): pages waiting ask again."""
        with self._lock:
            self._changed()

    def wait_for_change(
        self, since: int, timeout: float, given_up: Callable[[], bool] = lambda: False
    ) -> bool:
        """Return once the version is no longer ``since`` (True), or after ``timeout`` seconds or once
        ``given_up()`` holds after a ``wake`` (False): a long poll, so the page learns of a new message or
        modal as soon as the bot's call lands."""
        with self._lock:
            self._lock.wait_for(lambda: self._version != since or given_up(), timeout)
            return self._version != since

    def wake(self) -> None:
        """Let waiting polls look at ``given_up`` again."""
        with self._lock:
            self._lock.notify_all()

    def activity(self) -> int:
        """A mark in the log of posts and updates (see ``posted_since``)."""
        with self._lock:
            return len(self._log)

    def posted_since(self, mark: int) -> list[tuple[str, str]]:
        """(Web API method, conversation) of each ``chat.postMessage`` and ``chat.update`` since ``mark``."""
        with self._lock:
            return list(self._log[mark:])

    def state(self, user: str, since: int | None = None) -> Payload:
        """What ``user``'s Slack client shows now; just the version if nothing changed since ``since``."""
        with self._lock:
            if since is not None and since == self._version:
                return {"version": self._version, "changed": False}
            conversations = self.conversations(user)
            visible = {c["id"] for c in conversations}
            messages = {
                channel: [m.as_json() for m in listed if m.for_user in (None, user)]
                for channel, listed in self._messages.items()
                if channel in visible
            }
            screen = self._screens[user]
            return {
                "version": self._version,
                "changed": True,
                "conversations": conversations,
                "messages": messages,
                "home": screen.home,
                "modals": list(screen.modals),
            }


def _text(params: Payload) -> str:
    return str(params.get("text") or "")


def _blocks(params: Payload) -> list[Payload] | None:
    blocks = params.get("blocks")
    return blocks if isinstance(blocks, list) else None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


_OBSERVERS = {
    "chat.postMessage": Workspace._post,
    "chat.postEphemeral": Workspace._post_ephemeral,
    "chat.update": Workspace._update,
    "chat.delete": Workspace._delete,
    "response_url": Workspace._response_url,
    "views.open": Workspace._views_open,
    "views.push": Workspace._views_push,
    "views.update": Workspace._views_update,
    "views.publish": Workspace._views_publish,
}
