"""과정기록 / 점검: contact notes. A logged contact resets the next-contact date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from models.contact import ContactNote
from models.enums import MonitoringResult
from models.errors import InvalidInput, Message
from models.schemas import ContactInput
from models.services import access
from models.services.cases import FINISHED_STATUSES, require_open
from models.services.changes import case_changed
from models.services.context import Ctx

FUTURE_TOLERANCE = timedelta(minutes=5)


def log_contact(db: Session, ctx: Ctx, code: str, data: ContactInput) -> ContactNote:
    case = access.load_case(db, ctx, code, purpose="log contact")
    require_open(case, FINISHED_STATUSES)
    if data.contact_at > ctx.now + FUTURE_TOLERANCE:
        raise InvalidInput({"contact_at": Message("notes.errors.contact_future")})
    if data.next_contact_on is not None and data.next_contact_on < ctx.today:
        raise InvalidInput({"next_contact_on": Message("notes.errors.next_contact_date_must")})
    note = ContactNote(
        case_id=case.id, episode=case.episode, author_id=ctx.actor.id, created_at=ctx.now, **data.model_dump()
    )
    db.add(note)
    if data.result == MonitoringResult.REASSESS or data.risk_changed:
        case.reassessment_requested_at = ctx.now
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
