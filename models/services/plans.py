"""개입계획: versioned service plans; no plan without a completed assessment."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cadence import add_months
from models.case import Case
from models.enums import CaseStatus, ConsentMethod, PlanStatus
from models.errors import InvalidInput, Message, RuleViolation
from models.plan import PlanGoal, PlanTask, ServicePlan
from models.resource import Resource
from models.schemas import PlanInput
from models.services import access
from models.services.cases import require_open
from models.services.changes import case_changed
from models.services.context import Ctx
from models.services.lifecycle import snapshot


def create_plan(db: Session, ctx: Ctx, code: str, data: PlanInput) -> ServicePlan:
    case = access.load_case(db, ctx, code, purpose="plan")
    require_open(case)
    snap = snapshot(db, case)
    if snap.latest_assessment is None:
        raise RuleViolation(
            "PLAN_NEEDS_ASSESSMENT",
            Message("plans.errors.service_plan_needs_completed"),
        )
    for index, task in enumerate(data.tasks):
        if task.resource_id is not None and db.get(Resource, task.resource_id) is None:
            raise InvalidInput({f"tasks.{index}.resource_id": Message("plans.errors.no_resource")})
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


def review(db: Session, ctx: Ctx, plan_id: int) -> ServicePlan:
    """A plan review held: the next one is due one review interval from today."""
    case, plan = access.load_record(
        db,
        ctx,
        ServicePlan,
        plan_id,
        Message("plans.errors.no_plan"),
        purpose="review plan",
    )
    if plan.status != PlanStatus.AGREED:
        raise RuleViolation("PLAN_NOT_IN_FORCE", Message("plans.errors.plan_not_force"))
    plan.review_due = add_months(ctx.today, ctx.policy.cadences.plan_review_months(case.intensity))
    case_changed(db, ctx, case, "plan_reviewed", plan=plan.id)
    return plan


@dataclass(frozen=True)
class PlanStart:
    """What the plan modal needs of the case: its own code and the draft waiting for agreement."""

    code: str
    draft: tuple[int, int] | None  # (plan id, version) of the draft plan, if one waits


def start_plan(db: Session, ctx: Ctx, code: str) -> PlanStart:
    """Whether this person may draft a plan for the open case now, and what the modal shows."""
    case = access.load_case(db, ctx, code, purpose="plan")
    require_open(case)
    waiting = snapshot(db, case).draft_plan
    return PlanStart(case.code, (waiting.id, waiting.version) if waiting is not None else None)


def case_code_of(db: Session, plan: ServicePlan) -> str:
    """The code of the plan's case (not what a button says)."""
    return db.get_one(Case, plan.case_id).code
