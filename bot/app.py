"""Composition root for Slack: build the Bolt app with its middleware and listeners."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import loggable
from bot.i18n import locale_from_slack, t
from bot.settings import Settings
from models.db import UnitOfWork
from models.services.context import Ctx
from models.services.staff import actor_for_slack_user

log = logging.getLogger("casebot")
LISTENER_THREADS = 32


def build_app(
    settings: Settings, *, uow: UnitOfWork, client: WebClient, clock: Callable[[], datetime] | None = None
) -> App:
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
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="casebot"),
    )
    now = clock or (lambda: datetime.now(UTC))

    @app.middleware
    def resolve_actor(context: BoltContext, client: WebClient, next: Callable[[], None]) -> None:
        """Map the Slack user to a staff member; everybody else gets a polite refusal and nothing else."""
        context["uow"] = uow
        context["policy"] = settings.policy()
        user_id = context.user_id
        actor = None
        if user_id:
            with uow() as db:
                actor = actor_for_slack_user(db, user_id)
                if actor is not None:
                    db.expunge(actor)
        context["actor"] = actor
        context["locale"] = _locale_of(actor, user_id, client) if actor else settings.default_locale
        context["ctx_for"] = lambda surface: Ctx(
            actor=actor, surface=surface, now=now(), policy=settings.policy()
        )
        next()

    def _locale_of(actor, user_id: str, web: WebClient) -> str:  # type: ignore[no-untyped-def]
        """From Slack's users.info once, then cached on the staff record."""
        if actor.locale:
            return actor.locale
        locale = user_locale(web, user_id, settings.default_locale)
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
