"""A plan task names its responsible worker (담당자): someone of the case's circle (its case manager or
a co-worker). The task's due-date nudge goes to them while they are active, else to the case manager
(and, the case manager gone too, to the supervisors); the App Home lists the tasks that are the
person's; the Home offers the plan review when it is due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.enums import ReminderKind, ReminderStatus, TaskStatus
from models.errors import InvalidInput
from models.plan import PlanTask, ServicePlan
from models.reminder import Reminder
from models.schemas import PlanInput
from models.services import cases, desk, plans, sweeper
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.services.reminders import refresh, task_id_of
from tests.factories import NOW, case_in_monitoring, plan_input


def with_worker(worker_id: int | None) -> PlanInput:
    data = plan_input()
    [task] = data.tasks
    return data.model_copy(update={"tasks": [task.model_copy(update={"worker_id": worker_id})]})


def the_task(db, case) -> PlanTask:
    plan = snapshot(db, case).plan_in_force
    assert plan is not None
    [task] = plan.tasks
    return task


def task_nudges(db, case) -> list[Reminder]:
    db.flush()
    return list(
        db.scalars(
            select(Reminder).where(
                Reminder.case_id == case.id,
                Reminder.kind == ReminderKind.TASK_DUE,
                Reminder.status == ReminderStatus.PENDING,
            )
        )
    )


def coworked_case(db, world):
    case = case_in_monitoring(db, world)
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    return case


def test_a_plan_task_given_to_a_coworker_nudges_the_coworker(db, world):
    case = coworked_case(db, world)
    plans.create_plan(db, world.ctx(), case.code, with_worker(world.coworker.id))  # version 2, agreed
    task = the_task(db, case)
    assert task.worker_id == world.coworker.id
    [nudge] = task_nudges(db, case)
    assert task_id_of(nudge) == task.id and nudge.recipient_id == world.coworker.id
    listed = plans.case_tasks(db, world.ctx(), case.code)
    assert [line.worker_id for line in listed.tasks] == [world.coworker.id]
    assert [(m.id, m.manager) for m in listed.circle] == [
        (world.manager.id, True),
        (world.coworker.id, False),
    ]


@pytest.mark.parametrize("who", ["outsider", "supervisor", "admin"])
def test_a_worker_outside_the_circle_is_refused_under_the_task(db, world, who):
    """The team's supervisor sees the case but is not of its circle (not its manager or a co-worker)."""
    case = coworked_case(db, world)
    outside = getattr(world, who)
    versions = len(snapshot(db, case).plans)
    with pytest.raises(InvalidInput) as caught:
        plans.create_plan(db, world.ctx(), case.code, with_worker(outside.id))
    assert set(caught.value.errors) == {"tasks.0.worker_id"}
    db.expire_all()
    assert len(snapshot(db, case).plans) == versions  # nothing saved
    task = the_task(db, case)
    with pytest.raises(InvalidInput) as caught:
        plans.set_task_worker(db, world.ctx(), task.id, outside.id)
    assert set(caught.value.errors) == {f"worker.{task.id}"}
    assert db.get(PlanTask, task.id).worker_id is None


def test_the_worker_changes_from_the_tasks_modal_and_the_nudge_follows(db, world):
    case = coworked_case(db, world)
    task = the_task(db, case)
    [nudge] = task_nudges(db, case)
    assert nudge.recipient_id == world.manager.id  # none named: the case manager's
    # A co-worker gives it to themselves (they work the plan), with a status change in the same save.
    changed = plans.set_task_statuses(
        db,
        world.ctx(world.coworker),
        case.code,
        {task.id: TaskStatus.IN_PROGRESS},
        {task.id: world.coworker.id},
    )
    assert changed == 1
    assert (db.get(PlanTask, task.id).worker_id, db.get(PlanTask, task.id).status) == (
        world.coworker.id,
        TaskStatus.IN_PROGRESS,
    )
    [nudge] = task_nudges(db, case)
    assert nudge.recipient_id == world.coworker.id  # the same nudge, readdressed
    assert plans.set_task_statuses(db, world.ctx(), case.code, {}, {task.id: world.coworker.id}) == 0
    plans.set_task_statuses(db, world.ctx(), case.code, {}, {task.id: None})
    assert db.get(PlanTask, task.id).worker_id is None
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.manager.id]


def test_a_departed_worker_s_task_nudges_the_case_manager_then_the_supervisors(db, world):
    case = coworked_case(db, world)
    task = the_task(db, case)
    plans.set_task_worker(db, world.ctx(), task.id, world.coworker.id)
    world.coworker.active = False
    refresh(db, case, Policy(), today=NOW.date())
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.manager.id]
    world.manager.active = False  # the case manager left too: the supervisors stand in
    refresh(db, case, Policy(), today=NOW.date())
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.supervisor.id]


def test_the_sweep_readdresses_a_task_nudge_of_a_worker_deactivated_behind_its_back(db, world):
    case = coworked_case(db, world)
    task = the_task(db, case)
    plans.set_task_worker(db, world.ctx(), task.id, world.coworker.id)
    world.coworker.active = False  # a database edit, no refresh
    db.flush()
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.coworker.id]
    assert sweeper.readdress_departed(db, Policy(), NOW) == 1
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.manager.id]


def test_a_transfer_hands_the_previous_manager_s_tasks_to_the_new_one(db, world):
    case = coworked_case(db, world)
    task = the_task(db, case)
    plans.set_task_worker(db, world.ctx(), task.id, world.manager.id)  # named explicitly
    cases.transfer(db, world.ctx(), case.code, world.coworker.id)
    assert db.get(PlanTask, task.id).worker_id is None
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.coworker.id]
    assert [t.task_id for t in desk.my_open_tasks(db, world.ctx(world.coworker))] == [task.id]


def test_a_coworker_taken_off_the_case_hands_their_tasks_back_to_the_case_manager(db, world):
    case = coworked_case(db, world)
    task = the_task(db, case)
    plans.set_task_worker(db, world.ctx(), task.id, world.coworker.id)
    cases.set_access(db, world.ctx(), case.code, coworker_ids=[], restricted=False, named_ids=[])
    assert db.get(PlanTask, task.id).worker_id is None
    assert [n.recipient_id for n in task_nudges(db, case)] == [world.manager.id]


def test_the_home_keeps_a_departed_worker_s_task_with_the_case_manager(db, world):
    case = coworked_case(db, world)
    task = the_task(db, case)
    plans.set_task_worker(db, world.ctx(), task.id, world.coworker.id)
    assert desk.my_open_tasks(db, world.ctx()) == []
    world.coworker.active = False
    db.flush()
    assert [t.task_id for t in desk.my_open_tasks(db, world.ctx())] == [task.id]


def test_the_home_offers_the_plan_review_when_it_is_due(db, world):
    case = case_in_monitoring(db, world)
    plan = snapshot(db, case).plan_in_force
    assert plan is not None and plan.review_due is not None
    before = world.ctx(now=NOW)
    [item] = desk.my_desk(db, before).items
    assert item.code == case.code and item.review_due is False
    due_day = world.ctx(now=NOW + timedelta(days=(plan.review_due - before.today).days))
    [item] = desk.my_desk(db, due_day).items
    assert item.review_due is True
    plans.review(db, due_day, plan.id)  # reviewed: the next one is months away
    assert db.get(ServicePlan, plan.id).review_due > due_day.today
    [item] = desk.my_desk(db, due_day).items
    assert item.review_due is False
