"""서비스 제공기록: what was actually given to a client — service, how often, how much, from which fund.

A delivery names its provider (a directory resource or a staff member), its funding source from the
agency's catalog (the codes of 후원금, 사업비, 공적급여, 기타, then the agency's own names,
`Policy.funding_sources`) and optionally the plan task or referral it carries out. Under PROFILE=school
each student's running totals over the school year are kept against the configured caps
(`Policy.school_caps`): a delivery that would pass one is refused with a warning until the worker
confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.case import Case
from models.enums import Profile, ResourceCategory, ServiceUnit, StaffRole
from models.errors import InvalidInput, Message
from models.plan import PlanTask, ServicePlan
from models.referral import Referral
from models.resource import Resource
from models.schemas import DeliveryInput
from models.service_delivery import ServiceDelivery
from models.services import access
from models.services.cases import FINISHED_STATUSES, require_open
from models.services.changes import case_changed
from models.services.context import Ctx, FundingSource, Policy
from models.staff import StaffMember
from models.text import t

TOTAL = "TOTAL"


def funding_catalog(policy: Policy) -> tuple[str, ...]:
    """The funding sources a delivery may name, defaults first."""
    return policy.funding_sources


def school_year_start(day: date) -> date:
    """The first day of the Korean school year (1 March) that `day` falls in."""
    return date(day.year if day.month >= 3 else day.year - 1, 3, 1)


@dataclass(frozen=True)
class CapStanding:
    """One cap of a student: what was spent this school year and the cap, in won."""

    key: str  # a ResourceCategory code or "TOTAL"
    spent: int
    cap: int

    @property
    def left(self) -> int:
        return self.cap - self.spent


def school_totals(db: Session, case: Case, policy: Policy, on: date) -> list[CapStanding]:
    """The student's running totals (all their cases) over the school year of `on`, per configured cap.
    Empty outside PROFILE=school or without caps."""
    if case.profile != Profile.SCHOOL or not policy.school_caps:
        return []
    start = school_year_start(on)
    end = date(start.year + 1, 3, 1)
    rows = db.execute(
        select(ServiceDelivery.category, func.coalesce(func.sum(ServiceDelivery.amount_won), 0))
        .join(Case, Case.id == ServiceDelivery.case_id)
        .where(
            Case.client_id == case.client_id,
            ServiceDelivery.delivered_on >= start,
            ServiceDelivery.delivered_on < end,
        )
        .group_by(ServiceDelivery.category)
    ).all()
    by_category = {ResourceCategory(category).value: int(total) for category, total in rows}
    standings = []
    for key, cap in policy.school_caps:
        spent = sum(by_category.values()) if key == TOTAL else by_category.get(key, 0)
        standings.append(CapStanding(key, spent, cap))
    return standings


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class DeliveryChoices:
    """What the delivery form offers for one case; labels carry no client data (R1)."""

    code: str
    resources: list[Choice]
    staff: list[Choice]
    tasks: list[Choice]
    referrals: list[Choice]
    funding_sources: tuple[str, ...]
    school: list[CapStanding] = field(default_factory=list)
    opened_on: date | None = None


def delivery_choices(db: Session, ctx: Ctx, code: str, locale: str = "ko") -> DeliveryChoices:
    """The choices of the `/case serve` form: the directory, the team's staff, the case's open plan tasks
    (by number and due date: a task's words are the client's and stay out of Slack) and its referrals."""
    case = access.load_case(db, ctx, code, purpose="record service")
    require_open(case, FINISHED_STATUSES)
    resources = db.scalars(
        select(Resource).where(Resource.active.is_(True)).order_by(Resource.category, Resource.name)
    ).all()
    people = db.scalars(
        select(StaffMember)
        .where(
            StaffMember.team_id == case.team_id,
            StaffMember.active.is_(True),
            StaffMember.role != StaffRole.ADMIN,
        )
        .order_by(StaffMember.display_name)
    ).all()
    tasks = db.execute(
        select(PlanTask.id, PlanTask.due_date, ServicePlan.version)
        .join(ServicePlan, ServicePlan.id == PlanTask.plan_id)
        .where(ServicePlan.case_id == case.id, ServicePlan.episode == case.episode)
        .order_by(ServicePlan.version.desc(), PlanTask.id)
    ).all()
    referrals = db.execute(
        select(Referral.id, Referral.status, Resource.name)
        .join(Resource, Resource.id == Referral.resource_id)
        .where(Referral.case_id == case.id)
        .order_by(Referral.id)
    ).all()
    return DeliveryChoices(
        code=case.code,
        resources=[Choice(str(r.id), f"{r.name} ({r.category.label(locale)})") for r in resources],
        staff=[Choice(str(m.id), m.display_name) for m in people],
        tasks=[
            Choice(
                str(task_id), t("serve.choice.task", locale, id=task_id, version=version, due=due.isoformat())
            )
            for task_id, due, version in tasks
        ],
        referrals=[
            Choice(str(referral_id), f"#{referral_id} {name} · {status.label(locale)}")
            for referral_id, status, name in referrals
        ],
        funding_sources=funding_catalog(ctx.policy),
        school=school_totals(db, case, ctx.policy, ctx.today),
        opened_on=case.referred_at.astimezone(ctx.policy.zone).date(),
    )


def _won(amount: int) -> str:
    return f"₩{amount:,}"


def record_delivery(db: Session, ctx: Ctx, code: str, data: DeliveryInput) -> ServiceDelivery:
    """Check everything, then store the delivery and write the timeline. Every problem is a field error
    (InvalidInput) and nothing is written."""
    case = access.load_case(db, ctx, code, purpose="record service")
    require_open(case, FINISHED_STATUSES)
    errors: dict[str, Message] = {}
    opened_on = case.referred_at.astimezone(ctx.policy.zone).date()
    if data.amount_won < 0:
        errors["amount_won"] = Message("serve.errors.negative_amount")
    if data.delivered_on < opened_on:
        errors["delivered_on"] = Message("serve.errors.before_opened", opened=opened_on.isoformat())
    elif data.delivered_on > ctx.today:
        errors["delivered_on"] = Message("serve.errors.in_future")
    catalog = funding_catalog(ctx.policy)
    if data.funding_source not in catalog:
        errors["funding_source"] = Message(
            "serve.errors.unknown_funding", choices=tuple(FundingSource(source) for source in catalog)
        )
    errors.update(_provider_errors(db, case, data))
    errors.update(_link_errors(db, case, data))
    if not errors and not data.over_cap_confirmed:
        errors.update(_cap_warnings(db, case, ctx.policy, data))
    if errors:
        raise InvalidInput(errors)
    delivery = ServiceDelivery(
        case_id=case.id,
        episode=case.episode,
        recorded_by_id=ctx.actor.id,
        created_at=ctx.now,
        **data.model_dump(exclude={"over_cap_confirmed"}),
    )
    db.add(delivery)
    db.flush()
    case_changed(
        db,
        ctx,
        case,
        "service_delivered",
        delivery=delivery.id,
        category=data.category.value,
        funding=data.funding_source,
        amount=data.amount_won,
        over_cap=data.over_cap_confirmed or None,
    )
    return delivery


def _provider_errors(db: Session, case: Case, data: DeliveryInput) -> dict[str, Message]:
    if (data.provider_resource_id is None) == (data.provider_staff_id is None):
        return {"provider_resource_id": Message("serve.errors.one_provider")}
    if data.provider_resource_id is not None:
        resource = db.get(Resource, data.provider_resource_id)
        if resource is None or not resource.active:
            return {"provider_resource_id": Message("serve.errors.unknown_resource")}
        return {}
    member = db.get(StaffMember, data.provider_staff_id)
    if member is None or not member.active or member.role == StaffRole.ADMIN:
        return {"provider_staff_id": Message("serve.errors.not_provider_staff")}
    return {}


def _link_errors(db: Session, case: Case, data: DeliveryInput) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    if data.plan_task_id is not None:
        owner = db.scalar(
            select(ServicePlan.case_id)
            .join(PlanTask, PlanTask.plan_id == ServicePlan.id)
            .where(PlanTask.id == data.plan_task_id)
        )
        if owner != case.id:
            errors["plan_task_id"] = Message("serve.errors.not_this_case_task")
    if data.referral_id is not None:
        owner = db.scalar(select(Referral.case_id).where(Referral.id == data.referral_id))
        if owner != case.id:
            errors["referral_id"] = Message("serve.errors.not_this_case_referral")
    return errors


def _cap_warnings(db: Session, case: Case, policy: Policy, data: DeliveryInput) -> dict[str, Message]:
    """PROFILE=school: the caps this delivery would pass, as a warning on the confirmation box."""
    passed = []
    for standing in school_totals(db, case, policy, data.delivered_on):
        if standing.key not in (TOTAL, data.category.value):
            continue
        if standing.spent + data.amount_won > standing.cap:
            passed.append(standing)
    if not passed:
        return {}
    caps = _Joined(
        tuple(
            Message(
                "serve.errors.cap_passed",
                what=_cap_name(s.key),
                cap=_won(s.cap),
                spent=_won(s.spent),
                amount=_won(data.amount_won),
                after=_won(s.spent + data.amount_won),
            )
            for s in passed
        )
    )
    return {"over_cap_confirmed": Message("serve.errors.over_cap", caps=caps)}


def _cap_name(key: str) -> Message | ResourceCategory:
    return Message("serve.cap.total") if key == TOTAL else ResourceCategory(key)


@dataclass(frozen=True)
class _Joined:
    """Messages shown one after the other, separated by "; " (a `Message` parameter, per language)."""

    parts: tuple[Message, ...]

    def label(self, locale: str = "ko") -> str:
        return "; ".join(part.text(locale) for part in self.parts)


@dataclass(frozen=True)
class DeliveryLine:
    """One delivery as the history shows it: figures and the provider's directory name, no words."""

    delivered_on: date
    category: ResourceCategory
    quantity: int
    unit: ServiceUnit
    amount_won: int
    funding_source: str
    provider: str


def deliveries_of(db: Session, ctx: Ctx, code: str, limit: int = 20) -> list[DeliveryLine]:
    """The case's latest deliveries (newest first), for `/case history`; the read is logged."""
    case = access.load_case(db, ctx, code, purpose="read services")
    rows = db.execute(
        select(ServiceDelivery, Resource.name, StaffMember.display_name)
        .outerjoin(Resource, Resource.id == ServiceDelivery.provider_resource_id)
        .outerjoin(StaffMember, StaffMember.id == ServiceDelivery.provider_staff_id)
        .where(ServiceDelivery.case_id == case.id)
        .order_by(ServiceDelivery.delivered_on.desc(), ServiceDelivery.id.desc())
        .limit(limit)
    ).all()
    return [
        DeliveryLine(
            d.delivered_on,
            d.category,
            d.quantity,
            d.unit,
            d.amount_won,
            d.funding_source,
            name or person or "",
        )
        for d, name, person in rows
    ]
