"""과정기록 / 점검: contact notes. A logged contact resets the next-contact date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from models.contact import ContactNote
from models.enums import MonitoringResult, ReferralStatus
from models.errors import InvalidInput, Message
from models.resource import Resource
from models.schemas import ContactInput
from models.services import access
from models.services.cases import FINISHED_STATUSES, require_open
from models.services.changes import case_changed
from models.services.context import Ctx
from models.services.lifecycle import CaseSnapshot, snapshot
from models.services.plans import review_soon

FUTURE_TOLERANCE = timedelta(minutes=5)


def log_contact(db: Session, ctx: Ctx, code: str, data: ContactInput) -> ContactNote:
    case = access.load_case(db, ctx, code, purpose="log contact")
    require_open(case, FINISHED_STATUSES)
    if data.contact_at > ctx.now + FUTURE_TOLERANCE:
        raise InvalidInput({"contact_at": Message("notes.errors.contact_future")})
    if data.next_contact_on is not None and data.next_contact_on < ctx.today:
        raise InvalidInput({"next_contact_on": Message("notes.errors.next_contact_date_must")})
    snap = snapshot(db, case)
    monitoring = _monitoring(snap, data)
    note = ContactNote(
        case_id=case.id,
        episode=case.episode,
        author_id=ctx.actor.id,
        created_at=ctx.now,
        monitoring=monitoring,
        **data.model_dump(exclude={"goal_progress", "referral_status"}),
    )
    db.add(note)
    if data.result == MonitoringResult.REASSESS or data.risk_changed:
        case.reassessment_requested_at = ctx.now
    if data.result == MonitoringResult.CHANGE_PLAN:
        review_soon(ctx, snap)  # the plan review is due within a week (a PLAN_REVIEW nudge)
    db.flush()
    case_changed(
        db,
        ctx,
        case,
        "contact_logged",
        note=note.id,
        type=data.contact_type.value,
        outcome=data.outcome.value,
        result=data.result.value if data.result else None,
    )
    return note


def _monitoring(snap: CaseSnapshot, data: ContactInput) -> dict[str, object] | None:
    """점검표: the goals must be the plan in force's, the services the case's own referrals."""
    if not data.goal_progress and not data.referral_status:
        return None
    plan = snap.plan_in_force
    goal_ids = {goal.id for goal in plan.goals} if plan else set()
    referral_ids = {referral.id for referral in snap.referrals}
    errors = {
        f"goal.{goal_id}": Message("notes.errors.no_goal")
        for goal_id in data.goal_progress
        if goal_id not in goal_ids
    } | {
        f"referral.{referral_id}": Message("notes.errors.no_referral")
        for referral_id in data.referral_status
        if referral_id not in referral_ids
    }
    if errors:
        raise InvalidInput(errors)
    return {
        "goals": {str(k): v.value for k, v in data.goal_progress.items()},
        "referrals": {str(k): v.value for k, v in data.referral_status.items()},
    }


MAX_MONITORED = 10  # goals (a plan has at most 10) and services shown in a note's 점검표


@dataclass(frozen=True)
class MonitoredGoal:
    id: int
    number: int
    description: str


@dataclass(frozen=True)
class MonitoredService:
    id: int
    resource: str
    status: ReferralStatus


@dataclass(frozen=True)
class Monitoring:
    """What a contact note's 점검표 asks about: the goals of the plan in force, the services under way."""

    goals: list[MonitoredGoal]
    services: list[MonitoredService]


def monitoring_of(db: Session, ctx: Ctx, code: str) -> Monitoring:
    case = access.load_case(db, ctx, code, purpose="log contact")
    snap = snapshot(db, case)
    plan = snap.plan_in_force
    goals = [MonitoredGoal(g.id, n, g.description) for n, g in enumerate(plan.goals, start=1)] if plan else []
    services = [
        MonitoredService(r.id, db.get_one(Resource, r.resource_id).name, r.status)
        for r in sorted(snap.referrals, key=lambda r: r.id)
        if not r.status.terminal and r.status != ReferralStatus.DRAFT
    ]
    return Monitoring(goals[:MAX_MONITORED], services[:MAX_MONITORED])
