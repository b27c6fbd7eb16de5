"""`casebot run`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode on HOST:PORT."""

from __future__ import annotations

import io
import logging
import signal
from collections.abc import Callable
from urllib.parse import parse_qs

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.lazy_work import LazyWork
from bot.settings import Settings, SettingsError
from bot.slack_client import make_web_client
from bot.views.history import PRINT_PATH
from casebot.app import build_app
from models import schema
from models.clock import SYSTEM_CLOCK, Clock
from models.db import UnitOfWork, make_engine, make_session_factory
from models.errors import DomainError
from models.services import encryption, forms, sweeper
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


# Slack's payloads are small (a full modal's state is tens of kB): anything larger is refused unread.
MAX_BODY_BYTES = 512 * 1024
# What a one-time link serves: a printed form, or a month's statistics workbook.
DOWNLOAD_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def print_downloads(uow: UnitOfWork, settings: Settings, clock: Clock = SYSTEM_CLOCK):  # -> WSGI callable
    """GET /print/<token>?user=<Slack user id>: the form behind a one-time link of the 인쇄 button (or the
    statistics workbook behind `/case stats`'s button), once, within ten minutes, for the person it was
    made for (models/services/forms.py). A refused link is logged by the unit of work and answered 403
    with the reason in words; nothing of the record is sent."""

    def serve(environ, start_response):  # type: ignore[no-untyped-def]
        token = environ.get("PATH_INFO", "")[len(PRINT_PATH) :]
        user = (parse_qs(environ.get("QUERY_STRING", "")).get("user") or [""])[0]
        try:
            with uow() as db:
                name, pdf = forms.redeem_link(
                    db,
                    token,
                    user,
                    now=clock.now(),
                    zone=settings.zone,
                    agency=settings.agency_name,
                    font=settings.print_font,
                    bold_font=settings.print_bold_font,
                )
        except DomainError as refused:
            log.warning("refused a print link: %s", type(refused).__name__)
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [refused.text(settings.default_locale).encode()]
        start_response(
            "200 OK",
            [
                ("Content-Type", DOWNLOAD_TYPES[name.rsplit(".", 1)[-1]]),
                ("Content-Disposition", f'attachment; filename="{name}"'),
                ("Cache-Control", "no-store"),
            ],
        )
        return [pdf]

    return serve


def wsgi_app(
    app: App,
    signing_secret: str | None,
    pending_work: Callable[[], int] | None = None,
    downloads: Callable | None = None,
):  # -> WSGI callable
    """Slack's endpoint and /healthz. A body over MAX_BODY_BYTES is refused (413) before it is read; a
    request whose signature is missing, forged or older than five minutes is refused (401) and logged
    before Bolt parses its body, so junk from anyone who can reach the port never gets further; a signed
    body Bolt cannot parse is a 400, not a server error."""
    handler = SlackRequestHandler(app, path="/slack/events")
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def refuse(environ, start_response, status: str):  # type: ignore[no-untyped-def]
        start_response(status, [("Content-Type", "text/plain")])
        return [status.encode()]

    def application(environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO") == "/healthz":
            # How much acked work is still to do: for a load balancer's drain, and the tests' idle wait.
            pending = str(pending_work() if pending_work else 0)
            start_response("200 OK", [("Content-Type", "text/plain"), ("X-Casebot-Pending-Work", pending)])
            return [b"ok"]
        path = environ.get("PATH_INFO") or ""
        if downloads is not None and path.startswith(PRINT_PATH) and environ.get("REQUEST_METHOD") == "GET":
            return downloads(environ, start_response)
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return refuse(environ, start_response, "400 Bad Request")
            if length > MAX_BODY_BYTES:
                log.warning(
                    "refused a request body of %d bytes from %s", length, environ.get("REMOTE_ADDR", "?")
                )
                return refuse(environ, start_response, "413 Payload Too Large")
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            if verifier is not None and not _signed(verifier, body, environ):
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


def _signed(verifier: SignatureVerifier, body: bytes, environ: dict) -> bool:
    try:
        return verifier.is_valid(
            body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE")
        )
    except ValueError:  # a timestamp that is not a number
        return False


class Stop(SystemExit):
    """SIGTERM: leave the serving loop (waitress and Socket Mode both end on SystemExit)."""


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: object) -> None:
        log.info("SIGTERM: no new requests; finishing what was acked")
        raise Stop(0)

    signal.signal(signal.SIGTERM, stop)


def run(settings: Settings) -> None:
    if settings.slack_bot_token is None:
        raise StartupError("SLACK_BOT_TOKEN is not set: create the Slack app from manifest.yml (see README).")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise StartupError("Set SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode.")
    engine = prepare_database(settings)
    uow = UnitOfWork(make_session_factory(engine))
    client = make_web_client(settings)
    lazy_work = LazyWork(settings.lazy_workers)
    app = build_app(settings, uow=uow, client=client, lazy_work=lazy_work)
    scheduler = start_scheduler(settings, engine, uow, client) if settings.scheduler_enabled else None
    if scheduler is None:
        log.info("scheduler disabled (SCHEDULER_ENABLED=false): run `casebot reminders send` from cron")
    _stop_on_sigterm()
    try:
        if settings.slack_app_token is not None:
            _serve_socket_mode(settings, app, client)
        else:
            _serve_http(settings, app, lazy_work.pending, print_downloads(uow, settings))
    finally:
        stop_gracefully(settings, lazy_work, scheduler, uow)


def _serve_socket_mode(settings: Settings, app: App, client) -> None:  # type: ignore[no-untyped-def]
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("Casebot starting in Socket Mode")
    assert settings.slack_app_token is not None
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value(), web_client=client)
    try:
        handler.start()
    finally:
        handler.close()


def _serve_http(
    settings: Settings, app: App, pending_work: Callable[[], int], downloads: Callable | None = None
) -> None:
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    server = waitress.create_server(
        wsgi_app(app, secret, pending_work, downloads),
        host=settings.host,
        port=settings.port,
        threads=8,
        ident="casebot",
        # waitress refuses larger bodies itself (413), chunked ones included
        max_request_body_size=MAX_BODY_BYTES,
    )
    log.info("Casebot listening on http://%s:%s/slack/events", settings.host, settings.port)
    print(f"Casebot listening on http://{settings.host}:{settings.port}/slack/events", flush=True)
    server.run()  # returns on SIGTERM (Stop) once waitress's request threads are done


def stop_gracefully(
    settings: Settings, lazy_work: LazyWork, scheduler: SchedulerService | None, uow: UnitOfWork
) -> None:
    """Finish what was acked (up to SHUTDOWN_GRACE_SECONDS) and the scheduler's running job, then say
    what was done."""
    jobs.stopping.set()  # a sweep in progress stops before its next message
    drained = lazy_work.drain(settings.shutdown_grace_seconds)
    released = 0
    if scheduler is not None:
        scheduler.stop(wait=True)
        with uow() as db:
            released = sweeper.release_unsent_claims(db)  # sent at once by the next process
    log.info(
        "stopped: %d answers finished after the stop, %d still running at the deadline, %d never started;"
        " %d claimed reminders put back",
        drained.finished,
        drained.abandoned_running,
        drained.not_started,
        released,
    )
    if drained.not_started or drained.abandoned_running:
        log.warning(
            "%d acked requests got no answer (past SHUTDOWN_GRACE_SECONDS=%s)",
            drained.not_started + drained.abandoned_running,
            settings.shutdown_grace_seconds,
        )


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
            channel_interval=settings.slack_channel_interval_seconds,
        )
    )
    service = SchedulerService(engine, zone=settings.zone)
    service.start()
    return service
