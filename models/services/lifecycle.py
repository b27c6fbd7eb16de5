"""Stage and next required step, derived from the record (as Primero derives them), never typed in.

`snapshot()` loads what the derivation needs in a few queries; `derive()` is a pure function of it,
so it can be tested without a database and reused by the reminders. `store_state()` keeps the result
on the case row whenever the case changes (from `reminders.refresh`), so that lists of many cases read
it instead of deriving it; `stored_state()` says whether what is stored still holds on a given day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from models.assessment import Assessment, AssessmentRating
from models.case import Case
from models.closure import AfterCareCheck, Closure, GoalAttainmentRecord
from models.conference import ActionItem
from models.consent import Consent
from models.contact import ContactNote
from models.enums import (
    AssessmentKind,
    AssessmentStatus,
    CaseStatus,
    ClosureStatus,
    ConsentScope,
    ContactOutcome,
    MissingConsent,
    MonitoringResult,
    NextStep,
    PlanStatus,
    Profile,
    SignerRelationship,
    Stage,
    TaskStatus,
)
from models.plan import PlanGoal, PlanTask, ServicePlan
from models.profiles import NO_PLAN
from models.referral import Referral
from models.text import t


@dataclass
class CaseSnapshot:
    """A case and the records of its current episode."""

    case: Case
    consents: list[Consent] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    plans: list[ServicePlan] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    notes: list[ContactNote] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    aftercare: list[AfterCareCheck] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)

    def active_consent(self, scope: ConsentScope, day: date) -> Consent | None:
        return next((c for c in self.consents if c.scope == scope and c.active_on(day)), None)

    @property
    def completed_assessments(self) -> list[Assessment]:
        return sorted(
            (a for a in self.assessments if a.status == AssessmentStatus.COMPLETED),
            key=lambda a: a.completed_at or a.started_at,
        )

    @property
    def initial_assessment(self) -> Assessment | None:
        return next((a for a in self.completed_assessments if a.kind == AssessmentKind.INITIAL), None)

    @property
    def latest_assessment(self) -> Assessment | None:
        done = self.completed_assessments
        return done[-1] if done else None

    @property
    def plan_in_force(self) -> ServicePlan | None:
        agreed = [p for p in self.plans if p.status == PlanStatus.AGREED]
        return max(agreed, key=lambda p: p.version) if agreed else None

    @property
    def draft_plan(self) -> ServicePlan | None:
        drafts = [p for p in self.plans if p.status == PlanStatus.DRAFT]
        return max(drafts, key=lambda p: p.version) if drafts else None

    @property
    def pending_closure(self) -> Closure | None:
        return next((c for c in self.closures if c.status == ClosureStatus.PENDING), None)

    @property
    def open_aftercare(self) -> list[AfterCareCheck]:
        return sorted(
            (c for c in self.aftercare if c.done_at is None and not c.cancelled), key=lambda c: c.due_on
        )

    @property
    def last_contact(self) -> ContactNote | None:
        reached = [n for n in self.notes if n.outcome == ContactOutcome.DONE]
        return max(reached, key=lambda n: n.contact_at) if reached else None

    @property
    def latest_result(self) -> MonitoringResult | None:
        """The result of the latest contact that recorded one (점검 결과)."""
        judged = [n for n in self.notes if n.result is not None]
        return max(judged, key=lambda n: n.contact_at).result if judged else None

    @property
    def severity_change(self) -> int:
        """The largest change of severity in any domain between the last two completed assessments."""
        done = self.completed_assessments
        if len(done) < 2:
            return 0
        before = {r.domain: r.severity for r in done[-2].ratings}
        return max((abs(r.severity - before.get(r.domain, r.severity)) for r in done[-1].ratings), default=0)

    @property
    def reassessment_pending(self) -> bool:
        requested = self.case.reassessment_requested_at
        if requested is None:
            return False
        return not any(
            a.kind == AssessmentKind.REASSESSMENT and a.completed_at and a.completed_at >= requested
            for a in self.completed_assessments
        )


@cache
def without_content(*models: type) -> tuple:
    """Loader options that leave client data (columns tagged PII or SENSITIVE) unloaded.

    Deriving a stage or a due date needs dates, statuses and codes, never a narrative: not loading
    them spares decrypting each one (encryption at rest) and recording it for the outbound gate. A
    caller that does read one gets it loaded on access, in the same session. The options of a model
    never change, so they are built once (every snapshot asks for them, several times).
    """
    return tuple(
        defer(getattr(model, column.key))
        for model in models
        for column in model.__table__.columns  # type: ignore[attr-defined]
        if column.info.get("sensitivity")
    )


def snapshot(db: Session, case: Case) -> CaseSnapshot:
    """The case's records, without their client data (see `without_content`)."""

    def rows(model, *where, children=()):  # type: ignore[no-untyped-def]
        query = select(model).where(model.case_id == case.id, *where).options(*without_content(model))
        for relationship, child in children:
            query = query.options(selectinload(relationship).options(*without_content(child)))
        return list(db.scalars(query))

    def episode(model, children=()):  # type: ignore[no-untyped-def]
        return rows(model, model.episode == case.episode, children=children)

    return CaseSnapshot(
        case=case,
        consents=rows(Consent),
        assessments=episode(Assessment, children=[(Assessment.ratings, AssessmentRating)]),
        plans=episode(ServicePlan, children=[(ServicePlan.goals, PlanGoal), (ServicePlan.tasks, PlanTask)]),
        referrals=episode(Referral),
        notes=episode(ContactNote),
        closures=episode(Closure, children=[(Closure.attainments, GoalAttainmentRecord)]),
        aftercare=rows(AfterCareCheck),
        action_items=rows(ActionItem, ActionItem.status == TaskStatus.OPEN),
    )


# The signers of a student-support consent who stand for the student's family.
GUARDIAN_SIGNERS = frozenset({SignerRelationship.PARENT, SignerRelationship.GUARDIAN})


def missing_student_support(snap: CaseSnapshot, today: date) -> MissingConsent | None:
    """School teams: 학생맞춤통합지원 needs the consent of the student AND of a guardian (학생맞춤통합지원법
    §11③; domain.md R7): two STUDENT_SUPPORT consents in force on `today`, one signed by the student, one
    by a parent or guardian. Whose is missing (None: both are there)."""
    signers = {
        c.signer_relationship
        for c in snap.consents
        if c.scope == ConsentScope.STUDENT_SUPPORT and c.active_on(today)
    }
    student = SignerRelationship.SELF in signers
    guardian = bool(signers & GUARDIAN_SIGNERS)
    if student and guardian:
        return None
    if student:
        return MissingConsent.GUARDIAN
    return MissingConsent.STUDENT if guardian else MissingConsent.BOTH


@dataclass(frozen=True)
class CaseState:
    stage: Stage
    next_step: NextStep
    # RECORD_CONSENT of a school case: whose student-support consent is missing (None otherwise).
    missing_consent: MissingConsent | None = None

    def next_step_label(self, locale: str = "ko") -> str:
        """The next step as the desk and the summary say it (naming the missing signer, if any)."""
        if self.next_step == NextStep.RECORD_CONSENT and self.missing_consent is not None:
            return t("lifecycle.next_step.consent", locale, missing=self.missing_consent.label(locale))
        return self.next_step.label(locale)

    def seed_stage(self, locale: str = "ko") -> str:
        """The stage in the seed documents' 5-stage model (a view onto stages 0-9)."""
        return t(f"lifecycle.seed_stage.{self.stage.value}", locale)

    def school_stage(self, locale: str = "ko") -> str:
        """The stage in the school 8-stage model (a view onto stages 0-9)."""
        return t(f"lifecycle.school_stage.{self.stage.value}", locale)


def derive(snap: CaseSnapshot, today: date) -> CaseState:
    case = snap.case
    if case.status == CaseStatus.ARCHIVED:
        return CaseState(Stage.AFTERCARE, NextStep.NONE)
    if case.status in (CaseStatus.AFTERCARE, CaseStatus.CLOSED):
        next_step = NextStep.AFTERCARE_CHECK if snap.open_aftercare else NextStep.NONE
        return CaseState(Stage.AFTERCARE, next_step)
    if snap.pending_closure is not None:
        return CaseState(Stage.CLOSURE, NextStep.APPROVE_CLOSURE)

    stage, next_step = _open_case_stage(snap, today)
    if case.status == CaseStatus.ON_HOLD:
        return CaseState(stage, NextStep.RESUME)
    if next_step == NextStep.COMPLETE_ASSESSMENT and case.profile == Profile.SCHOOL:
        # A school case's assessment waits for the student's and a guardian's consent (R7).
        missing = missing_student_support(snap, today)
        if missing is not None:
            return CaseState(Stage.INTAKE, NextStep.RECORD_CONSENT, missing)
    return CaseState(stage, next_step)


def _open_case_stage(snap: CaseSnapshot, today: date) -> tuple[Stage, NextStep]:
    case = snap.case
    if case.intake_at is None:
        return Stage.REFERRAL_IN, NextStep.RECORD_INTAKE
    if snap.active_consent(ConsentScope.COLLECT_USE, today) is None:
        return Stage.INTAKE, NextStep.RECORD_CONSENT
    if snap.initial_assessment is None and not snap.completed_assessments:
        return Stage.ASSESSMENT, NextStep.COMPLETE_ASSESSMENT
    if case.classified_at is None or case.classified_at < case.episode_started_at:
        return Stage.CONFERENCE, NextStep.CLASSIFY
    plan = snap.plan_in_force
    # 서비스연계 (and 단순연계) cases skip the service plan: linkage → check → after-care.
    if plan is None and case.intensity not in NO_PLAN:
        return Stage.PLAN, NextStep.AGREE_PLAN if snap.draft_plan else NextStep.WRITE_PLAN
    if snap.reassessment_pending:
        return Stage.REASSESSMENT, NextStep.COMPLETE_REASSESSMENT
    since = plan.agreed_at if plan and plan.agreed_at else case.classified_at
    monitored = any(n.contact_at >= since for n in snap.notes)
    if not monitored:
        return Stage.DELIVERY, NextStep.LOG_CONTACT if snap.referrals else NextStep.LINK_SERVICES
    if snap.latest_result == MonitoringResult.CONSIDER_CLOSE:
        return Stage.MONITORING, NextStep.REVIEW_CLOSURE  # 종결 검토, until a later contact says otherwise
    return Stage.MONITORING, NextStep.LOG_CONTACT


WINDOW_SCOPES = frozenset({ConsentScope.COLLECT_USE, ConsentScope.STUDENT_SUPPORT})


def state_window(snap: CaseSnapshot, today: date) -> tuple[date | None, date | None]:
    """The days around `today` on which `derive` answers as it does today while the record stays as it is:
    from the first (None: any earlier day) to the day before the second (None: any later day).

    `derive` reads the day only to ask whether a collection-and-use consent (or, for a school case, a
    student-support one) is in force, which changes when one starts (`given_on`) or ends (the day after
    `expires_on`); withdrawing one changes the record.
    Every case gets its window, whatever its status: wider than needed is never wrong, only slower.
    """
    starts: list[date] = []
    ends: list[date] = []
    for consent in snap.consents:
        if consent.scope not in WINDOW_SCOPES or consent.withdrawn_at is not None:
            continue
        ended = consent.expires_on + timedelta(days=1) if consent.expires_on is not None else None
        if ended is not None and ended <= today:
            starts.append(ended)
        elif consent.given_on <= today:
            starts.append(consent.given_on)
            if ended is not None:
                ends.append(ended)
        else:
            ends.append(consent.given_on)
    return max(starts, default=None), min(ends, default=None)


def store_state(snap: CaseSnapshot, today: date) -> CaseState:
    """Derive the case's stage and next step and keep them on the case row, with the days they hold."""
    state = derive(snap, today)
    case = snap.case
    case.stage, case.next_step = state.stage, state.next_step
    case.next_step_consent = state.missing_consent
    case.state_valid_from, case.state_valid_until = state_window(snap, today)
    return state


def stored_state(
    stage: Stage | None,
    next_step: NextStep | None,
    valid_from: date | None,
    valid_until: date | None,
    today: date,
    missing_consent: MissingConsent | None = None,
) -> CaseState | None:
    """The stored stage and next step if they hold on `today`; None when they must be derived."""
    if stage is None or next_step is None:
        return None  # never stored (a row written around the services)
    if (valid_from is not None and today < valid_from) or (valid_until is not None and today >= valid_until):
        return None
    return CaseState(stage, next_step, missing_consent)
