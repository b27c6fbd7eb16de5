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

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"


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
        [sys.executable, "-m", "bot.cli", "reminders", "send", "--as-of", moment.isoformat()],
        env=bot_environment(bot.database_url, bot.slack.url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Extra environment for `casebot run`; a test module overrides it (e.g. PRIVACY_MODE=strict)."""
    return {}


@pytest.fixture(params=["sqlite", "postgresql"])
def bot(request, empty_database_url, tmp_path, bot_env) -> Iterator[RunningBot]:
    database_url = empty_database_url(request.param)
    engine = make_engine(database_url, keyring=TEST_KEYRING)
    from models import schema

    schema.upgrade(engine)  # PostgreSQL is never migrated by `run`; SQLite would be, this keeps them alike
    port = free_port()
    with FakeSlack() as slack:
        env = bot_environment(database_url, slack.url, HOST="127.0.0.1", PORT=str(port), **bot_env)
        log = (tmp_path / "bot.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, tmp_path / "bot.log")
            yield RunningBot(url, slack, UnitOfWork(make_session_factory(engine)), process, database_url)
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()
            engine.dispose()


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
            time.sleep(0.1)
    raise AssertionError(f"casebot run did not come up:\n{log_path.read_text()}")
