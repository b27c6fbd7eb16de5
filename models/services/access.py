"""Who may see and change a case (domain.md R9): its case manager, co-workers and team supervisors.

Admins manage staff, teams and resources; they do not read case content. Every service that touches
case content loads the case through `load_case`, so no caller can skip the check or the audit entry.

A school's student cases (profile SCHOOL) need one more thing: only staff the head of the school
approved may handle student data (학생맞춤통합지원법 §17⑦). Without an approval in force on the day,
nobody — case manager, co-worker, supervisor — opens, lists or is nudged about a school case.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TypeVar

from sqlalchemy import ColumnElement, exists, false, or_, select, union
from sqlalchemy.orm import Session

from models.case import Case, CaseAccessGrant, CaseWorker
from models.enums import AuditAction, Profile, StaffRole
from models.errors import Message, NotAllowed, NotFound
from models.services.audit import record_access
from models.services.context import Ctx
from models.staff import DataHandlingApproval, StaffMember
from models.text import t

T = TypeVar("T")

NOT_STAFF = Message("access.errors.not_registered_use_casebot")
NO_ACCESS = Message("access.errors.not_access_case_ask")


# --- the head of the school's approval (학교장 승인, 학생맞춤통합지원법 §17⑦) -----------------------------

# The law's own name, quoted in the audit detail of a refusal.
SCHOOL_APPROVAL_LAW = t("access.approval.law", "ko")
_WHY = Message("access.approval.why")
_ASK = Message("access.approval.ask")
NOT_APPROVED = Message("access.approval.none", why=_WHY, ask=_ASK)


def approval_required(profile: Profile) -> bool:
    """Student data (the SCHOOL profile) is handled by approved staff only; other profiles never ask."""
    return profile == Profile.SCHOOL


def approval_in_force(staff_id: int, today: date) -> ColumnElement[bool]:
    """SQL: the staff member holds an approval in force on `today` (not revoked, begun, not ended)."""
    return exists().where(
        DataHandlingApproval.staff_id == staff_id,
        DataHandlingApproval.revoked_at.is_(None),
        DataHandlingApproval.approved_on <= today,
        or_(DataHandlingApproval.valid_until.is_(None), DataHandlingApproval.valid_until >= today),
    )


def is_approved(db: Session, staff_id: int, today: date) -> bool:
    return bool(db.scalar(select(approval_in_force(staff_id, today))))


def approved_staff_ids(db: Session, staff_ids: set[int], today: date) -> set[int]:
    """Those of `staff_ids` who hold an approval in force on `today` (one query for a batch)."""
    if not staff_ids:
        return set()
    rows = db.scalars(
        select(DataHandlingApproval.staff_id).where(
            DataHandlingApproval.staff_id.in_(staff_ids),
            DataHandlingApproval.revoked_at.is_(None),
            DataHandlingApproval.approved_on <= today,
            or_(DataHandlingApproval.valid_until.is_(None), DataHandlingApproval.valid_until >= today),
        )
    )
    return set(rows)


def unapproved_on_school_cases(db: Session, pairs: set[tuple[int, int]], today: date) -> set[tuple[int, int]]:
    """The (case id, staff id) pairs, e.g. of nudges about to go out, where the case is a school case
    and the person holds no approval in force on `today`: they are told nothing about it."""
    case_ids = {case_id for case_id, _ in pairs}
    if not case_ids:
        return set()
    school = set(db.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.profile == Profile.SCHOOL)))
    on_school = {(case_id, staff_id) for case_id, staff_id in pairs if case_id in school}
    approved = approved_staff_ids(db, {staff_id for _, staff_id in on_school}, today)
    return {(case_id, staff_id) for case_id, staff_id in on_school if staff_id not in approved}


def handles_case_data(staff_id: int, today: date) -> ColumnElement[bool]:
    """SQL over `Case`: the case is not a school case, or the person is approved to handle it."""
    return or_(Case.profile != Profile.SCHOOL, approval_in_force(staff_id, today))


def not_approved_message(db: Session, staff_id: int, today: date) -> Message:
    """Why there is no approval in force: none on record, revoked, or ended (with the date)."""
    latest = db.scalar(
        select(DataHandlingApproval)
        .where(DataHandlingApproval.staff_id == staff_id)
        .order_by(DataHandlingApproval.entered_at.desc(), DataHandlingApproval.id.desc())
        .limit(1)
    )
    standing = latest.standing_on(today) if latest is not None else "none"
    if standing == "none":
        return NOT_APPROVED
    if standing == "revoked":
        return Message("access.approval.revoked", why=_WHY, ask=_ASK)
    if standing == "expired":
        ended = latest.valid_until.isoformat()
        return Message("access.approval.expired", why=_WHY, ended=ended, ask=_ASK)
    starts = latest.approved_on.isoformat()
    return Message("access.approval.not_yet", why=_WHY, starts=starts, ask=_ASK)


def require_approval(db: Session, ctx: Ctx, case: Case | None = None, *, purpose: str) -> None:
    """Refuse (audited) a school-case action by someone without an approval in force.

    The profile is the case's own when there is a case (a student's case stays one), else that of the
    actor's team (the team's profile, or the deployment's PROFILE). Admins are left to the usual checks: they never handle case data anyway.
    """
    profile = case.profile if case is not None else ctx.profile
    if not approval_required(profile) or ctx.actor.role == StaffRole.ADMIN:
        return
    if is_approved(db, ctx.actor.id, ctx.today):
        return
    raise refuse(
        ctx,
        case,
        f"{purpose}: no head-of-school approval in force ({SCHOOL_APPROVAL_LAW})",
        not_approved_message(db, ctx.actor.id, ctx.today),
    )


def may_be_assigned(db: Session, member: StaffMember, profile: Profile, today: date) -> bool:
    """Whether someone may be put on a case of that profile (case manager, co-worker, named person)."""
    return not approval_required(profile) or is_approved(db, member.id, today)


NOT_APPROVED_ASSIGNEE = Message("access.errors.staff_approved_head_school")

# Who may own cases (open them, be their case manager): approved school staff take part in named
# cases as co-workers only, and admins never handle case content.
CASE_OWNER_ROLES = (StaffRole.CASE_MANAGER, StaffRole.SUPERVISOR)


# --- who sees a case ---------------------------------------------------------------------------------


def can_access(db: Session, staff: StaffMember, case: Case, *, today: date) -> bool:
    """The case manager, co-workers and team supervisors; on a restricted case, supervisors only when
    named (family violence, child protection: the circle is kept as small as the work allows). On a
    school case only while they hold the head of the school's approval (`today`: the agency's date)."""
    if not staff.active or staff.role == StaffRole.ADMIN:
        return False
    if approval_required(case.profile) and not is_approved(db, staff.id, today):
        return False
    if case.case_manager_id == staff.id:
        return True
    if staff.role == StaffRole.SUPERVISOR and staff.team_id == case.team_id and not case.restricted:
        return True
    if db.scalar(select(exists().where(CaseWorker.case_id == case.id, CaseWorker.staff_id == staff.id))):
        return True
    return case.restricted and bool(
        db.scalar(
            select(exists().where(CaseAccessGrant.case_id == case.id, CaseAccessGrant.staff_id == staff.id))
        )
    )


def case_supervisors(db: Session, case: Case, *, today: date) -> list[int]:
    """Active supervisors who see the case: the team's, or on a restricted case the named ones; on a
    school case only those holding an approval in force."""
    query = select(StaffMember.id).where(
        StaffMember.team_id == case.team_id,
        StaffMember.role == StaffRole.SUPERVISOR,
        StaffMember.active.is_(True),
    )
    if case.restricted:
        named = select(CaseAccessGrant.staff_id).where(CaseAccessGrant.case_id == case.id)
        query = query.where(StaffMember.id.in_(named))
    if approval_required(case.profile):
        approved = select(DataHandlingApproval.staff_id).where(
            DataHandlingApproval.revoked_at.is_(None),
            DataHandlingApproval.approved_on <= today,
            or_(DataHandlingApproval.valid_until.is_(None), DataHandlingApproval.valid_until >= today),
        )
        query = query.where(StaffMember.id.in_(approved))
    return list(db.scalars(query.order_by(StaffMember.id)))


def refuse(ctx: Ctx, case: Case | None, detail: str, message: Message = NO_ACCESS) -> NotAllowed:
    return NotAllowed(
        message,
        at=ctx.now,
        actor_id=ctx.actor.id,
        actor_ref=ctx.actor.slack_user_id,
        case_id=case.id if case else None,
        case_code=case.code if case else None,
        surface=ctx.surface.value,
        detail=detail,
    )


def require_active(ctx: Ctx) -> None:
    if not ctx.actor.active:
        raise refuse(ctx, None, "inactive staff member", NOT_STAFF)


def require_role(ctx: Ctx, *roles: StaffRole, detail: str) -> None:
    require_active(ctx)
    if ctx.actor.role not in roles:
        raise refuse(
            ctx,
            None,
            detail,
            Message("access.errors.only_roles", roles=roles),
        )


# --- what only the case's lead may do (R9: roles) ------------------------------------------------------

# The decisions that steer a case belong to its case manager or a supervisor of its team; co-workers
# (a colleague, an approved school staff member) add notes, update tasks and record services.
LEAD_ACTIONS = ("classify", "agree_plan", "send_referral", "transfer", "request_closure", "handover")


def is_lead(staff: StaffMember, case: Case) -> bool:
    """The case manager, or an active supervisor of the case's team."""
    if staff.id == case.case_manager_id:
        return True
    return staff.role == StaffRole.SUPERVISOR and staff.team_id == case.team_id


def require_lead(ctx: Ctx, case: Case, action: str) -> None:
    """Refuse (audited, nothing changed) a steering decision by anyone but the case manager or a
    supervisor of the team; the answer names the rule and the action in the reader's language."""
    assert action in LEAD_ACTIONS, action
    if is_lead(ctx.actor, case):
        return
    raise refuse(
        ctx,
        case,
        f"{action}: case manager or team supervisor only",
        Message("access.errors.lead_only", action=Message(f"access.lead_actions.{action}")),
    )


# `<prefix>-<year>-<sequence>` (models/services/codes.py): what may be quoted back in a "not found".
CODE_SHAPE = re.compile(r"[A-Z]{1,10}-\d{4}-\d{4,9}")


def case_code(text: str) -> str:
    """The text as a case code (trimmed, upper case); NotFound if it is not shaped like one.

    What is not a code (a phone number or a name typed by mistake) is not quoted back, so the answer
    never carries it into Slack, where the outbound privacy gate would refuse it.
    """
    code = text.strip().upper()
    if not CODE_SHAPE.fullmatch(code):
        raise NotFound(Message("access.errors.not_case_code_check"))
    return code


def find_case(db: Session, code: str) -> Case:
    code = case_code(code)
    case = db.scalar(select(Case).where(Case.code == code))
    if case is None:
        raise NotFound(Message("access.errors.no_case_check_case", code=code))
    return case


def load_case(db: Session, ctx: Ctx, code_or_case: str | Case, *, purpose: str = "read") -> Case:
    """The case, if the actor may see it; the read is logged. Refusals raise NotAllowed."""
    require_active(ctx)
    case = code_or_case if isinstance(code_or_case, Case) else find_case(db, code_or_case)
    require_approval(db, ctx, case, purpose=purpose)  # school cases: says why and whom to ask
    if not can_access(db, ctx.actor, case, today=ctx.today):
        raise refuse(ctx, case, purpose)
    # Every opening of a case is a read of its content (a modal shows it, a write starts from it):
    # logged with what it was for, so the log answers "who looked at this case" on its own (R9).
    record_access(db, ctx, case, AuditAction.READ, "case", "" if purpose == "read" else purpose)
    return case


def load_record(
    db: Session, ctx: Ctx, model: type[T], record_id: int, missing: Message, *, purpose: str
) -> tuple[Case, T]:
    """A record that belongs to a case (plan, referral, consent …) and its case, through the access check."""
    record = db.get(model, record_id)
    if record is None:
        raise NotFound(missing)
    case = load_case(db, ctx, db.get_one(Case, record.case_id), purpose=purpose)  # type: ignore[attr-defined]
    return case, record


def own_case_ids(staff: StaffMember):  # -> CompoundSelect
    """Ids of the cases a person manages, co-works on or is named on (restricted): indexed lookups,
    not a scan of all cases."""
    managed = select(Case.id).where(Case.case_manager_id == staff.id)
    coworked = select(CaseWorker.case_id).where(CaseWorker.staff_id == staff.id)
    named = select(CaseAccessGrant.case_id).where(CaseAccessGrant.staff_id == staff.id)
    return union(managed, coworked, named)


def own_cases_query(staff: StaffMember, *, today: date):  # -> Select[tuple[Case]]
    """ "My cases": managed or co-worked (not the whole team, even for a supervisor); school cases
    only while the person holds an approval in force on `today`."""
    if not staff.active or staff.role == StaffRole.ADMIN:
        return select(Case).where(false())
    allowed = handles_case_data(staff.id, today)
    return select(Case).where(Case.id.in_(own_case_ids(staff)), allowed)


def visible_cases_query(staff: StaffMember, *, today: date):  # -> Select[tuple[Case]]
    """The cases a staff member may see: their own, and for a supervisor the whole team's (never for
    approved school staff, who see only the cases they are named on)."""
    if not staff.active or staff.role == StaffRole.ADMIN:
        return select(Case).where(false())
    mine = Case.id.in_(own_case_ids(staff))
    allowed = handles_case_data(staff.id, today)
    if staff.role == StaffRole.SUPERVISOR:
        team = (Case.team_id == staff.team_id) & Case.restricted.is_(False)
        return select(Case).where(or_(team, mine), allowed)
    return select(Case).where(mine, allowed)
