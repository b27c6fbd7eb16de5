"""Composition root for Slack: build the Bolt app with its middleware and listeners."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.listener.listener_start_handler import ListenerStartHandler
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.errors import loggable
from bot.i18n import locale_from_slack, t
from bot.settings import Settings
from bot.slack_client import install_outbound_gate
from models.db import UnitOfWork
from models.services.context import Ctx
from models.services.staff import StaffLookup, actor_for_slack_user
from models.staff import StaffMember

log = logging.getLogger("casebot")
# ack() runs in a listener thread. Threads waiting for a post-ack slot (below) keep theirs, so there are
# enough for POST_ACK_WAITING of them plus ACK_THREADS free for new requests' acks at any moment.
ACK_THREADS = 16
POST_ACK_SLOTS = 2
POST_ACK_WAITING = 48
LISTENER_THREADS = ACK_THREADS + POST_ACK_WAITING + POST_ACK_SLOTS
# Slack's users.info, asked once per staff member before the first ack (the answer is in their language):
# a short timeout and no retries, so that a slow or rate-limited Slack never holds an ack back.
LOCALE_LOOKUP_TIMEOUT = 1.0


def build_app(
    settings: Settings, *, uow: UnitOfWork, client: WebClient, clock: Callable[[], datetime] | None = None
) -> App:
    ack_first = AckFirst()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else None,
        # In Socket Mode there is no signing secret; Bolt skips verification there.
        request_verification_enabled=settings.slack_signing_secret is not None,
        token_verification_enabled=False,
        # ack() runs in the listener's thread: with Bolt's default 5 threads, five slow listeners
        # (a long list, a slow Slack call) would hold back every other request's ack past 3 s.
        listener_executor=ack_first.executor(),
    )
    ack_first.install(app)
    install_outbound_gate(app)  # first middleware: listeners' client/say/respond pass the privacy gate
    now = clock or (lambda: datetime.now(UTC))
    bind = getattr(uow.session_factory, "kw", {}).get("bind")
    find_actor = StaffLookup(bind) if isinstance(bind, Engine) else _orm_lookup(uow)

    @app.middleware
    def resolve_actor(context: BoltContext, client: WebClient, next: Callable[[], None]) -> None:
        """Map the Slack user to a staff member; everybody else gets a polite refusal and nothing else."""
        context["uow"] = uow
        context["policy"] = settings.policy()
        user_id = context.user_id
        actor = find_actor(user_id) if user_id else None
        context["actor"] = actor
        context["locale"] = _locale_of(actor, user_id, client) if actor else settings.default_locale
        context["ctx_for"] = lambda surface: Ctx(
            actor=actor, surface=surface, now=now(), policy=settings.policy()
        )
        next()

    def _locale_of(actor, user_id: str, web: WebClient) -> str:  # type: ignore[no-untyped-def]
        """From Slack's users.info once, then cached on the staff record (not when Slack did not answer)."""
        if actor.locale:
            return actor.locale
        quick = WebClient(
            token=web.token, base_url=web.base_url, timeout=LOCALE_LOOKUP_TIMEOUT, retry_handlers=[]
        )
        try:
            info = quick.users_info(user=user_id, include_locale=True)
        except Exception:
            return settings.default_locale  # asked again on the next request
        locale = locale_from_slack(info["user"].get("locale"), settings.default_locale)
        with uow() as db:
            stored = db.get(type(actor), actor.id)
            if stored is not None:
                stored.locale = locale
        actor.locale = locale
        return locale

    @app.error
    def on_error(error: Exception, body: dict, context: BoltContext, client: WebClient) -> None:
        reference = uuid.uuid4().hex[:8]
        log.error("unexpected error, reference %s\n%s", reference, loggable(error))
        user = context.user_id
        channel = context.channel_id
        if user and channel:
            try:
                client.chat_postEphemeral(
                    channel=channel,
                    user=user,
                    text=t("common.unexpected", context.get("locale", "ko"), ref=reference),
                )
            except Exception as failure:
                log.error("could not tell the user about error %s\n%s", reference, loggable(failure))

    from handlers import register_all

    register_all(app)
    return app


def user_locale(client: WebClient, user_id: str, default: str) -> str:
    """The user's language from Slack's users.info locale, falling back to the default."""
    try:
        info = client.users_info(user=user_id, include_locale=True)
        return locale_from_slack(info["user"].get("locale"), default)
    except Exception:
        return default


class AckFirst:
    """Acks are never queued; what listeners do after their ack runs at most `slots` at a time, in order.

    Every thread of the process shares one interpreter lock. Ten listeners busy after their ack (a desk
    query, a Web API call) each got a turn at it before a new request's ack could run, and on two cores the
    acks of a burst of `/case list` waited hundreds of milliseconds. Now a listener that has acked waits
    here (without the lock) until a slot is free; an Events API listener, acked by Bolt before it starts,
    waits at its start. The ack path only ever competes with `slots` busy threads.

    Waiting threads are listener-pool threads; past `max_waiting` of them the work runs at once instead,
    so that the pool always has threads for new acks (a long burst degrades to the old sharing, never to
    a late ack).
    """

    def __init__(self, slots: int = POST_ACK_SLOTS, max_waiting: int = POST_ACK_WAITING) -> None:
        self._slots = threading.Semaphore(slots)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()

    def executor(self) -> ThreadPoolExecutor:
        return _ListenerPool(self, max_workers=LISTENER_THREADS, thread_name_prefix="casebot")

    def install(self, app: App) -> None:
        """Gated acks for every request (a middleware) and the wait of pre-acked events (start handler)."""
        runner = app.listener_runner
        runner.listener_start_handler = _WaitIfAcked(self, runner.listener_start_handler)

        @app.middleware
        def ack_then_queue(context: BoltContext, next: Callable[[], None]) -> None:
            context["ack"] = _GatedAck(self)  # read by Bolt's listener runner after the middleware
            next()

    def run_listener(self, work: Callable[[], Any]) -> Any:
        self._local.listener, self._local.holding = True, False
        try:
            return work()
        finally:
            if self._local.holding:
                self._slots.release()
            self._local.listener = self._local.holding = False

    def after_ack(self) -> None:
        """In a listener thread that has acked: wait for a slot, once."""
        if not getattr(self._local, "listener", False) or self._local.holding:
            return  # Bolt's own ack() of an event runs in the request thread: never wait there
        with self._count_lock:
            if self._waiting >= self._max_waiting:
                return
            self._waiting += 1
        try:
            self._slots.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        self._local.holding = True


class _ListenerPool(ThreadPoolExecutor):
    def __init__(self, gate: AckFirst, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gate = gate

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        return super().submit(self._gate.run_listener, lambda: fn(*args, **kwargs))


class _GatedAck(Ack):
    def __init__(self, gate: AckFirst) -> None:
        super().__init__()
        self._gate = gate

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:  # type: ignore[override]
        response = super().__call__(*args, **kwargs)  # Bolt's request thread sees it and answers Slack
        self._gate.after_ack()
        return response


class _WaitIfAcked(ListenerStartHandler):
    def __init__(self, gate: AckFirst, inner: ListenerStartHandler) -> None:
        self.gate, self.inner = gate, inner

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        self.inner.handle(request=request, response=response)
        if request.context.ack.response is not None:
            self.gate.after_ack()


def _orm_lookup(uow: UnitOfWork) -> Callable[[str], StaffMember | None]:
    """For a unit of work without a bound engine (not the app's own)."""

    def lookup(slack_user_id: str) -> StaffMember | None:
        with uow() as db:
            actor = actor_for_slack_user(db, slack_user_id)
            if actor is not None:
                db.expunge(actor)
            return actor

    return lookup
