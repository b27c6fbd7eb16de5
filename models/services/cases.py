"""Opening a case (referral-in or intake), classification, holds, transfers and co-workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case, CaseAccessGrant, CaseWorker
from models.client import Client, Guardian, HouseholdMember
from models.enums import CaseIntensity, CaseStatus, Profile, StaffRole, Stage
from models.errors import InvalidInput, Message, RuleViolation
from models.plan import PlanTask, ServicePlan
from models.schemas import IntakeInput, RecordIntakeInput, ReferrerReplyInput, check_free_text
from models.services import access, guardians, strict
from models.services.changes import case_changed
from models.services.codes import next_case_code
from models.services.consents import add_consent
from models.services.context import Ctx
from models.services.lifecycle import CaseState, derive, snapshot
from models.staff import StaffMember

CLOSED_STATUSES = (CaseStatus.CLOSED, CaseStatus.AFTERCARE, CaseStatus.ARCHIVED)
# After-care contacts are still logged; only a finished case takes no more records.
FINISHED_STATUSES = (CaseStatus.CLOSED, CaseStatus.ARCHIVED)


def require_open(case: Case, closed: tuple[CaseStatus, ...] = CLOSED_STATUSES) -> None:
    if case.status in closed:
        raise RuleViolation(
            "CASE_CLOSED",
            Message("cases.errors.case_closed_work_client"),
        )


def require_may_open(db: Session, ctx: Ctx) -> None:
    """Case managers and supervisors open cases; under the school profile only with the head of the
    school's approval. Also asked before the intake modal opens, so nobody fills it in for nothing."""
    access.require_role(ctx, *access.CASE_OWNER_ROLES, detail="open case")
    access.require_approval(db, ctx, purpose="open case")


def open_case(db: Session, ctx: Ctx, data: IntakeInput) -> Case:
    """Register a case: at intake (`intake_held`) or as a referral awaiting its first interview."""
    require_may_open(db, ctx)
    strict.check_intake(ctx, data)  # privacy_mode=strict: no identifiers, a system-of-record number
    guardians.check_intake_signer(data)  # R12: an alleged abuser never signs
    manager = _case_manager_for(db, ctx, data.case_manager_id)
    client = Client(**data.client.model_dump())
    client.characteristics = [c.value for c in data.client.characteristics]
    client.benefits = [b.value for b in data.client.benefits]
    client.household = [HouseholdMember(**m.model_dump()) for m in data.household]
    client.guardians = [Guardian(**g.model_dump()) for g in data.guardians]
    db.add(client)
    team = ctx.actor.team
    case = Case(
        code=next_case_code(db, team.case_code_prefix, ctx.today.year),
        profile=ctx.profile,  # the team's profile (models/profiles.py); the access rules keep it
        status=CaseStatus.OPEN,
        client=client,
        team_id=team.id,
        case_manager_id=manager.id,
        referral_source=data.referral_source,
        presenting_needs=[d.value for d in data.presenting_needs],
        intake_summary=data.intake_summary,
        confidentiality_notice_given=data.confidentiality_notice_given,
        referrer=data.referrer,
        referral_reason=data.referral_reason,
        referred_at=_referred_at(ctx, data.referred_on),
        intake_at=ctx.now if data.intake_held else None,
        episode_started_at=ctx.now,
        episode=1,
        intake_route=data.intake_route,
        crisis_flags=[f.value for f in data.crisis_flags],
        crisis_flagged_at=ctx.now if data.crisis_flags else None,
        # Flagged at risk until the assessment says otherwise (the contact cadence and the team's desk).
        crisis=bool(data.crisis_flags),
    )
    db.add(case)
    db.flush()
    for consent in data.consents:
        add_consent(db, ctx, case, consent)
    case_changed(db, ctx, case, "case_opened", intake=data.intake_held, manager=manager.id)
    return case


def crisis_recipients(db: Session, case: Case, *, today: date) -> list[tuple[str, str]]:
    """A crisis ticked at intake: each of the case's supervisors (Slack id, stored language or "") to be
    told at once, by case code only."""
    if not case.crisis_flags:
        return []
    supervisors = access.case_supervisors(db, case, today=today)
    members = (db.get_one(StaffMember, staff_id) for staff_id in supervisors)
    return [(m.slack_user_id, m.locale or "") for m in members if m.active]


def _referred_at(ctx: Ctx, day: date | None) -> datetime:
    """The moment of the referral: now, or noon (agency time) of the day it came in."""
    if day is None or day == ctx.today:
        return ctx.now
    if day > ctx.today:
        raise InvalidInput({"referred_on": Message("cases.errors.referred_in_future")})
    return datetime.combine(day, time(12), tzinfo=ctx.policy.zone).astimezone(UTC)


def _case_manager_for(db: Session, ctx: Ctx, staff_id: int | None) -> StaffMember:
    if staff_id is None or staff_id == ctx.actor.id:
        return ctx.actor
    manager = db.get(StaffMember, staff_id)
    if (
        manager is None
        or not manager.active
        or manager.team_id != ctx.actor.team_id
        or manager.role not in access.CASE_OWNER_ROLES
    ):
        raise InvalidInput({"case_manager_id": Message("cases.errors.choose_active_case_manager")})
    if not access.may_be_assigned(db, manager, ctx.profile, ctx.today):
        raise InvalidInput({"case_manager_id": access.NOT_APPROVED_ASSIGNEE})
    return manager


def record_intake(db: Session, ctx: Ctx, code: str, *, summary: str | None, notice_given: bool) -> Case:
    """The first interview with its summary and notice only (no further details)."""
    # Not validated here: the service's own checks answer as for any caller (a field error).
    data = RecordIntakeInput.model_construct(
        intake_summary=summary, confidentiality_notice_given=notice_given
    )
    return record_first_interview(db, ctx, code, data).case


@dataclass(frozen=True)
class RecordedIntake:
    case: Case
    # Crisis flags ticked at this interview that the case did not carry yet: the supervisors are told.
    crisis_ticked: bool


def record_first_interview(db: Session, ctx: Ctx, code: str, data: RecordIntakeInput) -> RecordedIntake:
    """`/case intake CODE` (초기상담): the first interview of a case recorded as a referral (stage 0), with
    the intake's details: the client's characteristics, interpreter, benefits and housing (added to
    what the referral said), the intake route, household members and guardians (added), and crisis
    flags (a new one starts the first-response clock, as at intake)."""
    case = access.load_case(db, ctx, code, purpose="record intake")
    check_free_text("intake_summary", data.intake_summary)
    if case.intake_at is not None:
        raise RuleViolation("INTAKE_DONE", Message("cases.errors.intake_already_recorded"))
    if not data.confidentiality_notice_given:
        raise InvalidInput(
            {"confidentiality_notice_given": Message("cases.errors.confirm_limits_confidentiality_explained")}
        )
    strict.check_record_intake(ctx, data)
    client = case.client
    details = data.client
    client.characteristics = _added(client.characteristics, [c.value for c in details.characteristics])
    client.benefits = _added(client.benefits, [b.value for b in details.benefits])
    if details.interpreter_needed or details.interpreter_language:
        client.interpreter_needed = True
    if details.interpreter_language:
        client.interpreter_language = details.interpreter_language
    if details.housing_type is not None:
        client.housing_type = details.housing_type
    client.household.extend(HouseholdMember(**m.model_dump()) for m in data.household)
    client.guardians.extend(Guardian(**g.model_dump()) for g in data.guardians)
    if data.intake_route is not None:
        case.intake_route = data.intake_route
    flags = _added(case.crisis_flags, [f.value for f in data.crisis_flags])
    ticked = len(flags) > len(case.crisis_flags or [])
    if ticked:
        case.crisis_flags = flags
        case.crisis = True
        if case.crisis_flagged_at is None:
            case.crisis_flagged_at = ctx.now  # the first response is due within hours of the interview
    case.intake_at = ctx.now
    case.intake_summary = data.intake_summary
    case.confidentiality_notice_given = True
    db.flush()
    case_changed(db, ctx, case, "intake_recorded", crisis=ticked)
    return RecordedIntake(case, ticked)


def _added(current: list[str] | None, new: list[str]) -> list[str]:
    """The values already recorded, then the new ones not among them (in the order given)."""
    found = list(current or [])
    return found + [value for value in dict.fromkeys(new) if value not in found]


def case_profile(ctx: Ctx, case: Case) -> Profile:
    """The profile the case's rules follow: its team's (models/profiles.py)."""
    return ctx.policy.team_profile(case.team)


def classifications(ctx: Ctx, case: Case) -> tuple[CaseIntensity, ...]:
    """The classifications the case's team offers (its profile's list)."""
    return ctx.policy.classifications_for(case_profile(ctx, case))


def classify(db: Session, ctx: Ctx, code: str, intensity: CaseIntensity) -> Case:
    """사례회의·대상자 구분: decide the intensity, which drives the contact cadence. Only a value of the
    team's profile's list (models/profiles.py)."""
    case = access.load_case(db, ctx, code, purpose="classify")
    access.require_lead(ctx, case, "classify")
    allowed = classifications(ctx, case)
    if intensity not in allowed:
        raise InvalidInput(
            {
                "intensity": Message(
                    "profiles.errors.intensity_not_for_profile",
                    profile=case_profile(ctx, case),
                    allowed=allowed,
                )
            }
        )
    state = current_state(db, ctx, case)
    if state.stage.number < Stage.CONFERENCE.number or case.status in CLOSED_STATUSES:
        raise RuleViolation(
            "CLASSIFY_NEEDS_ASSESSMENT",
            Message("cases.errors.case_classified_after_assessment"),
        )
    previous = case.intensity
    case.intensity = intensity
    case.classified_at = ctx.now
    case_changed(
        db, ctx, case, "classified", intensity=intensity.value, previous=previous.value if previous else None
    )
    return case


def hold(db: Session, ctx: Ctx, code: str, *, reason: str | None = None, until: date | None = None) -> Case:
    """보류: contact nudges pause; with `until`, one nudge goes out that morning to look again."""
    case = access.load_case(db, ctx, code, purpose="hold")
    check_free_text("reason", reason)
    if until is not None and until <= ctx.today:
        raise InvalidInput({"until": Message("cases.errors.hold_until_after_today")})
    if case.status in CLOSED_STATUSES or case.status == CaseStatus.ON_HOLD:
        raise RuleViolation("HOLD", Message("cases.errors.open_case_put_hold"))
    case.status = CaseStatus.ON_HOLD
    case.hold_reason = reason
    case.hold_until = until
    case_changed(db, ctx, case, "put_on_hold", until=until.isoformat() if until else None)
    return case


def resume(db: Session, ctx: Ctx, code: str) -> Case:
    case = access.load_case(db, ctx, code, purpose="resume")
    if case.status != CaseStatus.ON_HOLD:
        raise RuleViolation("RESUME", Message("cases.errors.case_not_hold"))
    snap = snapshot(db, case)
    case.status = CaseStatus.ACTIVE if snap.plan_in_force else CaseStatus.OPEN
    case.hold_until = None
    case_changed(db, ctx, case, "resumed")
    return case


def transfer(db: Session, ctx: Ctx, code: str, new_manager_id: int, *, keep_previous: bool = False) -> Case:
    """이관: hand a case to another active case manager of the team. Pending reminders follow the case
    manager (the refresh readdresses them); the previous one keeps access only as a named co-worker
    (`keep_previous`); the timeline records it."""
    case = access.load_case(db, ctx, code, purpose="transfer")
    access.require_lead(ctx, case, "transfer")
    target = db.get(StaffMember, new_manager_id)
    problem = transfer_problem(db, ctx, case, target)
    if problem is not None:
        raise InvalidInput({"new_manager_id": problem})
    assert target is not None
    return hand_over(db, ctx, case, target, keep_previous=keep_previous)


def transfer_problem(db: Session, ctx: Ctx, case: Case, target: StaffMember | None) -> Message | None:
    """Why `target` may not take the case over (None: they may): the same rules for every transfer."""
    if target is not None and target.id == case.case_manager_id:
        return Message("cases.errors.transfer_to_current_manager")
    if target is None or not target.active:
        return Message("cases.errors.transfer_inactive")
    if target.team_id != case.team_id:
        return Message("cases.errors.transfer_other_team")
    if target.role not in access.CASE_OWNER_ROLES:
        return Message("cases.errors.choose_active_case_manager_2")
    if not access.may_be_assigned(db, target, case.profile, ctx.today):
        return access.NOT_APPROVED_ASSIGNEE
    return None


def hand_over(
    db: Session, ctx: Ctx, case: Case, target: StaffMember, *, keep_previous: bool = False, **why: object
) -> Case:
    """The transfer itself, once its rules are checked (`transfer_problem`): the new case manager, the
    co-workers, the timeline and the reminders (readdressed by the refresh). `why` goes to the timeline
    (a departure: the person who left)."""
    previous = case.case_manager_id
    case.case_manager_id = target.id
    # The new manager is no longer a co-worker of their own case.
    for worker in db.scalars(
        select(CaseWorker).where(CaseWorker.case_id == case.id, CaseWorker.staff_id == target.id)
    ):
        db.delete(worker)
    if keep_previous:
        db.add(CaseWorker(case_id=case.id, staff_id=previous, added_at=ctx.now))
    else:
        release_tasks(db, case, previous)  # they leave the case's circle
    db.flush()
    case_changed(db, ctx, case, "transferred", previous=previous, to=target.id, kept=keep_previous, **why)
    return case


def release_tasks(db: Session, case: Case, staff_id: int) -> None:
    """Someone leaves the case's circle: the plan tasks they held are the case manager's again
    (담당자 unset), so no task nudge goes to someone who no longer sees the case."""
    plan_ids = select(ServicePlan.id).where(ServicePlan.case_id == case.id)
    for task in db.scalars(
        select(PlanTask).where(PlanTask.plan_id.in_(plan_ids), PlanTask.worker_id == staff_id)
    ):
        task.worker_id = None


def transfer_to_slack_user(
    db: Session, ctx: Ctx, code: str, slack_user_id: str | None, *, keep_previous: bool = False
) -> tuple[Case, int]:
    """The transfer dialogue: the person picked in Slack, active or not (an inactive one is told as
    such); returns the case and the previous case manager's id."""
    member = (
        db.scalar(select(StaffMember).where(StaffMember.slack_user_id == slack_user_id))
        if slack_user_id
        else None
    )
    if member is None:
        raise InvalidInput({"new_manager_id": Message("cases.errors.transfer_not_staff")})
    previous = access.load_case(db, ctx, code, purpose="transfer").case_manager_id
    return transfer(db, ctx, code, member.id, keep_previous=keep_previous), previous


@dataclass(frozen=True)
class TransferNotice:
    """Who to tell of a transfer by DM (case code only): Slack ids and stored languages."""

    code: str
    people: list[tuple[str, str | None]]


def transfer_notice(db: Session, case: Case, previous_id: int) -> TransferNotice:
    ids = [case.case_manager_id, previous_id]
    people = [
        (m.slack_user_id, m.locale) for i in ids if (m := db.get(StaffMember, i)) is not None and m.active
    ]
    return TransferNotice(case.code, people)


def add_coworker(db: Session, ctx: Ctx, code: str, staff_id: int) -> CaseWorker:
    case = access.load_case(db, ctx, code, purpose="add co-worker")
    if ctx.actor.role == StaffRole.SCHOOL_STAFF:
        # Approved school staff take part in a case; who else does is for its case manager to decide.
        raise access.refuse(
            ctx,
            case,
            "add co-worker",
            Message("cases.errors.approved_school_staff_add"),
        )
    staff = db.get(StaffMember, staff_id)
    if staff is None or not staff.active or staff.role == StaffRole.ADMIN:
        raise InvalidInput({"staff_id": Message("cases.errors.choose_active_staff_member")})
    if not access.may_be_assigned(db, staff, case.profile, ctx.today):
        raise InvalidInput({"staff_id": access.NOT_APPROVED_ASSIGNEE})
    existing = db.scalar(
        select(CaseWorker).where(CaseWorker.case_id == case.id, CaseWorker.staff_id == staff.id)
    )
    if existing is not None or staff.id == case.case_manager_id:
        raise RuleViolation("COWORKER", Message("cases.errors.already_works_case"))
    worker = CaseWorker(case_id=case.id, staff_id=staff.id, added_at=ctx.now)
    db.add(worker)
    case_changed(db, ctx, case, "coworker_added", staff=staff.id)
    return worker


@dataclass(frozen=True)
class CaseView:
    case: Case
    state: CaseState


def current_state(db: Session, ctx: Ctx, case: Case) -> CaseState:
    return derive(snapshot(db, case), ctx.today)


def show(db: Session, ctx: Ctx, code: str) -> CaseView:
    case = access.load_case(db, ctx, code)
    return CaseView(case, current_state(db, ctx, case))


def my_cases(db: Session, ctx: Ctx, *, include_closed: bool = False) -> list[Case]:
    """Cases the actor manages or co-works on (not the whole team, even for a supervisor)."""
    access.require_active(ctx)
    access.require_approval(db, ctx, purpose="my cases")
    query = access.own_cases_query(ctx.actor, today=ctx.today)
    if not include_closed:
        query = query.where(Case.status.not_in((CaseStatus.CLOSED, CaseStatus.ARCHIVED)))
    return list(db.scalars(query.order_by(Case.next_due_on.is_(None), Case.next_due_on, Case.code)))


def restrict(db: Session, ctx: Ctx, code: str, named_ids: list[int]) -> Case:
    """Narrow who sees the case to its case manager, co-workers and the people named here.

    For cases such as family violence or child protection, where even the team should not see the
    record. At least one supervisor must be named: closures and escalations need one. The person
    restricting is always kept.
    """
    case = access.load_case(db, ctx, code, purpose="restrict")
    _require_manager_or_supervisor(ctx, case, "restrict")
    people = {ctx.actor.id, *named_ids} - {case.case_manager_id}
    members = list(db.scalars(select(StaffMember).where(StaffMember.id.in_(people))))
    strangers = [m for m in members if m.team_id != case.team_id or not m.active or m.is_admin]
    if len(members) != len(people) or strangers:
        raise InvalidInput({"named": Message("cases.errors.name_active_staff_team")})
    if not all(access.may_be_assigned(db, m, case.profile, ctx.today) for m in members):
        raise InvalidInput({"named": access.NOT_APPROVED_ASSIGNEE})
    if not any(m.is_supervisor for m in members):
        raise InvalidInput({"named": Message("cases.errors.name_at_least_one")})
    grants = list(db.scalars(select(CaseAccessGrant).where(CaseAccessGrant.case_id == case.id)))
    if case.restricted and {g.staff_id for g in grants} == {m.id for m in members}:
        return case  # nothing changes: no timeline entry
    for grant in grants:
        db.delete(grant)
    db.flush()
    for member in members:
        db.add(
            CaseAccessGrant(
                case_id=case.id, staff_id=member.id, granted_by_id=ctx.actor.id, granted_at=ctx.now
            )
        )
    case.restricted = True
    case_changed(db, ctx, case, "restricted", named=sorted(m.id for m in members))
    return case


def unrestrict(db: Session, ctx: Ctx, code: str) -> Case:
    """Back to the usual circle: case manager, co-workers and the team's supervisors."""
    case = access.load_case(db, ctx, code, purpose="unrestrict")
    _require_manager_or_supervisor(ctx, case, "unrestrict")
    for grant in db.scalars(select(CaseAccessGrant).where(CaseAccessGrant.case_id == case.id)):
        db.delete(grant)
    case.restricted = False
    case_changed(db, ctx, case, "unrestricted")
    return case


def _require_manager_or_supervisor(ctx: Ctx, case: Case, what: str) -> None:
    if ctx.actor.id != case.case_manager_id and not ctx.actor.is_supervisor:
        raise access.refuse(
            ctx,
            case,
            what,
            Message("cases.errors.case_manager_supervisor_change"),
        )


@dataclass(frozen=True)
class AccessCircle:
    """Who sees a case beside its case manager: for the "who sees this case" dialogue."""

    case: Case
    coworker_ids: list[int]
    named_ids: list[int]


def access_circle(db: Session, ctx: Ctx, code: str) -> AccessCircle:
    case = access.load_case(db, ctx, code)
    coworkers = db.scalars(select(CaseWorker.staff_id).where(CaseWorker.case_id == case.id))
    named = db.scalars(select(CaseAccessGrant.staff_id).where(CaseAccessGrant.case_id == case.id))
    return AccessCircle(case, sorted(coworkers), sorted(named))


def set_access(
    db: Session, ctx: Ctx, code: str, *, coworker_ids: list[int], restricted: bool, named_ids: list[int]
) -> Case:
    """Co-workers added or removed, and the case restricted to named people or opened to the team again;
    each change is on the timeline. Only the case manager or a supervisor may do this."""
    case = access.load_case(db, ctx, code, purpose="change access")
    _require_manager_or_supervisor(ctx, case, "change access")
    wanted = set(coworker_ids) - {case.case_manager_id}
    current = {w.staff_id: w for w in db.scalars(select(CaseWorker).where(CaseWorker.case_id == case.id))}
    for staff_id in sorted(wanted - current.keys()):
        add_coworker(db, ctx, case.code, staff_id)
    for staff_id in sorted(current.keys() - wanted):
        db.delete(current[staff_id])
        release_tasks(db, case, staff_id)
        db.flush()
        case_changed(db, ctx, case, "coworker_removed", staff=staff_id)
    if restricted:
        restrict(db, ctx, case.code, named_ids)
    elif case.restricted:
        unrestrict(db, ctx, case.code)
    return case


def referrer_reply_target(db: Session, ctx: Ctx, code: str) -> str:
    """The case code the reply dialogue opens for, once the case owes a reply (else the refusal)."""
    case = access.load_case(db, ctx, code, purpose="record referrer reply")
    _require_reply_owed(case)
    return case.code


def _require_reply_owed(case: Case) -> None:
    if not case.referrer:
        raise RuleViolation("REFERRER_REPLY", Message("cases.errors.not_referral_in"))
    if case.referrer_replied_on is not None:
        raise RuleViolation(
            "REFERRER_REPLY",
            Message("cases.errors.referrer_reply_recorded", date=case.referrer_replied_on.isoformat()),
        )


def record_referrer_reply(db: Session, ctx: Ctx, code: str, data: ReferrerReplyInput) -> Case:
    """회신: the reply to whoever referred the case in (its day and how), once; the nudge then ends."""
    case = access.load_case(db, ctx, code, purpose="record referrer reply")
    _require_reply_owed(case)
    if data.on > ctx.today:
        raise InvalidInput({"replied_on": Message("cases.errors.reply_in_future")})
    if data.on < case.referred_at.astimezone(ctx.policy.zone).date():
        raise InvalidInput({"replied_on": Message("cases.errors.reply_before_referral")})
    case.referrer_replied_on = data.on
    case.referrer_reply_method = data.method
    case_changed(db, ctx, case, "referrer_replied", on=data.on.isoformat(), method=data.method.value)
    return case
