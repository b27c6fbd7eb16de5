"""The Bolt app's wiring: Bolt's documented ack model, the privacy gate, and every listener module."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

import handlers
from bot.errors import loggable
from bot.lazy_work import LazyWork
from bot.listeners import Deps, Listeners
from bot.settings import Settings
from bot.slack_client import announce_gate, gated_client
from models.clock import SYSTEM_CLOCK, Clock
from models.db import UnitOfWork
from models.services.staff import StaffLookup, actor_for_slack_user
from models.staff import StaffMember

log = logging.getLogger("casebot")


def build_app(
    settings: Settings,
    *,
    uow: UnitOfWork,
    client: WebClient,
    clock: Clock = SYSTEM_CLOCK,
    lazy_work: LazyWork | None = None,
) -> App:
    """`process_before_response=True`: each listener's ack function runs in the request's thread and
    its ack is the HTTP answer at once; the rest runs as Bolt lazy functions on `lazy_work`."""
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else None,
        # In Socket Mode there is no signing secret; Bolt skips verification there.
        request_verification_enabled=settings.slack_signing_secret is not None,
        token_verification_enabled=False,
        process_before_response=True,
        listener_executor=lazy_work or LazyWork(settings.lazy_workers),
    )
    deps = build_deps(settings, uow=uow, client=client, clock=clock)

    def on_error(error: Exception) -> BoltResponse:
        # Listeners report their own errors (bot.listeners); this is for Bolt's middleware, which fails
        # only on a signed payload of a shape Slack never sends (a `view` that is a string): a 400.
        log.warning("refused a signed payload Bolt could not read (%s)", type(error).__name__)
        log.debug("what Bolt raised\n%s", loggable(error))
        return BoltResponse(status=400, body="")

    app.error(on_error)
    handlers.register_all(Listeners(app, deps))
    announce_gate()
    return app


def build_deps(
    settings: Settings,
    *,
    uow: UnitOfWork,
    client: WebClient,
    clock: Clock = SYSTEM_CLOCK,
) -> Deps:
    """What listeners get by closure: Slack only through the privacy gate, the staff lookup, one clock."""
    return Deps(
        uow=uow,
        settings=settings,
        clock=clock,
        client=gated_client(client),
        find_actor=_staff_lookup(uow),
    )


def _staff_lookup(uow: UnitOfWork) -> Callable[[str], StaffMember | None]:
    bind = getattr(uow.session_factory, "kw", {}).get("bind")
    if isinstance(bind, Engine):
        return StaffLookup(bind)

    def lookup(slack_user_id: str) -> StaffMember | None:  # a unit of work without a bound engine
        with uow() as db:
            actor = actor_for_slack_user(db, slack_user_id)
            if actor is not None:
                db.expunge(actor)
            return actor

    return lookup
