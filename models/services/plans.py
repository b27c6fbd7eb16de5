"""개입계획: versioned service plans; no plan without a completed assessment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cadence import add_months
from models.case import Case, CaseWorker
from models.enums import CaseStatus, ConsentMethod, PlanStatus, ResponsibleParty, TaskStatus
from models.errors import InvalidInput, Message, RuleViolation
from models.plan import PlanGoal, PlanReview, PlanTask, ServicePlan
from models.resource import Resource
from models.schemas import PlanInput, PlanReviewInput
from models.services import access
from models.services.cases import require_open
from models.services.changes import case_changed
from models.services.context import Ctx
from models.services.lifecycle import CaseSnapshot, snapshot
from models.staff import StaffMember


def create_plan(db: Session, ctx: Ctx, code: str, data: PlanInput) -> ServicePlan:
    case = access.load_case(db, ctx, code, purpose="plan")
    require_open(case)
    snap = snapshot(db, case)
    if snap.latest_assessment is None:
        raise RuleViolation(
            "PLAN_NEEDS_ASSESSMENT",
            Message("plans.errors.service_plan_needs_completed"),
        )
    circle = {member.id for member in case_circle(db, case)}
    for index, task in enumerate(data.tasks):
        if task.resource_id is not None and db.get(Resource, task.resource_id) is None:
            raise InvalidInput({f"tasks.{index}.resource_id": Message("plans.errors.no_resource")})
        if task.worker_id is not None and task.worker_id not in circle:
            raise InvalidInput({f"tasks.{index}.worker_id": Message("plans.errors.worker_not_in_circle")})
    cadences = ctx.policy.cadences
    version = (
        db.scalar(select(func.max(ServicePlan.version)).where(ServicePlan.case_id == case.id)) or 0
    ) + 1
    period_end = data.period_end or add_months(data.period_start, cadences.plan_period_months)
    plan = ServicePlan(
        case_id=case.id,
        episode=case.episode,
        version=version,
        status=PlanStatus.DRAFT,
        period_start=data.period_start,
        period_end=period_end,
        author_id=ctx.actor.id,
        created_at=ctx.now,
    )
    plan.goals = [PlanGoal(**g.model_dump()) for g in data.goals]
    db.add(plan)
    db.flush()
    plan.tasks = [
        PlanTask(
            goal_id=plan.goals[t.goal_index].id if t.goal_index is not None else None,
            **t.model_dump(exclude={"goal_index"}),
        )
        for t in data.tasks
    ]
    db.flush()
    case_changed(db, ctx, case, "plan_drafted", plan=plan.id, version=version)
    if data.agreed:
        assert data.agreement_method is not None
        agree(db, ctx, plan.id, data.agreement_method)
    return plan


def agree(db: Session, ctx: Ctx, plan_id: int, method: ConsentMethod) -> ServicePlan:
    """The client agreed: this version is in force, the previous one is superseded, the case is active."""
    case, plan = access.load_record(
        db,
        ctx,
        ServicePlan,
        plan_id,
        Message("plans.errors.no_plan"),
        purpose="agree plan",
    )
    access.require_lead(ctx, case, "agree_plan")
    if plan.status != PlanStatus.DRAFT:
        raise RuleViolation("PLAN_AGREED", Message("plans.errors.plan_already_agreed"))
    for other in db.scalars(
        select(ServicePlan).where(ServicePlan.case_id == case.id, ServicePlan.status == PlanStatus.AGREED)
    ):
        other.status = PlanStatus.SUPERSEDED
    plan.status = PlanStatus.AGREED
    plan.agreed_at = ctx.now
    plan.agreement_method = method
    plan.review_due = add_months(ctx.today, ctx.policy.cadences.plan_review_months(case.intensity))
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ACTIVE
    case_changed(db, ctx, case, "plan_agreed", plan=plan.id, version=plan.version)
    return plan


def review(db: Session, ctx: Ctx, plan_id: int, data: PlanReviewInput | None = None) -> ServicePlan:
    """A plan review held (계획 점검): the next one is due one review interval from today, and the plan
    keeps its version. With `data`, each goal's progress and comment is kept as a `PlanReview`."""
    case, plan = access.load_record(
        db,
        ctx,
        ServicePlan,
        plan_id,
        Message("plans.errors.no_plan"),
        purpose="review plan",
    )
    require_open(case)
    if plan.status != PlanStatus.AGREED:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.plan_not_force"))
    plan.review_due = add_months(ctx.today, ctx.policy.cadences.plan_review_months(case.intensity))
    if data is not None:
        goal_ids = {goal.id for goal in plan.goals}
        for index, entry in enumerate(data.goals):
            if entry.goal_id not in goal_ids:
                raise InvalidInput({f"goals.{index}.progress": Message("plans.errors.no_goal")})
        db.add(
            PlanReview(
                plan_id=plan.id,
                case_id=case.id,
                author_id=ctx.actor.id,
                reviewed_at=ctx.now,
                next_review_due=plan.review_due,
                progress=[
                    {"goal_id": e.goal_id, "progress": e.progress.value, "comment": e.comment}
                    for e in data.goals
                ],
            )
        )
        db.flush()
    case_changed(db, ctx, case, "plan_reviewed", plan=plan.id, next_review=plan.review_due.isoformat())
    return plan


def review_by_code(db: Session, ctx: Ctx, code: str, plan_id: int, data: PlanReviewInput) -> ServicePlan:
    """The review modal's submission: the plan it showed, which must still be the case's plan in force."""
    case = access.load_case(db, ctx, code, purpose="review plan")
    in_force = snapshot(db, case).plan_in_force
    if in_force is None or in_force.id != plan_id:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.plan_not_force"))
    return review(db, ctx, plan_id, data)


REVIEW_SOON_DAYS = 7


def review_soon(ctx: Ctx, snap: CaseSnapshot) -> date | None:
    """A monitoring contact said "change the plan": the review of the plan in force is brought forward
    to within `REVIEW_SOON_DAYS` (never pushed later); returns the new review date, if any."""
    plan = snap.plan_in_force
    if plan is None:
        return None
    soon = ctx.today + timedelta(days=REVIEW_SOON_DAYS)
    if plan.review_due is None or plan.review_due > soon:
        plan.review_due = soon
    return plan.review_due


@dataclass(frozen=True)
class CircleMember:
    """A staff member a task can be given to (담당자): the case's manager or a co-worker."""

    id: int
    name: str
    manager: bool


def case_circle(db: Session, case: Case) -> list[CircleMember]:
    """The case's active circle: its case manager first, then its co-workers (who may hold a task)."""
    manager = db.get(StaffMember, case.case_manager_id) if case.case_manager_id else None
    members = [CircleMember(manager.id, manager.display_name, True)] if manager and manager.active else []
    coworkers = db.scalars(
        select(StaffMember)
        .join(CaseWorker, CaseWorker.staff_id == StaffMember.id)
        .where(CaseWorker.case_id == case.id, StaffMember.active.is_(True))
        .order_by(StaffMember.display_name, StaffMember.id)
    )
    members += [CircleMember(m.id, m.display_name, False) for m in coworkers if m.id != case.case_manager_id]
    return members


@dataclass(frozen=True)
class GoalLine:
    id: int
    number: int
    description: str


@dataclass(frozen=True)
class PlanForReview:
    code: str
    plan_id: int
    version: int
    review_due: date | None
    goals: list[GoalLine]


def start_review(db: Session, ctx: Ctx, code: str) -> PlanForReview:
    """What the review modal shows: the plan in force and its goals (read for the one who reviews)."""
    case = access.load_case(db, ctx, code, purpose="review plan")
    require_open(case)
    plan = snapshot(db, case).plan_in_force
    if plan is None:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.plan_not_force"))
    goals = [GoalLine(g.id, n, g.description) for n, g in enumerate(plan.goals, start=1)]
    return PlanForReview(case.code, plan.id, plan.version, plan.review_due, goals)


# ------------------------------------------------------------------ tasks (과업)


@dataclass(frozen=True)
class TaskLine:
    id: int
    action: str
    goal_number: int | None
    responsible: ResponsibleParty
    due_date: date
    status: TaskStatus
    worker_id: int | None = None  # 담당자; None: the case manager's


@dataclass(frozen=True)
class TaskList:
    code: str
    version: int
    tasks: list[TaskLine]
    circle: list[CircleMember] = field(default_factory=list)  # whom a task may be given to


def _task_lines(plan: ServicePlan) -> list[TaskLine]:
    numbers = {goal.id: n for n, goal in enumerate(plan.goals, start=1)}
    return [
        TaskLine(
            task.id,
            task.action,
            numbers.get(task.goal_id) if task.goal_id else None,
            task.responsible_party,
            task.due_date,
            task.status,
            task.worker_id,
        )
        for task in plan.tasks
    ]


def case_tasks(db: Session, ctx: Ctx, code: str) -> TaskList:
    """`/case tasks CODE`: the tasks of the plan in force, for anyone with a role on the case."""
    case = access.load_case(db, ctx, code, purpose="plan tasks")
    plan = snapshot(db, case).plan_in_force
    if plan is None:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.no_tasks_plan"))
    return TaskList(case.code, plan.version, _task_lines(plan), case_circle(db, case))


def set_task_status(db: Session, ctx: Ctx, task_id: int, status: TaskStatus) -> PlanTask:
    """A task moves on (예정 → 진행 → 완료, or 중단). The case manager, co-workers and the team's
    supervisors may (a co-worker works the plan; only agreeing one is the lead's). Only tasks of the
    plan in force of an open case change; the same status again changes nothing."""
    task = db.get(PlanTask, task_id)
    if task is None:
        raise InvalidInput({"task": Message("plans.errors.no_task")})
    plan = db.get_one(ServicePlan, task.plan_id)
    case = access.load_case(db, ctx, db.get_one(Case, plan.case_id), purpose="update plan task")
    require_open(case)
    if plan.status != PlanStatus.AGREED:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.task_not_in_force"))
    if task.status == status:
        return task
    before = task.status
    task.status = status
    db.flush()
    case_changed(
        db,
        ctx,
        case,
        "plan_task_updated",
        plan=plan.id,
        task=task.id,
        before=before.value,
        status=status.value,
    )
    return task


def task_label(db: Session, task: PlanTask) -> tuple[str, int]:
    """The task's case code and its number in its plan (what the Home and nudges name it by)."""
    plan = db.get_one(ServicePlan, task.plan_id)
    number = next(n for n, other in enumerate(plan.tasks, start=1) if other.id == task.id)
    return db.get_one(Case, plan.case_id).code, number


def set_task_worker(db: Session, ctx: Ctx, task_id: int, worker_id: int | None) -> PlanTask:
    """The task's responsible worker (담당자) changes: someone of the case's circle (its manager or a
    co-worker), or None (the case manager's). Who may change a task's status may change this; a
    worker outside the circle is refused under the task's field."""
    task = db.get(PlanTask, task_id)
    if task is None:
        raise InvalidInput({f"worker.{task_id}": Message("plans.errors.no_task")})
    plan = db.get_one(ServicePlan, task.plan_id)
    case = access.load_case(db, ctx, db.get_one(Case, plan.case_id), purpose="update plan task")
    require_open(case)
    if plan.status != PlanStatus.AGREED:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.task_not_in_force"))
    if worker_id is not None and worker_id not in {m.id for m in case_circle(db, case)}:
        raise InvalidInput({f"worker.{task_id}": Message("plans.errors.worker_not_in_circle")})
    if task.worker_id == worker_id:
        return task
    before = task.worker_id
    task.worker_id = worker_id
    db.flush()
    case_changed(
        db, ctx, case, "plan_task_worker", plan=plan.id, task=task.id, before=before, worker=worker_id
    )
    return task


def set_task_statuses(
    db: Session,
    ctx: Ctx,
    code: str,
    statuses: dict[int, TaskStatus],
    workers: dict[int, int | None] | None = None,
) -> int:
    """The tasks modal: every task whose status or worker was changed; returns how many changed."""
    case = access.load_case(db, ctx, code, purpose="plan tasks")
    plan = snapshot(db, case).plan_in_force
    own = {task.id: task for task in plan.tasks} if plan else {}
    workers = workers or {}
    for task_id in (*statuses, *workers):
        if task_id not in own:
            raise InvalidInput({f"task.{task_id}": Message("plans.errors.no_task")})
    changed: set[int] = set()
    for task_id, worker_id in workers.items():
        if own[task_id].worker_id != worker_id:
            set_task_worker(db, ctx, task_id, worker_id)
            changed.add(task_id)
    for task_id, status in statuses.items():
        if own[task_id].status != status:
            set_task_status(db, ctx, task_id, status)
            changed.add(task_id)
    return len(changed)


@dataclass(frozen=True)
class PlanStart:
    """What the plan modal needs of the case: its own code and the draft waiting for agreement."""

    code: str
    draft: tuple[int, int] | None  # (plan id, version) of the draft plan, if one waits
    circle: list[CircleMember] = field(default_factory=list)  # whom a task may be given to


def start_plan(db: Session, ctx: Ctx, code: str) -> PlanStart:
    """Whether this person may draft a plan for the open case now, and what the modal shows."""
    case = access.load_case(db, ctx, code, purpose="plan")
    require_open(case)
    waiting = snapshot(db, case).draft_plan
    return PlanStart(
        case.code, (waiting.id, waiting.version) if waiting is not None else None, case_circle(db, case)
    )


def case_code_of(db: Session, plan: ServicePlan) -> str:
    """The code of the plan's case (not what a button says)."""
    return db.get_one(Case, plan.case_id).code
