"""`casebot run`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode on HOST:PORT."""

from __future__ import annotations

import io
import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
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


def wsgi_app(app: App, signing_secret: str | None):  # -> WSGI callable
    """Slack's endpoint and /healthz. A request whose signature is missing, forged or older than five
    minutes is refused (401) and logged before Bolt parses its body, so junk from anyone who can reach
    the port never gets further; a signed body Bolt cannot parse is a 400, not a server error."""
    handler = SlackRequestHandler(app, path="/slack/events")
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def refuse(environ, start_response, status: str):  # type: ignore[no-untyped-def]
        start_response(status, [("Content-Type", "text/plain")])
        return [status.encode()]

    def application(environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if verifier is not None and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                signed = verifier.is_valid(
                    body,
                    environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                    environ.get("HTTP_X_SLACK_SIGNATURE"),
                )
            except ValueError:  # a timestamp that is not a number
                signed = False
            if not signed:
                # Forged or stale: say so, with where it came from, never with the body (client text).
                log.warning(
                    "refused a request with an invalid or stale Slack signature from %s",
                    environ.get("REMOTE_ADDR", "?"),
                )
                return refuse(environ, start_response, "401 Unauthorized")
        try:
            return handler(environ, start_response)
        except Exception:
            log.warning(
                "refused a signed request Bolt could not parse (%s)", environ.get("CONTENT_TYPE", "?")
            )
            return refuse(environ, start_response, "400 Bad Request")

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
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    try:
        waitress.serve(
            wsgi_app(app, secret), host=settings.host, port=settings.port, threads=8, ident="casebot"
        )
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
