"""가구 (households): the cases of one household's members linked together, its other members, and one
need rating for the household as a whole.

Who sees what: a case's viewer sees the household's code, its members who are not clients and its
rating, and the household members the intake recorded for this case's client and for the clients of
the household's other cases the viewer may see (read from the intake, never copied: one place to keep
them, and a member recorded at one case's intake is not shown to viewers of the household who may not
see that case). The other cases of the household are shown by code, and only those the viewer may see
themselves (`access.can_access`); of the others nothing is said, not even how many there are.

Who changes it: the case manager or a team supervisor of the case (`access.is_lead`); linking another
case needs that for both cases. Every read is logged and every change goes on the timeline of the cases
it touches (a link on both, a member or a rating on the case it was made from).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.enums import AuditAction, HouseholdRelation, LifeStage, NeedDomain, Severity, domains_for
from models.errors import InvalidInput, Message, NotFound, RuleViolation
from models.household import Household, HouseholdCase, HouseholdNeed, HouseholdPerson
from models.schemas import HouseholdInput
from models.services import access
from models.services.audit import record_access, record_event
from models.services.codes import next_case_code
from models.services.context import Ctx
from models.services.strict import refused

PREFIX = "H"  # household codes: H-<year>-<sequence>, from the same counters as case codes
EVENT_LINKED, EVENT_UNLINKED, EVENT_CHANGED = "household_linked", "household_unlinked", "household_changed"


@dataclass(frozen=True)
class PersonView:
    id: int
    relation: HouseholdRelation
    age_band: LifeStage | None
    name: str | None  # for modals only, never a message


@dataclass(frozen=True)
class IntakePerson:
    """A household member the intake recorded for a case's client (models.client.HouseholdMember)."""

    relation: str
    age_band: LifeStage | None
    name: str | None  # for modals only, never a message


@dataclass(frozen=True)
class IntakeHousehold:
    """The intake's household members of one case of the household (a case the viewer may see)."""

    code: str
    people: tuple[IntakePerson, ...]


@dataclass(frozen=True)
class Glimpse:
    """What a case's summary shows of its household: the code and the household's other cases the
    viewer may see (their codes only)."""

    code: str
    others: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdView:
    case_code: str
    code: str | None  # None: the case is in no household yet
    others: tuple[str, ...]  # codes of the household's other cases the viewer may see
    people: tuple[PersonView, ...]
    needs: dict[NeedDomain, Severity]
    domains: tuple[NeedDomain, ...]  # the domains a rating is asked for (the assessment's)
    may_change: bool
    # The members each case's intake recorded (this case's first, then the others the viewer may see):
    # shown from there, not copied into the household, so nobody types them twice.
    intake: tuple[IntakeHousehold, ...] = ()


def household_of(db: Session, case: Case) -> Household | None:
    return db.scalar(select(Household).join(HouseholdCase).where(HouseholdCase.case_id == case.id))


def _visible_other_cases(db: Session, ctx: Ctx, household: Household, case: Case) -> list[Case]:
    ids = [link.case_id for link in household.cases if link.case_id != case.id]
    if not ids:
        return []
    others = db.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.code))
    return [o for o in others if access.can_access(db, ctx.actor, o, today=ctx.today)]


def _visible_others(db: Session, ctx: Ctx, household: Household, case: Case) -> tuple[str, ...]:
    return tuple(o.code for o in _visible_other_cases(db, ctx, household, case))


def _intake_people(case: Case) -> tuple[IntakePerson, ...]:
    people = []
    for member in case.client.household:
        try:
            band = LifeStage(member.age_band) if member.age_band else None
        except ValueError:
            band = None
        people.append(IntakePerson(member.relation, band, member.name))
    return tuple(people)


def _intake(db: Session, ctx: Ctx, case: Case, household: Household | None) -> tuple[IntakeHousehold, ...]:
    """The intake's household members of this case and of the household's other cases the viewer may see
    (each other case's read is logged on it); of cases the viewer may not see, nothing."""
    shown = [IntakeHousehold(case.code, _intake_people(case))]
    if household is not None:
        for other in _visible_other_cases(db, ctx, household, case):
            people = _intake_people(other)
            if people:
                record_access(
                    db, ctx, other, AuditAction.READ, "household", f"intake members ({household.code})"
                )
            shown.append(IntakeHousehold(other.code, people))
    return tuple(entry for entry in shown if entry.people)


def glimpse(db: Session, ctx: Ctx, case: Case) -> Glimpse | None:
    """For a case the caller has loaded through `access.load_case` (its read is logged there)."""
    household = household_of(db, case)
    if household is None:
        return None
    return Glimpse(code=household.code, others=_visible_others(db, ctx, household, case))


def _view(
    db: Session, ctx: Ctx, case: Case, household: Household | None, *, intake: bool = True
) -> HouseholdView:
    """`intake=False`: without the intake's members (a submission's answer does not show them)."""
    domains = domains_for(case.profile)
    members = _intake(db, ctx, case, household) if intake else ()
    if household is None:
        lead = access.is_lead(ctx.actor, case)
        return HouseholdView(case.code, None, (), (), {}, domains, lead, members)
    return HouseholdView(
        case_code=case.code,
        code=household.code,
        others=_visible_others(db, ctx, household, case),
        people=tuple(PersonView(p.id, p.relation, p.age_band, p.name) for p in household.people),
        needs={n.domain: n.severity for n in household.needs},
        domains=domains,
        may_change=access.is_lead(ctx.actor, case),
        intake=members,
    )


def show(db: Session, ctx: Ctx, code: str) -> HouseholdView:
    """The household of a case the actor may see (the read of the case and of its household logged)."""
    case = access.load_case(db, ctx, code, purpose="household")
    household = household_of(db, case)
    if household is not None:
        record_access(db, ctx, case, AuditAction.READ, "household", household.code)
    return _view(db, ctx, case, household)


def _require_lead(ctx: Ctx, case: Case) -> None:
    if not access.is_lead(ctx.actor, case):
        raise access.refuse(
            ctx,
            case,
            "household: case manager or team supervisor only",
            Message("households.errors.lead_only"),
        )


def _new_household(db: Session, ctx: Ctx) -> Household:
    household = Household(
        code=next_case_code(db, PREFIX, ctx.today.year),
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    db.add(household)
    return household


def _link(db: Session, ctx: Ctx, household: Household, case: Case) -> None:
    household.cases.append(HouseholdCase(case_id=case.id, linked_by_id=ctx.actor.id, linked_at=ctx.now))
    db.flush()
    record_event(db, ctx, case, EVENT_LINKED, household=household.code)


def _unlink(db: Session, ctx: Ctx, case: Case) -> None:
    household = household_of(db, case)
    if household is None:
        raise RuleViolation("NO_HOUSEHOLD", Message("households.errors.no_household"))
    [link] = [link for link in household.cases if link.case_id == case.id]
    household.cases.remove(link)
    db.flush()
    record_event(db, ctx, case, EVENT_UNLINKED, household=household.code)
    if not household.cases:
        # The last case left: nobody may see the household any more, so its members and rating go.
        record_access(db, ctx, None, AuditAction.DESTROY, "household", household.code)
        db.delete(household)
        db.flush()


def _other_case(db: Session, ctx: Ctx, case: Case, code: str) -> Case:
    try:
        other = access.load_case(db, ctx, code, purpose="household link")
    except NotFound as missing:
        raise InvalidInput({"link_code": missing.message}) from None
    if other.id == case.id:
        raise InvalidInput({"link_code": Message("households.errors.same_case")})
    _require_lead(ctx, other)
    return other


def change(db: Session, ctx: Ctx, code: str, data: HouseholdInput) -> HouseholdView:
    """Apply one submission of the household modal; returns the household as the actor now sees it."""
    case = access.load_case(db, ctx, code, purpose="household")
    _require_lead(ctx, case)
    if data.unlink:
        _unlink(db, ctx, case)
        return _view(db, ctx, case, None, intake=False)
    if data.person is not None and data.person.name and ctx.policy.strict_privacy:
        raise InvalidInput({"person_name": refused("name")})
    household = household_of(db, case)
    if data.link_code:
        other = _other_case(db, ctx, case, data.link_code)
        theirs = household_of(db, other)
        if household is not None and theirs is not None and household.id != theirs.id:
            message = Message("households.errors.other_household", code=other.code, household=theirs.code)
            raise InvalidInput({"link_code": message})
        if household is None and theirs is None:
            household = _new_household(db, ctx)
            _link(db, ctx, household, case)
            _link(db, ctx, household, other)
        elif household is None:
            assert theirs is not None
            household = theirs
            _link(db, ctx, household, case)
        elif theirs is None:
            _link(db, ctx, household, other)
    wants_details = data.person is not None or bool(data.needs) or bool(data.remove_person_ids)
    if household is None and (data.create or wants_details):
        household = _new_household(db, ctx)
        _link(db, ctx, household, case)
    if household is None:
        return _view(db, ctx, case, None, intake=False)
    changed = _change_details(db, ctx, household, data)
    if changed:
        household.updated_at = ctx.now
        db.flush()
        record_event(db, ctx, case, EVENT_CHANGED, household=household.code, changed=changed)
    db.refresh(household)
    return _view(db, ctx, case, household, intake=False)


def _change_details(db: Session, ctx: Ctx, household: Household, data: HouseholdInput) -> list[str]:
    changed = []
    if data.remove_person_ids:
        known = {p.id: p for p in household.people}
        unknown = [i for i in data.remove_person_ids if i not in known]
        if unknown:
            raise InvalidInput({"remove_person_ids": Message("households.errors.no_member")})
        for person_id in data.remove_person_ids:
            household.people.remove(known[person_id])
        changed.append("members_removed")
    if data.person is not None:
        household.people.append(
            HouseholdPerson(
                relation=data.person.relation,
                age_band=data.person.age_band,
                name=data.person.name,
                added_by_id=ctx.actor.id,
                added_at=ctx.now,
            )
        )
        changed.append("member_added")
    if data.needs:
        current = {n.domain: n for n in household.needs}
        rated = False
        for domain, severity in data.needs.items():
            row = current.get(domain)
            if row is None:
                household.needs.append(
                    HouseholdNeed(
                        domain=domain, severity=severity, rated_by_id=ctx.actor.id, rated_at=ctx.now
                    )
                )
                rated = True
            elif row.severity != severity:
                row.severity, row.rated_by_id, row.rated_at = severity, ctx.actor.id, ctx.now
                rated = True
        if rated:
            changed.append("needs_rated")
    db.flush()
    return changed
