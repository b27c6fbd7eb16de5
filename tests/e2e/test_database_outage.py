"""A database outage mid-dialogue, against the real `casebot run` and a PostgreSQL server of the test's
own (initdb/pg_ctl into a temporary folder, on another port), stopped while a modal is open.

The modal's submission is answered inline (the modal stays, with what was typed, and a reference that
is in the log), a command in the same outage gets one message, and after the server is back the same
submission saves once.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.ids import View
from models import Case, schema
from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import StaffRole
from models.schemas import StaffInput
from models.services import staff
from sandbox.slack import FakeSlack
from sandbox.slack.requests import post, slash_command
from tests.conftest import TEST_KEYRING
from tests.e2e.conftest import SIGNING_SECRET, _wait_healthy, bot_environment, free_port
from tests.e2e.helpers import submit as submit_view
from tests.e2e.test_intake import valid_intake

REFERENCE = re.compile(r"참조 ([0-9a-f]{8})")


def postgres_binaries() -> Path | None:
    """The folder of this machine's initdb and pg_ctl (PATH first, then Debian's layout)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(f"{folder}/pg_ctl") and os.path.exists(f"{folder}/initdb"):
            return Path(folder)
    return None


@dataclass
class OwnPostgres:
    """A throwaway PostgreSQL server: trust authentication, no fsync, a socket in its own folder."""

    bin: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            timeout=60,
            preexec_fn=_as_postgres if os.getuid() == 0 else None,  # initdb refuses to run as root
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


def _as_postgres() -> None:
    user = pwd.getpwnam("postgres")
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    binaries = postgres_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("initdb/pg_ctl not found: CI must have PostgreSQL's server binaries")
        pytest.skip("initdb/pg_ctl not found on this machine")
    folder = Path(tempfile.mkdtemp(prefix="casebot-pg-"))
    if os.getuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    server = OwnPostgres(binaries, folder, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Bot:
    events_url: str
    slack: FakeSlack
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def bot(own_postgres: OwnPostgres, tmp_path: Path) -> Iterator[Bot]:
    engine = make_engine(own_postgres.url, keyring=TEST_KEYRING)
    schema.upgrade(engine)
    with UnitOfWork(make_session_factory(engine))() as db:
        staff.add_staff(
            db, StaffInput(slack_user_id="UCM1", display_name="UCM1", role=StaffRole.CASE_MANAGER, team="1팀")
        )
    engine.dispose()
    port = free_port()
    log_path = tmp_path / "bot.log"
    with FakeSlack() as slack:
        env = bot_environment(own_postgres.url, slack.url, HOST="127.0.0.1", PORT=str(port))
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "casebot.cli", "run"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, log_path)
            yield Bot(url + "/slack/events", slack, log_path)
        finally:
            process.terminate()
            process.wait(timeout=60)


def count_cases(url: str) -> int:
    engine = make_engine(url, keyring=TEST_KEYRING)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Case)).scalar_one()
    finally:
        engine.dispose()


def answers_to(bot: Bot, user: str) -> list[dict]:
    return [
        c.params
        for c in bot.slack.calls()
        if (c.method == "chat.postEphemeral" and c.params.get("user") == user)
        or (c.method == "chat.postMessage" and c.params.get("channel") == user)
    ]


def test_a_database_outage_under_an_open_modal_answers_inline_then_saves_once(bot, own_postgres):
    # the person opens the intake modal (the database is up)
    request = slash_command(SIGNING_SECRET, text="new", user_id="UCM1", channel_id="C0001")
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.INTAKE

    own_postgres.stop()  # the outage
    metadata = json.dumps({"channel": "C0001"})
    values = valid_intake()
    began = time.monotonic()
    status, body = submit_view(bot, "UCM1", View.INTAKE, values, view_id="VOUTAGE", private_metadata=metadata)
    answered_in = time.monotonic() - began
    assert status == 200, body
    assert body["response_action"] == "errors", body  # the modal stays open, with what was typed
    [(block, message)] = body["errors"].items()
    assert block in values  # under one of the modal's inputs
    assert "저장하지 못했습니다" in message and "다시" in message
    reference = REFERENCE.search(message)
    assert reference and reference.group(1) in bot.log_text()

    # a command in the same outage: one message, with a reference that is in the log
    calls_before = len(bot.slack.calls())
    request = slash_command(SIGNING_SECRET, text="list", user_id="UCM1", channel_id="C0001")
    status, _, raw = post(bot.events_url, request.body, request.headers)
    assert status == 200
    time.sleep(1.0)  # time for any lazy work to say something more
    later = [c for c in bot.slack.calls()[calls_before:] if c.method.startswith("chat.")]
    in_ack = json.loads(raw)["text"] if raw else None
    messages = ([in_ack] if in_ack else []) + [c.params["text"] for c in later]
    assert len(messages) == 1, messages
    reference = re.search(r"`([0-9a-f]{8})`", messages[0])
    assert reference and reference.group(1) in bot.log_text(), messages[0]
    assert count_cases_after_restart(own_postgres) == 0  # nothing was half-saved

    # the server is back: the same submission saves, once
    status, body = submit_view(bot, "UCM1", View.INTAKE, values, view_id="VOUTAGE", private_metadata=metadata)
    assert status == 200 and body["response_action"] == "update", body
    status, again = submit_view(
        bot, "UCM1", View.INTAKE, values, view_id="VOUTAGE", private_metadata=metadata
    )
    assert status == 200 and again["response_action"] == "update", again
    assert count_cases(own_postgres.url) == 1
    assert len([c for c in answers_to(bot, "UCM1") if "C-" in c.get("text", "")]) == 1
    log = bot.log_text()
    assert "Traceback" not in log
    print(f"\noutage: the submission was answered inline in {answered_in:.2f} s")


def count_cases_after_restart(server: OwnPostgres) -> int:
    server.start()
    return count_cases(server.url)
