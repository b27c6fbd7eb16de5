"""`casebot run` without Slack tokens (or `casebot sandbox`): the whole bot on this machine, in a browser.

One process, one port on 127.0.0.1: the real bot (same handlers, same database code) answers signed
requests at /slack/events, the sandbox page and its API are served beside it, and the bot's Web API calls
go to the local Slack stand-in on another loopback port. Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial

from pydantic import SecretStr

from bot.settings import Settings
from bot.slack_client import make_web_client
from casebot.app import build_app
from casebot.server import PRINT_PATH, StartupError, prepare_database, print_downloads, wsgi_app
from models.db import UnitOfWork, make_engine, make_session_factory
from models.services.calendar import WorkCalendar
from sandbox import setup
from sandbox.slack.server import FakeSlack
from sandbox.story import Stamps, Story, newest_ts, story_url
from sandbox.web import Clock, Sandbox
from sandbox.workspace import Workspace
from scheduler.jobs import run_due
from scheduler.runtime import Runtime

log = logging.getLogger("casebot.sandbox")
HOST = "127.0.0.1"  # never anything else: the sandbox is for this machine only
BOT_PATHS = ("/slack/events", "/healthz")
TICK_SECONDS = 60


def sandbox_settings(settings: Settings, slack_url: str, signing_secret: str) -> Settings:
    """The bot's settings in the sandbox: its own database, the stand-in's URL, throwaway credentials."""
    return settings.model_copy(
        update={
            "database_url": settings.sandbox_database_url,
            "slack_bot_token": SecretStr("xoxb-sandbox"),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_app_token": None,
            "slack_api_url": slack_url,
            "host": HOST,
        }
    )


def run(settings: Settings) -> None:
    if not settings.is_development:
        raise StartupError(
            "The sandbox runs only with ENVIRONMENT=development; in production set SLACK_BOT_TOKEN and "
            "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)."
        )
    import waitress

    signing_secret = secrets.token_hex(16)
    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    clock = Clock(calendar)
    stamps = Stamps(clock.now)  # messages are dated at the sandbox's time
    slack = FakeSlack(host=HOST, stamp=stamps).start()
    settings = sandbox_settings(settings, slack.url, signing_secret)
    # The listening socket first, so that the bot knows its own address: the 인쇄 and statistics buttons
    # give one-time links to it (PUBLIC_URL), served by the same server as the page.
    serving: dict[str, Callable] = {}
    server = waitress.create_server(
        lambda environ, start_response: serving["app"](environ, start_response),
        host=HOST,
        port=settings.port,
        threads=8,
        ident="casebot",
    )
    port = server.effective_port  # type: ignore[union-attr]
    settings = settings.model_copy(update={"public_url": f"http://{HOST}:{port}"})
    engine = prepare_database(settings)
    uow = UnitOfWork(make_session_factory(engine))
    fresh = setup.is_fresh(uow)
    # The one clock of the sandbox: the bot's requests, the scheduler's work and the first start's
    # records all read it, and the page's clock control moves it.
    for line in setup.prepare(uow, settings.policy(), clock):
        print(f"Sandbox: {line}", flush=True)
    people, channels = setup.people(uow), setup.channels(uow)
    for person in people:
        slack.set_user(person.slack_user_id, locale=person.locale, name=person.name, real_name=person.name)
    for channel in channels:
        slack.set_channel(channel.id, name=channel.name, members=sorted(channel.members))
    # The story so far: the clock where it was left and the conversations as they were.
    story = Story(make_engine(story_url(settings.database_url)))
    if fresh:
        story.forget()  # a story from before belongs to data that is gone
    clock.offset = story.offset()
    kept = story.messages()
    stamps.follow(newest_ts(kept))
    if clock.offset or kept:
        print(
            f"Sandbox: the clock stays at {clock.as_json()['now']}; {len(kept)} message(s) kept", flush=True
        )
    workspace = Workspace(people, channels, messages=kept, keeper=story, stamp=stamps)
    slack.subscribe(workspace.observe)

    client = make_web_client(settings)
    # The bot reads the sandbox's clock: what staff do is dated at the sandbox's time, so records and
    # the reminders computed from them agree with the nudges the clock control brings.
    app = build_app(settings, uow=uow, client=client, clock=clock)
    runtime = Runtime(
        uow,
        client,
        settings.policy(),
        calendar,
        settings.default_locale,
        clock=clock,
        channel_interval=settings.slack_channel_interval_seconds,
    )
    sandbox = Sandbox(workspace, slack, signing_secret, clock, partial(_catch_up, runtime), story=story)
    if settings.scheduler_enabled:
        # The scheduler's minute, on the sandbox's clock (APScheduler would run on real time).
        threading.Thread(target=_tick, args=(sandbox,), name="sandbox-clock", daemon=True).start()

    serving["app"] = _dispatch(
        wsgi_app(app, signing_secret, downloads=print_downloads(uow, settings, clock)), sandbox
    )
    sandbox.events_url = f"http://{HOST}:{port}/slack/events"
    sandbox.allowed_hosts = frozenset({f"{HOST}:{port}", f"localhost:{port}"})
    if settings.host != HOST:
        print(f"Sandbox: HOST={settings.host} ignored; the sandbox listens on {HOST} only.", flush=True)
    print(
        f"Casebot sandbox (no Slack workspace; nothing leaves this machine): open http://{HOST}:{port}/",
        flush=True,
    )
    log.info("sandbox database %s, Slack stand-in %s", settings.database_url, slack.url)
    try:
        server.run()
    finally:
        slack.stop()


def _catch_up(runtime: Runtime, moment: datetime) -> list[str]:
    # The stand-in has no rate limit, so a clock jump need not pace its messages a second apart.
    return run_due(runtime, moment, digests=True, sleep=lambda seconds: None)


def _tick(sandbox: Sandbox) -> None:
    """At once on start (like the scheduler's first sweep), then every minute."""
    while True:
        try:
            sandbox.tick()
        except Exception:  # the next minute tries again, as the scheduler's jobs do
            log.exception("sandbox scheduler tick failed")
        time.sleep(TICK_SECONDS)


def _dispatch(bot: Callable, sandbox: Sandbox) -> Callable:
    """Slack's paths go to the bot, everything else to the sandbox page."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path in BOT_PATHS or path.startswith(PRINT_PATH):
            return bot(environ, start_response)
        return sandbox(environ, start_response)

    return application
