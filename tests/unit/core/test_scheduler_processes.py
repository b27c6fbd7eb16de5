"""Exactly once across real OS processes on one PostgreSQL database.

Two sweeper processes run the real sweep (scheduler.sweep.sweep) at once over a burst of due
reminders against one Slack stand-in: each reminder is posted once. Two scheduler processes elect one
leader with the advisory lock; when the leader is killed, the other takes over.

This module is also the worker those processes run:
    python -m tests.unit.core.test_scheduler_processes sweep DATABASE_URL SLACK_URL NOW GO_FILE OUT_FILE
    python -m tests.unit.core.test_scheduler_processes lead DATABASE_URL RETRY_SECONDS LEADER_FILE
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[3]
SEOUL = ZoneInfo("Asia/Seoul")
# Wednesday 4 March 2026, 10:00 in Seoul: a working day, inside working hours.
SWEEP_AT = datetime(2026, 3, 4, 10, 0, tzinfo=SEOUL)
BURST = 300
CLAIM_LIMIT = 15  # small claims, so the two sweepers take turns many times


def _worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.unit.core.test_scheduler_processes", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(path: Path, timeout: float, process: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if process is not None and process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{process.stdout.read() if process.stdout else ''}")
        time.sleep(0.05)
    return False


def _seed_burst(database_url: str) -> dict[int, str]:
    """BURST open cases (bulk, as the benchmark seeds them), each with one reminder due before SWEEP_AT."""
    from bench.seed import seed
    from models import schema
    from models.case import Case
    from models.db import make_engine
    from models.enums import ReminderKind
    from models.reminder import Reminder

    engine = make_engine(database_url)
    schema.upgrade(engine)
    seed(engine, BURST)
    with engine.begin() as connection:
        cases = connection.execute(select(Case.id, Case.code, Case.case_manager_id)).all()
        connection.execute(
            insert(Reminder),
            [
                {
                    "key": f"burst:{case_id}",
                    "kind": ReminderKind.NEXT_CONTACT,
                    "case_id": case_id,
                    "recipient_id": manager_id,
                    "due_at": SWEEP_AT - timedelta(hours=1 + i % 48),
                    "status": "PENDING",
                    "attempts": 0,
                }
                for i, (case_id, _, manager_id) in enumerate(cases)
            ],
        )
    engine.dispose()
    return {case_id: code for case_id, code, _ in cases}


ONE_PROCESS_ON_SQLITE = (
    "SQLite is the single-process development database: several bot processes on one database "
    "need PostgreSQL (FOR UPDATE SKIP LOCKED, the advisory lock)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request, empty_database_url) -> str:
    if request.param == "sqlite":
        pytest.skip(ONE_PROCESS_ON_SQLITE)
    return empty_database_url("postgresql")  # skips without a server (fails under CI=true)


def test_two_sweeper_processes_send_each_reminder_of_a_burst_exactly_once(shared_database, tmp_path):
    from models.db import make_engine
    from models.enums import ReminderStatus
    from models.reminder import Reminder
    from sandbox.slack import FakeSlack

    database_url = shared_database
    codes = _seed_burst(database_url)
    go = tmp_path / "go"
    with FakeSlack() as slack:
        slack.delay("chat.postMessage", 0.01)  # a send takes a little while, as Slack's does
        outs = [tmp_path / f"sweeper{i}.json" for i in range(2)]
        workers = [
            _worker("sweep", database_url, slack.url, SWEEP_AT.isoformat(), str(go), str(o)) for o in outs
        ]
        for out in outs:  # both have imported and connected before either sweeps
            assert _wait_for(out.with_suffix(".ready"), 60, workers[outs.index(out)]), (
                "a sweeper never got ready"
            )
        go.touch()
        try:
            for worker in workers:
                output, _ = worker.communicate(timeout=120)
                assert worker.returncode == 0, output
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        posts = slack.calls("chat.postMessage")

    per_code = Counter(code for post in posts for code in codes.values() if code in post.params["text"])
    assert per_code == Counter({code: 1 for code in codes.values()})  # every reminder, exactly once
    assert len(posts) == BURST
    reports = [json.loads(o.read_text()) for o in outs]
    assert sum(r["sent"] for r in reports) == BURST and all(r["sweeps"] >= 3 for r in reports), reports
    # Both swept concurrently; how the burst is shared depends on each claim keeping to its limit,
    # which test_one_claim_takes_at_most_its_limit_on_postgresql checks (known defect, see there).

    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Reminder.status, Reminder.message_ts, Reminder.attempts)).all()
    engine.dispose()
    assert len(rows) == BURST
    assert {status for status, _, _ in rows} == {ReminderStatus.SENT}
    assert len({ts for _, ts, _ in rows if ts}) == BURST  # stamped with its own message's ts
    assert {attempts for _, _, attempts in rows} == {1}  # and claimed only once


def test_one_claim_takes_at_most_its_limit_on_postgresql(shared_database):
    from models.db import UnitOfWork, make_engine, make_session_factory
    from models.services import sweeper

    codes = _seed_burst(shared_database)  # fresh tables, as after a deployment: no planner statistics
    engine = make_engine(shared_database)
    uow = UnitOfWork(make_session_factory(engine))
    try:
        with uow() as db:
            first = sweeper.claim(db, SWEEP_AT, CLAIM_LIMIT)
        with uow() as db:
            second = sweeper.claim(db, SWEEP_AT, CLAIM_LIMIT)
    finally:
        engine.dispose()
    assert len(first) == CLAIM_LIMIT and len(second) == CLAIM_LIMIT and len(codes) == BURST


def test_a_second_scheduler_process_takes_over_when_the_leader_is_killed(shared_database, tmp_path):
    from models import schema
    from models.db import make_engine

    database_url = shared_database
    engine = make_engine(database_url)
    schema.upgrade(engine)
    engine.dispose()
    retry = "0.5"  # the production default is 30 s (scheduler.runner.RETRY_SECONDS)
    first_leads, second_leads = tmp_path / "first.leader", tmp_path / "second.leader"
    first = _worker("lead", database_url, retry, str(first_leads))
    second = None
    try:
        assert _wait_for(first_leads, 30, first), "the first process never became the leader"
        second = _worker("lead", database_url, retry, str(second_leads))
        # It keeps trying (every 0.5 s) but cannot lead while the first holds the lock.
        assert not _wait_for(second_leads, 4, second)
        first.send_signal(signal.SIGKILL)  # no clean shutdown: the lock goes with the dead session
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert _wait_for(second_leads, 10, second), "nobody took over"
        assert time.monotonic() - killed_at < 10
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)


# --- the worker processes ----------------------------------------------------------------------------


def _sweep_worker(database_url: str, slack_url: str, now: str, go: str, out: str) -> None:
    from slack_sdk import WebClient

    from models.db import UnitOfWork, make_engine, make_session_factory
    from models.services.calendar import WorkCalendar
    from models.services.context import Policy
    from scheduler.sweep import sweep

    engine = make_engine(database_url)
    uow = UnitOfWork(make_session_factory(engine))
    client = WebClient(token="xoxb-proc", base_url=slack_url)
    calendar = WorkCalendar(SEOUL, 9, 18)
    moment = datetime.fromisoformat(now)
    with uow() as db:  # connected and warmed up: the test starts both sweepers at once
        db.execute(select(1))
    Path(out).with_suffix(".ready").touch()
    while not os.path.exists(go):
        time.sleep(0.01)
    sent = sweeps = idle = 0
    while idle < 3:  # a few empty sweeps in a row: the other process has taken the rest
        report = sweep(
            uow, client, Policy(), calendar, moment, limit=CLAIM_LIMIT, sleep=lambda _: None
        )  # one recipient may get several nudges: Slack's per-channel pacing is not under test here
        sweeps += 1
        sent += report.sent
        idle = idle + 1 if report.sent == 0 else 0
        assert report.failed == 0 and not report.outside_working_time, str(report)
    Path(out).write_text(json.dumps({"sent": sent, "sweeps": sweeps}))
    engine.dispose()


def _lead_worker(database_url: str, retry_seconds: str, leader_file: str) -> None:
    from models.db import make_engine
    from scheduler.runner import SchedulerService

    service = SchedulerService(make_engine(database_url), zone=SEOUL, retry_seconds=float(retry_seconds))
    service.start()
    while service.scheduler is None or not service.scheduler.running:
        time.sleep(0.05)
    Path(leader_file).touch()
    while True:  # lead until killed
        time.sleep(1)


if __name__ == "__main__":
    role, *arguments = sys.argv[1:]
    if role == "sweep":
        _sweep_worker(*arguments)
    elif role == "lead":
        _lead_worker(*arguments)
    else:
        raise SystemExit(f"unknown role {role}")
