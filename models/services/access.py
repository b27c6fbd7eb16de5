"""Who may see and change a case (domain.md R9): its case manager, co-workers and team supervisors.

Admins manage staff, teams and resources; they do not read case content. Every service that touches
case content loads the case through `load_case`, so no caller can skip the check or the audit entry.
"""

from __future__ import annotations

import re
from typing import TypeVar

from sqlalchemy import exists, false, or_, select, union
from sqlalchemy.orm import Session

from models.case import Case, CaseAccessGrant, CaseWorker
from models.enums import AuditAction, StaffRole
from models.errors import Message, NotAllowed, NotFound
from models.services.audit import record_access
from models.services.context import Ctx
from models.staff import StaffMember

T = TypeVar("T")

NOT_STAFF = Message(
    "Casebot을 사용할 권한이 없습니다. 기관 관리자에게 직원 등록을 요청하세요.",
    "You are not registered to use Casebot. Ask your agency's administrator to add you.",
)
NO_ACCESS = Message(
    "이 사례를 볼 권한이 없습니다. 담당 사례관리자나 팀 슈퍼바이저에게 문의하세요.",
    "You do not have access to this case. Ask its case manager or your team's supervisor.",
)


def can_access(db: Session, staff: StaffMember, case: Case) -> bool:
    """The case manager, co-workers and team supervisors; on a restricted case, supervisors only when
    named (family violence, child protection: the circle is kept as small as the work allows)."""
    if not staff.active or staff.role == StaffRole.ADMIN:
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


def case_supervisors(db: Session, case: Case) -> list[int]:
    """Active supervisors who see the case: the team's, or on a restricted case the named ones."""
    query = select(StaffMember.id).where(
        StaffMember.team_id == case.team_id,
        StaffMember.role == StaffRole.SUPERVISOR,
        StaffMember.active.is_(True),
    )
    if case.restricted:
        named = select(CaseAccessGrant.staff_id).where(CaseAccessGrant.case_id == case.id)
        query = query.where(StaffMember.id.in_(named))
    return list(db.scalars(query.order_by(StaffMember.id)))


def refuse(ctx: Ctx, case: Case | None, detail: str, message: Message = NO_ACCESS) -> NotAllowed:
    return NotAllowed(
        message,
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
            Message(
                "이 작업은 " + ", ".join(r.ko for r in roles) + "만 할 수 있습니다.",
                "Only " + ", ".join(r.en.lower() for r in roles) + " can do this.",
            ),
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
        raise NotFound(
            Message(
                "사례번호 형식이 아닙니다. 사례번호를 확인하세요 (예: C-2026-0007).",
                "That is not a case code. Check it (e.g. C-2026-0007).",
            )
        )
    return code


def find_case(db: Session, code: str) -> Case:
    code = case_code(code)
    case = db.scalar(select(Case).where(Case.code == code))
    if case is None:
        raise NotFound(
            Message(
                f"사례 {code}을(를) 찾을 수 없습니다. 사례번호를 확인하세요 (예: C-2026-0007).",
                f"No case {code}. Check the case code (e.g. C-2026-0007).",
            )
        )
    return case


def load_case(db: Session, ctx: Ctx, code_or_case: str | Case, *, purpose: str = "read") -> Case:
    """The case, if the actor may see it; the read is logged. Refusals raise NotAllowed."""
    require_active(ctx)
    case = code_or_case if isinstance(code_or_case, Case) else find_case(db, code_or_case)
    if not can_access(db, ctx.actor, case):
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


def own_cases_query(staff: StaffMember):  # -> Select[tuple[Case]]
    """ "My cases": managed or co-worked (not the whole team, even for a supervisor)."""
    if not staff.active or staff.role == StaffRole.ADMIN:
        return select(Case).where(false())
    return select(Case).where(Case.id.in_(own_case_ids(staff)))


def visible_cases_query(staff: StaffMember):  # -> Select[tuple[Case]]
    """The cases a staff member may see: their own, and for a supervisor the whole team's."""
    if not staff.active or staff.role == StaffRole.ADMIN:
        return select(Case).where(false())
    mine = Case.id.in_(own_case_ids(staff))
    if staff.role == StaffRole.SUPERVISOR:
        team = (Case.team_id == staff.team_id) & Case.restricted.is_(False)
        return select(Case).where(or_(team, mine))
    return select(Case).where(mine)
