"""과정기록: the case's record read back, one section and page at a time (`/case history CODE`).

The read model behind the history modal. Every page is loaded through `access.load_case`, so only the
case's circle (case manager, co-workers, team supervisors; on a restricted case the named) reads it,
and each page opened is an access-log READ with what it was for ("history:notes", …). The DTOs are
plain values, usable once the unit of work has closed; the modal (bot/views/history.py) renders them.
Nothing of it is meant for a message: a modal is private to the person who opened it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assessment import Assessment
from models.case import Case
from models.closure import AfterCareCheck, Closure
from models.conference import ActionItem, CaseConference, ConferenceCase
from models.contact import ContactNote
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    AssessmentKind,
    AssessmentStatus,
    BenefitStatus,
    ClientCharacteristic,
    ClosureReason,
    ClosureStatus,
    ConferencePurpose,
    ConferenceStatus,
    ConferenceType,
    ConsentMethod,
    ContactKind,
    ContactOutcome,
    ContactType,
    CrisisFlag,
    GoalAttainment,
    GoalProgress,
    HousingType,
    IntakeRoute,
    LabeledEnum,
    LegalStanding,
    LifeStage,
    MonitoringResult,
    NeedDomain,
    PlanStatus,
    ReferralStatus,
    ReplyMethod,
    ResponsibleParty,
    TaskStatus,
)
from models.handover import AfterCareHandover
from models.plan import PlanGoal, PlanReview, ServicePlan
from models.referral import Referral
from models.resource import Resource
from models.services import access, agencies, households
from models.services import closure as closures
from models.services.agencies import AgencyLine
from models.services.context import Ctx
from models.services.deliveries import DeliveryLine, deliveries_of
from models.services.households import Glimpse
from models.services.referrals import REASONS
from models.staff import StaffMember

E = TypeVar("E", ClientCharacteristic, BenefitStatus, CrisisFlag)
M = TypeVar("M", GoalProgress, ReferralStatus)


class Section(StrEnum):
    """The sections of the history modal, in the order of its buttons."""

    NOTES = "notes"
    ASSESSMENT = "assessment"
    PLAN = "plan"
    REFERRALS = "referrals"
    CONFERENCES = "conferences"
    CLOSURE = "closure"
    SERVICES = "services"
    INTAKE = "intake"


# How many entries a page holds: a contact note or a referral is a block, an assessment, a plan version
# or a closure fills a page of its own (Slack: 100 blocks, 3000 characters a block).
PAGE_SIZE = {
    Section.NOTES: 10,
    Section.ASSESSMENT: 1,
    Section.PLAN: 1,
    Section.REFERRALS: 10,
    Section.CONFERENCES: 10,
    Section.CLOSURE: 1,
    Section.SERVICES: 10,
    Section.INTAKE: 1,
}
SERVICES_KEPT = 200  # the newest deliveries the history pages through


@dataclass(frozen=True)
class NoteEntry:
    contact_at: datetime
    contact_type: ContactType
    kind: ContactKind
    outcome: ContactOutcome
    result: MonitoringResult | None
    author: str
    summary: str | None
    next_action: str | None
    next_contact_on: date | None
    # The note's 점검표: each goal's progress (its words) and each linked service's state (the agency).
    goals: tuple[tuple[str, GoalProgress], ...] = ()
    services: tuple[tuple[str, ReferralStatus], ...] = ()


@dataclass(frozen=True)
class RatingEntry:
    domain: NeedDomain
    severity: int
    client_priority: int | None
    narrative: str | None


@dataclass(frozen=True)
class AssessmentEntry:
    kind: AssessmentKind
    status: AssessmentStatus
    completed_at: datetime | None
    assessor: str
    strengths_personal: str | None
    strengths_family: str | None
    strengths_social: str | None
    strengths_community: str | None
    informal_supports: str | None
    client_goals: str | None
    ratings: list[RatingEntry]


@dataclass(frozen=True)
class GoalEntry:
    domain: NeedDomain
    description: str
    indicator: str
    baseline: str | None
    target: str
    target_date: date


@dataclass(frozen=True)
class TaskEntry:
    action: str
    responsible_party: ResponsibleParty
    resource: str | None
    due_date: date
    status: TaskStatus


@dataclass(frozen=True)
class ReviewEntry:
    """A plan review (계획 점검): when, by whom, the next date, and each goal's progress (goal number)."""

    reviewed_at: datetime
    author: str
    next_review: date
    progress: list[tuple[int, GoalProgress, str | None]]


@dataclass(frozen=True)
class PlanEntry:
    version: int
    status: PlanStatus
    period_start: date
    period_end: date
    review_due: date | None
    agreed_at: datetime | None
    agreement_method: ConsentMethod | None
    goals: list[GoalEntry]
    tasks: list[TaskEntry]
    reviews: list[ReviewEntry] = field(default_factory=list)


@dataclass(frozen=True)
class ReferralEntry:
    resource: str
    domain: NeedDomain
    status: ReferralStatus
    sent_at: datetime | None
    response_due: date | None
    outcome: str | None
    outcome_on: date | None = None
    reason: LabeledEnum | None = None  # a decline's reason (DeclineReason or ClientDeclineReason)
    no_alternative: bool = False
    from_aftercare: bool = False


@dataclass(frozen=True)
class ReplyEntry:
    """The reply to a referral-in's referrer (회신): when and how."""

    replied_on: date
    method: ReplyMethod | None


@dataclass(frozen=True)
class ActionEntry:
    description: str
    owner: str | None
    due_date: date
    status: TaskStatus


@dataclass(frozen=True)
class ConferenceEntry:
    scheduled_at: datetime
    conference_type: ConferenceType
    status: ConferenceStatus
    purpose: ConferencePurpose
    decision: str | None
    actions: list[ActionEntry]


@dataclass(frozen=True)
class AttainmentEntry:
    goal: str
    indicator: str
    target: str
    attainment: GoalAttainment


@dataclass(frozen=True)
class AfterCareEntry:
    due_on: date
    done_at: datetime | None
    method: ContactType | None
    status: AfterCareStatus | None
    action: AfterCareAction | None
    note: str | None
    cancelled: bool


@dataclass(frozen=True)
class ClosureEntry:
    closure_id: int
    status: ClosureStatus
    reason: ClosureReason
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    supervisor_comment: str | None
    client_informed: bool
    client_evaluation: str | None
    worker_evaluation: str
    aftercare_plan: str | None
    handover_target: str | None
    attainments: list[AttainmentEntry]
    aftercare: list[AfterCareEntry] = field(default_factory=list)
    handovers: list[HandoverEntry] = field(default_factory=list)  # public teams: to the 읍면동


@dataclass(frozen=True)
class HandoverEntry:
    """사후관리 인계 (public teams): to whom, on which day, the note, who recorded it."""

    handed_to: str
    handed_over_on: date
    note: str | None
    recorded_by: str


@dataclass(frozen=True)
class HouseholdEntry:
    name: str | None
    relation: str
    age_band: LifeStage | None
    co_resident: bool
    main_carer: bool


@dataclass(frozen=True)
class GuardianEntry:
    name: str | None
    relationship: str
    contact: str | None  # None for a guardian marked as the alleged abuser: never a contact (R12)
    standing: LegalStanding | None
    legal_representative: bool
    alleged_abuser: bool


@dataclass(frozen=True)
class IntakeEntry:
    """What the intake recorded about the client, the household and the guardians."""

    intake_at: datetime | None
    referral_source: str | None
    route: IntakeRoute | None
    characteristics: list[ClientCharacteristic]
    interpreter_needed: bool
    interpreter_language: str | None
    benefits: list[BenefitStatus]
    housing: HousingType | None
    crisis_flags: list[CrisisFlag]
    crisis_flagged_at: datetime | None
    household: list[HouseholdEntry]
    guardians: list[GuardianEntry]


Entry = (
    NoteEntry
    | AssessmentEntry
    | PlanEntry
    | ReferralEntry
    | ConferenceEntry
    | ClosureEntry
    | DeliveryLine
    | IntakeEntry
    | ReplyEntry
)


@dataclass(frozen=True)
class CaseFilePage:
    """One page of one section of the history: its entries (newest first) and where it sits."""

    code: str
    section: Section
    page: int
    pages: int
    entries: list[Entry]
    # The case's household (가구): its code and the other cases of it this viewer may see.
    household: Glimpse | None = None
    # The lead agency (주사례관리기관) and partner agencies with their roles.
    agencies: tuple[AgencyLine, ...] = ()


def read_page(db: Session, ctx: Ctx, code: str, section: Section, page: int = 0) -> CaseFilePage:
    """One page of the case's history, for someone of its circle; the read is logged with its purpose."""
    size = PAGE_SIZE[section]
    household, agency_lines = None, ()
    if section == Section.SERVICES:  # `deliveries_of` loads the case itself, and logs the read once
        entries: list[Entry] = list(deliveries_of(db, ctx, code, limit=SERVICES_KEPT))
        code = access.case_code(code)
    else:
        case = access.load_case(db, ctx, code, purpose=f"history:{section.value}")
        entries = _READERS[section](db, ctx, case)
        code = case.code
        household = households.glimpse(db, ctx, case)
        agency_lines = tuple(agencies.lines(db, case))
    pages = max(1, -(-len(entries) // size))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * size : (page + 1) * size]
    return CaseFilePage(code, section, page, pages, shown, household, agency_lines)


def read_closure(db: Session, ctx: Ctx, closure_id: int, *, purpose: str) -> tuple[str, ClosureEntry]:
    """One closure request in full (the supervisor's review), for those who may decide it; logged."""
    case, closure = closures.load_for_decision(db, ctx, closure_id, purpose=purpose)
    return case.code, _closure_entry(db, closure, _names(db), aftercare=[])


# ------------------------------------------------------------------ the sections


def _names(db: Session) -> dict[int, str]:
    return dict(db.execute(select(StaffMember.id, StaffMember.display_name)).all())


def labelled(kind: type[E], codes: list[str] | None) -> list[E]:
    """Stored codes as enum members; a code from an older version that is no member is left out."""
    out = []
    for code in codes or []:
        try:
            out.append(kind(code))
        except ValueError:
            continue
    return out


def _stage(code: str | None) -> LifeStage | None:
    try:
        return LifeStage(code) if code else None
    except ValueError:
        return None


def intake_entry(case: Case) -> IntakeEntry:
    client = case.client
    return IntakeEntry(
        case.intake_at,
        case.referral_source,
        case.intake_route,
        labelled(ClientCharacteristic, client.characteristics),
        client.interpreter_needed,
        client.interpreter_language,
        labelled(BenefitStatus, client.benefits),
        client.housing_type,
        labelled(CrisisFlag, case.crisis_flags),
        case.crisis_flagged_at,
        [
            HouseholdEntry(m.name, m.relation, _stage(m.age_band), m.co_resident, m.is_main_carer)
            for m in client.household
        ],
        [
            GuardianEntry(
                g.name,
                g.relationship_kind,
                None if g.is_alleged_abuser else g.contact,
                g.legal_standing,
                g.is_legal_representative,
                g.is_alleged_abuser,
            )
            for g in client.guardians
        ],
    )


def _intake(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    return [intake_entry(case)]


def _notes(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    names = _names(db)
    notes = list(
        db.scalars(
            select(ContactNote)
            .where(ContactNote.case_id == case.id)
            .order_by(ContactNote.contact_at.desc(), ContactNote.id.desc())
        )
    )
    # What a 점검표 names: the case's goals (any plan version) and its referrals' agencies.
    goals = {
        g.id: g.description
        for g in db.scalars(select(PlanGoal).join(ServicePlan).where(ServicePlan.case_id == case.id))
    }
    agencies_of = dict(
        db.execute(
            select(Referral.id, Resource.name)
            .join(Resource, Resource.id == Referral.resource_id)
            .where(Referral.case_id == case.id)
        ).all()
    )

    def monitored(
        n: ContactNote, part: str, kind: type[M], named: dict[int, str]
    ) -> tuple[tuple[str, M], ...]:
        found = (n.monitoring or {}).get(part) or {}
        assert isinstance(found, dict)
        return tuple(
            (named.get(int(key), "-"), kind(value))
            for key, value in found.items()
            if str(key).isdecimal() and value in {member.value for member in kind}
        )

    return [
        NoteEntry(
            n.contact_at,
            n.contact_type,
            n.kind,
            n.outcome,
            n.result,
            names.get(n.author_id, ""),
            n.summary,
            n.next_action,
            n.next_contact_on,
            monitored(n, "goals", GoalProgress, goals),
            monitored(n, "referrals", ReferralStatus, agencies_of),
        )
        for n in notes
    ]


def _assessments(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    names = _names(db)
    rows = db.scalars(
        select(Assessment)
        .where(Assessment.case_id == case.id, Assessment.status == AssessmentStatus.COMPLETED)
        .options(selectinload(Assessment.ratings))
        .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
    )
    return [
        AssessmentEntry(
            a.kind,
            a.status,
            a.completed_at,
            names.get(a.assessor_id, ""),
            a.strengths_personal,
            a.strengths_family,
            a.strengths_social,
            a.strengths_community,
            a.informal_supports,
            a.client_goals,
            [RatingEntry(r.domain, r.severity, r.client_priority, r.narrative) for r in a.ratings],
        )
        for a in rows
    ]


def _plans(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    resources = dict(db.execute(select(Resource.id, Resource.name)).all())
    rows = db.scalars(
        select(ServicePlan)
        .where(ServicePlan.case_id == case.id)
        .options(selectinload(ServicePlan.goals), selectinload(ServicePlan.tasks))
        .order_by(ServicePlan.version.desc())
    )
    names = _names(db)
    reviews: dict[int, list[PlanReview]] = {}
    for review in db.scalars(
        select(PlanReview).where(PlanReview.case_id == case.id).order_by(PlanReview.reviewed_at.desc())
    ):
        reviews.setdefault(review.plan_id, []).append(review)

    def reviewed(plan: ServicePlan) -> list[ReviewEntry]:
        numbers = {goal.id: n for n, goal in enumerate(plan.goals, start=1)}
        return [
            ReviewEntry(
                r.reviewed_at,
                names.get(r.author_id, ""),
                r.next_review_due,
                [
                    (
                        numbers.get(int(str(e["goal_id"])), 0),
                        GoalProgress(str(e["progress"])),
                        e.get("comment"),
                    )  # type: ignore[misc]
                    for e in r.progress
                ],
            )
            for r in reviews.get(plan.id, [])
        ]

    return [
        PlanEntry(
            p.version,
            p.status,
            p.period_start,
            p.period_end,
            p.review_due,
            p.agreed_at,
            p.agreement_method,
            [
                GoalEntry(g.domain, g.description, g.indicator, g.baseline, g.target, g.target_date)
                for g in p.goals
            ],
            [
                TaskEntry(
                    task.action,
                    task.responsible_party,
                    resources.get(task.resource_id) if task.resource_id else None,
                    task.due_date,
                    task.status,
                )
                for task in p.tasks
            ],
            reviewed(p),
        )
        for p in rows
    ]


def _referrals(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    rows = db.scalars(
        select(Referral)
        .where(Referral.case_id == case.id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    entries: list[Entry] = [
        ReferralEntry(
            r.resource.name,
            r.domain,
            r.status,
            r.sent_at,
            r.response_due,
            r.outcome,
            r.outcome_on,
            _reason(r),
            r.no_alternative,
            r.aftercare_check_id is not None,
        )
        for r in rows
    ]
    if case.referrer_replied_on is not None:
        entries.insert(0, ReplyEntry(case.referrer_replied_on, case.referrer_reply_method))
    return entries


def _reason(referral: Referral) -> LabeledEnum | None:
    reasons = REASONS.get(referral.status)
    code = referral.outcome_reason
    if reasons is None or not code or code not in {r.value for r in reasons}:
        return None
    return reasons(code)


def _conferences(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    names = _names(db)
    rows = db.execute(
        select(ConferenceCase, CaseConference)
        .join(CaseConference, CaseConference.id == ConferenceCase.conference_id)
        .where(ConferenceCase.case_id == case.id)
        .order_by(CaseConference.scheduled_at.desc(), CaseConference.id.desc())
    ).all()
    items: dict[int, list[ActionEntry]] = {}
    for item in db.scalars(
        select(ActionItem).where(ActionItem.case_id == case.id).order_by(ActionItem.due_date, ActionItem.id)
    ):
        owner = names.get(item.owner_id) if item.owner_id else item.owner_external
        items.setdefault(item.conference_id, []).append(
            ActionEntry(item.description, owner, item.due_date, item.status)
        )
    return [
        ConferenceEntry(
            conference.scheduled_at,
            conference.conference_type,
            conference.status,
            on_agenda.purpose,
            on_agenda.decision,
            items.get(conference.id, []),
        )
        for on_agenda, conference in rows
    ]


def _closures(db: Session, ctx: Ctx, case: Case) -> list[Entry]:
    names = _names(db)
    checks = [
        AfterCareEntry(c.due_on, c.done_at, c.method, c.status, c.action, c.note, c.cancelled)
        for c in db.scalars(
            select(AfterCareCheck).where(AfterCareCheck.case_id == case.id).order_by(AfterCareCheck.due_on)
        )
    ]
    rows = list(
        db.scalars(
            select(Closure)
            .where(Closure.case_id == case.id)
            .options(selectinload(Closure.attainments))
            .order_by(Closure.requested_at.desc(), Closure.id.desc())
        )
    )
    handovers = [
        HandoverEntry(h.handed_to, h.handed_over_on, h.note, names.get(h.recorded_by_id, ""))
        for h in db.scalars(
            select(AfterCareHandover)
            .where(AfterCareHandover.case_id == case.id, AfterCareHandover.episode == case.episode)
            .order_by(AfterCareHandover.handed_over_on)
        )
    ]
    # The after-care checks and the hand-over follow the approved closure they came from: the newest.
    approved = next((c.id for c in rows if c.status == ClosureStatus.APPROVED), None)
    return [
        _closure_entry(
            db,
            c,
            names,
            aftercare=checks if c.id == approved else [],
            handovers=handovers if c.id == approved else [],
        )
        for c in rows
    ]


def _closure_entry(
    db: Session,
    closure: Closure,
    names: dict[int, str],
    *,
    aftercare: list[AfterCareEntry],
    handovers: list[HandoverEntry] | None = None,
) -> ClosureEntry:
    goal_ids = [a.goal_id for a in closure.attainments]
    goals = (
        {g.id: g for g in db.scalars(select(PlanGoal).where(PlanGoal.id.in_(goal_ids)))} if goal_ids else {}
    )
    attainments = [
        AttainmentEntry(
            goals[a.goal_id].description, goals[a.goal_id].indicator, goals[a.goal_id].target, a.attainment
        )
        for a in closure.attainments
        if a.goal_id in goals
    ]
    return ClosureEntry(
        closure.id,
        closure.status,
        closure.reason,
        names.get(closure.requested_by_id, ""),
        closure.requested_at,
        names.get(closure.decided_by_id) if closure.decided_by_id else None,
        closure.decided_at,
        closure.supervisor_comment,
        closure.client_informed,
        closure.client_evaluation,
        closure.worker_evaluation,
        closure.aftercare_plan,
        closure.handover_target,
        attainments,
        aftercare,
        handovers or [],
    )


_READERS = {
    Section.INTAKE: _intake,
    Section.NOTES: _notes,
    Section.ASSESSMENT: _assessments,
    Section.PLAN: _plans,
    Section.REFERRALS: _referrals,
    Section.CONFERENCES: _conferences,
    Section.CLOSURE: _closures,
}
