"""Composition root for Slack: build the Bolt app with its middleware and listeners."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import Ack, App, BoltContext
from slack_bolt.listener.listener_start_handler import ListenerStartHandler
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.errors import loggable
from bot.i18n import locale_from_slack, t
from bot.middleware import ContextMiddleware
from bot.settings import Settings
from bot.slack_client import install_outbound_gate
from models import privacy
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
# Work a listener hands to `later` (answers posted as messages) waits while another request is still
# before its ack, but never longer than this. A late ack is an error in Slack (and an event's retry); a
# late answer is only late, and a response_url takes answers for 30 minutes. Past this the process has
# been overloaded for that long, and the answers take their turn with the acks again.
LATER_MAX_DEFER = 30.0
# ... and, in a burst (requests coming in less than this apart), until none has come in for this long.
# A request on its own is answered at once; in a burst, one that has just come in is likely followed by
# another. A message 5 ms later is nothing to the person waiting for it.
LATER_QUIET = 0.005
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
    _format_debug_lines_only_when_logged(app)
    install_outbound_gate(app)  # first middleware: listeners' client/say/respond pass the privacy gate
    now = clock or (lambda: datetime.now(UTC))
    bind = getattr(uow.session_factory, "kw", {}).get("bind")
    find_actor = StaffLookup(bind) if isinstance(bind, Engine) else _orm_lookup(uow)

    def resolve_actor(context: BoltContext, next: Callable[[], None]) -> None:
        """Map the Slack user to a staff member; everybody else gets a polite refusal and nothing else.
        (One middleware for all the context listeners use: each one more costs every ack.)"""
        client = context.client
        context["uow"] = uow
        context["policy"] = settings.policy()
        user_id = context.user_id
        actor = find_actor(user_id) if user_id else None
        context["actor"] = actor
        context["locale"] = _locale_of(actor, user_id, client) if actor else settings.default_locale
        context["ctx_for"] = lambda surface: Ctx(
            actor=actor, surface=surface, now=now(), policy=settings.policy()
        )
        context["later"] = lambda work: later(work, context, client)
        context["checkpoint"] = ack_first.checkpoint
        next()

    app.middleware(ContextMiddleware(resolve_actor))

    def later(work: Callable[[], None], context: BoltContext, client: WebClient) -> None:
        """`work` after other requests' acks (AckFirst.later); an error in it reaches the user as any
        listener's would."""

        def job() -> None:
            try:
                work()
            except Exception as error:
                report_unexpected(error, context, client)

        ack_first.later(job)

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
        zone = actor.tz or _zone_name(info["user"].get("tz"))  # dates in the user's zone (notes.zone_of)
        with uow() as db:
            stored = db.get(type(actor), actor.id)
            if stored is not None:
                stored.locale, stored.tz = locale, zone
        actor.locale, actor.tz = locale, zone
        return locale

    def report_unexpected(error: Exception, context: BoltContext, client: WebClient) -> None:
        """A short message with a reference to the user; the reference and the stack in the log."""
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

    app.error(report_unexpected)

    from handlers import register_all

    register_all(app)
    return app


def _format_debug_lines_only_when_logged(app: App) -> None:
    """Bolt's listener runner formats every response, body and all, into a debug line before the
    logger is asked whether it logs debug at all: for a `/case help` ack that was more CPU than building
    the blocks. Ask first."""
    runner = app.listener_runner
    format_and_log = runner._debug_log_completion

    def log_completion(starting_time: float, response: BoltResponse) -> None:
        if runner.logger.isEnabledFor(logging.DEBUG):
            format_and_log(starting_time, response)

    runner._debug_log_completion = log_completion  # type: ignore[method-assign]


def _zone_name(value: object) -> str | None:
    """Slack's `tz` if it names a zone this machine knows (the column holds 64 characters), else None."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def user_locale(client: WebClient, user_id: str, default: str) -> str:
    """The user's language from Slack's users.info locale, falling back to the default."""
    try:
        info = client.users_info(user=user_id, include_locale=True)
        return locale_from_slack(info["user"].get("locale"), default)
    except Exception:
        return default


class AckFirst:
    """Acks are never queued behind other work.

    Every thread of the process shares one interpreter lock: whatever runs after an ack slows every
    other request's ack. Two rules keep acks first:
    - What a listener does after its ack runs at most `slots` at a time, in order: a listener that has
      acked waits here (without the lock) until a slot is free; an Events API listener, acked by Bolt
      before it starts, waits at its start. Past `max_waiting` waiting threads the work runs at once
      instead, so that the pool always has threads for new acks.
    - Work that no Slack deadline waits on (an answer posted as a message) goes to `later`: it runs
      when no request is waiting for its ack, so a burst of requests is acked first and answered
      right after. A modal is no such work: its trigger expires 3 s after the click or command.
    """

    def __init__(
        self,
        slots: int = POST_ACK_SLOTS,
        max_waiting: int = POST_ACK_WAITING,
        max_defer: float = LATER_MAX_DEFER,
        quiet: float = LATER_QUIET,
    ) -> None:
        self._slots = threading.Semaphore(slots)
        self._worker_count = slots
        self._max_waiting = max_waiting
        self._max_defer = max_defer
        self._quiet_for = quiet
        self._last_arrival = 0.0
        self._last_gap = float("inf")  # between the last two requests
        self._jobs: queue.SimpleQueue[tuple[float, Callable[[], None]]] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._waiting = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()
        self._before_ack = 0  # requests dispatched and not yet acked
        self._quiet = threading.Condition()

    def executor(self) -> ThreadPoolExecutor:
        return _ListenerPool(self, max_workers=LISTENER_THREADS, thread_name_prefix="casebot")

    def install(self, app: App) -> None:
        """Gated acks for every request (a middleware) and the wait of pre-acked events (start handler)."""
        runner = app.listener_runner
        runner.listener_start_handler = _WaitIfAcked(self, runner.listener_start_handler)
        dispatch = app.dispatch

        # Every way in (the HTTP adapter, Socket Mode, tests) calls app.dispatch: count from there.
        def dispatch_counted(request: BoltRequest) -> BoltResponse:
            pending = self.arrived()
            request.context["pending_ack"] = pending
            try:
                response = dispatch(request)
            finally:
                pending.acked()  # no ack at all (nothing matched, an error): not pending any more
            # A listener that acked is answered with its ack. Bolt's request thread and the listener's
            # share the response in a closure: a listener that raised while the request thread was
            # taking its ack made the request answer 404 ("unhandled request") or 500.
            acked = getattr(request.context.get("ack"), "acked_with", None)
            if acked is not None and (response is None or (response.status, response.body) != acked[:2]):
                status, body, headers = acked
                return BoltResponse(status=status, body=body, headers=headers)
            return response

        app.dispatch = dispatch_counted  # type: ignore[method-assign]

        def ack_then_queue(context: BoltContext, next: Callable[[], None]) -> None:
            # read by Bolt's listener runner after the middleware
            context["ack"] = _GatedAck(self, context.get("pending_ack"))
            next()

        app.middleware(ContextMiddleware(ack_then_queue))

    def arrived(self) -> _PendingAck:
        with self._quiet:
            self._before_ack += 1
            now = time.monotonic()
            self._last_gap, self._last_arrival = now - self._last_arrival, now
        return _PendingAck(self)

    def _acked(self) -> None:
        with self._quiet:
            self._before_ack -= 1
            if self._before_ack == 0:
                self._quiet.notify_all()

    def later(self, work: Callable[[], None]) -> None:
        """Run `work` on one of `slots` worker threads once no request waits for its ack, or after
        `max_defer` seconds at most; jobs start in the order given.

        For work no Slack deadline waits on (an answer posted as a message, the App Home): a burst of
        requests is acked first and answered right after, instead of every ack queueing behind the
        answers (all threads share one interpreter lock). A modal must open within 3 s of its trigger:
        that work stays in the listener, after its ack. The listener's thread is free at once, so a
        long burst ties up no threads, only queued closures. `work` handles its own errors; an error
        that escapes is logged.
        """
        with self._count_lock:
            if len(self._workers) < self._worker_count:
                for n in range(len(self._workers), self._worker_count):
                    worker = threading.Thread(target=self._work, name=f"casebot-later-{n}", daemon=True)
                    worker.start()
                    self._workers.append(worker)
        self._jobs.put((time.monotonic() + self._max_defer, work))

    def checkpoint(self) -> None:
        """Inside work given to `later`, between its steps: let waiting acks go first (until the job's
        own deadline). Elsewhere it does nothing."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is not None:
            self._wait_for_quiet(deadline)

    def _work(self) -> None:
        while True:
            deadline, work = self._jobs.get()
            self._wait_for_quiet(deadline)
            self._local.deadline = deadline
            try:
                with privacy.scope():  # what this job reads, its messages are checked against
                    work()
            except Exception as error:
                log.error("work queued after an ack failed\n%s", loggable(error))
            finally:
                self._local.deadline = None

    def _wait_for_quiet(self, deadline: float) -> None:
        """Until no request waits for its ack (in a burst: and none came in for `quiet` seconds), or the
        deadline."""
        with self._quiet:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return
                if self._before_ack == 0:
                    in_burst = self._last_gap < self._quiet_for
                    quiet_at = self._last_arrival + self._quiet_for if in_burst else now
                    if now >= quiet_at:
                        return
                    self._quiet.wait(min(quiet_at, deadline) - now)
                else:
                    self._quiet.wait(deadline - now)  # woken when the last pending ack is done

    def run_listener(self, work: Callable[[], Any]) -> Any:
        self._local.listener, self._local.holding = True, False
        try:
            return work()
        finally:
            if self._local.holding:
                self._slots.release()
            self._local.listener = self._local.holding = False

    def in_listener(self) -> bool:
        """In a listener thread (not Bolt's request thread)."""
        return getattr(self._local, "listener", False)

    def after_ack(self) -> None:
        """In a listener thread that has acked: wait for a slot, once."""
        if not self.in_listener() or self._local.holding:
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


class _PendingAck:
    """One request between its arrival and its ack; `acked` counts once however often it is called."""

    def __init__(self, gate: AckFirst) -> None:
        self._gate = gate
        self._done = False
        self._lock = threading.Lock()

    def acked(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._gate._acked()


class _ListenerPool(ThreadPoolExecutor):
    def __init__(self, gate: AckFirst, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gate = gate

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        return super().submit(self._gate.run_listener, lambda: fn(*args, **kwargs))


class _GatedAck(Ack):
    def __init__(self, gate: AckFirst, pending: _PendingAck | None) -> None:
        self._response: BoltResponse | None = None
        self.acked_with: tuple[int, str, dict] | None = None
        super().__init__()
        self._gate = gate
        self._pending = pending

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        # A listener that acked and then raised: Bolt's runner sets the response back to None. Unless its
        # 10 ms poll saw the ack in between, the request then waited 3 s and answered 404, and Slack
        # showed the user an error on top of the one the error handler sent. The ack stands.
        if value is None and self._response is not None:
            return
        self._response = value

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:  # type: ignore[override]
        response = super().__call__(*args, **kwargs)  # Bolt's request thread sees it and answers Slack
        if self.acked_with is None:  # as sent: Bolt's runner may set the status to 500 on error
            self.acked_with = (response.status, response.body, dict(response.headers))
        if self._pending is not None:
            self._pending.acked()
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
