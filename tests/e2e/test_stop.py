"""A stop loses nothing: SIGTERM to the real `casebot run` (HTTP mode) in a burst of commands and in the
middle of a reminder sweep, against the Slack stand-in, on SQLite and PostgreSQL.

Each test starts its own process (it is stopped by the test), so these do not share the module's bot.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from models.db import UnitOfWork, make_engine, make_session_factory
from models.enums import ReminderKind, ReminderStatus, StaffRole, Surface
from models.reminder import Reminder
from models.schemas import StaffInput
from models.services import cases, staff
from models.services.calendar import WorkCalendar
from models.services.context import Ctx
from sandbox.slack import FakeSlack
from sandbox.slack.requests import post, slash_command
from tests.conftest import TEST_KEYRING
from tests.e2e.conftest import SIGNING_SECRET, _wait_healthy, bot_environment, free_port
from tests.factories import intake

BURST = 200
USERS = [f"UBURST{n}" for n in range(10)]
SUMMARY = re.compile(
    r"stopped: (\d+) answers finished after the stop, (\d+) still running at the deadline, "
    r"(\d+) never started; (\d+) claimed reminders put back"
)


@dataclass
class Started:
    process: subprocess.Popen
    url: str
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit status and the seconds until the process was gone."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=120)
        return code, time.monotonic() - began


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, migrated_database_url) -> Iterator[tuple[str, Engine]]:
    url = migrated_database_url(request.param)
    engine = make_engine(url, keyring=TEST_KEYRING)
    yield url, engine
    engine.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def start(database, slack, tmp_path) -> Iterator:
    """`start(**env)` runs `casebot run` on the test's database and stand-in; every process it started
    is gone at the end of the test (killed if the test left it running)."""
    started: list[Started] = []

    def run(**env: str) -> Started:
        port = free_port()
        log_path = tmp_path / f"bot{len(started)}.log"
        environment = bot_environment(database[0], slack.url, HOST="127.0.0.1", PORT=str(port), **env)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "casebot.cli", "run"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        bot = Started(process, f"http://127.0.0.1:{port}", log_path)
        started.append(bot)
        _wait_healthy(bot.url, process, log_path)
        return bot

    yield run
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=30)


def add_users(engine: Engine) -> None:
    with UnitOfWork(make_session_factory(engine))() as db:
        for user in USERS:
            staff.add_staff(
                db, StaffInput(slack_user_id=user, display_name=user, role=StaffRole.CASE_MANAGER, team="1팀")
            )


@dataclass
class Burst:
    acked: dict[int, tuple[str, str]]  # request number → (user, channel) of the commands answered 200
    refused: int  # no 200: refused, reset or unanswered once the stop began


def burst_with_sigterm(bot: Started, *, sigterm_after: int) -> tuple[Burst, int, float]:
    """BURST `/case list` from 16 threads; SIGTERM once `sigterm_after` were answered."""
    acked: dict[int, tuple[str, str]] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def send(n: int) -> None:
        user, channel = USERS[n % len(USERS)], f"CB{n:05d}"
        request = slash_command(SIGNING_SECRET, text="list", user_id=user, channel_id=channel)
        try:
            status = post(bot.url + "/slack/events", request.body, request.headers, timeout=30)[0]
        except OSError:
            return
        if status == 200:
            with lock:
                acked[n] = (user, channel)
                if len(acked) >= sigterm_after:
                    enough.set()

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(send, n) for n in range(BURST)]
        assert enough.wait(60), "the burst was not answered"
        code, seconds = bot.terminate()
        for future in futures:
            future.result()
    return Burst(acked, BURST - len(acked)), code, seconds


def answers(slack: FakeSlack) -> set[tuple[str, str]]:
    return {(c.params.get("user"), c.params.get("channel")) for c in slack.calls("chat.postEphemeral")}


def summary_of(log: str) -> tuple[int, int, int, int]:
    found = SUMMARY.search(log)
    assert found, log[-3000:]
    finished, running, not_started, released = map(int, found.groups())
    return finished, running, not_started, released


def assert_clean(log: str) -> None:
    assert "Traceback" not in log and " ERROR " not in log, log[-5000:]


def test_sigterm_in_a_burst_answers_every_acked_command(database, slack, start, capsys):
    add_users(database[1])
    bot = start()
    burst, code, seconds = burst_with_sigterm(bot, sigterm_after=BURST // 2)
    log = bot.log_text()
    assert code == 0, log[-3000:]
    finished, running, not_started, _ = summary_of(log)
    assert running == not_started == 0
    delivered = answers(slack)
    missing = [n for n, sent_to in burst.acked.items() if sent_to not in delivered]
    assert not missing, f"{len(missing)} acked commands got no answer"
    assert_clean(log)
    with capsys.disabled():
        print(
            f"\n[{database[0].split(':')[0]}] burst of {BURST}: {len(burst.acked)} acked, "
            f"{len(delivered)} answers delivered ({finished} finished after SIGTERM), "
            f"{burst.refused} not acked; exit {code} in {seconds:.2f} s"
        )


def test_past_the_grace_limit_what_never_started_is_logged_by_count(database, slack, start, capsys):
    add_users(database[1])
    slack.delay("chat.postEphemeral", 0.25)  # a slow Slack: the answers queue up behind two workers
    bot = start(SHUTDOWN_GRACE_SECONDS="1", LAZY_WORKERS="2")
    burst, code, seconds = burst_with_sigterm(bot, sigterm_after=BURST // 2)
    log = bot.log_text()
    assert code == 0, log[-3000:]
    _, running, not_started, _ = summary_of(log)
    assert not_started > 0
    assert f"{not_started + running} acked requests got no answer (past SHUTDOWN_GRACE_SECONDS=1.0)" in log
    delivered = answers(slack)
    answered = sum(1 for sent_to in burst.acked.values() if sent_to in delivered)
    # what was running at the deadline finished before the process exited; only what never started is lost
    assert answered == len(burst.acked) - not_started, (answered, len(burst.acked), not_started)
    assert seconds < 1 + 5, seconds
    assert_clean(log)
    with capsys.disabled():
        print(
            f"\n[{database[0].split(':')[0]}] grace 1 s, Slack 0.25 s a call: {len(burst.acked)} acked, "
            f"{answered} answered, {not_started} never started (logged), {running} running at the "
            f"deadline; exit {code} in {seconds:.2f} s"
        )


# ---------------------------------------------------------------------------------------- mid-sweep

ZONES = ["Pacific/Kiritimati", "Asia/Seoul", "Europe/London", "America/Los_Angeles", "Pacific/Pago_Pago"]


def working_zone() -> str:
    """A zone where today is a working day (working hours are set to the whole day), so the scheduler's
    start-up sweep sends at once whatever the time of the test; none on a weekend everywhere."""
    now = datetime.now(ZoneInfo("UTC"))
    for zone in ZONES:
        calendar = WorkCalendar(ZoneInfo(zone), 0, 24)
        if calendar.is_working_day(now.astimezone(ZoneInfo(zone)).date()):
            return zone
    pytest.skip("no time zone is on a working day now (a weekend everywhere)")


def due_reminders(engine: Engine, n: int) -> int:
    """`n` reminders due an hour ago, each for another staff member (one message each, and no pacing
    between messages to the same conversation)."""
    uow = UnitOfWork(make_session_factory(engine))
    now = datetime.now(ZoneInfo("UTC"))
    for number in range(n):
        user = f"USWEEP{number}"
        with uow() as db:
            manager = staff.add_staff(
                db, StaffInput(slack_user_id=user, display_name=user, role=StaffRole.CASE_MANAGER, team="1팀")
            )
        with uow() as db:
            ctx = Ctx(actor=staff.find_staff(db, user), surface=Surface.CLI, now=now)
            case = cases.open_case(db, ctx, intake(name=f"가상{number}"))
            db.add(
                Reminder(
                    key=f"stop:{case.id}",
                    kind=ReminderKind.ACTION_ITEM,
                    case_id=case.id,
                    recipient_id=manager.id,
                    due_at=now - timedelta(hours=1),
                    attempts=0,
                )
            )
    return n


def reminder_counts(engine: Engine) -> dict[ReminderStatus, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Reminder.status, func.count())
            .where(Reminder.key.startswith("stop:"))  # not the case's own (future) reminders
            .group_by(Reminder.status)
        ).all()
    return {ReminderStatus(status): count for status, count in rows}


def wait_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_sigterm_mid_sweep_strands_no_reminder_and_the_restart_sends_the_rest_at_once(
    database, slack, start, capsys
):
    engine = database[1]
    total = due_reminders(engine, 100)
    env = {
        "SCHEDULER_ENABLED": "true",
        "TIMEZONE": working_zone(),
        "WORKING_HOURS__START_HOUR": "0",
        "WORKING_HOURS__END_HOUR": "24",
    }
    slack.delay("chat.postMessage", 0.2)  # the sweep takes about 20 s
    bot = start(**env)
    assert wait_until(lambda: len(slack.calls("chat.postMessage")) >= 5, 30), bot.log_text()[-3000:]
    code, seconds = bot.terminate()
    log = bot.log_text()
    assert code == 0, log[-3000:]
    counts = reminder_counts(engine)
    assert counts.get(ReminderStatus.CLAIMED, 0) == 0, counts
    sent_before = counts.get(ReminderStatus.SENT, 0)
    assert 0 < sent_before < total, counts
    assert counts.get(ReminderStatus.PENDING, 0) == total - sent_before, counts
    posted_before = len(slack.calls("chat.postMessage"))
    assert posted_before == sent_before  # every message posted was stamped before the stop
    _, _, _, released = summary_of(log)
    assert_clean(log)

    slack.delay("chat.postMessage", 0)
    restarted_at = time.monotonic()
    again = start(**env)
    assert wait_until(lambda: reminder_counts(engine).get(ReminderStatus.SENT, 0) == total, 60), (
        reminder_counts(engine),
        again.log_text()[-3000:],
    )
    resent = time.monotonic() - restarted_at
    assert resent < 60  # not after a 10-minute claim timeout
    assert len(slack.calls("chat.postMessage")) == total  # each message once
    again.terminate()
    assert_clean(again.log_text())
    with capsys.disabled():
        print(
            f"\n[{database[0].split(':')[0]}] sweep of {total}: SIGTERM after {sent_before} sent, "
            f"exit {code} in {seconds:.2f} s, {released} claims put back, none CLAIMED; the restart "
            f"sent the other {total - sent_before} within {resent:.1f} s of its start"
        )
