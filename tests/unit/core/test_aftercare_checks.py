"""After-care checks: one pending check per case and day, with the cancelled and done ones kept as
history, so a case closed, reopened and closed again on the same day gets its follow-ups (it used to
fail on a unique violation)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.closure import AfterCareCheck
from models.enums import ClosureReason, GoalAttainment
from models.schemas import ClosureInput
from models.services import closure
from models.services.lifecycle import snapshot
from tests.factories import case_in_monitoring


def close(db, world, case) -> None:
    goals = snapshot(db, case).plan_in_force.goals if snapshot(db, case).plan_in_force else []
    request = closure.request_closure(
        db,
        world.ctx(),
        case.code,
        ClosureInput(
            reason=ClosureReason.GOAL_ACHIEVED,
            attainments={g.id: GoalAttainment.MET for g in goals},
            worker_evaluation="목표 달성",
            client_informed=True,
        ),
    )
    closure.decide_closure(db, world.ctx(world.supervisor), request.id, approve=True)


def test_closed_reopened_and_closed_again_the_same_day_gets_its_follow_ups_again(db, world):
    case = case_in_monitoring(db, world)
    close(db, world, case)
    first = sorted(c.due_on for c in closure._open_checks(db, case))
    assert first, "a closure schedules after-care checks"
    closure.reopen(db, world.ctx(), case.code, reason="재의뢰")
    close(db, world, case)  # the same day: the same due dates as the cancelled checks

    assert sorted(c.due_on for c in closure._open_checks(db, case)) == first
    history = db.scalars(select(AfterCareCheck).where(AfterCareCheck.case_id == case.id)).all()
    assert sorted(c.due_on for c in history if c.cancelled) == first  # the first episode's, kept


def test_the_database_refuses_a_second_pending_check_on_the_same_day(db, world):
    case = case_in_monitoring(db, world)
    close(db, world, case)
    pending = closure._open_checks(db, case)[0]
    db.add(AfterCareCheck(case_id=case.id, due_on=pending.due_on, cancelled=True))
    db.flush()  # history on that day is fine
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(AfterCareCheck(case_id=case.id, due_on=pending.due_on))
        db.flush()
