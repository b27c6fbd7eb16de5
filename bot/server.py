"""`casebot run`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode on HOST:PORT."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.app import build_app
from bot.settings import Settings, SettingsError
from bot.slack_client import make_web_client
from models import schema
from models.db import UnitOfWork, make_engine, make_session_factory
from models.services import encryption
from models.services.calendar import WorkCalendar
from scheduler import jobs
from scheduler.runner import SchedulerService

log = logging.getLogger("casebot")


class StartupError(Exception):
    pass


def prepare_database(settings: Settings) -> Engine:
    """Apply pending migrations on the default SQLite database; elsewhere refuse an old schema.

    Outside development there must be an encryption key (settings.keyring() says so); without a key
    the bot also refuses a database that already holds encrypted values it could not read.
    """
    try:
        keyring = settings.keyring()
    except SettingsError as exc:
        raise StartupError(str(exc)) from None
    engine = make_engine(settings.database_url, keyring=keyring)
    if settings.database_url.startswith("sqlite"):
        schema.upgrade(engine)
    else:
        try:
            schema.ensure_current(engine)
        except schema.SchemaOutOfDate as exc:
            raise StartupError(str(exc)) from None
    if keyring is None:
        with make_session_factory(engine)() as db:
            if encryption.holds_encrypted(db):
                raise StartupError(
                    "The database holds encrypted client data: set ENCRYPTION_KEYS to the agency's keys."
                )
    return engine


def wsgi_app(app: App):  # -> WSGI callable
    handler = SlackRequestHandler(app, path="/slack/events")

    def application(environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        def logged_start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            if status.startswith("401"):
                # Bolt refused the signature (forged, or older than five minutes): say so, with where
                # it came from, never with the body (it may hold client text).
                log.warning(
                    "refused a request with an invalid or stale Slack signature from %s",
                    environ.get("REMOTE_ADDR", "?"),
                )
            return start_response(status, headers, exc_info)

        return handler(environ, logged_start_response)

    return application


def run(settings: Settings) -> None:
    if settings.slack_bot_token is None:
        raise StartupError("SLACK_BOT_TOKEN is not set: create the Slack app from manifest.yml (see README).")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise StartupError("Set SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode.")
    engine = prepare_database(settings)
    uow = UnitOfWork(make_session_factory(engine))
    client = make_web_client(settings)
    app = build_app(settings, uow=uow, client=client)
    scheduler = start_scheduler(settings, engine, uow, client) if settings.scheduler_enabled else None
    if scheduler is None:
        log.info("scheduler disabled (SCHEDULER_ENABLED=false): run `casebot reminders send` from cron")
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("Casebot starting in Socket Mode")
        try:
            SocketModeHandler(app, settings.slack_app_token.get_secret_value(), web_client=client).start()
        finally:
            if scheduler is not None:
                scheduler.stop()
        return
    import waitress

    log.info("Casebot listening on http://%s:%s/slack/events", settings.host, settings.port)
    print(f"Casebot listening on http://{settings.host}:{settings.port}/slack/events", flush=True)
    try:
        waitress.serve(wsgi_app(app), host=settings.host, port=settings.port, threads=8, ident="casebot")
    finally:
        if scheduler is not None:
            scheduler.stop()


def start_scheduler(settings: Settings, engine: Engine, uow: UnitOfWork, client) -> SchedulerService:  # type: ignore[no-untyped-def]
    """Reminders go out from the one process that wins the leader election (see scheduler/runner.py)."""
    jobs.install(
        jobs.Runtime(
            uow=uow,
            client=client,
            policy=settings.policy(),
            calendar=WorkCalendar(
                settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour
            ),
            default_locale=settings.default_locale,
        )
    )
    service = SchedulerService(engine)
    service.start()
    return service
