"""Run the real bot (`casebot run`, HTTP mode) as a process against the local Slack stand-in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.db import UnitOfWork, make_engine, make_session_factory
from sandbox.slack import FakeSlack
from tests.conftest import TEST_KEY, TEST_KEYRING

SIGNING_SECRET = "e2e-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningBot:
    url: str
    slack: FakeSlack
    uow: UnitOfWork
    process: subprocess.Popen
    database_url: str = ""
    log_path: Path | None = None
    log_offset: int = 0  # where this test's part of the shared process's log begins

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    def log_text(self) -> str:
        """What the bot logged since this test began."""
        assert self.log_path is not None
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode("utf-8", errors="replace")


def bot_environment(database_url: str, slack_url: str, **extra: str) -> dict[str, str]:
    """What `casebot` processes of a test run with: the test's database and Slack stand-in, client data
    encrypted as in production, and no scheduler of its own (tests move time with
    `casebot reminders send --as-of`; a test that wants the scheduler sets SCHEDULER_ENABLED=true)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "ENCRYPTION_KEYS": TEST_KEY,
        "SCHEDULER_ENABLED": "false",
        **extra,
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


def send_reminders_as_of(bot: RunningBot, moment: datetime, cwd: Path) -> str:
    """`casebot reminders send --as-of T` as an operator (or cron) runs it; returns what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "casebot.cli", "reminders", "send", "--as-of", moment.isoformat()],
        env=bot_environment(bot.database_url, bot.slack.url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def bot_env() -> dict[str, str]:
    """Extra environment for `casebot run`; a test module overrides it (e.g. PRIVACY_MODE=strict)."""
    return {}


@dataclass
class BotProcess:
    url: str
    slack: FakeSlack
    engine: Engine
    process: subprocess.Popen
    database_url: str
    log_path: Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bot_process(request, migrated_database_url, tmp_path_factory, bot_env) -> Iterator[BotProcess]:
    """One `casebot run` per test module and backend; each test gets it with empty tables (`bot`)."""
    # At the latest schema: PostgreSQL is never migrated by `run`; SQLite would be, this keeps them alike.
    database_url = migrated_database_url(request.param)
    engine = make_engine(database_url, keyring=TEST_KEYRING)
    port = free_port()
    workdir = tmp_path_factory.mktemp("bot")
    log_path = workdir / "bot.log"
    with FakeSlack() as slack:
        env = bot_environment(database_url, slack.url, HOST="127.0.0.1", PORT=str(port), **bot_env)
        log = log_path.open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "casebot.cli", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, log_path)
            yield BotProcess(url, slack, engine, process, database_url, log_path)
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
            engine.dispose()


@pytest.fixture
def bot(bot_process: BotProcess) -> RunningBot:
    """The module's bot, idle, with every table emptied and the Slack stand-in's record cleared."""
    if bot_process.process.poll() is not None:
        raise AssertionError(f"casebot run has exited:\n{bot_process.log_path.read_text()}")
    _wait_idle(bot_process.url)
    empty_tables(bot_process.engine)
    bot_process.slack.reset()
    return RunningBot(
        bot_process.url,
        bot_process.slack,
        UnitOfWork(make_session_factory(bot_process.engine)),
        bot_process.process,
        bot_process.database_url,
        bot_process.log_path,
        bot_process.log_path.stat().st_size,
    )


def empty_tables(engine: Engine) -> None:
    """Every table of the schema emptied, ids restarting at 1, as on a fresh database."""
    from models.base import Base

    names = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            # The append-only guards (triggers) are set aside for the emptying and put back as they were.
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type='trigger'")
            ).all()
            for name, _ in triggers:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
            for _, sql in triggers:
                connection.execute(text(sql))
            if connection.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first():
                connection.execute(text("DELETE FROM sqlite_sequence"))


def _wait_idle(url: str, timeout: float = 30) -> None:
    """Until the bot holds no lazy work (the previous test's answers all went out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            if response.headers.get("X-Casebot-Pending-Work", "0") == "0":
                return
        time.sleep(0.02)
    raise AssertionError("the bot kept working for 30 s after the previous test")


def _wait_healthy(url: str, process: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"casebot run exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"casebot run did not come up:\n{log_path.read_text()}")
