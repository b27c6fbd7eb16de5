"""사후관리 인계: a public team's closed case hands its after-care to the 읍면동 (domain.md §1 "after-care
done by 읍면동" [V2 S6]; models/profiles.py), with a record of to whom, when and a note. Until it is
recorded, the case manager is nudged (`reminders.due_items`, `PublicClocks.handover_days` after the
closure)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.case import Case
from models.enums import CaseStatus, Profile
from models.errors import InvalidInput, Message, RuleViolation
from models.handover import AfterCareHandover
from models.schemas import HandoverInput
from models.services import access
from models.services.changes import case_changed
from models.services.context import Ctx


def require_public_closed(ctx: Ctx, case: Case) -> None:
    """Only a public team's case, once its closure is approved (after-care or closed)."""
    if ctx.policy.team_profile(case.team) != Profile.PUBLIC:
        raise RuleViolation("HANDOVER_PUBLIC", Message("profiles.errors.handover_public_only"))
    if case.status not in (CaseStatus.AFTERCARE, CaseStatus.CLOSED):
        raise RuleViolation("HANDOVER_AFTER_CLOSURE", Message("profiles.errors.handover_after_closure"))


def open_handover(db: Session, ctx: Ctx, code: str) -> Case:
    """The case the hand-over dialogue is about, refused (before the form) where no hand-over applies or
    the person is not its case manager or a supervisor of its team (R9)."""
    case = access.load_case(db, ctx, code, purpose="after-care hand-over")
    access.require_lead(ctx, case, "handover")
    require_public_closed(ctx, case)
    return case


def record_handover(db: Session, ctx: Ctx, code: str, data: HandoverInput) -> AfterCareHandover:
    case = open_handover(db, ctx, code)
    if data.handed_over_on > ctx.today:
        raise InvalidInput({"handed_over_on": Message("profiles.errors.handover_in_future")})
    handover = AfterCareHandover(
        case_id=case.id,
        episode=case.episode,
        handed_to=data.handed_to,
        handed_over_on=data.handed_over_on,
        note=data.note,
        recorded_by_id=ctx.actor.id,
        recorded_at=ctx.now,
    )
    case.handovers.append(handover)
    db.flush()
    case_changed(db, ctx, case, "aftercare_handed_over", handover=handover.id)
    return handover
