"""How every listener is wired: Bolt's documented ack model, dependencies by closure, one error path.

The app runs with `process_before_response=True`. A listener has an *ack* function, which runs in the
request's thread and whose `ack(...)` is the HTTP answer Slack gets (field errors of a modal, an answer
that needs no data), and *lazy* functions, which Bolt starts on the app's `listener_executor` once the
ack function has returned (modals, answers that read the database, messages). Nothing of Bolt is patched.

Bolt hands a lazy function a deep copy of the request's context and drops what cannot be copied, so the
app's dependencies (`Deps`: the unit of work, settings, clock, Slack client) never travel in the context:
`Listeners` closes over them when a module registers its listeners. What an ack function learned and a
lazy function needs (the id of what a submission saved) goes in the context as plain data
(`Turn.pass_on`). Every listener function takes one argument, the `Turn`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import loggable
from bot.i18n import t, words
from bot.people import learn_language, slack_profile
from bot.settings import Settings
from bot.slack_client import GatedRespond
from models import privacy
from models.clock import Clock
from models.db import UnitOfWork
from models.enums import Surface
from models.errors import DomainError
from models.services.context import Ctx, Policy
from models.staff import StaffMember

log = logging.getLogger("casebot")
OUTCOME = "casebot_outcome"  # the context key an ack function leaves plain data under for its lazy work
FAILED = "casebot_failed"  # set by an ack function that failed and answered: its lazy work does not run

Listener = Callable[["Turn"], None]
# What Slack answers a post into a conversation the bot is not in.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


@dataclass(frozen=True)
class Deps:
    """What listeners need from the app, handed to each module's `register(listeners)` by closure."""

    uow: UnitOfWork
    settings: Settings
    clock: Clock  # every "now" of a request (the sandbox and the tests move it)
    client: WebClient  # behind the privacy gate (bot.slack_client.GatedWebClient)
    find_actor: Callable[[str], StaffMember | None]

    def policy(self) -> Policy:
        return self.settings.policy()


class Turn:
    """One request as a listener sees it: the payload, the person and their language, the app's
    dependencies, and the ways to answer privately."""

    def __init__(
        self,
        deps: Deps,
        *,
        ack: Ack,
        body: dict,
        context: BoltContext,
        in_ack: bool,
        headers: dict[str, Any] | None = None,
    ) -> None:
        self.deps = deps
        self.headers = headers or {}  # lower-cased names (Bolt's request headers)
        self._ack = ack
        self.body = body
        self.context = context
        self.in_ack = in_ack
        self.acked = False

    # -- the request
    @property
    def user_id(self) -> str | None:
        return self.context.user_id

    @property
    def action(self) -> dict:
        """The clicked element of a block action ({} for anything else)."""
        actions = self.body.get("actions")
        return actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}

    @property
    def view(self) -> dict:
        view = self.body.get("view")
        return view if isinstance(view, dict) else {}

    @property
    def from_home(self) -> bool:
        """Whether a button was clicked in the person's App Home (published again once it acted)."""
        return self.view.get("type") == "home"

    @property
    def trigger_id(self) -> str | None:
        return self.body.get("trigger_id")

    @property
    def retry_reason(self) -> str | None:
        """Slack's X-Slack-Retry-Reason on a redelivered event, else None."""
        headers = self.headers
        if not headers.get("x-slack-retry-num"):
            return None
        reason = headers.get("x-slack-retry-reason") or ["unknown_error"]
        return reason[0] if isinstance(reason, (list, tuple)) else str(reason)

    @property
    def outcome(self) -> dict[str, Any] | None:
        """What the ack function passed on (`pass_on`), in a lazy function; None if it passed nothing."""
        value = self.context.get(OUTCOME)
        return value if isinstance(value, dict) else None

    def pass_on(self, **data: Any) -> None:
        """Plain data (ids, codes) for this listener's lazy functions: Bolt copies it to them."""
        self.context[OUTCOME] = data

    # -- the app
    @property
    def uow(self) -> UnitOfWork:
        return self.deps.uow

    @property
    def client(self) -> WebClient:
        return self.deps.client

    @property
    def policy(self) -> Policy:
        return self.deps.policy()

    # -- the person
    @cached_property
    def actor(self) -> StaffMember | None:
        return self.deps.find_actor(self.user_id) if self.user_id else None

    @cached_property
    def locale(self) -> str:
        actor = self.actor
        if actor is None:
            return self.deps.settings.default_locale
        return actor.locale or remember_locale(self.deps, actor)

    def ctx(self, surface: Surface) -> Ctx:
        """The core's view of this request; only for staff (check `actor` first)."""
        assert self.actor is not None
        return Ctx(actor=self.actor, surface=surface, now=self.deps.clock.now(), policy=self.policy)

    # -- answers
    def ack(self, **kwargs: Any) -> None:
        """Bolt's ack, in the ack function only (a lazy function's request was answered already)."""
        if self.in_ack and not self.acked:
            self.acked = True
            self._ack(**kwargs)

    @property
    def respond(self) -> GatedRespond | None:
        url = self.context.response_url
        return GatedRespond(response_url=url) if url else None

    def tell(self, text: str, blocks: list[dict] | None = None) -> None:
        """A private answer that reaches the person wherever they typed or clicked.

        Through the request's response_url (Bolt's `respond`, ephemeral) where Slack gave one — slash
        commands and message buttons, in any channel or DM, the bot a member or not; else ephemeral in
        the channel the request names, or the bot's DM where there is none or the bot is not in it
        (App Home buttons, modal submissions)."""
        if not self.user_id:
            return
        if self.respond_privately(text, blocks):
            return
        self.tell_in(self.channel_id, text, blocks)

    def respond_privately(self, text: str, blocks: list[dict] | None = None) -> bool:
        """An ephemeral answer through the response_url; False where there is none or it failed."""
        respond = self.respond
        if respond is None:
            return False
        try:
            sent = respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except OSError as error:  # unreachable (the gate's refusal is no OSError: it propagates)
            log.warning("response_url answer failed (%s); answering another way", type(error).__name__)
            return False
        if sent.status_code == 200:
            return True
        log.warning("response_url answer failed with HTTP %s; answering another way", sent.status_code)
        return False

    def answer_in_place(self, text: str, blocks: list[dict] | None = None) -> bool:
        """Replace the clicked message (a nudge, a board post) through the response_url; False where
        there is none or it failed (the caller updates the message by its ts, or tells the person)."""
        respond = self.respond
        if respond is None:
            return False
        try:
            sent = respond(text=text, blocks=blocks, replace_original=True)
        except OSError as error:
            log.warning("response_url replacement failed (%s)", type(error).__name__)
            return False
        if sent.status_code == 200:
            return True
        log.warning("response_url replacement failed with HTTP %s", sent.status_code)
        return False

    def tell_in(self, channel: str | None, text: str, blocks: list[dict] | None = None) -> None:
        """Ephemeral in `channel` (where a modal was opened from, say), else the bot's DM: Slack refuses
        an ephemeral message in a conversation the bot is not in (a DM between two people, a channel it
        was never invited to), and then the DM carries it."""
        user = self.user_id
        if not user:
            return
        if channel:
            try:
                self.client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
                return
            except SlackApiError as error:
                if error.response.get("error") not in NOT_A_MEMBER:
                    raise
        self.client.chat_postMessage(channel=user, text=text, blocks=blocks)

    @property
    def channel_id(self) -> str | None:
        """Where a command was typed or a button clicked (App Home and modals have none)."""
        return (
            self.body.get("channel_id")
            or (self.body.get("channel") or {}).get("id")
            or (self.body.get("container") or {}).get("channel_id")
        )


def remember_locale(deps: Deps, actor: StaffMember) -> str:
    """Their language from Slack once, then kept on the staff record (asked again if Slack did not answer)."""
    with deps.uow() as db:
        return learn_language(db, deps.client, actor, deps.settings.default_locale)


def user_locale(client: WebClient, user_id: str, default: str) -> str:
    """Another person's language from Slack's users.info, falling back to the default."""
    profile = slack_profile(client, user_id, default)
    return profile.locale if profile else default


def answer(turn: Turn, text: str) -> None:
    """Tell the person privately: in the ack of a slash command (shown at once, no Web API call),
    otherwise through the response_url, ephemeral where they are or in the bot's DM (`Turn.tell`)."""
    if turn.in_ack and not turn.acked:
        if turn.body.get("command"):
            return turn.ack(text=text, response_type="ephemeral")
        turn.ack()
    turn.tell(text)


def report_unexpected(error: BaseException, turn: Turn) -> None:
    """A short message with a reference to the person; the reference and the stack in the log.

    In an ack function (the database down before the listener could read the person, say) this is the
    request's only answer: a modal submission keeps the modal and what was typed, with the message
    under its first input; a command gets it in the ack. Its lazy work then does not run, so the person
    gets one message, not two.
    """
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error, reference %s\n%s", reference, loggable(error))
    if turn.in_ack:
        turn.context[FAILED] = reference
    try:
        locale = _safe_locale(turn)
        first_input = _first_input(turn)
        if turn.in_ack and not turn.acked and first_input is not None:
            return turn.ack(
                response_action="errors", errors={first_input: t("common.save_failed", locale, ref=reference)}
            )
        answer(turn, t("common.unexpected", locale, ref=reference))
    except Exception as failure:
        log.error("could not tell the user about error %s\n%s", reference, loggable(failure))


def _first_input(turn: Turn) -> str | None:
    """The block id of a submitted modal's first input (where an error keeps the modal open)."""
    if turn.body.get("type") != "view_submission":
        return None
    values = (turn.view.get("state") or {}).get("values")
    if isinstance(values, dict):
        for block_id in values:
            if isinstance(block_id, str) and block_id:
                return block_id
    return None


def _safe_locale(turn: Turn) -> str:
    try:
        return turn.locale
    except Exception:  # the database is what failed
        return turn.deps.settings.default_locale


def ack_only(turn: Turn) -> None:
    """The ack function of a listener whose work is all lazy (a button that opens a modal)."""
    turn.ack()


def command_words(name: str) -> list[str]:
    """The words for subcommand `name` in every language (`commands.aliases.<name>`)."""
    return words(f"commands.aliases.{name}")


class Listeners:
    """Registers a module's listeners on the app with the app's dependencies bound by closure.

    `ack` runs in the request's thread and must be quick (its `ack(...)` is Slack's answer); `lazy` run
    after it on the listener executor. An error in either reaches the person with a logged reference;
    a DomainError raised in a lazy function is told to them in their language.
    """

    def __init__(self, app: App, deps: Deps) -> None:
        self.app = app
        self.deps = deps
        self.subcommands: dict[str, Callable[[Any], None]] = {}
        self.aliases: dict[str, str] = {"": "help"}

    def bind(self, fn: Listener, *, in_ack: bool) -> Callable[..., None]:
        deps = self.deps

        def listener(ack: Ack, body: dict, context: BoltContext, request: BoltRequest) -> None:
            if not in_ack and context.get(FAILED):
                return  # the ack function failed and told the person (report_unexpected)
            privacy.begin_scope()  # what this request reads, its messages are checked against
            turn = Turn(deps, ack=ack, body=body, context=context, in_ack=in_ack, headers=request.headers)
            try:
                # The person and their language first: learning a language writes it to the staff record,
                # which must not happen inside the listener's own unit of work (SQLite has one writer).
                _ = turn.locale
                fn(turn)
                if in_ack and not turn.acked:
                    turn.ack()  # Bolt answers an action or view nobody acked with a 404
            except DomainError as error:
                try:
                    answer(turn, error.text(turn.locale))
                except Exception as failure:
                    report_unexpected(failure, turn)
            except Exception as error:
                report_unexpected(error, turn)

        listener.__name__ = listener.__qualname__ = f"{fn.__module__}.{fn.__name__}"
        return listener

    def _pair(self, ack: Listener, lazy: Iterable[Listener]) -> dict[str, Any]:
        return {
            "ack": self.bind(ack, in_ack=True),
            "lazy": [self.bind(fn, in_ack=False) for fn in lazy],
        }

    def command(
        self,
        name: str,
        *,
        ack: Listener,
        lazy: Iterable[Listener] = (),
        matchers: Iterable[Callable[..., bool]] = (),
    ) -> None:
        """`matchers` (Bolt's): this listener takes only the commands they accept; the first listener
        registered whose matchers accept a command takes it."""
        self.app.command(name, matchers=list(matchers) or None)(**self._pair(ack, lazy))

    def action(self, action_id: Any, *, ack: Listener = ack_only, lazy: Iterable[Listener] = ()) -> None:
        self.app.action(action_id)(**self._pair(ack, lazy))

    def view(self, callback_id: Any, *, ack: Listener, lazy: Iterable[Listener] = ()) -> None:
        self.app.view(callback_id)(**self._pair(ack, lazy))

    def event(self, event: str, *, ack: Listener = ack_only, lazy: Iterable[Listener] = ()) -> None:
        self.app.event(event)(**self._pair(ack, lazy))

    def shortcut(self, callback_id: Any, *, ack: Listener = ack_only, lazy: Iterable[Listener] = ()) -> None:
        self.app.shortcut(callback_id)(**self._pair(ack, lazy))

    def subcommand(
        self, name: str, *aliases: str
    ) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
        """`/case <name>` (and its aliases), answered in the /case listener's lazy function.

        The words people type for it in each language are in the catalogs, `commands.aliases.<name>`
        ("사례회의, 회의"); `aliases` adds more."""

        def register(func: Callable[[Any], None]) -> Callable[[Any], None]:
            self.subcommands[name] = func
            for alias in (*aliases, *command_words(name)):
                if alias != name:
                    self.aliases[alias] = name
            return func

        return register
