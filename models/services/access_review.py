"""The supervisor's access review (R9: reviewed monthly): a read report over the access log of the
team's cases. Kept apart from the audit writer (`models.services.audit`), which `access` itself uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditLog
from models.case import Case
from models.enums import AuditAction, StaffRole
from models.services import access
from models.services.audit import record_access
from models.services.context import Ctx
from models.staff import StaffMember


@dataclass(frozen=True)
class AccessReview:
    """A supervisor's look at who opened, changed or was refused the team's cases (R9: reviewed monthly)."""

    since: datetime
    by_person: list[tuple[str, int, int]]  # display name (or Slack id), reads, writes
    refusals: list[AuditLog]
    recent: list[AuditLog]
    names: dict[int, str]


def team_review(db: Session, ctx: Ctx, since: datetime, *, recent: int = 20) -> AccessReview:
    """The access log of the supervisor's team's cases since `since`, restricted cases they are not
    named on left out; reviewing it is itself logged."""
    access.require_role(ctx, StaffRole.SUPERVISOR, detail="access review")
    visible = (
        access.visible_cases_query(ctx.actor, today=ctx.today)
        .with_only_columns(Case.id)
        .where(Case.team_id == ctx.actor.team_id)
    )
    rows = list(
        db.scalars(
            select(AuditLog)
            .where(AuditLog.at >= since, AuditLog.case_id.in_(visible))
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        )
    )
    names = dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())
    counts: dict[str, list[int]] = {}
    for row in rows:
        who = names.get(row.actor_id, "") if row.actor_id else (row.actor_ref or "-")
        tally = counts.setdefault(who, [0, 0])
        if row.action == AuditAction.READ:
            tally[0] += 1
        elif row.action in (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.EXPORT, AuditAction.DESTROY):
            tally[1] += 1
    record_access(
        db, ctx, None, AuditAction.READ, "access_review", f"team {ctx.actor.team_id}: {len(rows)} rows"
    )
    return AccessReview(
        since=since,
        by_person=sorted(((who, r, w) for who, (r, w) in counts.items()), key=lambda t: -(t[1] + t[2])),
        refusals=[r for r in rows if r.action == AuditAction.REFUSED],
        recent=rows[:recent],
        names=names,
    )
