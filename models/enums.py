"""Codes of the practice model (domain.md section 3), each with a Korean and an English label."""

from __future__ import annotations

from enum import StrEnum


class LabeledEnum(StrEnum):
    """A string enum whose members carry `ko` and `en` labels: `Member = "CODE", "한국어", "English"`."""

    ko: str
    en: str

    def __new__(cls, value: str, ko: str = "", en: str = "") -> LabeledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.ko = ko or value
        member.en = en or value
        return member

    def label(self, locale: str = "ko") -> str:
        return self.ko if locale == "ko" else self.en


class Profile(LabeledEnum):
    WELFARE_CENTRE = "welfare_centre", "종합사회복지관", "Community welfare centre"
    PUBLIC = "public", "희망복지지원단", "Public integrated case management"
    SCHOOL = "school", "학교사회복지", "School social work"


class StaffRole(LabeledEnum):
    CASE_MANAGER = "case_manager", "사례관리자", "Case manager"
    SUPERVISOR = "supervisor", "슈퍼바이저", "Supervisor"
    ADMIN = "admin", "관리자", "Administrator"
    # A teacher, school nurse or counsellor the principal approved to take part in named students'
    # cases (학생맞춤통합지원법 §17⑦): a co-worker on those cases only, never a case owner, no caseload.
    SCHOOL_STAFF = "school_staff", "승인 교직원", "Approved school staff"


class CaseStatus(LabeledEnum):
    OPEN = "OPEN", "개시", "Open"
    ACTIVE = "ACTIVE", "진행", "Active"
    ON_HOLD = "ON_HOLD", "보류", "On hold"
    CLOSED = "CLOSED", "종결", "Closed"
    AFTERCARE = "AFTERCARE", "사후관리", "After-care"
    ARCHIVED = "ARCHIVED", "보존", "Archived"


class Stage(LabeledEnum):
    """The superset of stages 0-9 (domain.md section 1); value is the stage number as text."""

    REFERRAL_IN = "0", "발굴·의뢰", "Referral-in"
    INTAKE = "1", "접수·초기상담", "Intake"
    ASSESSMENT = "2", "사정", "Assessment"
    CONFERENCE = "3", "사례회의·대상자 구분", "Conference & classification"
    PLAN = "4", "개입계획", "Service plan"
    DELIVERY = "5", "서비스 제공·연계", "Delivery & linking"
    MONITORING = "6", "점검·모니터링", "Monitoring & coordination"
    REASSESSMENT = "7", "재사정", "Re-assessment"
    CLOSURE = "8", "평가·종결", "Evaluation & closure"
    AFTERCARE = "9", "사후관리", "After-care"

    @property
    def number(self) -> int:
        return int(self.value)


class NextStep(LabeledEnum):
    RECORD_INTAKE = "RECORD_INTAKE", "초기상담 기록", "Record the intake interview"
    RECORD_CONSENT = "RECORD_CONSENT", "개인정보 수집·이용 동의 받기", "Record consent to collection and use"
    COMPLETE_ASSESSMENT = "COMPLETE_ASSESSMENT", "욕구·강점·위기도 사정 완료", "Complete the needs assessment"
    CLASSIFY = "CLASSIFY", "사례회의에서 대상자 구분", "Classify the case at a case conference"
    WRITE_PLAN = "WRITE_PLAN", "서비스계획 수립", "Write the service plan"
    AGREE_PLAN = "AGREE_PLAN", "계획에 대상자 동의 받기", "Get the client's agreement to the plan"
    LINK_SERVICES = "LINK_SERVICES", "서비스 연계", "Link services"
    LOG_CONTACT = "LOG_CONTACT", "점검(연락) 기록", "Log a monitoring contact"
    COMPLETE_REASSESSMENT = "COMPLETE_REASSESSMENT", "재사정 완료", "Complete the re-assessment"
    APPROVE_CLOSURE = "APPROVE_CLOSURE", "종결 승인(슈퍼바이저)", "Supervisor approves the closure"
    AFTERCARE_CHECK = "AFTERCARE_CHECK", "사후관리 점검", "After-care check"
    RESUME = "RESUME", "보류 해제 검토", "Review the hold"
    NONE = "NONE", "없음", "Nothing"


class NeedDomain(LabeledEnum):
    SAFETY = "SAFETY", "안전", "Safety"
    HEALTH = "HEALTH", "건강", "Health (physical and mental)"
    DAILY_LIVING = "DAILY_LIVING", "일상생활유지", "Daily living"
    FAMILY = "FAMILY", "가족관계", "Family relationships"
    SOCIAL = "SOCIAL", "사회적 관계", "Social relationships"
    ECONOMIC = "ECONOMIC", "경제", "Economic"
    EDUCATION = "EDUCATION", "교육", "Education"
    EMPLOYMENT = "EMPLOYMENT", "고용", "Employment"
    LIVING_ENV = "LIVING_ENV", "생활환경", "Living environment (housing)"
    LEGAL_RIGHTS = "LEGAL_RIGHTS", "법률 및 권익보장", "Legal and rights"
    OTHER = "OTHER", "기타", "Other"
    # School profile add-ons
    LEARNING = "LEARNING", "학습·기초학력", "Learning and basic skills"
    PSYCH_EMOTIONAL = "PSYCH_EMOTIONAL", "심리·정서", "Psychological and emotional"
    HEALTH_SCHOOL = "HEALTH_SCHOOL", "건강(보건)", "Health (school nurse)"
    CAREER = "CAREER", "진로", "Career"
    CULTURE_EXPERIENCE = "CULTURE_EXPERIENCE", "문화·체험", "Culture and experience"
    RELATIONSHIP = "RELATIONSHIP", "관계(또래·교사)", "Relationships (peers, teachers)"
    SCHOOL_ADJUSTMENT = "SCHOOL_ADJUSTMENT", "학교적응·출결", "School adjustment and attendance"
    WELFARE_ECONOMIC = "WELFARE_ECONOMIC", "복지·경제", "Welfare and economic (education costs)"


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
    NONE = "0", "없음", "None"
    MILD = "1", "경미", "Mild"
    MODERATE = "2", "보통", "Moderate"
    SEVERE = "3", "심각", "Severe"
    CRISIS = "4", "위기", "Crisis"


class CaseIntensity(LabeledEnum):
    CRISIS = "CRISIS", "위기(긴급)", "Crisis"
    HIGH_COMPLEXITY = "HIGH_COMPLEXITY", "고난도", "High complexity"
    INTENSIVE = "INTENSIVE", "집중", "Intensive"
    GENERAL = "GENERAL", "일반", "General"
    LINKAGE_ONLY = "LINKAGE_ONLY", "서비스연계", "Linkage only"
    SIMPLE = "SIMPLE", "단순서비스", "Simple service"


class ContactType(LabeledEnum):
    VISIT_OFFICE = "VISIT_OFFICE", "내방", "Office visit"
    HOME_VISIT = "HOME_VISIT", "가정방문", "Home visit"
    PHONE = "PHONE", "전화", "Phone"
    MESSAGE = "MESSAGE", "문자/메신저", "Message"
    VIDEO = "VIDEO", "화상", "Video call"
    ACCOMPANY = "ACCOMPANY", "동행", "Accompanying"
    SCHOOL_MEETING = "SCHOOL_MEETING", "교내면담", "School meeting"
    COLLATERAL = "COLLATERAL", "관련인·기관 접촉", "Collateral contact"
    CONFERENCE = "CONFERENCE", "사례회의", "Case conference"


class ContactKind(LabeledEnum):
    INITIAL = "INITIAL", "초기", "Initial"
    REGULAR = "REGULAR", "정기", "Regular"
    AD_HOC = "AD_HOC", "수시", "Ad hoc"


class ContactOutcome(LabeledEnum):
    DONE = "DONE", "완료", "Done"
    NO_ANSWER = "NO_ANSWER", "부재", "No answer"
    RESCHEDULED = "RESCHEDULED", "일정변경", "Rescheduled"
    REFUSED = "REFUSED", "거부", "Refused"


class MonitoringResult(LabeledEnum):
    MAINTAIN = "MAINTAIN", "서비스 유지", "Maintain services"
    CHANGE_PLAN = "CHANGE_PLAN", "계획 변경", "Change the plan"
    REVISIT = "REVISIT", "재방문·추가면담", "Revisit"
    REASSESS = "REASSESS", "재사정 필요", "Re-assessment needed"
    CONSIDER_CLOSE = "CONSIDER_CLOSE", "종결 검토", "Consider closure"


class ReferralStatus(LabeledEnum):
    DRAFT = "DRAFT", "작성", "Draft"
    AWAITING_CONSENT = "AWAITING_CONSENT", "동의대기", "Awaiting consent"
    SENT = "SENT", "의뢰", "Sent"
    ACKNOWLEDGED = "ACKNOWLEDGED", "접수확인", "Acknowledged"
    WAITLISTED = "WAITLISTED", "대기", "Waitlisted"
    IN_SERVICE = "IN_SERVICE", "서비스개시", "In service"
    COMPLETED = "COMPLETED", "완료", "Completed"
    DECLINED = "DECLINED", "반려/불가", "Declined by provider"
    CLIENT_DECLINED = "CLIENT_DECLINED", "대상자 거부", "Declined by client"
    CANCELLED = "CANCELLED", "취소", "Cancelled"

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


class ResourceCategory(LabeledEnum):
    ECONOMIC = "ECONOMIC", "경제", "Economic"
    MEDICAL = "MEDICAL", "의료", "Medical"
    CULTURE = "CULTURE", "문화", "Culture"
    EDUCATION = "EDUCATION", "교육", "Education"
    WELFARE = "WELFARE", "복지", "Welfare"
    HOUSING = "HOUSING", "주거", "Housing"
    EMPLOYMENT = "EMPLOYMENT", "고용", "Employment"
    LEGAL = "LEGAL", "법률", "Legal"
    MENTAL_HEALTH = "MENTAL_HEALTH", "정신건강", "Mental health"
    CARE = "CARE", "돌봄", "Care"
    IN_KIND = "IN_KIND", "후원·물품", "Donations and in-kind"
    EMERGENCY = "EMERGENCY", "긴급지원", "Emergency support"
    CHILD_PROTECTION = "CHILD_PROTECTION", "아동보호", "Child protection"
    YOUTH = "YOUTH", "청소년", "Youth"
    SCHOOL = "SCHOOL", "학교", "School"


class ResourceSector(LabeledEnum):
    PUBLIC = "PUBLIC", "공공", "Public"
    PRIVATE = "PRIVATE", "민간", "Private"
    INFORMAL = "INFORMAL", "비공식", "Informal"


class ConferenceType(LabeledEnum):
    INTERNAL = "INTERNAL", "내부사례회의", "Internal case conference"
    INTEGRATED = "INTEGRATED", "통합사례회의", "Integrated case conference"
    SOLUTION = "SOLUTION", "솔루션회의", "Solution panel"
    SUPERVISION = "SUPERVISION", "슈퍼비전", "Supervision"
    SCHOOL_TEAM = "SCHOOL_TEAM", "학생맞춤통합지원 협의", "School support team"
    CRISIS = "CRISIS", "긴급사례회의", "Crisis conference"


class ConferenceStatus(LabeledEnum):
    SCHEDULED = "SCHEDULED", "예정", "Scheduled"
    HELD = "HELD", "개최", "Held"
    CANCELLED = "CANCELLED", "취소", "Cancelled"


class ConferenceRecurrence(LabeledEnum):
    NONE = "NONE", "반복 없음", "Does not repeat"
    WEEKLY = "WEEKLY", "매주", "Weekly"
    BIWEEKLY = "BIWEEKLY", "격주", "Every two weeks"
    MONTHLY = "MONTHLY", "매월", "Monthly"


class ConferencePurpose(LabeledEnum):
    SELECT = "SELECT", "대상자 선정", "Selection"
    PLAN = "PLAN", "계획 수립", "Planning"
    REVIEW = "REVIEW", "점검", "Review"
    CLOSE = "CLOSE", "종결", "Closure"
    CRISIS = "CRISIS", "위기 개입", "Crisis"


class ClosureReason(LabeledEnum):
    GOAL_ACHIEVED = "GOAL_ACHIEVED", "목표달성", "Goals achieved"
    NEED_RESOLVED = "NEED_RESOLVED", "욕구해소·자립", "Need resolved, self-reliant"
    CLIENT_REQUEST = "CLIENT_REQUEST", "대상자 종결요청·거부", "Client asked to end"
    LOST_CONTACT = "LOST_CONTACT", "연락두절·소재불명", "Lost contact"
    MOVED_OUT = "MOVED_OUT", "관할 외 전출", "Moved out of the area"
    DECEASED = "DECEASED", "사망", "Deceased"
    TRANSFERRED = "TRANSFERRED", "타기관 이관", "Transferred to another agency"
    INSTITUTION = "INSTITUTION", "시설입소·장기입원", "Entered an institution"
    INELIGIBLE = "INELIGIBLE", "자격변동·기간만료", "No longer eligible"
    DOWNGRADED_LINKAGE = "DOWNGRADED_LINKAGE", "서비스연계로 전환", "Moved to linkage only"
    OTHER = "OTHER", "기타", "Other"
    GRADUATED = "GRADUATED", "졸업", "Graduated"
    TRANSFERRED_SCHOOL = "TRANSFERRED_SCHOOL", "전학", "Changed school"
    DROPPED_OUT = "DROPPED_OUT", "학업중단", "Left school"


SCHOOL_ONLY_CLOSURE_REASONS = frozenset(
    {ClosureReason.GRADUATED, ClosureReason.TRANSFERRED_SCHOOL, ClosureReason.DROPPED_OUT}
)


class ClosureStatus(LabeledEnum):
    PENDING = "PENDING", "승인대기", "Awaiting approval"
    APPROVED = "APPROVED", "승인", "Approved"
    RETURNED = "RETURNED", "반려", "Returned with comment"


class GoalAttainment(LabeledEnum):
    MET = "MET", "달성", "Met"
    PARTLY = "PARTLY", "부분달성", "Partly met"
    NOT_MET = "NOT_MET", "미달성", "Not met"


class ConsentScope(LabeledEnum):
    COLLECT_USE = "COLLECT_USE", "수집·이용", "Collection and use"
    THIRD_PARTY = "THIRD_PARTY", "제3자 제공", "Provision to third parties"
    SENSITIVE = "SENSITIVE", "민감정보", "Sensitive data"
    UNIQUE_ID = "UNIQUE_ID", "고유식별정보", "Unique identifiers"
    OUT_OF_PURPOSE = "OUT_OF_PURPOSE", "목적 외 이용·제공", "Use beyond the purpose"
    OVERSEAS = "OVERSEAS", "국외이전", "Transfer abroad"
    MEDIA = "MEDIA", "사진·녹음", "Photos and recordings"
    STUDENT_SUPPORT = "STUDENT_SUPPORT", "학생맞춤통합지원 동의", "Student support consent"


class SignerRelationship(LabeledEnum):
    SELF = "SELF", "본인", "Self"
    PARENT = "PARENT", "친권자", "Parent"
    GUARDIAN = "GUARDIAN", "후견인", "Legal guardian"
    CARER = "CARER", "보호자", "Carer"


class ConsentMethod(LabeledEnum):
    WRITTEN = "WRITTEN", "서면", "Written"
    ELECTRONIC = "ELECTRONIC", "전자", "Electronic"
    VERBAL = "VERBAL", "구두(녹취)", "Verbal (recorded)"


class StatutoryBasis(LabeledEnum):
    """Grounds that allow provision without consent (PIPA §17①2, §18②3; mandatory reporting)."""

    IMMINENT_DANGER = "IMMINENT_DANGER", "생명·신체 급박한 위험", "Imminent danger to life or body"
    MANDATORY_ABUSE_REPORT = "MANDATORY_ABUSE_REPORT", "학대 신고의무", "Mandatory abuse report"
    STATUTE = "STATUTE", "법령상 근거", "Specific statutory provision"


class ResponsibleParty(LabeledEnum):
    CLIENT = "CLIENT", "대상자", "Client"
    FAMILY = "FAMILY", "가족", "Family"
    WORKER = "WORKER", "사례관리자", "Case manager"
    AGENCY = "AGENCY", "연계기관", "Partner agency"
    SCHOOL_STAFF = "SCHOOL_STAFF", "학교 교직원", "School staff"


class PlanStatus(LabeledEnum):
    DRAFT = "DRAFT", "작성중", "Draft"
    AGREED = "AGREED", "합의", "Agreed"
    SUPERSEDED = "SUPERSEDED", "대체됨", "Superseded"


class TaskStatus(LabeledEnum):
    OPEN = "OPEN", "진행", "Open"
    DONE = "DONE", "완료", "Done"
    CANCELLED = "CANCELLED", "취소", "Cancelled"


class AssessmentKind(LabeledEnum):
    INITIAL = "INITIAL", "초기사정", "Initial assessment"
    REASSESSMENT = "REASSESSMENT", "재사정", "Re-assessment"


class AssessmentStatus(LabeledEnum):
    DRAFT = "DRAFT", "작성중", "Draft"
    COMPLETED = "COMPLETED", "완료", "Completed"


class AfterCareStatus(LabeledEnum):
    STABLE = "STABLE", "안정", "Stable"
    NEW_NEED = "NEW_NEED", "새 욕구", "New need"
    CRISIS = "CRISIS", "위기", "Crisis"
    UNREACHABLE = "UNREACHABLE", "연락불가", "Unreachable"


class AfterCareAction(LabeledEnum):
    NONE = "NONE", "없음", "None"
    LINK = "LINK", "서비스 연계", "Link to a service"
    REOPEN = "REOPEN", "재개입", "Reopen the case"


class LifeStage(LabeledEnum):
    INFANT = "INFANT", "영유아", "Infant"
    CHILD = "CHILD", "아동", "Child"
    YOUTH = "YOUTH", "청소년", "Youth"
    YOUNG_ADULT = "YOUNG_ADULT", "청년", "Young adult"
    MIDDLE_AGED = "MIDDLE_AGED", "중장년", "Middle-aged"
    SENIOR = "SENIOR", "노년", "Senior"


class ServiceUnit(LabeledEnum):
    """How a delivered service is counted (서비스 제공기록): times given, or hours."""

    TIMES = "TIMES", "회", "times"
    HOURS = "HOURS", "시간", "hours"


class ReminderKind(LabeledEnum):
    NEXT_CONTACT = "NEXT_CONTACT", "정기 점검(연락)", "Contact due"
    CONTACT_OVERDUE = "CONTACT_OVERDUE", "점검(연락) 기한 지남", "Contact overdue"
    ASSESSMENT_DUE = "ASSESSMENT_DUE", "사정 기한", "Assessment due"
    CLASSIFICATION_DUE = "CLASSIFICATION_DUE", "대상자 구분 기한", "Classification due"
    PLAN_DUE = "PLAN_DUE", "계획 수립 기한", "Service plan due"
    PLAN_REVIEW = "PLAN_REVIEW", "계획 점검", "Plan review due"
    PLAN_END = "PLAN_END", "계획 종료 임박", "Plan ends soon"
    REASSESSMENT_DUE = "REASSESSMENT_DUE", "재사정 기한", "Re-assessment due"
    REFERRAL_RESPONSE = "REFERRAL_RESPONSE", "의뢰 회신 확인", "Referral awaiting response"
    CLOSURE_APPROVAL = "CLOSURE_APPROVAL", "종결 승인 요청", "Closure awaiting approval"
    AFTERCARE_CHECK = "AFTERCARE_CHECK", "사후관리 점검", "After-care check due"
    CONSENT_EXPIRY = "CONSENT_EXPIRY", "동의 만료 임박", "Consent expires soon"
    ACTION_ITEM = "ACTION_ITEM", "회의 실행과제", "Conference action item due"
    # A follow-up agreed in a supervision session, to the worker: keyed by the follow-up, no case.
    SUPERVISION_FOLLOW_UP = "SUPERVISION_FOLLOW_UP", "슈퍼비전 후속 과제", "Supervision follow-up due"
    # Case conferences (domain.md §4): sent to the conference channel and participants, keyed by conference.
    CONFERENCE_AGENDA = "CONFERENCE_AGENDA", "사례회의 안건 제출 요청", "Conference: send in agenda items"
    CONFERENCE_PAPERS = "CONFERENCE_PAPERS", "사례회의 자료 준비", "Conference: papers due"
    CONFERENCE_DAY_BEFORE = "CONFERENCE_DAY_BEFORE", "사례회의 전날(D-1)", "Conference: the day before"
    CONFERENCE_SOON = "CONFERENCE_SOON", "사례회의 1시간 전", "Conference in one hour"
    CONFERENCE_RECORD = "CONFERENCE_RECORD", "사례회의 결과 기록", "Record the conference outcome"
    CONFERENCE_CANCELLED = "CONFERENCE_CANCELLED", "사례회의 취소", "Conference cancelled"


class ReminderStatus(LabeledEnum):
    PENDING = "PENDING", "대기", "Pending"
    CLAIMED = "CLAIMED", "발송중", "Being sent"
    SENT = "SENT", "발송", "Sent"
    CANCELLED = "CANCELLED", "취소", "Cancelled"
    FAILED = "FAILED", "실패", "Failed"


class AuditAction(LabeledEnum):
    READ = "READ", "조회", "Read"
    CREATE = "CREATE", "생성", "Create"
    UPDATE = "UPDATE", "수정", "Update"
    EXPORT = "EXPORT", "내보내기", "Export"
    REFUSED = "REFUSED", "권한 거부", "Permission refused"
    DESTROY = "DESTROY", "파기", "Destroy"


class Surface(LabeledEnum):
    """Where a request came from, for the audit log."""

    CLI = "cli", "명령줄", "Command line"
    SLASH_COMMAND = "slash_command", "슬래시 명령", "Slash command"
    MODAL = "modal", "모달", "Modal"
    BUTTON = "button", "버튼", "Button"
    APP_HOME = "app_home", "앱 홈", "App Home"
    SHORTCUT = "shortcut", "바로가기", "Shortcut"
    SCHEDULER = "scheduler", "스케줄러", "Scheduler"
    SYSTEM = "system", "시스템", "System"
