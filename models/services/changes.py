"""The one way a service finishes changing a case: timeline entry, audit entry, reminders recomputed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.case import Case
from models.services.audit import record_event
from models.services.board_posts import mark_team_dirty
from models.services.context import Ctx
from models.services.reminders import refresh


def case_changed(db: Session, ctx: Ctx, case: Case, event: str, **data: object) -> None:
    record_event(db, ctx, case, event, **data)
    refresh(db, case, ctx.policy, today=ctx.today)
    mark_team_dirty(db, case.team_id, ctx.today)  # the team channel's board re-renders (scheduler)
