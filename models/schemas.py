"""Validated inputs of the core services. Field names double as Slack block ids in the dialogues."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    BenefitStatus,
    ClientCharacteristic,
    ClosureReason,
    ConferencePurpose,
    ConferenceRecurrence,
    ConferenceType,
    ConsentMethod,
    ConsentScope,
    ContactKind,
    ContactOutcome,
    ContactType,
    CrisisFlag,
    GoalAttainment,
    GoalProgress,
    HouseholdRelation,
    HousingType,
    IntakeRoute,
    LegalStanding,
    LifeStage,
    MonitoringResult,
    NeedDomain,
    ReferralStatus,
    ReplyMethod,
    ReportAgency,
    ResourceCategory,
    ResourceSector,
    ResponsibleParty,
    ServiceUnit,
    Severity,
    SignerRelationship,
    StaffRole,
    StatutoryBasis,
    WeeLevel,
)
from models.errors import BilingualValueError, InvalidInput, Message, invalid_input_from

# 주민등록번호: six digits (birth date), an optional separator, then a 1-8 gender/century digit and six more.
_RRN = re.compile(r"(?<!\d)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s*[-–]?\s*[1-8]\d{6}(?!\d)")


def looks_like_rrn(text: str) -> bool:
    return bool(_RRN.search(text))


def _no_rrn(value: str | None) -> str | None:
    if value is not None and looks_like_rrn(value):
        raise BilingualValueError("schemas.errors.looks_like_resident_registration")
    return value


def _stripped(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


SafeText = Annotated[str, AfterValidator(_no_rrn)]
OptionalText = Annotated[str | None, AfterValidator(_stripped), AfterValidator(_no_rrn)]

# privacy_mode=strict: parse with `model_validate(data, context=STRICT_CONTEXT)` and names may be absent
# (the core refuses them there; models/services/strict.py). Without it a name is required, as always.
# The check is a field validator (run on the default too), so a parsed input nested in another model
# is not checked again without the context.
STRICT_CONTEXT = {"privacy_mode": "strict"}


def parsed_for_strict_mode(info: ValidationInfo) -> bool:
    return (info.context or {}).get("privacy_mode") == "strict"


NAME_NEEDED = {
    "client": Message("schemas.errors.enter_client_s_name"),
    "guardian": Message("schemas.errors.enter_guardian_s_name"),
    "signer": Message("schemas.errors.enter_name_person_who"),
}


def _named_unless_strict(message: Message) -> AfterValidator:
    def check(value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not parsed_for_strict_mode(info):
            raise BilingualValueError(message)
        return value

    return AfterValidator(check)


# The agency's system-of-record number (e.g. 행복e음): letters, digits and inner dashes, never an RRN.
_EXTERNAL_REF = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")


def _external_ref_format(value: str | None) -> str | None:
    if value is not None and not _EXTERNAL_REF.fullmatch(value):
        raise BilingualValueError("schemas.errors.system_record_number_takes")
    return value


ExternalRef = Annotated[
    str | None, AfterValidator(_stripped), AfterValidator(_no_rrn), AfterValidator(_external_ref_format)
]


# Any date a form takes lies in this range: beyond it a date is a slip of the picker, and the
# schedules computed from it (reminders, after-care, retention) would run off the calendar.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2100, 12, 31)


class Form(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _date_in_range(cls, value: object) -> object:
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise BilingualValueError("schemas.errors.enter_date_between")
        return value


# How many household members one intake records (the dialogue's rows; Slack caps a modal's blocks).
MAX_HOUSEHOLD = 8
MAX_GUARDIANS = 6


class HouseholdMemberInput(Form):
    name: OptionalText = Field(None, max_length=100)
    relation: SafeText = Field(min_length=1, max_length=40)
    age_band: LifeStage | None = None
    co_resident: bool = True
    is_main_carer: bool = False


class GuardianInput(Form):
    name: Annotated[OptionalText, _named_unless_strict(NAME_NEEDED["guardian"])] = Field(
        None, max_length=100, validate_default=True
    )
    relationship_kind: SafeText = Field(min_length=1, max_length=40)
    contact: OptionalText = Field(None, max_length=100)
    legal_standing: LegalStanding | None = None
    is_legal_representative: bool = False
    is_alleged_abuser: bool = False

    @model_validator(mode="after")
    def _standing(self) -> GuardianInput:
        if self.legal_standing is not None and self.legal_standing.legal_representative:
            self.is_legal_representative = True
        return self


class ClientInput(Form):
    name: Annotated[OptionalText, _named_unless_strict(NAME_NEEDED["client"])] = Field(
        None, max_length=100, validate_default=True
    )
    birth_date: date | None = None
    sex: str | None = Field(None, max_length=10)
    contact: OptionalText = Field(None, max_length=100)
    address: OptionalText = Field(None, max_length=300)
    life_stage: LifeStage | None = None
    characteristics: list[ClientCharacteristic] = Field(default_factory=list)
    interpreter_needed: bool = False
    interpreter_language: OptionalText = Field(None, max_length=40)
    benefits: list[BenefitStatus] = Field(default_factory=list)
    housing_type: HousingType | None = None
    under14: bool = False
    external_ref: ExternalRef = Field(None, max_length=64)

    @model_validator(mode="after")
    def _birth_date_in_past(self) -> ClientInput:
        if self.birth_date and self.birth_date > date.today():
            raise BilingualValueError("schemas.errors.birth_date_future", field="birth_date")
        return self


class ConsentInput(Form):
    scope: ConsentScope
    # Required unless parsed for strict mode, where the signed form stays in the system of record.
    signer_name: Annotated[OptionalText, _named_unless_strict(NAME_NEEDED["signer"])] = Field(
        None, max_length=100, validate_default=True
    )
    signer_relationship: SignerRelationship = SignerRelationship.SELF
    purposes: SafeText = Field(min_length=1, max_length=1000)
    items: SafeText = Field(min_length=1, max_length=1000)
    recipient_resource_ids: list[int] = Field(default_factory=list)
    recipient_names: list[SafeText] = Field(default_factory=list)
    retention: SafeText = Field(min_length=1, max_length=200)
    refusal_notice_given: bool
    method: ConsentMethod = ConsentMethod.WRITTEN
    guardian_verified: bool = False
    given_on: date
    expires_on: date | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ConsentInput:
        if not self.refusal_notice_given:
            raise BilingualValueError(
                "schemas.errors.right_refuse_consequences_must", field="refusal_notice_given"
            )
        if self.expires_on and self.expires_on < self.given_on:
            raise BilingualValueError("schemas.errors.expiry_before_consent_date", field="expires_on")
        if self.scope == ConsentScope.THIRD_PARTY and not (
            self.recipient_resource_ids or self.recipient_names
        ):
            raise BilingualValueError(
                "schemas.errors.third_party_consent_must", field="recipient_resource_ids"
            )
        return self


class IntakeInput(Form):
    client: ClientInput
    referral_source: SafeText = Field(min_length=1, max_length=100)
    presenting_needs: list[NeedDomain] = Field(default_factory=list)
    intake_summary: OptionalText = Field(None, max_length=3000)
    confidentiality_notice_given: bool = False
    intake_held: bool = True
    # A referral recorded before the intake: who referred, when, and why in their words.
    referrer: OptionalText = Field(None, max_length=200)
    referred_on: date | None = None
    referral_reason: OptionalText = Field(None, max_length=3000)
    household: list[HouseholdMemberInput] = Field(default_factory=list, max_length=MAX_HOUSEHOLD)
    guardians: list[GuardianInput] = Field(default_factory=list, max_length=MAX_GUARDIANS)
    consents: list[ConsentInput] = Field(default_factory=list)
    case_manager_id: int | None = None
    intake_route: IntakeRoute | None = None
    crisis_flags: list[CrisisFlag] = Field(default_factory=list)
    # The consents' signer, when a guardian signs: the index of that guardian in `guardians` (R12: never
    # one marked as the alleged abuser).
    signer_guardian: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _notice_at_intake(self) -> IntakeInput:
        if self.intake_held and not self.confidentiality_notice_given:
            raise BilingualValueError(
                "schemas.errors.limits_confidentiality_must_explained", field="confidentiality_notice_given"
            )
        return self


class ClientDetailsInput(Form):
    """Characteristics, interpreter, benefits and housing: nothing that identifies the person."""

    characteristics: list[ClientCharacteristic] = Field(default_factory=list)
    interpreter_needed: bool = False
    interpreter_language: OptionalText = Field(None, max_length=40)
    benefits: list[BenefitStatus] = Field(default_factory=list)
    housing_type: HousingType | None = None


class RecordIntakeInput(Form):
    """`/case intake CODE`: the first interview of a case recorded as a referral, with the same details
    as an intake held at once (`IntakeInput`); the household members and guardians are added to those
    recorded with the referral."""

    intake_summary: OptionalText = Field(None, max_length=3000)
    confidentiality_notice_given: bool = False
    client: ClientDetailsInput = Field(default_factory=ClientDetailsInput)
    intake_route: IntakeRoute | None = None
    household: list[HouseholdMemberInput] = Field(default_factory=list, max_length=MAX_HOUSEHOLD)
    guardians: list[GuardianInput] = Field(default_factory=list, max_length=MAX_GUARDIANS)
    crisis_flags: list[CrisisFlag] = Field(default_factory=list)


class RatingInput(Form):
    domain: NeedDomain
    severity: int = Field(ge=0, le=4)
    urgent: bool = False
    client_priority: int | None = Field(None, ge=1, le=20)
    narrative: OptionalText = Field(None, max_length=3000)
    evidence_source: OptionalText = Field(None, max_length=200)


class AssessmentInput(Form):
    """Everything an assessment holds; every field optional so that a draft can be saved step by step."""

    ratings: list[RatingInput] = Field(default_factory=list)
    screen_self_harm: bool | None = None
    screen_abuse: bool | None = None
    screen_loss_of_income_or_housing: bool | None = None
    screen_loss_of_carer: bool | None = None
    strengths_personal: OptionalText = Field(None, max_length=3000)
    strengths_family: OptionalText = Field(None, max_length=3000)
    strengths_social: OptionalText = Field(None, max_length=3000)
    strengths_community: OptionalText = Field(None, max_length=3000)
    informal_supports: OptionalText = Field(None, max_length=3000)
    client_goals: OptionalText = Field(None, max_length=3000)
    genogram_ref: OptionalText = Field(None, max_length=300)
    sensitive_basis: StatutoryBasis | None = None
    sensitive_basis_note: OptionalText = Field(None, max_length=1000)


class MandatoryReportInput(Form):
    """신고: when, to whom and the reference number the agency or the police gave (R12)."""

    reported_at: datetime
    agency: ReportAgency
    reference: SafeText = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _aware(self) -> MandatoryReportInput:
        if self.reported_at.tzinfo is None:
            raise BilingualValueError("schemas.errors.contact_time_no_time", field="reported_at")
        return self


class GoalInput(Form):
    domain: NeedDomain
    description: SafeText = Field(min_length=1, max_length=1000)
    indicator: SafeText = Field(min_length=1, max_length=300)
    baseline: OptionalText = Field(None, max_length=200)
    target: SafeText = Field(min_length=1, max_length=200)
    target_date: date


class TaskInput(Form):
    action: SafeText = Field(min_length=1, max_length=1000)
    responsible_party: ResponsibleParty
    resource_id: int | None = None
    due_date: date
    goal_index: int | None = Field(None, ge=0)
    # 담당자: a staff member of the case's circle (the core checks it); None: the case manager's task.
    worker_id: int | None = Field(None, ge=1)


MAX_GOALS = 10
MAX_TASKS = 20


class PlanInput(Form):
    goals: list[GoalInput] = Field(min_length=1, max_length=MAX_GOALS)
    tasks: list[TaskInput] = Field(default_factory=list, max_length=MAX_TASKS)
    period_start: date
    period_end: date | None = None
    agreed: bool = False
    agreement_method: ConsentMethod | None = None

    @model_validator(mode="after")
    def _coherent(self) -> PlanInput:
        if self.period_end and self.period_end <= self.period_start:
            raise BilingualValueError("schemas.errors.plan_must_end_after", field="period_end")
        for task in self.tasks:
            if task.goal_index is not None and task.goal_index >= len(self.goals):
                raise BilingualValueError("schemas.errors.task_points_at_missing", field="tasks")
        if self.agreed and self.agreement_method is None:
            raise BilingualValueError("schemas.errors.choose_how_client_agreed", field="agreement_method")
        return self


class GoalReviewInput(Form):
    goal_id: int = Field(ge=1)
    progress: GoalProgress
    comment: OptionalText = Field(None, max_length=1000)


class PlanReviewInput(Form):
    """계획 점검: each goal of the plan in force, its progress and a comment."""

    goals: list[GoalReviewInput] = Field(min_length=1, max_length=MAX_GOALS)


class ReferralInput(Form):
    resource_id: int
    domain: NeedDomain
    reason: SafeText = Field(min_length=1, max_length=2000)
    consent_id: int | None = None
    statutory_basis: StatutoryBasis | None = None
    statutory_note: OptionalText = Field(None, max_length=1000)
    channel: str | None = Field(None, max_length=40)


class ReferralOutcomeInput(Form):
    """The outcome dialogue of a referral move: the day, a note, and for a decline the reason's code
    (checked against the status by the service) and whether no alternative resource exists."""

    to: ReferralStatus
    on: date
    note: OptionalText = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=40)
    no_alternative: bool = False


class ReferrerReplyInput(Form):
    """회신: the reply to the agency or person who referred the case in."""

    on: date
    method: ReplyMethod


class DeliveryInput(Form):
    """서비스 제공기록. The amount, the date and the funding source are checked by the service
    (models/services/deliveries.py), which knows the case and the agency's catalog."""

    delivered_on: date
    category: ResourceCategory
    description: SafeText = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=100_000)
    unit: ServiceUnit = ServiceUnit.TIMES
    amount_won: int = Field(0, le=1_000_000_000)
    funding_source: str = Field(min_length=1, max_length=40)
    provider_resource_id: int | None = None
    provider_staff_id: int | None = None
    plan_task_id: int | None = None
    referral_id: int | None = None
    # PROFILE=school: the worker saw the warning that this delivery passes a cap and goes on.
    over_cap_confirmed: bool = False


class FollowUpInput(Form):
    """A follow-up agreed in a supervision session: the worker's task with its own due date."""

    number: int = Field(ge=1, le=10)
    text: SafeText = Field(min_length=1, max_length=500)
    due_on: date


class SupervisionInput(Form):
    """슈퍼비전 기록. The dates, the cases and the empty narratives are checked by the service
    (models/services/supervision.py), which knows the worker, the supervisor and today."""

    held_on: date
    case_codes: list[str] = Field(default_factory=list, max_length=50)
    issues: OptionalText = Field(None, max_length=3000)
    guidance: OptionalText = Field(None, max_length=3000)
    follow_ups: list[FollowUpInput] = Field(default_factory=list, max_length=10)


class ContactInput(Form):
    contact_at: datetime
    contact_type: ContactType
    kind: ContactKind = ContactKind.REGULAR
    participants: OptionalText = Field(None, max_length=300)
    outcome: ContactOutcome
    result: MonitoringResult | None = None
    plan_adherence: int | None = Field(None, ge=1, le=5)
    satisfaction: int | None = Field(None, ge=1, le=5)
    risk_changed: bool = False
    # 상담 시간 in minutes (at most a day).
    duration_minutes: int | None = Field(None, ge=1, le=1440)
    summary: OptionalText = Field(None, max_length=3000)
    next_action: OptionalText = Field(None, max_length=1000)
    next_contact_on: date | None = None
    source_ref: str | None = Field(None, max_length=300)
    # 점검표: the goals of the plan in force (by id) and the linked services (referral id) at this contact.
    goal_progress: dict[int, GoalProgress] = Field(default_factory=dict)
    referral_status: dict[int, ReferralStatus] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _aware(self) -> ContactInput:
        if self.contact_at.tzinfo is None:
            raise BilingualValueError("schemas.errors.contact_time_no_time", field="contact_at")
        return self


class ClosureInput(Form):
    reason: ClosureReason
    attainments: dict[int, GoalAttainment] = Field(default_factory=dict)
    client_evaluation: OptionalText = Field(None, max_length=3000)
    worker_evaluation: SafeText = Field(min_length=1, max_length=3000)
    client_informed: bool = False
    aftercare_plan: OptionalText = Field(None, max_length=2000)
    handover_target: OptionalText = Field(None, max_length=200)


class AfterCareInput(Form):
    method: ContactType
    status: AfterCareStatus
    action: AfterCareAction = AfterCareAction.NONE
    note: OptionalText = Field(None, max_length=3000)


class StaffInput(Form):
    slack_user_id: str = Field(pattern=r"^[UW][A-Z0-9]{2,31}$")
    display_name: SafeText = Field(min_length=1, max_length=100)
    role: StaffRole
    team: SafeText = Field(min_length=1, max_length=100)


class ResourceInput(Form):
    name: SafeText = Field(min_length=1, max_length=200)
    category: ResourceCategory
    sector: ResourceSector
    contact: OptionalText = Field(None, max_length=200)
    eligibility: OptionalText = Field(None, max_length=2000)
    capacity: OptionalText = Field(None, max_length=100)
    has_mou: bool = False
    wee_level: WeeLevel | None = None


_FREE_TEXT = TypeAdapter(OptionalText)


def check_free_text(field: str, value: str | None) -> None:
    """Free text handed to a service without a validated input gets the inputs' RRN check (R6)."""
    try:
        _FREE_TEXT.validate_python(value)
    except ValidationError as error:
        raise InvalidInput({field: next(iter(invalid_input_from(error).errors.values()))}) from None


# ------------------------------------------------------------------ case conferences (사례회의)


def _upper_code(value: str) -> str:
    return value.strip().upper()


CaseCode = Annotated[str, AfterValidator(_upper_code), Field(min_length=3, max_length=32)]


class ConferenceCaseInput(Form):
    """A case on the agenda, by code, with the question put to the meeting (stays in the database)."""

    code: CaseCode
    purpose: ConferencePurpose = ConferencePurpose.REVIEW
    question: OptionalText = Field(None, max_length=1000)


class ExternalMemberInput(Form):
    """A member from another organisation; the pledge is required before case content is shared."""

    name: SafeText = Field(min_length=1, max_length=100)
    organisation: SafeText = Field(min_length=1, max_length=200)
    role: OptionalText = Field(None, max_length=100)
    confidentiality_pledge: bool = False


MAX_OCCURRENCES = 24


class ConferenceInput(Form):
    conference_type: ConferenceType
    scheduled_at: datetime
    duration_minutes: int = Field(60, ge=15, le=480)
    slack_channel_id: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,31}$")
    chair_id: int | None = None
    participant_ids: list[int] = Field(default_factory=list)
    externals: list[ExternalMemberInput] = Field(default_factory=list, max_length=30)
    cases: list[ConferenceCaseInput] = Field(default_factory=list, max_length=30)
    recurrence: ConferenceRecurrence = ConferenceRecurrence.NONE
    occurrences: int = Field(1, ge=1, le=MAX_OCCURRENCES)

    @model_validator(mode="after")
    def _coherent(self) -> ConferenceInput:
        if self.scheduled_at.tzinfo is None:
            raise BilingualValueError("schemas.errors.meeting_time_no_time", field="scheduled_at")
        codes = [c.code for c in self.cases]
        for index, code in enumerate(codes):
            if code in codes[:index]:
                raise BilingualValueError(
                    "schemas.errors.case_code_appears_twice", field=f"cases.{index}.code"
                )
        if self.recurrence == ConferenceRecurrence.NONE and self.occurrences != 1:
            raise BilingualValueError("schemas.errors.conference_does_not_repeat", field="recurrence")
        if self.recurrence != ConferenceRecurrence.NONE and self.occurrences < 2:
            raise BilingualValueError("schemas.errors.recurring_conference_needs_at", field="occurrences")
        for external in self.externals:
            if not external.confidentiality_pledge:
                raise BilingualValueError("schemas.errors.external_members_must_sign", field="externals")
        return self


class RescheduleInput(Form):
    scheduled_at: datetime
    duration_minutes: int | None = Field(None, ge=15, le=480)

    @model_validator(mode="after")
    def _aware(self) -> RescheduleInput:
        if self.scheduled_at.tzinfo is None:
            raise BilingualValueError("schemas.errors.meeting_time_no_time", field="scheduled_at")
        return self


class DecisionInput(Form):
    code: CaseCode
    decision: OptionalText = Field(None, max_length=3000)


class ActionItemInput(Form):
    """An action item: an owner on staff or a named external owner, a due date, optionally a case."""

    description: SafeText = Field(min_length=1, max_length=1000)
    owner_id: int | None = None
    owner_external: OptionalText = Field(None, max_length=100)
    due_date: date
    code: CaseCode | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> ActionItemInput:
        if (self.owner_id is None) == (self.owner_external is None):
            raise BilingualValueError("schemas.errors.give_item_one_owner", field="owner_id")
        return self


class OutcomeInput(Form):
    decisions: list[DecisionInput] = Field(default_factory=list)
    action_items: list[ActionItemInput] = Field(default_factory=list, max_length=30)
    minutes_ref: OptionalText = Field(None, max_length=300)


class HouseholdPersonInput(Form):
    """A household member who is not a client: relation and age band; a name only where needed."""

    relation: HouseholdRelation
    age_band: LifeStage | None = None
    name: OptionalText = Field(None, max_length=100)


class HouseholdInput(Form):
    """One change of a case's household (가구) from its modal: unlink the case, or link another case
    (a household is made if there is none), add a member, remove members, rate the household's needs."""

    unlink: bool = False
    create: bool = False
    link_code: CaseCode | None = None
    person: HouseholdPersonInput | None = None
    remove_person_ids: list[int] = Field(default_factory=list, max_length=50)
    needs: dict[NeedDomain, Severity] = Field(default_factory=dict)


class AgencyInput(Form):
    """One agency on a case: a directory resource, or an organisation typed by name; its role."""

    resource_id: int | None = None
    organisation: OptionalText = Field(None, max_length=200)
    role: OptionalText = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_agency(self) -> AgencyInput:
        if (self.resource_id is None) == (self.organisation is None):
            raise BilingualValueError("agencies.errors.one_agency", field="resource_id")
        return self


class AgenciesInput(Form):
    """The case's lead agency (주사례관리기관) and partner agencies, as a whole: what is saved replaces
    what was there."""

    lead: AgencyInput | None = None
    partners: list[AgencyInput] = Field(default_factory=list, max_length=6)


class HandoverInput(Form):
    """사후관리 인계 (public teams): to whom the after-care went (an office or team), when, and a note."""

    handed_to: SafeText = Field(min_length=1, max_length=200)
    handed_over_on: date
    note: OptionalText = Field(None, max_length=2000)
