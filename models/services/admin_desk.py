"""The admin's desk in Slack: the staff list and the resource directory, and changes to them.

Only admins, and never case content: the staff list shows role, team, whether active, language and
the school approval; the directory shows resources and when each was last verified. Every change is
recorded in the audit log (record "staff" or "resources"); a refusal is recorded by the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditLog
from models.enums import AuditAction, ResourceCategory, ResourceSector, StaffRole
from models.errors import InvalidInput, Message, NotFound
from models.resource import Resource
from models.schemas import ResourceInput, StaffInput
from models.services import resources, staff
from models.services.access import require_role
from models.services.context import Ctx
from models.staff import StaffMember


@dataclass(frozen=True)
class StaffRow:
    id: int
    slack_user_id: str
    display_name: str
    role: StaffRole
    team: str
    active: bool
    locale: str | None
    approval: str  # staff.ApprovalStatus.state: "approved", "expired", "not yet", "revoked", "none"


@dataclass(frozen=True)
class ResourceRow:
    id: int
    name: str
    category: ResourceCategory
    sector: ResourceSector
    active: bool
    last_verified_at: datetime | None


@dataclass(frozen=True)
class Directory:
    staff: list[StaffRow]
    resources: list[ResourceRow]


def require_admin(ctx: Ctx, detail: str) -> None:
    """Only admins; anyone else is refused (NotAllowed, audited by the unit of work)."""
    require_role(ctx, StaffRole.ADMIN, detail=detail)


_admin = require_admin


def _audit(db: Session, ctx: Ctx, action: AuditAction, record: str, detail: str) -> None:
    db.add(
        AuditLog(
            at=ctx.now,
            actor_id=ctx.actor.id,
            actor_ref=ctx.actor.slack_user_id,
            action=action,
            record=record,
            surface=ctx.surface,
            detail=detail[:300],
        )
    )


def directory(db: Session, ctx: Ctx) -> Directory:
    """What the admin's App Home lists (no case content)."""
    _admin(ctx, "admin desk")
    members = staff.list_staff(db)
    approvals = staff.approval_statuses(db, [m.id for m in members], ctx.today)
    rows = [
        StaffRow(
            m.id,
            m.slack_user_id,
            m.display_name,
            m.role,
            m.team.name if m.team else "",
            m.active,
            m.locale,
            approvals[m.id].state if m.id in approvals else "none",
        )
        for m in members
    ]
    found = db.scalars(select(Resource).order_by(Resource.category, Resource.name))
    return Directory(
        rows,
        [ResourceRow(r.id, r.name, r.category, r.sector, r.active, r.last_verified_at) for r in found],
    )


def add_staff(db: Session, ctx: Ctx, data: StaffInput) -> StaffMember:
    _admin(ctx, "add staff")
    member = staff.add_staff(db, data)
    _audit(
        db,
        ctx,
        AuditAction.CREATE,
        "staff",
        f"added {member.slack_user_id} role={data.role.value} team={data.team}",
    )
    return member


@dataclass(frozen=True)
class StaffChange:
    """What an admin changes on a staff record; None leaves it as it is."""

    slack_user_id: str
    display_name: str | None = None
    role: StaffRole | None = None
    team: str | None = None


def edit_staff(db: Session, ctx: Ctx, change: StaffChange) -> StaffMember:
    _admin(ctx, "edit staff")
    member = staff.find_staff(db, change.slack_user_id)
    changed = []
    if change.display_name:
        member.display_name = change.display_name
        changed.append("name")
    if change.role is not None and change.role != member.role:
        changed.append(f"role {member.role.value}->{change.role.value}")
        member.role = change.role
    if change.team:
        team = staff.get_or_create_team(db, change.team)
        if team.id != member.team_id:
            changed.append(f"team -> {change.team}")
            member.team = team
    if not changed:
        raise InvalidInput({"display_name": Message("admin.errors.nothing_changed")})
    db.flush()
    _audit(db, ctx, AuditAction.UPDATE, "staff", f"changed {member.slack_user_id}: {', '.join(changed)}")
    return member


def deactivate(
    db: Session,
    ctx: Ctx,
    slack_user_id: str,
    *,
    reassign_to: str | None = None,
    leave_unassigned: bool = False,
) -> staff.Departure:
    """Deactivate a staff member. Cases they still manage are named (by code, nothing else: an admin
    sees no case content) and go to the person picked (`reassign_to`, a Slack user id: a case manager
    of the same team, each case by the transfer's own rules) or, if the admin says so, are left
    unassigned for the team's supervisors to transfer from their Home. Field errors under
    `reassign_to`; nothing changes on a refusal."""
    _admin(ctx, "deactivate staff")
    if not slack_user_id:
        raise InvalidInput({"member": Message("admin.errors.not_staff")})
    try:
        staff.find_staff(db, slack_user_id)
    except NotFound:
        raise InvalidInput({"member": Message("admin.errors.not_staff")}) from None
    done = staff.deactivate(
        db, ctx, slack_user_id, reassign_to=reassign_to, leave_unassigned=leave_unassigned
    )
    member = done.member
    if done.moved:
        assert done.to is not None
        cases_part = f"; {' '.join(n.code for n in done.moved)} transferred to {done.to.slack_user_id}"
    elif done.left:
        cases_part = f"; {' '.join(done.left)} left unassigned"
    else:
        cases_part = ""
    _audit(db, ctx, AuditAction.UPDATE, "staff", f"deactivated {member.slack_user_id}{cases_part}")
    return done


def import_resources(db: Session, ctx: Ctx, text: str) -> resources.ImportReport:
    """All rows or none; a bad row is named by its line (InvalidInput under `csv`)."""
    _admin(ctx, "import resources")
    try:
        report = resources.import_csv(db, text, now=ctx.now)
    except resources.ImportFailed as failed:
        lines = [
            Message("admin.errors.csv_line", line=line, problem=problem) for line, problem in failed.problems
        ]
        raise InvalidInput({"csv": Message("admin.errors.csv_failed", problems=lines)}) from None
    _audit(
        db,
        ctx,
        AuditAction.UPDATE,
        "resources",
        f"imported created={report.created} updated={report.updated}",
    )
    return report


def resource_form(db: Session, ctx: Ctx, resource_id: int) -> ResourceInput:
    """A resource as its edit form shows it."""
    _admin(ctx, "edit resource")
    resource = db.get(Resource, resource_id)
    if resource is None:
        raise NotFound(Message("resources.errors.no_resource"))
    return ResourceInput(
        name=resource.name,
        category=resource.category,
        sector=resource.sector,
        contact=resource.contact,
        eligibility=resource.eligibility,
        capacity=resource.capacity,
        has_mou=resource.has_mou,
    )


def save_resource(db: Session, ctx: Ctx, data: ResourceInput, resource_id: int | None = None) -> Resource:
    """Add a resource (verified now), or change one (`resource_id`)."""
    _admin(ctx, "edit resource" if resource_id else "add resource")
    if resource_id is None:
        resource = Resource(**data.model_dump(), last_verified_at=ctx.now, created_at=ctx.now)
        db.add(resource)
        db.flush()
        _audit(db, ctx, AuditAction.CREATE, "resources", f"added resource {resource.id}")
        return resource
    resource = db.get(Resource, resource_id)
    if resource is None:
        raise NotFound(Message("resources.errors.no_resource"))
    for name, value in data.model_dump().items():
        setattr(resource, name, value)
    _audit(db, ctx, AuditAction.UPDATE, "resources", f"changed resource {resource.id}")
    return resource


def verify_resource(db: Session, ctx: Ctx, resource_id: int) -> Resource:
    _admin(ctx, "verify resource")
    resource = resources.verify(db, resource_id, now=ctx.now)
    _audit(db, ctx, AuditAction.UPDATE, "resources", f"verified resource {resource.id}")
    return resource
