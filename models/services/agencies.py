"""Several agencies on one case (다기관 사례관리): the lead agency (주사례관리기관) and partner agencies with
their roles. Seen by the case's circle (`/case show`, history, export); changed by its case manager or
a team supervisor only (`access.is_lead`), the whole list at once. Reads and changes are logged; the
timeline says that the agencies changed and how many there are, never the typed names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.agency import CaseAgency
from models.case import Case
from models.errors import InvalidInput, Message
from models.resource import Resource
from models.schemas import AgenciesInput, AgencyInput
from models.services import access
from models.services.audit import record_event
from models.services.context import Ctx

EVENT = "agencies_changed"


@dataclass(frozen=True)
class AgencyLine:
    name: str  # the directory entry's name, or the organisation as typed (modals and exports only)
    role: str | None
    lead: bool
    resource_id: int | None
    organisation: str | None


@dataclass(frozen=True)
class AgenciesView:
    case_code: str
    lead: AgencyLine | None
    partners: tuple[AgencyLine, ...]
    may_change: bool
    resources: tuple[tuple[int, str], ...]  # the directory's active entries, for the modal's choices


def lines(db: Session, case: Case) -> list[AgencyLine]:
    """The agencies of a case the caller has loaded through `access.load_case`: the lead first."""
    rows = list(
        db.scalars(
            select(CaseAgency)
            .where(CaseAgency.case_id == case.id)
            .order_by(CaseAgency.lead.desc(), CaseAgency.id)
        )
    )
    ids = [r.resource_id for r in rows if r.resource_id is not None]
    names = (
        dict(db.execute(select(Resource.id, Resource.name).where(Resource.id.in_(ids))).all()) if ids else {}
    )
    return [
        AgencyLine(
            name=names.get(r.resource_id, "") if r.resource_id is not None else r.organisation or "",
            role=r.role,
            lead=r.lead,
            resource_id=r.resource_id,
            organisation=r.organisation,
        )
        for r in rows
    ]


def _view(db: Session, ctx: Ctx, case: Case) -> AgenciesView:
    found = lines(db, case)
    resources = tuple(
        (r.id, r.name)
        for r in db.scalars(
            select(Resource).where(Resource.active.is_(True)).order_by(Resource.name).limit(100)
        )
    )
    return AgenciesView(
        case_code=case.code,
        lead=next((line for line in found if line.lead), None),
        partners=tuple(line for line in found if not line.lead),
        may_change=access.is_lead(ctx.actor, case),
        resources=resources,
    )


def show(db: Session, ctx: Ctx, code: str) -> AgenciesView:
    case = access.load_case(db, ctx, code, purpose="agencies")
    return _view(db, ctx, case)


def _check(db: Session, field: str, entry: AgencyInput) -> None:
    if entry.resource_id is None:
        return
    resource = db.get(Resource, entry.resource_id)
    if resource is None or not resource.active:
        raise InvalidInput({field: Message("agencies.errors.no_resource")})


def set_agencies(db: Session, ctx: Ctx, code: str, data: AgenciesInput) -> AgenciesView:
    """Replace the case's agencies with the lead and partners given (the case manager or a supervisor)."""
    case = access.load_case(db, ctx, code, purpose="agencies")
    if not access.is_lead(ctx.actor, case):
        raise access.refuse(
            ctx, case, "agencies: case manager or team supervisor only", Message("agencies.errors.lead_only")
        )
    if data.lead is not None:
        _check(db, "lead.resource_id", data.lead)
    for index, entry in enumerate(data.partners):
        _check(db, f"partners.{index}.resource_id", entry)
    for row in db.scalars(select(CaseAgency).where(CaseAgency.case_id == case.id)):
        db.delete(row)
    db.flush()
    entries = [(True, data.lead)] if data.lead is not None else []
    entries += [(False, entry) for entry in data.partners]
    for lead, entry in entries:
        db.add(
            CaseAgency(
                case_id=case.id,
                lead=lead,
                resource_id=entry.resource_id,
                organisation=entry.organisation if entry.resource_id is None else None,
                role=entry.role,
                added_by_id=ctx.actor.id,
                added_at=ctx.now,
            )
        )
    db.flush()
    record_event(db, ctx, case, EVENT, lead=data.lead is not None, partners=len(data.partners))
    return _view(db, ctx, case)
