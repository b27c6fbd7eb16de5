"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is built by the Alembic migrations once per backend (and per xdist worker); each test
runs inside an outer transaction that is rolled back, with the session on a savepoint so that code
which commits or rolls back (the unit of work) still behaves as in production.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from models import schema
from models.crypto import Keyring
from models.db import UnitOfWork, make_engine

# A fixed key for the tests (never used anywhere else).
TEST_KEY = "q3Xo1d9qkq7wQx3yCqQm2m3rV8nJ5mYJm1yFv2b7h0A="
TEST_KEYRING = Keyring([TEST_KEY])
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The Slack stand-in has no per-channel rate limit: reminders and boards need not wait Slack's second
# between two messages to one channel (the bot processes and CLI runs of the tests inherit this). The
# pacing itself is tested with its real interval (tests/unit/core/test_board.py).
os.environ.setdefault("SLACK_CHANNEL_INTERVAL_SECONDS", "0.05")


def _postgres_problem() -> str | None:
    try:
        engine = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means "not available here"
        return f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is not reachable: {exc}"
    return None


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _fresh_postgres_database(template: str | None = None) -> tuple[str, str]:
    """A new database: empty, or a copy of `template` (which no one may be connected to)."""
    name = f"casebot_test_{_worker()}_{uuid.uuid4().hex[:6]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return name, make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_databases(names: list[str], *, at_once: int = 8) -> None:
    """Each DROP DATABASE waits for a checkpoint of its own (PostgreSQL's dropdb), 0.1 s or more while
    the other worker writes: a session's fifty were 9 s dropped one by one. Dropped several at a time,
    their checkpoints are shared (a request made while one runs is answered by the next)."""
    if not names:
        return
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=at_once)

    def drop(name: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            list(pool.map(drop, names))  # list(): an error in any drop is raised here
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url_factory(tmp_path_factory: pytest.TempPathFactory):
    """Makes PostgreSQL databases, empty or copies of a template (all dropped at the end); skips, or
    fails in CI, without a server."""
    created: list[str] = []
    problem = _postgres_problem()

    def make(template: str | None = None) -> str:
        if problem:
            if IN_CI:
                pytest.fail(f"CI=true but {problem}", pytrace=False)
            pytest.skip(problem)
        name, url = _fresh_postgres_database(template)
        created.append(name)
        return url

    yield make
    _drop_postgres_databases(created)


@pytest.fixture(scope="session")
def empty_database_url(tmp_path_factory: pytest.TempPathFactory, postgres_url_factory):
    """A factory of empty databases of a given backend, for migration and process tests."""

    def make(backend: str) -> str:
        if backend == "postgresql":
            return postgres_url_factory()
        path = Path(tmp_path_factory.mktemp("db")) / f"{uuid.uuid4().hex[:8]}.sqlite3"
        return f"sqlite:///{path}"

    return make


@pytest.fixture(scope="session")
def migrated_database_url(empty_database_url, postgres_url_factory):
    """A factory of databases at the latest schema with empty tables, for tests of the running bot
    rather than of the migrations (those run them on empty databases: tests/unit/core/test_migrations*,
    `casebot db upgrade` in tests/unit/test_cli.py). The migrations run once per backend (and worker)
    into a template, which each new database copies: PostgreSQL's CREATE DATABASE ... TEMPLATE, SQLite's
    backup of the file. 0.15 s instead of 0.55 on PostgreSQL, 2 ms instead of 0.37 s on SQLite."""
    templates: dict[str, str] = {}

    def make(backend: str) -> str:
        if backend not in templates:
            url = empty_database_url(backend)
            engine = make_engine(url)  # no data is written, so no key is needed: only the schema
            schema.upgrade(engine)
            engine.dispose()  # a PostgreSQL template must have no connection to be copied
            templates[backend] = url
        template = make_url(templates[backend]).database
        if backend == "postgresql":
            return postgres_url_factory(template=template)
        copy = empty_database_url(backend)
        with (
            closing(sqlite3.connect(template)) as source,
            closing(sqlite3.connect(make_url(copy).database)) as target,
        ):
            source.backup(target)
        return copy

    return make


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_engines(empty_database_url) -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def engine(backend: str, migrated_engines: dict[str, Engine], empty_database_url) -> Engine:
    if backend not in migrated_engines:
        # Every database test runs with encryption at rest, as production does.
        engine = make_engine(empty_database_url(backend), keyring=TEST_KEYRING)
        schema.upgrade(engine)
        migrated_engines[backend] = engine
    return migrated_engines[backend]


@pytest.fixture
def connection(engine: Engine):
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()


@pytest.fixture
def db(connection) -> Iterator[Session]:
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture
def uow(connection) -> UnitOfWork:
    """A unit of work whose commits land in the test's outer transaction (rolled back at the end)."""
    return UnitOfWork(
        lambda: Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )


def registered_listeners():  # -> bot.listeners.Listeners
    """Every listener module registered on a throwaway app: the live `/case` words and aliases."""
    from slack_bolt import App

    import handlers
    from bot.listeners import Listeners

    app = App(token="xoxb-registry", token_verification_enabled=False, request_verification_enabled=False)
    on = Listeners(app, deps=None)  # type: ignore[arg-type]  # registering needs no dependencies
    handlers.register_all(on)
    return on
