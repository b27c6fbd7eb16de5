"""`casebot stats` for one month over 100,000 cases with a year of history (not a test).

Run by hand:  .venv/bin/python -m bench.stats [--database postgresql] [--cases N] [--runs N]
Seeds the cases (bench/seed.py), spreads their intake over the last year, and adds a year of history
through SQLAlchemy Core: contact notes (about four per case), a completed assessment each, referrals,
service deliveries, approved closures for a third of the cases, after-care checks and conferences.
Then runs `casebot stats` in-process for the last full month (csv, the whole agency, and one team) and
prints the p50 and p95 of the wall time and the peak memory (tracemalloc, and the process's max RSS).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.seed import seed  # noqa: E402
from bench.slack_commands import database, drop, p  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from casebot.cli import main as casebot  # noqa: E402
from models import (  # noqa: E402
    AfterCareCheck,
    Assessment,
    Case,
    CaseConference,
    Closure,
    ContactNote,
    Referral,
    Resource,
    ServiceDelivery,
    StaffMember,
    schema,
)
from models.db import make_engine  # noqa: E402
from models.enums import (  # noqa: E402
    AfterCareStatus,
    AssessmentKind,
    AssessmentStatus,
    CaseStatus,
    ClosureReason,
    ClosureStatus,
    ConferenceStatus,
    ConferenceType,
    ContactKind,
    ContactOutcome,
    ContactType,
    NeedDomain,
    ReferralStatus,
    ResourceCategory,
    ResourceSector,
    ServiceUnit,
    StaffRole,
)

CHUNK = 10_000


def add_history(engine, cases: int, rng: random.Random) -> dict[str, int]:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        resources = []
        for i, category in enumerate(ResourceCategory):
            resources.append({"name": f"bench-resource-{i}", "category": category,
                              "sector": rng.choice(list(ResourceSector)), "active": True, "has_mou": False,
                              "last_verified_at": now, "created_at": now})  # fmt: skip
        connection.execute(insert(Resource), resources)
        resource_ids = list(connection.scalars(select(Resource.id)))
        staff_by_team: dict[int, list[int]] = {}
        for staff_id, team_id, role in connection.execute(
            select(StaffMember.id, StaffMember.team_id, StaffMember.role)
        ):
            if role == StaffRole.CASE_MANAGER:
                staff_by_team.setdefault(team_id, []).append(staff_id)
        rows = connection.execute(select(Case.id, Case.team_id, Case.case_manager_id)).all()
        opened: dict[int, datetime] = {}
        moves = []
        for case_id, _, _ in rows:
            start = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
            opened[case_id] = start
            moves.append({"b_id": case_id, "b_at": start})
        move = (
            update(Case.__table__)
            .where(Case.__table__.c.id == bindparam("b_id"))
            .values(
                referred_at=bindparam("b_at"),
                intake_at=bindparam("b_at"),
                episode_started_at=bindparam("b_at"),
            )
        )
        for i in range(0, len(moves), CHUNK):
            connection.execute(move, moves[i : i + CHUNK])

        def batch(model, items) -> None:  # type: ignore[no-untyped-def]
            buffer = []
            for item in items:
                buffer.append(item)
                if len(buffer) >= CHUNK:
                    connection.execute(insert(model), buffer)
                    counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(buffer)
                    buffer = []
            if buffer:
                connection.execute(insert(model), buffer)
                counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(buffer)

        def between(start: datetime) -> datetime:
            return start + (now - start) * rng.random()

        batch(ContactNote, (
            {"case_id": c, "episode": 1, "author_id": m, "contact_at": between(opened[c]),
             "contact_type": rng.choice(list(ContactType)), "kind": rng.choice(list(ContactKind)),
             "outcome": ContactOutcome.DONE, "risk_changed": False,
             "duration_minutes": rng.choice([None, 10, 20, 30, 60]), "created_at": now}
            for c, _, m in rows for _ in range(rng.randint(1, 7))
        ))  # fmt: skip
        batch(Assessment, (
            {"case_id": c, "episode": 1, "kind": AssessmentKind.INITIAL, "status": AssessmentStatus.COMPLETED,
             "assessor_id": m, "started_at": opened[c], "completed_at": between(opened[c]),
             "screen_self_harm": False, "screen_abuse": False, "screen_loss_of_income_or_housing": False,
             "screen_loss_of_carer": False, "draft_step": 0, "draft_state": {}}
            for c, _, m in rows
        ))  # fmt: skip
        batch(Referral, (
            {"case_id": c, "episode": 1, "resource_id": rng.choice(resource_ids), "domain": NeedDomain.ECONOMIC,
             "reason": "bench", "status": rng.choice(list(ReferralStatus)), "created_by_id": m,
             "created_at": between(opened[c]), "updated_at": now}
            for c, _, m in rows if rng.random() < 0.6
        ))  # fmt: skip
        batch(ServiceDelivery, (
            {"case_id": c, "episode": 1, "delivered_on": between(opened[c]).date(),
             "category": rng.choice(list(ResourceCategory)), "description": "bench",
             "quantity": rng.randint(1, 5), "unit": rng.choice(list(ServiceUnit)),
             "amount_won": rng.choice([0, 10_000, 40_000, 100_000]),
             "funding_source": rng.choice(["DONATION", "PROGRAM", "PUBLIC_BENEFIT", "OTHER"]),
             "provider_resource_id": rng.choice(resource_ids), "recorded_by_id": m, "created_at": now}
            for c, _, m in rows for _ in range(rng.randint(0, 2))
        ))  # fmt: skip
        closed = [(c, m) for c, _, m in rows if rng.random() < 0.33]
        closed_at = {c: between(opened[c]) for c, _ in closed}
        batch(Closure, (
            {"case_id": c, "episode": 1, "status": ClosureStatus.APPROVED,
             "reason": rng.choice(list(ClosureReason)[:11]), "worker_evaluation": "bench",
             "client_informed": True, "requested_by_id": m, "requested_at": closed_at[c],
             "decided_at": closed_at[c]}
            for c, m in closed
        ))  # fmt: skip
        ends = [{"b_id": c, "b_at": closed_at[c]} for c, _ in closed]
        end = (
            update(Case.__table__)
            .where(Case.__table__.c.id == bindparam("b_id"))
            .values(closed_at=bindparam("b_at"), status=CaseStatus.AFTERCARE.value)
        )
        for i in range(0, len(ends), CHUNK):
            connection.execute(end, ends[i : i + CHUNK])
        batch(AfterCareCheck, (
            {"case_id": c, "due_on": (closed_at[c] + timedelta(days=30)).date(),
             "done_at": closed_at[c] + timedelta(days=30) if closed_at[c] + timedelta(days=30) < now else None,
             "status": rng.choice(list(AfterCareStatus)), "cancelled": False, "created_at": now}
            for c, _ in closed
        ))  # fmt: skip
        chairs = {team: ids[0] for team, ids in staff_by_team.items()}
        batch(CaseConference, (
            {"team_id": team, "conference_type": rng.choice(list(ConferenceType)),
             "status": ConferenceStatus.HELD, "scheduled_at": now - timedelta(days=d), "chair_id": chair,
             "duration_minutes": 60, "recurrence": "NONE", "created_at": now, "updated_at": now}
            for team, chair in chairs.items() for d in range(0, 365, 14)
        ))  # fmt: skip
    return counts


def last_full_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    end = first - timedelta(days=1)
    return end.replace(day=1), end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    args = parser.parse_args()
    url = database(args.database)
    try:
        engine = make_engine(url)
        schema.upgrade(engine)
        began = time.perf_counter()
        seed(engine, args.cases)
        counts = add_history(engine, args.cases, random.Random(2))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
        print(f"seeded {args.cases:,} cases and {counts} in {time.perf_counter() - began:.0f} s")
        start, end = last_full_month(date.today())
        settings = lambda: load_settings(database_url=url)  # noqa: E731
        argv = ["stats", "--from", start.isoformat(), "--to", end.isoformat(), "--format", "csv", "--out"]
        for label, extra in (("whole agency", []), ("one team", ["--team", "bench-team-0"])):
            times = []
            out = Path("/tmp") / f"bench-stats-{label.replace(' ', '-')}.csv"
            for i in range(args.runs):
                if i == args.runs - 1:
                    tracemalloc.start()
                began = time.perf_counter()
                assert casebot([*argv, str(out), *extra], settings_loader=settings) == 0
                times.append(time.perf_counter() - began)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"casebot stats {start}..{end} ({label}, {args.runs} runs): p50 {p(times, 50):.3f} s, "
                f"p95 {p(times, 95):.3f} s, max {max(times):.3f} s; peak Python memory "
                f"{peak / 1e6:.1f} MB (tracemalloc, one run)"
            )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"max RSS of the whole benchmark process (seeding included): {rss:.0f} MB")
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop(url)


if __name__ == "__main__":
    main()
