"""Codes of the practice model (domain.md section 3); their Korean and English labels are in the catalogs."""

from __future__ import annotations

from enum import StrEnum

from models.text import t


class LabeledEnum(StrEnum):
    """A string enum whose members have a label in each language, kept in the catalogs under
    `enum.<EnumName>.<value>` (models/i18n/*/enum.toml)."""

    def label(self, locale: str = "ko") -> str:
        return t(f"enum.{type(self).__name__}.{self.value}", locale)

    @property
    def ko(self) -> str:
        return self.label("ko")

    @property
    def en(self) -> str:
        return self.label("en")


class Profile(LabeledEnum):
    WELFARE_CENTRE = "welfare_centre"
    PUBLIC = "public"
    SCHOOL = "school"


class StaffRole(LabeledEnum):
    CASE_MANAGER = "case_manager"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # A teacher, school nurse or counsellor the principal approved to take part in named students'
    # cases (학생맞춤통합지원법 §17⑦): a co-worker on those cases only, never a case owner, no caseload.
    SCHOOL_STAFF = "school_staff"


class CaseStatus(LabeledEnum):
    OPEN = "OPEN"
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    CLOSED = "CLOSED"
    AFTERCARE = "AFTERCARE"
    ARCHIVED = "ARCHIVED"


class Stage(LabeledEnum):
    """The superset of stages 0-9 (domain.md section 1); value is the stage number as text."""

    REFERRAL_IN = "0"
    INTAKE = "1"
    ASSESSMENT = "2"
    CONFERENCE = "3"
    PLAN = "4"
    DELIVERY = "5"
    MONITORING = "6"
    REASSESSMENT = "7"
    CLOSURE = "8"
    AFTERCARE = "9"

    @property
    def number(self) -> int:
        return int(self.value)


class NextStep(LabeledEnum):
    RECORD_INTAKE = "RECORD_INTAKE"
    RECORD_CONSENT = "RECORD_CONSENT"
    COMPLETE_ASSESSMENT = "COMPLETE_ASSESSMENT"
    CLASSIFY = "CLASSIFY"
    WRITE_PLAN = "WRITE_PLAN"
    AGREE_PLAN = "AGREE_PLAN"
    LINK_SERVICES = "LINK_SERVICES"
    LOG_CONTACT = "LOG_CONTACT"
    COMPLETE_REASSESSMENT = "COMPLETE_REASSESSMENT"
    APPROVE_CLOSURE = "APPROVE_CLOSURE"
    AFTERCARE_CHECK = "AFTERCARE_CHECK"
    RESUME = "RESUME"
    # A monitoring contact suggested closing (점검 결과 "종결 검토"): the case manager reviews closure.
    REVIEW_CLOSURE = "REVIEW_CLOSURE"
    NONE = "NONE"


class MissingConsent(LabeledEnum):
    """A school case's 학생맞춤통합지원 consent (STUDENT_SUPPORT) not yet in force: whose signature is
    missing (the student's, a guardian's, or both; 학생맞춤통합지원법 §11③)."""

    STUDENT = "STUDENT"
    GUARDIAN = "GUARDIAN"
    BOTH = "BOTH"


class NeedDomain(LabeledEnum):
    SAFETY = "SAFETY"
    HEALTH = "HEALTH"
    DAILY_LIVING = "DAILY_LIVING"
    FAMILY = "FAMILY"
    SOCIAL = "SOCIAL"
    ECONOMIC = "ECONOMIC"
    EDUCATION = "EDUCATION"
    EMPLOYMENT = "EMPLOYMENT"
    LIVING_ENV = "LIVING_ENV"
    LEGAL_RIGHTS = "LEGAL_RIGHTS"
    OTHER = "OTHER"
    # School profile add-ons
    LEARNING = "LEARNING"
    PSYCH_EMOTIONAL = "PSYCH_EMOTIONAL"
    HEALTH_SCHOOL = "HEALTH_SCHOOL"
    CAREER = "CAREER"
    CULTURE_EXPERIENCE = "CULTURE_EXPERIENCE"
    RELATIONSHIP = "RELATIONSHIP"
    SCHOOL_ADJUSTMENT = "SCHOOL_ADJUSTMENT"
    WELFARE_ECONOMIC = "WELFARE_ECONOMIC"


GENERAL_DOMAINS: tuple[NeedDomain, ...] = (
    NeedDomain.SAFETY,
    NeedDomain.HEALTH,
    NeedDomain.DAILY_LIVING,
    NeedDomain.FAMILY,
    NeedDomain.SOCIAL,
    NeedDomain.ECONOMIC,
    NeedDomain.EDUCATION,
    NeedDomain.EMPLOYMENT,
    NeedDomain.LIVING_ENV,
    NeedDomain.LEGAL_RIGHTS,
)
SCHOOL_DOMAINS: tuple[NeedDomain, ...] = (
    NeedDomain.LEARNING,
    NeedDomain.PSYCH_EMOTIONAL,
    NeedDomain.HEALTH_SCHOOL,
    NeedDomain.CAREER,
    NeedDomain.CULTURE_EXPERIENCE,
    NeedDomain.RELATIONSHIP,
    NeedDomain.SCHOOL_ADJUSTMENT,
    NeedDomain.WELFARE_ECONOMIC,
)


def domains_for(profile: Profile) -> tuple[NeedDomain, ...]:
    """The need domains an assessment must rate under a deployment profile (OTHER is optional)."""
    if profile == Profile.SCHOOL:
        return GENERAL_DOMAINS + SCHOOL_DOMAINS
    return GENERAL_DOMAINS


class Severity(LabeledEnum):
    NONE = "0"
    MILD = "1"
    MODERATE = "2"
    SEVERE = "3"
    CRISIS = "4"


class CaseIntensity(LabeledEnum):
    CRISIS = "CRISIS"
    HIGH_COMPLEXITY = "HIGH_COMPLEXITY"
    INTENSIVE = "INTENSIVE"
    GENERAL = "GENERAL"
    LINKAGE_ONLY = "LINKAGE_ONLY"
    SIMPLE = "SIMPLE"
    # 단순연계 (welfare centre profile): a linkage only, with no contact cadence of its own
    # (models/services/profiles.py).
    SIMPLE_LINKAGE = "SIMPLE_LINKAGE"


class WeeLevel(LabeledEnum):
    """The Wee referral ladder of the school profile (domain.md §6.3 [V2 S9]), lowest first:
    Wee 클래스 (in school) → Wee 센터 (교육지원청: diagnosis, counselling, therapy) → 가정형 Wee센터
    (residential, family-caused crisis) → Wee 스쿨 (시도교육청, long-term placement)."""

    WEE_CLASS = "WEE_CLASS"
    WEE_CENTER = "WEE_CENTER"
    FAMILY_WEE_CENTER = "FAMILY_WEE_CENTER"
    WEE_SCHOOL = "WEE_SCHOOL"


class ContactType(LabeledEnum):
    VISIT_OFFICE = "VISIT_OFFICE"
    HOME_VISIT = "HOME_VISIT"
    PHONE = "PHONE"
    MESSAGE = "MESSAGE"
    VIDEO = "VIDEO"
    ACCOMPANY = "ACCOMPANY"
    SCHOOL_MEETING = "SCHOOL_MEETING"
    COLLATERAL = "COLLATERAL"
    CONFERENCE = "CONFERENCE"


class ContactKind(LabeledEnum):
    INITIAL = "INITIAL"
    REGULAR = "REGULAR"
    AD_HOC = "AD_HOC"


class ContactOutcome(LabeledEnum):
    DONE = "DONE"
    NO_ANSWER = "NO_ANSWER"
    RESCHEDULED = "RESCHEDULED"
    REFUSED = "REFUSED"


class MonitoringResult(LabeledEnum):
    MAINTAIN = "MAINTAIN"
    CHANGE_PLAN = "CHANGE_PLAN"
    REVISIT = "REVISIT"
    REASSESS = "REASSESS"
    CONSIDER_CLOSE = "CONSIDER_CLOSE"


class ReferralStatus(LabeledEnum):
    DRAFT = "DRAFT"
    AWAITING_CONSENT = "AWAITING_CONSENT"
    SENT = "SENT"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    WAITLISTED = "WAITLISTED"
    IN_SERVICE = "IN_SERVICE"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    CLIENT_DECLINED = "CLIENT_DECLINED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL_REFERRAL


_TERMINAL_REFERRAL = frozenset(
    {
        ReferralStatus.COMPLETED,
        ReferralStatus.DECLINED,
        ReferralStatus.CLIENT_DECLINED,
        ReferralStatus.CANCELLED,
    }
)

# The moves that record an outcome (a date, a note, a reason for the declines) in a dialogue; the
# others (sending, cancelling) are a click.
OUTCOME_STATUSES = frozenset(
    {
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.WAITLISTED,
        ReferralStatus.IN_SERVICE,
        ReferralStatus.COMPLETED,
        ReferralStatus.DECLINED,
        ReferralStatus.CLIENT_DECLINED,
    }
)


class DeclineReason(LabeledEnum):
    """Why the receiving agency declined a referral (반려 사유)."""

    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    NO_CAPACITY = "NO_CAPACITY"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    NO_CONTACT = "NO_CONTACT"
    OTHER = "OTHER"


class ClientDeclineReason(LabeledEnum):
    """Why the client declined a referral (대상자 거부 사유)."""

    NOT_WANTED = "NOT_WANTED"
    COST = "COST"
    ACCESS = "ACCESS"
    RESOLVED = "RESOLVED"
    OTHER = "OTHER"


class ReplyMethod(LabeledEnum):
    """How the reply to a referring agency or person (회신) went."""

    DOCUMENT = "DOCUMENT"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    FAX = "FAX"
    IN_PERSON = "IN_PERSON"
    OTHER = "OTHER"


class ResourceCategory(LabeledEnum):
    ECONOMIC = "ECONOMIC"
    MEDICAL = "MEDICAL"
    CULTURE = "CULTURE"
    EDUCATION = "EDUCATION"
    WELFARE = "WELFARE"
    HOUSING = "HOUSING"
    EMPLOYMENT = "EMPLOYMENT"
    LEGAL = "LEGAL"
    MENTAL_HEALTH = "MENTAL_HEALTH"
    CARE = "CARE"
    IN_KIND = "IN_KIND"
    EMERGENCY = "EMERGENCY"
    CHILD_PROTECTION = "CHILD_PROTECTION"
    YOUTH = "YOUTH"
    SCHOOL = "SCHOOL"


class ResourceSector(LabeledEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"
    INFORMAL = "INFORMAL"


class ConferenceType(LabeledEnum):
    INTERNAL = "INTERNAL"
    INTEGRATED = "INTEGRATED"
    SOLUTION = "SOLUTION"
    SUPERVISION = "SUPERVISION"
    SCHOOL_TEAM = "SCHOOL_TEAM"
    CRISIS = "CRISIS"


class ConferenceStatus(LabeledEnum):
    SCHEDULED = "SCHEDULED"
    HELD = "HELD"
    CANCELLED = "CANCELLED"


class ConferenceRecurrence(LabeledEnum):
    NONE = "NONE"
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


class ConferencePurpose(LabeledEnum):
    SELECT = "SELECT"
    PLAN = "PLAN"
    REVIEW = "REVIEW"
    CLOSE = "CLOSE"
    CRISIS = "CRISIS"


class ClosureReason(LabeledEnum):
    GOAL_ACHIEVED = "GOAL_ACHIEVED"
    NEED_RESOLVED = "NEED_RESOLVED"
    CLIENT_REQUEST = "CLIENT_REQUEST"
    LOST_CONTACT = "LOST_CONTACT"
    MOVED_OUT = "MOVED_OUT"
    DECEASED = "DECEASED"
    TRANSFERRED = "TRANSFERRED"
    INSTITUTION = "INSTITUTION"
    INELIGIBLE = "INELIGIBLE"
    DOWNGRADED_LINKAGE = "DOWNGRADED_LINKAGE"
    OTHER = "OTHER"
    GRADUATED = "GRADUATED"
    TRANSFERRED_SCHOOL = "TRANSFERRED_SCHOOL"
    DROPPED_OUT = "DROPPED_OUT"


SCHOOL_ONLY_CLOSURE_REASONS = frozenset(
    {ClosureReason.GRADUATED, ClosureReason.TRANSFERRED_SCHOOL, ClosureReason.DROPPED_OUT}
)


class ClosureStatus(LabeledEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    RETURNED = "RETURNED"


class GoalAttainment(LabeledEnum):
    MET = "MET"
    PARTLY = "PARTLY"
    NOT_MET = "NOT_MET"


class ConsentScope(LabeledEnum):
    COLLECT_USE = "COLLECT_USE"
    THIRD_PARTY = "THIRD_PARTY"
    SENSITIVE = "SENSITIVE"
    UNIQUE_ID = "UNIQUE_ID"
    OUT_OF_PURPOSE = "OUT_OF_PURPOSE"
    OVERSEAS = "OVERSEAS"
    MEDIA = "MEDIA"
    STUDENT_SUPPORT = "STUDENT_SUPPORT"


class SignerRelationship(LabeledEnum):
    SELF = "SELF"
    PARENT = "PARENT"
    GUARDIAN = "GUARDIAN"
    CARER = "CARER"


class ConsentMethod(LabeledEnum):
    WRITTEN = "WRITTEN"
    ELECTRONIC = "ELECTRONIC"
    VERBAL = "VERBAL"


class StatutoryBasis(LabeledEnum):
    """Grounds that allow provision without consent (PIPA §17①2, §18②3; mandatory reporting)."""

    IMMINENT_DANGER = "IMMINENT_DANGER"
    MANDATORY_ABUSE_REPORT = "MANDATORY_ABUSE_REPORT"
    STATUTE = "STATUTE"


class ReportAgency(LabeledEnum):
    """Where a mandatory abuse report goes (아동학대처벌법 §10, 노인복지법 §39-6, 장애인복지법 §59-4)."""

    POLICE_112 = "POLICE_112"
    CHILD_PROTECTION_AGENCY = "CHILD_PROTECTION_AGENCY"
    ELDER_PROTECTION_AGENCY = "ELDER_PROTECTION_AGENCY"
    DISABILITY_RIGHTS_AGENCY = "DISABILITY_RIGHTS_AGENCY"


class ResponsibleParty(LabeledEnum):
    CLIENT = "CLIENT"
    FAMILY = "FAMILY"
    WORKER = "WORKER"
    AGENCY = "AGENCY"
    SCHOOL_STAFF = "SCHOOL_STAFF"


class PlanStatus(LabeledEnum):
    DRAFT = "DRAFT"
    AGREED = "AGREED"
    SUPERSEDED = "SUPERSEDED"


class TaskStatus(LabeledEnum):
    """A plan task's or an action item's state: 예정 (OPEN), 진행 (IN_PROGRESS), 완료, 중단 (CANCELLED)."""

    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"

    @property
    def is_open(self) -> bool:
        return self in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class GoalProgress(LabeledEnum):
    """A goal at a plan review or a monitoring contact: 진전 / 유지 / 악화."""

    IMPROVED = "IMPROVED"
    MAINTAINED = "MAINTAINED"
    WORSENED = "WORSENED"


class AssessmentKind(LabeledEnum):
    INITIAL = "INITIAL"
    REASSESSMENT = "REASSESSMENT"


class AssessmentStatus(LabeledEnum):
    DRAFT = "DRAFT"
    COMPLETED = "COMPLETED"


class AfterCareStatus(LabeledEnum):
    STABLE = "STABLE"
    NEW_NEED = "NEW_NEED"
    CRISIS = "CRISIS"
    UNREACHABLE = "UNREACHABLE"


class AfterCareAction(LabeledEnum):
    NONE = "NONE"
    LINK = "LINK"
    REOPEN = "REOPEN"


class LifeStage(LabeledEnum):
    INFANT = "INFANT"
    CHILD = "CHILD"
    YOUTH = "YOUTH"
    YOUNG_ADULT = "YOUNG_ADULT"
    MIDDLE_AGED = "MIDDLE_AGED"
    SENIOR = "SENIOR"


# ------------------------------------------------------------------ intake (issue 17)
class ClientCharacteristic(LabeledEnum):
    """The household characteristics asked at intake (대상자 특성)."""

    DISABILITY = "DISABILITY"
    SINGLE_PARENT = "SINGLE_PARENT"
    MULTICULTURAL = "MULTICULTURAL"
    GRANDPARENT_HEADED = "GRANDPARENT_HEADED"
    NK_DEFECTOR = "NK_DEFECTOR"
    LIVING_ALONE = "LIVING_ALONE"


class BenefitStatus(LabeledEnum):
    """Public assistance the household receives (수급 현황)."""

    LIVELIHOOD = "LIVELIHOOD"
    MEDICAL = "MEDICAL"
    HOUSING = "HOUSING"
    EDUCATION = "EDUCATION"
    NEAR_POVERTY = "NEAR_POVERTY"
    EMERGENCY = "EMERGENCY"


class HousingType(LabeledEnum):
    OWNED = "OWNED"
    JEONSE = "JEONSE"
    MONTHLY_RENT = "MONTHLY_RENT"
    PUBLIC_RENTAL = "PUBLIC_RENTAL"
    RENT_FREE = "RENT_FREE"
    NON_HOUSING = "NON_HOUSING"
    FACILITY = "FACILITY"
    NO_HOME = "NO_HOME"


class IntakeRoute(LabeledEnum):
    """How the intake came about (접수 방법)."""

    VISIT = "VISIT"
    PHONE = "PHONE"
    OUTREACH = "OUTREACH"


class LegalStanding(LabeledEnum):
    """A guardian's legal standing; the first three are legal representatives (법정대리인)."""

    PARENTAL_AUTHORITY = "PARENTAL_AUTHORITY"
    MINOR_GUARDIAN = "MINOR_GUARDIAN"
    ADULT_GUARDIAN = "ADULT_GUARDIAN"
    LIMITED_GUARDIAN = "LIMITED_GUARDIAN"
    CARER = "CARER"

    @property
    def legal_representative(self) -> bool:
        return self in (
            LegalStanding.PARENTAL_AUTHORITY,
            LegalStanding.MINOR_GUARDIAN,
            LegalStanding.ADULT_GUARDIAN,
        )


class CrisisFlag(LabeledEnum):
    """Ticked at intake: the team's supervisors are told at once and a first response is due in 24 hours."""

    CRISIS = "CRISIS"
    SELF_HARM = "SELF_HARM"
    ABUSE = "ABUSE"
    CARER_LOSS = "CARER_LOSS"


class ServiceUnit(LabeledEnum):
    """How a delivered service is counted (서비스 제공기록): times given, or hours."""

    TIMES = "TIMES"
    HOURS = "HOURS"


class ReminderKind(LabeledEnum):
    NEXT_CONTACT = "NEXT_CONTACT"
    CONTACT_OVERDUE = "CONTACT_OVERDUE"
    ASSESSMENT_DUE = "ASSESSMENT_DUE"
    CLASSIFICATION_DUE = "CLASSIFICATION_DUE"
    PLAN_DUE = "PLAN_DUE"
    PLAN_REVIEW = "PLAN_REVIEW"
    PLAN_END = "PLAN_END"
    REASSESSMENT_DUE = "REASSESSMENT_DUE"
    REFERRAL_RESPONSE = "REFERRAL_RESPONSE"
    CLOSURE_APPROVAL = "CLOSURE_APPROVAL"
    AFTERCARE_CHECK = "AFTERCARE_CHECK"
    CONSENT_EXPIRY = "CONSENT_EXPIRY"
    ACTION_ITEM = "ACTION_ITEM"
    # A referral-in: the reply to the referring agency or person (회신), due days after classification.
    REFERRER_REPLY = "REFERRER_REPLY"
    # A plan task's due date (its responsible worker); a re-assessment that moved severity (plan revision).
    TASK_DUE = "TASK_DUE"
    PLAN_REVISION = "PLAN_REVISION"
    # A case on hold: the morning of the day it was to be looked at again.
    HOLD_END = "HOLD_END"
    # Case conferences (domain.md §4): sent to the conference channel and participants, keyed by conference.
    CONFERENCE_AGENDA = "CONFERENCE_AGENDA"
    CONFERENCE_PAPERS = "CONFERENCE_PAPERS"
    CONFERENCE_DAY_BEFORE = "CONFERENCE_DAY_BEFORE"
    CONFERENCE_SOON = "CONFERENCE_SOON"
    CONFERENCE_RECORD = "CONFERENCE_RECORD"
    CONFERENCE_CANCELLED = "CONFERENCE_CANCELLED"
    # A supervision session's follow-up (no case): to the worker, on its due date.
    SUPERVISION_FOLLOW_UP = "SUPERVISION_FOLLOW_UP"
    # A crisis, self-harm, abuse or loss of carer ticked at intake: a first response within 24 hours.
    CRISIS_FIRST_RESPONSE = "CRISIS_FIRST_RESPONSE"
    # Its deadline passed with no contact reaching the client: the team's supervisors are told.
    CRISIS_RESPONSE_OVERDUE = "CRISIS_RESPONSE_OVERDUE"
    # School teams' academic calendar (models/profiles.py, domain.md §4 "School terms"): the March
    # selection, the pre-vacation safety check and the February grade hand-over, per open case.
    SCHOOL_SELECTION = "SCHOOL_SELECTION"
    SAFETY_CHECK = "SAFETY_CHECK"
    GRADE_HANDOVER = "GRADE_HANDOVER"
    # Public teams: the after-care handed over to the 읍면동 after closure (models/services/handover.py).
    AFTERCARE_HANDOVER = "AFTERCARE_HANDOVER"


class ReminderStatus(LabeledEnum):
    PENDING = "PENDING"
    CLAIMED = "CLAIMED"
    SENT = "SENT"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class AuditAction(LabeledEnum):
    READ = "READ"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    EXPORT = "EXPORT"
    REFUSED = "REFUSED"
    DESTROY = "DESTROY"


class Surface(LabeledEnum):
    """Where a request came from, for the audit log."""

    CLI = "cli"
    SLASH_COMMAND = "slash_command"
    MODAL = "modal"
    BUTTON = "button"
    APP_HOME = "app_home"
    SHORTCUT = "shortcut"
    SCHEDULER = "scheduler"
    SYSTEM = "system"


class HouseholdRelation(LabeledEnum):
    """A household member's relation to the household (가구원 관계), for members who are not clients."""

    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    SIBLING = "SIBLING"
    GRANDPARENT = "GRANDPARENT"
    GRANDCHILD = "GRANDCHILD"
    RELATIVE = "RELATIVE"
    OTHER = "OTHER"


class AgendaRequestStatus(LabeledEnum):
    """A case of another team asked onto an integrated conference's agenda: that team's supervisor
    agrees (it goes on the agenda) or refuses."""

    PENDING = "PENDING"
    AGREED = "AGREED"
    REFUSED = "REFUSED"
    CANCELLED = "CANCELLED"  # the third-party consent it needed was withdrawn while it waited
