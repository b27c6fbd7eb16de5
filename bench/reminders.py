"""Reminders at scale: 100,000 open cases with their reminder rows, on SQLite or PostgreSQL.

Run by hand (not a test):  .venv/bin/python -m bench.reminders [--database postgresql] [--cases N]
Prints the time to recompute one case's reminders (reminders.refresh, p50/p95), to find and claim
1,000 due rows (sweeper.claim, one transaction each), and what a sweep of 1,000 rows costs in time and
memory (RSS growth, and tracemalloc's peak in a second sweep) against the Slack stand-in running in a
process of its own. Slack's one-message-per-second-per-channel pacing is switched off for the sweep.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import socket
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seed import seed  # noqa: E402
from bench.slack_commands import database, drop, p, spawn  # noqa: E402
from models import schema  # noqa: E402
from models.case import Case  # noqa: E402
from models.db import UnitOfWork, make_engine, make_session_factory  # noqa: E402
from models.enums import ReminderStatus, StaffRole  # noqa: E402
from models.reminder import Reminder  # noqa: E402
from models.services import reminders, sweeper  # noqa: E402
from models.services.calendar import WorkCalendar  # noqa: E402
from models.services.context import Policy  # noqa: E402
from models.services.lifecycle import CaseSnapshot  # noqa: E402
from models.staff import StaffMember  # noqa: E402
from tests.e2e.conftest import free_port  # noqa: E402

ZONE = ZoneInfo("Asia/Seoul")
CHUNK = 5000


def spread_and_schedule(engine, now: datetime, rng: random.Random) -> int:  # type: ignore[no-untyped-def]
    """Move each seeded case's intake 0-90 days back (seed.py opens them all now), then write the
    reminder rows reminders.due_items gives for it, as refresh() would have written them."""
    policy = Policy()
    with engine.begin() as connection:
        rows = connection.execute(
            select(Case.id, Case.team_id, Case.case_manager_id, Case.intensity, Case.status)
        ).all()
        supervisors: dict[int, list[int]] = {}
        for staff_id, team_id in connection.execute(
            select(StaffMember.id, StaffMember.team_id).where(StaffMember.role == StaffRole.SUPERVISOR)
        ):
            supervisors.setdefault(team_id, []).append(staff_id)
        moved = []
        for case_id, *_ in rows:
            opened = now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
            moved.append({"cid": case_id, "at": opened})
        statement = (
            update(Case.__table__)
            .where(Case.__table__.c.id == bindparam("cid"))
            .values(
                intake_at=bindparam("at"), referred_at=bindparam("at"), episode_started_at=bindparam("at")
            )
        )
        for start in range(0, len(moved), CHUNK):
            connection.execute(statement, moved[start : start + CHUNK])
        opened_at = {m["cid"]: m["at"] for m in moved}
        written = 0
        batch: list[dict] = []
        for case_id, team_id, manager_id, intensity, status in rows:
            at = opened_at[case_id]
            case = Case(
                id=case_id,
                episode=1,
                status=status,
                intensity=intensity,
                crisis=False,
                case_manager_id=manager_id,
                team_id=team_id,
                intake_at=at,
                episode_started_at=at,
                referred_at=at,
                classified_at=at if intensity else None,
            )
            for item in reminders.due_items(CaseSnapshot(case=case), policy, supervisors.get(team_id, [])):
                batch.append(
                    {
                        "key": item.key,
                        "kind": item.kind,
                        "case_id": case_id,
                        "recipient_id": item.recipient_id,
                        "due_at": item.due_at,
                        "status": ReminderStatus.PENDING,
                        "attempts": 0,
                    }
                )
            if len(batch) >= CHUNK:
                connection.execute(insert(Reminder), batch)
                written += len(batch)
                batch = []
        if batch:
            connection.execute(insert(Reminder), batch)
            written += len(batch)
    return written


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the Slack stand-in did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--refreshes", type=int, default=200)
    parser.add_argument("--claims", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)

    url = database(args.database)
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        started = time.perf_counter()
        seed(engine, args.cases)
        now = datetime.now(UTC)
        rows = spread_and_schedule(engine, now, rng)
        if args.database == "postgresql":
            # Autovacuum analyses a table this size soon after a load; without statistics the planner
            # sorts every due row for a claim instead of walking the (status, due_at) index.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        print(
            f"{args.database}: seeded {args.cases:,} open cases and {rows:,} reminder rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
        uow = UnitOfWork(make_session_factory(engine))
        policy = Policy()

        # 1. Recompute one case's reminders (what every service call that changes a case does).
        with uow() as db:
            ids = list(db.scalars(select(Case.id)))
        timings = []
        for case_id in rng.sample(ids, args.refreshes):
            begun = time.perf_counter()
            with uow() as db:
                case = db.get(Case, case_id)
                assert case is not None
                reminders.refresh(db, case, policy, today=now.astimezone(ZONE).date())
            timings.append((time.perf_counter() - begun) * 1000)
        print(
            f"refresh one case (load, recompute, commit), {args.refreshes} cases: "
            f"p50 {p(timings, 50):.1f} ms, p95 {p(timings, 95):.1f} ms"
        )

        # 2. Find and claim 1,000 due rows, as a sweep does (one statement, one transaction).
        calendar = WorkCalendar(ZONE, 9, 18)
        moment = calendar.next_working_start(now)
        with uow() as db:
            due = len(sweeper.due(db, moment, limit=10**7))
        claims = []
        for _ in range(args.claims):
            begun = time.perf_counter()
            with uow() as db:
                claimed = sweeper.claim(db, moment, 1000)
            claims.append((time.perf_counter() - begun) * 1000)
            assert len(claimed) == 1000, len(claimed)
        print(
            f"claim 1,000 of {due:,} due rows: p50 {statistics.median(claims):.1f} ms, "
            f"max {max(claims):.1f} ms over {args.claims} claims"
        )

        # 3. The sweeper's memory: a sweep of 1,000 rows, measured twice (RSS, then tracemalloc).
        from slack_sdk import WebClient

        from scheduler.sweep import sweep

        port = free_port()
        fake = spawn("fake-slack", str(port))
        try:
            wait_port(port)
            client = WebClient(token="xoxb-bench", base_url=f"http://127.0.0.1:{port}/api/")
            rss_before = rss_kib()
            begun = time.perf_counter()
            report = sweep(uow, client, policy, calendar, moment, limit=1000, sleep=lambda _: None)
            took = time.perf_counter() - begun
            rss_after = rss_kib()
            print(
                f"sweep of 1,000 rows: {report} in {took:.1f} s; "
                f"RSS {rss_before / 1024:.0f} → {rss_after / 1024:.0f} MiB (+{(rss_after - rss_before) / 1024:.1f})"
            )
            tracemalloc.start()
            report = sweep(uow, client, policy, calendar, moment, limit=1000, sleep=lambda _: None)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"second sweep of 1,000 rows ({report.sent} messages): tracemalloc peak {peak / 2**20:.1f} MiB"
            )
        finally:
            fake.terminate()
            fake.wait(10)
    finally:
        engine.dispose()
        drop(url)
        if url.startswith("sqlite:///"):
            shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)


if __name__ == "__main__":
    main()
