"""The real Bolt app, in-process, behind its real WSGI surface, for the property-based tests.

`casebot run` serves `casebot.server.wsgi_app(build_app(...))` with waitress; here the same WSGI callable is
called directly (no socket), so every generated request goes through signature verification, Bolt's
routing, the middleware and the listeners exactly as in production, only faster than the e2e subprocess.

One migrated database per backend per worker, with a small world of teams and staff committed before the
app sees it. Each test makes its own cases, so tests do not depend on each other's outcome.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from bot.lazy_work import LazyWork
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.views.blocks import LIMITS, check_view
from casebot.app import build_app
from casebot.server import wsgi_app
from models import (
    Base,  # every model imported: every table counted
)
from models.clock import FixedClock
from models.db import UnitOfWork, make_engine, make_session_factory
from sandbox.slack import FakeSlack
from sandbox.slack.requests import SignedRequest
from tests.conftest import TEST_KEY, TEST_KEYRING
from tests.factories import NOW, World, make_world

SIGNING_SECRET = "property-signing-secret"

# CI runs the same examples every time (derandomize, no example database), so a red build is
# reproducible and a green one is not luck. To search at random with many more examples locally:
#   HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest tests/property -n 2
# (failures found that way are saved in .hypothesis/ and replayed first on the next run).
settings.register_profile(
    "casebot",
    derandomize=True,
    database=None,
    deadline=None,  # a request costs a few database round trips; its time says nothing about correctness
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    parent=settings.get_profile("casebot"),
    derandomize=False,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    max_examples=400,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "casebot"))

# What may change when a submission is refused: the audit log (reads and refusals are recorded, R9).
AUDIT_ONLY = frozenset({"audit_log"})


class ErrorLog(logging.Handler):
    """Every ERROR the app (`casebot`) or Bolt logs: an unexpected error is a failed property."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        """What was logged since the last call, shortened to the app's own frames and the error."""
        taken, self.records = self.records, []
        return [_short(f"{r.name}: {r.getMessage()}") for r in taken]


def _short(message: str) -> str:
    lines = message.splitlines()
    own = [
        line.strip() for line in lines if line.strip().startswith('File "') and "site-packages" not in line
    ]
    return "\n".join(part[:300] for part in [lines[0], *own, lines[-1]] if part)


@dataclass
class Reply:
    status: int
    body: str

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        decoded = json.loads(self.body)
        return decoded if isinstance(decoded, dict) else {}


@dataclass
class Bot:
    backend: str
    engine: Engine
    uow: UnitOfWork
    slack: FakeSlack
    world: World
    wsgi: Any
    executor: LazyWork
    errors: ErrorLog

    def post(self, request: SignedRequest, *, path: str = "/slack/events") -> Reply:
        """One HTTP request to the app, as waitress would hand it over; returns after every listener ended."""
        body = request.body.encode("utf-8")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "3000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            else:
                environ["HTTP_" + key] = value
        started: list[str] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> None:
            started.append(status)

        chunks = self.wsgi(environ, start_response)
        text = b"".join(chunks).decode("utf-8")
        assert self.executor.wait_idle(30), "lazy work still running after 30 s"
        return Reply(int(started[0].split()[0]), text)

    def counts(self) -> dict[str, int]:
        """Rows per table, in one query."""
        tables = Base.metadata.sorted_tables
        query = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().one()
        return dict(row)

    def sent_views(self, mark: int) -> list[dict]:
        """Every view (modal or Home) the app sent to Slack since call number `mark`."""
        methods = ("views.open", "views.push", "views.update", "views.publish")
        return [
            call.params["view"]
            for call in self.slack.calls()[mark:]
            if call.method in methods and isinstance(call.params.get("view"), dict)
        ]

    def mark(self) -> int:
        return len(self.slack.calls())


def view_problems(view: dict) -> list[str]:
    """What Slack would refuse in a view the app sends (`check_view` plus the element limits)."""
    problems = []
    try:
        check_view(view)
    except ValueError as error:
        problems.append(str(error))
    if len(str((view.get("title") or {}).get("text", ""))) > LIMITS["title"]:
        problems.append("title too long")
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        if element.get("type") == "plain_text_input":
            initial = element.get("initial_value") or ""
            if len(initial) > min(int(element.get("max_length", 3000)), 3000):
                problems.append(f"{block.get('block_id')}: initial value longer than its max_length")
        for option in [*(element.get("options") or []), *(block.get("accessory") or {}).get("options", [])]:
            if (
                len(option["text"]["text"]) > LIMITS["option_text"]
                or len(option["value"]) > LIMITS["option_value"]
            ):
                problems.append(f"{block.get('block_id')}: option too long")
        text = (block.get("text") or {}).get("text", "")
        limit = LIMITS["header"] if block.get("type") == "header" else LIMITS["section_text"]
        if len(text) > limit:
            problems.append(f"{block.get('type')} text longer than {limit}")
    return problems


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def bot(request: pytest.FixtureRequest, migrated_database_url) -> Iterator[Bot]:
    url = migrated_database_url(request.param)
    engine = make_engine(url, keyring=TEST_KEYRING)  # encrypted at rest, as every DB test runs
    uow = UnitOfWork(make_session_factory(engine))
    with uow() as db:
        world = make_world(db)
        db.expunge_all()
    errors = ErrorLog()
    loggers = [logging.getLogger("casebot"), logging.getLogger("slack_bolt")]
    for logger in loggers:
        logger.addHandler(errors)
    with FakeSlack() as slack:
        settings = Settings(
            database_url=url,
            slack_bot_token=SecretStr("xoxb-property"),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.url,
            encryption_keys=SecretStr(TEST_KEY),
            _env_file=None,  # type: ignore[call-arg]
        )
        # Bolt's lazy work runs on this executor, which can be waited on: after each request the
        # property sees the errors of the work done after the ack too.
        executor = LazyWork(workers=8)
        app = build_app(
            settings, uow=uow, client=make_web_client(settings), clock=FixedClock(NOW), lazy_work=executor
        )
        try:
            yield Bot(
                request.param, engine, uow, slack, world, wsgi_app(app, SIGNING_SECRET), executor, errors
            )
        finally:
            executor.shutdown(wait=True)
            for logger in loggers:
                logger.removeHandler(errors)
            engine.dispose()
