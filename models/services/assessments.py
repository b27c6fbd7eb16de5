"""사정 and 재사정: drafts that keep what was typed, completion that checks every domain (R2 first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assessment import Assessment, AssessmentRating
from models.case import Case
from models.consent import Consent
from models.enums import (
    AssessmentKind,
    AssessmentStatus,
    ConsentScope,
    MissingConsent,
    NeedDomain,
    Profile,
    StatutoryBasis,
    domains_for,
)
from models.errors import InvalidInput, Message, RuleViolation
from models.schemas import AssessmentInput
from models.services import access
from models.services.audit import record_event
from models.services.cases import require_open
from models.services.changes import case_changed
from models.services.context import Ctx
from models.services.lifecycle import CaseSnapshot, missing_student_support, snapshot
from models.staff import StaffMember

NO_CONSENT = Message("assessments.errors.no_consent_collection_use")
# R4: the domains whose narrative is health information, mental health included (PIPA §23, 시행령 §18).
HEALTH_DOMAINS = frozenset({NeedDomain.HEALTH, NeedDomain.PSYCH_EMOTIONAL, NeedDomain.HEALTH_SCHOOL})
# §23①2 lets health data be processed without a separate consent only where a law requires or allows it;
# an imminent danger (§17①2, §18②3) is a ground for provision, not for §23.
SECTION_23_BASES = (StatutoryBasis.STATUTE, StatutoryBasis.MANDATORY_ABUSE_REPORT)


@dataclass(frozen=True)
class AssessmentResult:
    assessment: Assessment
    crisis: bool  # severity 4 or a positive crisis screen: the supervisor must be told at once


def start(db: Session, ctx: Ctx, code: str, kind: AssessmentKind | None = None) -> Assessment:
    """The open draft of the case, or a new one (INITIAL first, REASSESSMENT afterwards)."""
    case = access.load_case(db, ctx, code, purpose="assess")
    require_open(case)
    snap = snapshot(db, case)
    if snap.active_consent(ConsentScope.COLLECT_USE, ctx.today) is None:
        raise RuleViolation("R2", NO_CONSENT)
    if ctx.policy.team_profile(case.team) == Profile.SCHOOL:
        require_student_support_consent(snap, ctx.today)
    if case.intake_at is None:
        raise RuleViolation("INTAKE_FIRST", Message("assessments.errors.record_intake_interview_first"))
    draft = next((a for a in snap.assessments if a.status == AssessmentStatus.DRAFT), None)
    if draft is not None:
        return draft
    if kind is None:
        kind = AssessmentKind.REASSESSMENT if snap.completed_assessments else AssessmentKind.INITIAL
    if kind == AssessmentKind.REASSESSMENT and not snap.completed_assessments:
        raise RuleViolation("REASSESS", Message("assessments.errors.initial_assessment_comes_first"))
    if kind == AssessmentKind.INITIAL and snap.completed_assessments:
        kind = AssessmentKind.REASSESSMENT
    assessment = Assessment(
        case_id=case.id, episode=case.episode, kind=kind, assessor_id=ctx.actor.id, started_at=ctx.now
    )
    db.add(assessment)
    db.flush()
    case_changed(db, ctx, case, "assessment_started", assessment=assessment.id, kind=kind.value)
    return assessment


def require_student_support_consent(snap: CaseSnapshot, today: date) -> None:
    """School teams (models/profiles.py): 학생맞춤통합지원 needs the consent of the student AND of a
    guardian (학생맞춤통합지원법 §11③; domain.md R7 and §3 ConsentScope STUDENT_SUPPORT) — two consent
    rows in force, one signed by the student, one by a parent or guardian — before the assessment."""
    found = missing_student_support(snap, today)
    if found is None:
        return
    missing = []
    if found in (MissingConsent.STUDENT, MissingConsent.BOTH):
        missing.append(Message("profiles.school.student"))
    if found in (MissingConsent.GUARDIAN, MissingConsent.BOTH):
        missing.append(Message("profiles.school.guardian"))
    raise RuleViolation("R7", Message("profiles.errors.student_support_consent", missing=missing))


def _load(db: Session, ctx: Ctx, assessment_id: int) -> tuple[Case, Assessment]:
    case, assessment = access.load_record(
        db,
        ctx,
        Assessment,
        assessment_id,
        Message("assessments.errors.no_assessment"),
        purpose="assess",
    )
    if assessment.status != AssessmentStatus.DRAFT:
        raise RuleViolation("ASSESSMENT_DONE", Message("assessments.errors.assessment_already_complete"))
    collect_use = db.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.COLLECT_USE)
    )
    if not any(c.active_on(ctx.today) for c in collect_use):
        raise RuleViolation("R2", NO_CONSENT)  # withdrawn or expired since the draft was started
    return case, assessment


def save_draft(
    db: Session, ctx: Ctx, assessment_id: int, data: AssessmentInput, *, step: int | None = None
) -> Assessment:
    """Merge what was typed into the draft: given fields overwrite, missing ones are kept."""
    case, assessment = _load(db, ctx, assessment_id)
    _merge(assessment, data, allowed=set(domains_for(case.profile)) | {NeedDomain.OTHER})
    if step is not None:
        assessment.draft_step = step
    db.flush()
    record_event(
        db, ctx, case, "assessment_draft_saved", assessment=assessment.id, step=assessment.draft_step
    )
    return assessment


def _merge(assessment: Assessment, data: AssessmentInput, allowed: set[NeedDomain]) -> None:
    for field_name, value in data.model_dump(exclude={"ratings"}, exclude_none=True).items():
        setattr(assessment, field_name, value)
    by_domain = {r.domain: r for r in assessment.ratings}
    for rating in data.ratings:
        if rating.domain not in allowed:
            raise InvalidInput(
                {f"rating_{rating.domain.value}": Message("assessments.errors.domain_not_used_deployment")}
            )
        row = by_domain.get(rating.domain)
        if row is None:
            row = AssessmentRating(domain=rating.domain, severity=rating.severity)
            assessment.ratings.append(row)
        for field_name, value in rating.model_dump(exclude={"domain"}).items():
            setattr(row, field_name, value)


def complete(
    db: Session, ctx: Ctx, assessment_id: int, data: AssessmentInput | None = None
) -> AssessmentResult:
    case, assessment = _load(db, ctx, assessment_id)
    required = domains_for(case.profile)
    if data is not None:
        _merge(assessment, data, allowed=set(required) | {NeedDomain.OTHER})
    rated = {r.domain for r in assessment.ratings}
    missing = [d for d in required if d not in rated]
    if missing:
        raise InvalidInput(
            {f"rating_{d.value}": Message("assessments.errors.rate_domain", domain=d) for d in missing}
        )
    if not any(
        (
            assessment.strengths_personal,
            assessment.strengths_family,
            assessment.strengths_social,
            assessment.strengths_community,
        )
    ):
        raise InvalidInput({"strengths_personal": Message("assessments.errors.record_at_least_one")})
    check_sensitive(db, case, assessment, ctx.today)
    assessment.status = AssessmentStatus.COMPLETED
    assessment.completed_at = ctx.now
    crisis = assessment.max_severity >= 4 or assessment.crisis_screen_positive
    case.crisis = crisis
    previous = _previous_completed(db, case, assessment)
    changed = _severity_jump(previous, assessment)
    case_changed(
        db,
        ctx,
        case,
        "assessment_completed",
        assessment=assessment.id,
        kind=assessment.kind.value,
        crisis=crisis,
        max_severity=assessment.max_severity,
        severity_jump=changed,
    )
    return AssessmentResult(assessment, crisis)


def holds_sensitive_data(assessment: Assessment) -> bool:
    """R4: a narrative in a health domain, or the self-harm screen ticked."""
    if assessment.screen_self_harm:
        return True
    return any(r.domain in HEALTH_DOMAINS and (r.narrative or "").strip() for r in assessment.ratings)


def check_sensitive(db: Session, case: Case, assessment: Assessment, today: date) -> None:
    """R4 (PIPA §23): health data in the assessment needs an active SENSITIVE consent or a recorded
    statutory basis (the basis and the law it rests on); a field error on the final step otherwise."""
    if not holds_sensitive_data(assessment):
        return
    sensitive = db.scalars(
        select(Consent).where(Consent.case_id == case.id, Consent.scope == ConsentScope.SENSITIVE)
    )
    if any(c.active_on(today) for c in sensitive):
        return
    basis = assessment.sensitive_basis
    if basis is None:
        raise InvalidInput({"sensitive_basis": Message("assessments.errors.sensitive_needs_consent")})
    if basis not in SECTION_23_BASES:
        raise InvalidInput({"sensitive_basis": Message("assessments.errors.sensitive_basis_not_23")})
    if not (assessment.sensitive_basis_note or "").strip():
        raise InvalidInput({"sensitive_basis_note": Message("assessments.errors.sensitive_basis_note")})


def _previous_completed(db: Session, case: Case, current: Assessment) -> Assessment | None:
    return db.scalar(
        select(Assessment)
        .where(
            Assessment.case_id == case.id,
            Assessment.status == AssessmentStatus.COMPLETED,
            Assessment.id != current.id,
        )
        .order_by(Assessment.completed_at.desc())
        .limit(1)
    )


def _severity_jump(previous: Assessment | None, current: Assessment) -> int:
    """The largest change of severity in any domain since the previous assessment."""
    if previous is None:
        return 0
    before = {r.domain: r.severity for r in previous.ratings}
    return max((abs(r.severity - before.get(r.domain, r.severity)) for r in current.ratings), default=0)


def assess(db: Session, ctx: Ctx, code: str, data: AssessmentInput) -> AssessmentResult:
    """Start (or resume) and complete in one call: for the command line, imports and tests."""
    assessment = start(db, ctx, code)
    return complete(db, ctx, assessment.id, data)


# ------------------------------------------------------------------------- for the assessment modal


def case_of(db: Session, assessment: Assessment) -> Case:
    """The assessment's case: its own code and profile, never what a payload says."""
    return db.get_one(Case, assessment.case_id)


def profile_of(db: Session, assessment_id: int) -> Profile | None:
    """The profile of the assessment's case; None for an id no assessment has."""
    return db.scalar(
        select(Case.profile)
        .join(Assessment, Assessment.case_id == Case.id)
        .where(Assessment.id == assessment_id)
    )


def status_of(db: Session, assessment_id: int) -> AssessmentStatus | None:
    """DRAFT or COMPLETED; None for an id no assessment has."""
    return db.scalar(select(Assessment.status).where(Assessment.id == assessment_id))


def crisis_recipients(db: Session, case: Case, *, today: date) -> list[tuple[str, str]]:
    """Who is told of a crisis on the case at once: each supervisor's Slack id and stored language
    ("" when none is stored yet)."""
    supervisors = access.case_supervisors(db, case, today=today)
    members = (db.get_one(StaffMember, staff_id) for staff_id in supervisors)
    return [(member.slack_user_id, member.locale or "") for member in members]
