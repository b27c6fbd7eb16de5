"""Bulk-load a large, fictional caseload straight through SQLAlchemy Core (services are too slow for 100k).

50 teams of 1 supervisor and 10 case managers; cases spread evenly, so each supervisor's team holds
cases/50 open cases (2,000 for 100,000). Due dates are spread from 30 days ago to 60 days ahead. The
stored stage and next step are what `lifecycle.derive` makes of each row, as the services would store.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

from models import Case, Client, StaffMember, Team
from models.enums import CaseIntensity, CaseStatus, Profile, StaffRole
from models.services.lifecycle import CaseSnapshot, store_state

TEAMS = 50
MANAGERS_PER_TEAM = 10
CHUNK = 5000


def supervisor_id(team: int) -> str:
    return f"USUP{team:03d}"


def manager_id(team: int, index: int) -> str:
    return f"UCM{team:03d}{index:02d}"


def seed(engine: Engine, cases: int, *, seed_value: int = 1) -> None:
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    today = date.today()
    intensities = [CaseIntensity.GENERAL] * 5 + [CaseIntensity.INTENSIVE, CaseIntensity.HIGH_COMPLEXITY, None]
    with engine.begin() as connection:
        connection.execute(
            insert(Team), [{"name": f"bench-team-{t}", "case_code_prefix": "B"} for t in range(TEAMS)]
        )
        team_ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM teams ORDER BY id")]
        staff = []
        for t, team_id in enumerate(team_ids):
            staff.append(
                {
                    "slack_user_id": supervisor_id(t),
                    "display_name": f"sup {t}",
                    "role": StaffRole.SUPERVISOR,
                    "team_id": team_id,
                    "active": True,
                    "locale": "ko",
                }
            )
            for m in range(MANAGERS_PER_TEAM):
                staff.append(
                    {
                        "slack_user_id": manager_id(t, m),
                        "display_name": f"cm {t}-{m}",
                        "role": StaffRole.CASE_MANAGER,
                        "team_id": team_id,
                        "active": True,
                        "locale": "ko",
                    }
                )
        connection.execute(insert(StaffMember), staff)
        managers: dict[int, list[int]] = {}
        for staff_id, team_id, role in connection.exec_driver_sql(
            "SELECT id, team_id, role FROM staff_members"
        ):
            if role == StaffRole.CASE_MANAGER.value:
                managers.setdefault(team_id, []).append(staff_id)

        for start in range(0, cases, CHUNK):
            size = min(CHUNK, cases - start)
            connection.execute(
                insert(Client),
                [
                    {
                        "name": f"가상 {start + i}",
                        "under14": False,
                        "interpreter_needed": False,
                        "characteristics": [],
                    }
                    for i in range(size)
                ],
            )
        client_ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM clients ORDER BY id")]
        for start in range(0, cases, CHUNK):
            rows = []
            for i in range(start, min(start + CHUNK, cases)):
                team_id = team_ids[i % TEAMS]
                intensity = rng.choice(intensities)
                rows.append(
                    {
                        "code": f"B-2026-{i + 1:06d}",
                        "profile": Profile.WELFARE_CENTRE,
                        "status": CaseStatus.ACTIVE,
                        "intensity": intensity,
                        "crisis": False,
                        "restricted": False,
                        "client_id": client_ids[i],
                        "team_id": team_id,
                        "case_manager_id": rng.choice(managers[team_id]),
                        "referral_source": "bench",
                        "presenting_needs": [],
                        "confidentiality_notice_given": True,
                        "referred_at": now,
                        "intake_at": now,
                        "episode": 1,
                        "episode_started_at": now,
                        "classified_at": now if intensity else None,
                        "next_due_on": today + timedelta(days=rng.randint(-30, 60)),
                        "updated_at": now,
                    }
                )
            for row in rows:
                stored = Case(**row)  # not added to any session: only read by the derivation
                snap = CaseSnapshot(case=stored)  # no consents, assessments or plans: stage 1
                store_state(snap, today)
                row.update(
                    stage=stored.stage,
                    next_step=stored.next_step,
                    state_valid_from=stored.state_valid_from,
                    state_valid_until=stored.state_valid_until,
                )
            connection.execute(insert(Case), rows)
