"""평가·종결 with a supervisor's sign-off, 사후관리 checks, and reopening from after-care."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cadence import add_months
from models.case import Case
from models.closure import AfterCareCheck, Closure, GoalAttainmentRecord
from models.contact import ContactNote
from models.enums import (
    SCHOOL_ONLY_CLOSURE_REASONS,
    AfterCareAction,
    AfterCareStatus,
    AuditAction,
    CaseStatus,
    ClosureReason,
    ClosureStatus,
    ContactOutcome,
    Profile,
    ReferralStatus,
    ResourceCategory,
    StaffRole,
)
from models.errors import InvalidInput, Message, NotFound, RuleViolation
from models.referral import Referral
from models.resource import Resource
from models.schemas import AfterCareInput, ClosureInput, check_free_text
from models.services import access
from models.services.audit import record_access
from models.services.cases import require_open
from models.services.changes import case_changed
from models.services.context import Ctx
from models.services.lifecycle import snapshot
from models.staff import StaffMember


def request_closure(db: Session, ctx: Ctx, code: str, data: ClosureInput) -> Closure:
    case = access.load_case(db, ctx, code, purpose="request closure")
    access.require_lead(ctx, case, "request_closure")
    require_open(case)
    snap = snapshot(db, case)
    if snap.pending_closure is not None:
        raise RuleViolation(
            "CLOSURE_PENDING",
            Message("closure.errors.closure_already_awaiting_approval"),
        )
    if data.reason in SCHOOL_ONLY_CLOSURE_REASONS and case.profile != Profile.SCHOOL:
        raise InvalidInput({"reason": Message("closure.errors.reason_school_profile")})
    plan = snap.plan_in_force
    goals = plan.goals if plan else []
    missing = [g for g in goals if g.id not in data.attainments]
    if missing:
        raise InvalidInput(
            {f"goal_{g.id}": Message("closure.errors.rate_attainment_every_goal") for g in missing}
        )
    unknown = set(data.attainments) - {g.id for g in goals}
    if unknown:
        raise InvalidInput({"attainments": Message("closure.errors.goals_not_case_s")})
    # The exit condition of 평가·종결 is that the client was told (domain.md §1), unless they cannot be.
    if not data.client_informed and data.reason not in CLIENT_CANNOT_BE_TOLD:
        raise InvalidInput({"client_informed": Message("closure.errors.client_informed_required")})
    if data.reason == ClosureReason.LOST_CONTACT:
        _require_contact_attempts(db, ctx, case)
    closure = Closure(
        case_id=case.id,
        episode=case.episode,
        status=ClosureStatus.PENDING,
        requested_by_id=ctx.actor.id,
        requested_at=ctx.now,
        **data.model_dump(exclude={"attainments"}),
    )
    closure.attainments = [GoalAttainmentRecord(goal_id=g, attainment=a) for g, a in data.attainments.items()]
    db.add(closure)
    db.flush()
    case_changed(db, ctx, case, "closure_requested", closure=closure.id, reason=data.reason.value)
    return closure


# Reasons for which the client cannot be told of the closure.
CLIENT_CANNOT_BE_TOLD = (ClosureReason.DECEASED, ClosureReason.LOST_CONTACT)


def contact_attempts(db: Session, case: Case, since: datetime) -> int:
    """Unanswered contacts (부재) logged for the case since `since`: the attempts to reach the client."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(ContactNote)
            .where(
                ContactNote.case_id == case.id,
                ContactNote.outcome == ContactOutcome.NO_ANSWER,
                ContactNote.contact_at >= since,
            )
        )
        or 0
    )


def _require_contact_attempts(db: Session, ctx: Ctx, case: Case) -> None:
    """A lost-contact closure needs the logged attempts (settings: how many, within how many days)."""
    needed, days = ctx.policy.lost_contact_attempts, ctx.policy.lost_contact_days
    found = contact_attempts(db, case, ctx.now - timedelta(days=days))
    if found < needed:
        raise InvalidInput(
            {"reason": Message("closure.errors.lost_contact_attempts", needed=needed, days=days, found=found)}
        )


def _deciding_supervisors(db: Session, case: Case, closure: Closure, today: date) -> list[int]:
    """The supervisors who see the case, but not the one who asked for the closure."""
    return [s for s in access.case_supervisors(db, case, today=today) if s != closure.requested_by_id]


def _agency_approver(db: Session, ctx: Ctx, case: Case, closure: Closure) -> bool:
    """The actor is named by the agency to sign off where the team's only supervisor asked to close."""
    return (
        ctx.actor.active
        and ctx.actor.slack_user_id in ctx.policy.closure_approvers
        and ctx.actor.id != closure.requested_by_id
        and not _deciding_supervisors(db, case, closure, ctx.today)
    )


def load_for_decision(db: Session, ctx: Ctx, closure_id: int, *, purpose: str) -> tuple[Case, Closure]:
    """A closure and its case for those who may review it: the case's circle, and the agency's named
    approver where the team's only supervisor requested the closure. The read is logged."""
    closure = db.get(Closure, closure_id)
    if closure is None:
        raise NotFound(Message("closure.errors.no_closure_request"))
    case = db.get_one(Case, closure.case_id)
    if _agency_approver(db, ctx, case, closure):
        record_access(db, ctx, case, AuditAction.READ, "closure", purpose)
        return case, closure
    return access.load_case(db, ctx, case, purpose=purpose), closure


# Referrals that link nobody: declined by the agency or the client, or cancelled.
DEAD_REFERRALS = (ReferralStatus.DECLINED, ReferralStatus.CLIENT_DECLINED, ReferralStatus.CANCELLED)


def dropout_links(db: Session, case_id: int, reason: ClosureReason) -> list[str] | None:
    """Closing for dropping out (학업중단) prompts a referral to a 학교밖청소년지원센터 (꿈드림; domain.md §3
    ClosureReason DROPPED_OUT, §6.4): None when no prompt is due (another reason, or the case already has
    a referral under way or done to a youth resource), else the directory's youth resources by name
    (possibly none: then the worker is told to add one)."""
    if reason != ClosureReason.DROPPED_OUT:
        return None
    youth = list(
        db.scalars(
            select(Resource)
            .where(Resource.active.is_(True), Resource.category == ResourceCategory.YOUTH)
            .order_by(Resource.name)
        )
    )
    linked = db.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.case_id == case_id,
            Referral.resource_id.in_([r.id for r in youth] or [-1]),
            Referral.status.notin_(DEAD_REFERRALS),
        )
    )
    return None if linked else [r.name for r in youth]


def decide_closure(
    db: Session, ctx: Ctx, closure_id: int, *, approve: bool, comment: str | None = None
) -> Closure:
    """A supervisor of the case's team signs the closure off, or returns it with a comment.

    Nobody approves their own request: another supervisor of the team does, or where the requester is
    the team's only supervisor, a person the agency named (`Policy.closure_approvers`)."""
    case, closure = load_for_decision(db, ctx, closure_id, purpose="decide closure")
    named = _agency_approver(db, ctx, case, closure)
    if not named and (ctx.actor.role != StaffRole.SUPERVISOR or ctx.actor.team_id != case.team_id):
        raise access.refuse(
            ctx,
            case,
            "decide closure",
            Message("closure.errors.supervisor_team_sign_off"),
        )
    if approve and ctx.actor.id == closure.requested_by_id:
        raise access.refuse(ctx, case, "approve own closure", Message("closure.errors.own_request"))
    if closure.status != ClosureStatus.PENDING:
        raise RuleViolation("CLOSURE_DECIDED", Message("closure.errors.closure_already_decided"))
    check_free_text("comment", comment)
    if not approve and not (comment and comment.strip()):
        raise InvalidInput({"comment": Message("closure.errors.say_why_closure_returned")})
    closure.decided_by_id = ctx.actor.id
    closure.decided_at = ctx.now
    closure.supervisor_comment = comment
    if not approve:
        closure.status = ClosureStatus.RETURNED
        case_changed(db, ctx, case, "closure_returned", closure=closure.id)
        return closure
    closure.status = ClosureStatus.APPROVED
    case.closed_at = ctx.now
    case.retention_until = add_months(ctx.today, 12 * ctx.policy.cadences.retention_years)
    if closure.reason in (ClosureReason.DECEASED, ClosureReason.TRANSFERRED):
        case.status = CaseStatus.CLOSED  # no after-care for a client who died or moved to another agency
    else:
        case.status = CaseStatus.AFTERCARE
        for months in ctx.policy.cadences.aftercare_offsets(case.intensity):
            db.add(AfterCareCheck(case_id=case.id, due_on=add_months(ctx.today, months), created_at=ctx.now))
    case_changed(db, ctx, case, "closure_approved", closure=closure.id, reason=closure.reason.value)
    return closure


def record_aftercare(db: Session, ctx: Ctx, check_id: int, data: AfterCareInput) -> AfterCareCheck:
    case, check = access.load_record(
        db,
        ctx,
        AfterCareCheck,
        check_id,
        Message("closure.errors.no_after_care_check"),
        purpose="after-care",
    )
    if check.done_at is not None or check.cancelled:
        raise RuleViolation("AFTERCARE_DONE", Message("closure.errors.check_already_done"))
    check.done_at = ctx.now
    check.done_by_id = ctx.actor.id
    check.method, check.status, check.action, check.note = data.method, data.status, data.action, data.note
    db.flush()
    case_changed(
        db, ctx, case, "aftercare_checked", check=check.id, status=data.status.value, action=data.action.value
    )
    # A crisis found at after-care reopens the case (domain.md section 4).
    if data.action == AfterCareAction.REOPEN or data.status == AfterCareStatus.CRISIS:
        reopen(db, ctx, case.code, reason="aftercare")
    elif not _open_checks(db, case):
        case.status = CaseStatus.CLOSED
        case_changed(db, ctx, case, "aftercare_finished")
    return check


def _open_checks(db: Session, case: Case) -> list[AfterCareCheck]:
    return list(
        db.scalars(
            select(AfterCareCheck).where(
                AfterCareCheck.case_id == case.id,
                AfterCareCheck.done_at.is_(None),
                AfterCareCheck.cancelled.is_(False),
            )
        )
    )


def reopen(db: Session, ctx: Ctx, code: str, *, reason: str) -> Case:
    """Back to intake/assessment in a new episode; the closed episode's records stay as they were."""
    case = access.load_case(db, ctx, code, purpose="reopen")
    if case.status not in (CaseStatus.AFTERCARE, CaseStatus.CLOSED):
        raise RuleViolation("REOPEN", Message("closure.errors.closed_case_reopened"))
    for check in _open_checks(db, case):
        check.cancelled = True
    case.status = CaseStatus.OPEN
    case.episode += 1
    case.episode_started_at = ctx.now
    case.intake_at = ctx.now
    case.classified_at = None
    case.reassessment_requested_at = None
    case.closed_at = None
    case.retention_until = None  # open again: the record is in use, no destruction date
    # The timeline holds codes only (e.g. "aftercare"); a typed-in reason may name the client.
    reason_code = reason if re.fullmatch(r"[a-z_]{1,40}", reason) else "other"
    case_changed(db, ctx, case, "reopened", episode=case.episode, reason=reason_code)
    return case


def pending_approvals(db: Session, ctx: Ctx) -> list[Closure]:
    """Closures waiting for the acting supervisor's team."""
    access.require_active(ctx)
    if ctx.actor.role != StaffRole.SUPERVISOR:
        return []
    return list(
        db.scalars(
            select(Closure)
            .join(Case, Case.id == Closure.case_id)
            .where(
                Closure.status == ClosureStatus.PENDING,
                Case.id.in_(
                    access.visible_cases_query(ctx.actor, today=ctx.today).with_only_columns(Case.id)
                ),
                Case.team_id == ctx.actor.team_id,
            )
            .order_by(Closure.requested_at)
        )
    )


# --- what the Slack dialogue needs after a decision (plain values, usable once the session closes) ---


@dataclass(frozen=True)
class Recipient:
    """A staff member as Slack sees them: who to message, and in which language (None: not known)."""

    slack_user_id: str
    locale: str | None


@dataclass(frozen=True)
class ClosureParties:
    """The case code of a closure and who hears about it: its case manager and, when asked for, the
    supervisors who see the case (on a restricted case the named, on a school case the approved)."""

    code: str
    manager: Recipient
    supervisors: list[Recipient]


def closure_parties(
    db: Session,
    closure: Closure,
    *,
    today: date | None = None,
    supervisors: bool = False,
    approvers: tuple[str, ...] = (),
) -> ClosureParties:
    """`supervisors`: those who may decide — the case's supervisors other than the requester, or where
    there is none, the active staff the agency named (`approvers`, Slack user ids)."""
    case = db.get_one(Case, closure.case_id)
    manager = db.get_one(StaffMember, case.case_manager_id)
    asked: list[StaffMember] = []
    if supervisors:
        if today is None:
            raise ValueError("the agency's date is needed to find who decides")
        deciding = _deciding_supervisors(db, case, closure, today)
        asked = [db.get_one(StaffMember, staff_id) for staff_id in deciding]
        if not asked and approvers:
            asked = list(
                db.scalars(
                    select(StaffMember).where(
                        StaffMember.slack_user_id.in_(approvers),
                        StaffMember.active.is_(True),
                        StaffMember.id != closure.requested_by_id,
                    )
                )
            )
    return ClosureParties(
        code=case.code,
        manager=Recipient(manager.slack_user_id, manager.locale),
        supervisors=[Recipient(s.slack_user_id, s.locale) for s in asked],
    )


def aftercare_outcome(db: Session, check: AfterCareCheck) -> tuple[str, bool]:
    """The case code of a recorded after-care check, and whether recording it reopened the case."""
    case = db.get_one(Case, check.case_id)
    return case.code, case.status == CaseStatus.OPEN
