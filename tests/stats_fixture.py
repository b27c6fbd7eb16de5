"""A month of known events (November 2026) for the statistics tests, and the figures derived by hand.

Rows are written straight through the ORM so that every date is exactly where the test wants it,
including the edges of the month in Seoul time (23:30 on the last day is in; 00:10 on the 1st of the
next month is out). Team 사례관리1팀 has cases C-1…C-7, team 사례관리2팀 has D-1.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models import (
    AfterCareCheck,
    Assessment,
    Case,
    CaseConference,
    Client,
    Closure,
    ContactNote,
    MandatoryReport,
    Referral,
    Resource,
    ServiceDelivery,
    StaffMember,
    Team,
    UnmetNeed,
)
from models.enums import (
    AfterCareStatus,
    AssessmentKind,
    AssessmentStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ClosureStatus,
    ConferenceStatus,
    ConferenceType,
    ContactKind,
    ContactOutcome,
    ContactType,
    NeedDomain,
    Profile,
    ReferralStatus,
    ReportAgency,
    ResourceCategory,
    ResourceSector,
    ServiceUnit,
    StaffRole,
    Stage,
)

SEOUL = ZoneInfo("Asia/Seoul")
CLIENT_NAMES = [f"가상고객{i}" for i in range(9)]
NOTE_TEXT = "비밀 상담 내용"
REPORT_REFERENCE = "아보전-2026-0417"


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SEOUL)


def seed_november(db: Session) -> dict[str, int]:
    """The fixture; returns the staff ids by role name (m1, m2, m3, sup)."""
    team_a, team_b = (
        Team(name="사례관리1팀", case_code_prefix="C"),
        Team(name="사례관리2팀", case_code_prefix="D"),
    )
    db.add_all([team_a, team_b])
    db.flush()
    m1 = StaffMember(
        slack_user_id="UM1", display_name="담당1", role=StaffRole.CASE_MANAGER, team_id=team_a.id
    )
    m2 = StaffMember(
        slack_user_id="UM2", display_name="담당2", role=StaffRole.CASE_MANAGER, team_id=team_a.id
    )
    sup = StaffMember(slack_user_id="US1", display_name="슈퍼", role=StaffRole.SUPERVISOR, team_id=team_a.id)
    m3 = StaffMember(
        slack_user_id="UM3", display_name="담당3", role=StaffRole.CASE_MANAGER, team_id=team_b.id
    )
    housing = Resource(name="가상주거센터", category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC)
    mental = Resource(
        name="가상마음센터", category=ResourceCategory.MENTAL_HEALTH, sector=ResourceSector.PUBLIC
    )
    db.add_all([m1, m2, sup, m3, housing, mental])
    db.flush()

    def case(
        code: str,
        team: Team,
        manager: StaffMember,
        referred: datetime,
        *,
        intake: datetime | None,
        intensity: CaseIntensity | None,
        stage: Stage,
        status: CaseStatus = CaseStatus.ACTIVE,
        closed: datetime | None = None,
    ) -> Case:
        client = Client(name=CLIENT_NAMES[len(made)], characteristics=[])
        db.add(client)
        db.flush()
        row = Case(
            code=code,
            profile=Profile.WELFARE_CENTRE,
            status=status,
            intensity=intensity,
            client_id=client.id,
            team_id=team.id,
            case_manager_id=manager.id,
            referral_source="행정복지센터",
            presenting_needs=[],
            referred_at=referred,
            intake_at=intake,
            episode_started_at=referred,
            closed_at=closed,
            stage=stage,
            intake_summary=NOTE_TEXT,
        )
        db.add(row)
        db.flush()
        made[code] = row
        return row

    made: dict[str, Case] = {}
    c1 = case("C-2026-0001", team_a, m1, at("2026-10-10"), intake=at("2026-10-10"),
              intensity=CaseIntensity.GENERAL, stage=Stage.MONITORING)  # fmt: skip
    c2 = case("C-2026-0002", team_a, m1, at("2026-11-03"), intake=at("2026-11-03"),
              intensity=CaseIntensity.CRISIS, stage=Stage.ASSESSMENT)  # fmt: skip
    c3 = case("C-2026-0003", team_a, m1, at("2026-11-05"), intake=None, intensity=None,
              stage=Stage.REFERRAL_IN, status=CaseStatus.OPEN)  # fmt: skip
    c4 = case("C-2026-0004", team_a, m2, at("2026-09-01"), intake=at("2026-09-01"),
              intensity=CaseIntensity.INTENSIVE, stage=Stage.AFTERCARE, status=CaseStatus.AFTERCARE,
              closed=at("2026-11-20"))  # fmt: skip
    case("C-2026-0005", team_a, m2, at("2026-11-30", "23:30"), intake=at("2026-11-30", "23:30"),
              intensity=CaseIntensity.GENERAL, stage=Stage.INTAKE)  # fmt: skip
    case("C-2026-0006", team_a, m2, at("2026-12-01", "00:10"), intake=at("2026-12-01", "00:10"),
         intensity=None, stage=Stage.INTAKE, status=CaseStatus.OPEN)  # fmt: skip
    c7 = case("C-2026-0007", team_a, m2, at("2026-08-01"), intake=at("2026-08-01"),
              intensity=CaseIntensity.GENERAL, stage=Stage.AFTERCARE, status=CaseStatus.AFTERCARE,
              closed=at("2026-10-15"))  # fmt: skip
    d1 = case("D-2026-0001", team_b, m3, at("2026-11-10"), intake=at("2026-11-10"),
              intensity=CaseIntensity.GENERAL, stage=Stage.PLAN)  # fmt: skip

    def assessment(c: Case, kind: AssessmentKind, done: datetime | None) -> None:
        status = AssessmentStatus.COMPLETED if done else AssessmentStatus.DRAFT
        db.add(Assessment(case_id=c.id, kind=kind, status=status, assessor_id=c.case_manager_id,
                          started_at=done or at("2026-11-01"), completed_at=done))  # fmt: skip

    assessment(c2, AssessmentKind.INITIAL, at("2026-11-04"))
    assessment(c1, AssessmentKind.REASSESSMENT, at("2026-11-12"))
    assessment(c1, AssessmentKind.INITIAL, at("2026-10-11"))
    assessment(c3, AssessmentKind.INITIAL, None)
    assessment(d1, AssessmentKind.INITIAL, at("2026-11-11"))

    def contact(
        c: Case, when: datetime, kind_of: ContactType, kind: ContactKind, minutes: int | None
    ) -> None:
        db.add(ContactNote(case_id=c.id, author_id=c.case_manager_id, contact_at=when, contact_type=kind_of,
                           kind=kind, outcome=ContactOutcome.DONE, duration_minutes=minutes,
                           summary=NOTE_TEXT))  # fmt: skip

    contact(c1, at("2026-11-02"), ContactType.PHONE, ContactKind.REGULAR, 30)
    contact(c1, at("2026-11-09"), ContactType.PHONE, ContactKind.REGULAR, None)
    contact(c2, at("2026-11-04"), ContactType.HOME_VISIT, ContactKind.INITIAL, 60)
    contact(c1, at("2026-10-31", "23:59"), ContactType.PHONE, ContactKind.REGULAR, 20)
    contact(d1, at("2026-11-12"), ContactType.PHONE, ContactKind.REGULAR, 15)

    def referral(c: Case, resource: Resource, status: ReferralStatus, created: datetime) -> Referral:
        made = Referral(case_id=c.id, resource_id=resource.id, domain=NeedDomain.LIVING_ENV,
                        reason=NOTE_TEXT, status=status, created_by_id=c.case_manager_id, created_at=created)  # fmt: skip
        db.add(made)
        db.flush()
        return made

    def unmet(c: Case, made: Referral, category: ResourceCategory, when: datetime) -> None:
        db.add(UnmetNeed(case_id=c.id, referral_id=made.id, domain=made.domain, category=category,
                         recorded_on=when.date(), recorded_by_id=c.case_manager_id, recorded_at=when))  # fmt: skip

    referral(c1, housing, ReferralStatus.SENT, at("2026-11-06"))
    declined = referral(c2, mental, ReferralStatus.DECLINED, at("2026-11-07"))
    unmet(c2, declined, ResourceCategory.MENTAL_HEALTH, at("2026-11-20"))  # in
    declined_early = referral(c1, mental, ReferralStatus.DECLINED, at("2026-09-01"))
    unmet(c1, declined_early, ResourceCategory.MENTAL_HEALTH, at("2026-10-31", "23:30"))  # October: out
    referral(c2, housing, ReferralStatus.SENT, at("2026-11-08"))
    referral(c1, housing, ReferralStatus.COMPLETED, at("2026-10-01"))

    def conference(team: Team, kind: ConferenceType, status: ConferenceStatus, when: datetime) -> None:
        db.add(CaseConference(team_id=team.id, conference_type=kind, status=status, scheduled_at=when,
                              chair_id=sup.id))  # fmt: skip

    conference(team_a, ConferenceType.INTERNAL, ConferenceStatus.HELD, at("2026-11-10"))
    conference(team_a, ConferenceType.INTEGRATED, ConferenceStatus.HELD, at("2026-11-20"))
    conference(team_a, ConferenceType.INTERNAL, ConferenceStatus.SCHEDULED, at("2026-11-25"))
    conference(team_b, ConferenceType.INTERNAL, ConferenceStatus.HELD, at("2026-11-11"))

    def closure(c: Case, reason: ClosureReason, status: ClosureStatus, decided: datetime | None) -> None:
        db.add(Closure(case_id=c.id, status=status, reason=reason, worker_evaluation=NOTE_TEXT,
                       requested_by_id=c.case_manager_id, decided_at=decided))  # fmt: skip

    closure(c4, ClosureReason.GOAL_ACHIEVED, ClosureStatus.APPROVED, at("2026-11-20"))
    closure(c7, ClosureReason.LOST_CONTACT, ClosureStatus.APPROVED, at("2026-10-15"))
    closure(c1, ClosureReason.NEED_RESOLVED, ClosureStatus.PENDING, None)

    db.add_all(
        [
            AfterCareCheck(
                case_id=c7.id,
                due_on=date(2026, 11, 15),
                done_at=at("2026-11-15"),
                status=AfterCareStatus.UNREACHABLE,
            ),
            AfterCareCheck(
                case_id=c7.id,
                due_on=date(2026, 11, 16),
                done_at=at("2026-11-16"),
                status=AfterCareStatus.STABLE,
            ),
            AfterCareCheck(case_id=c4.id, due_on=date(2026, 12, 20)),
        ]
    )

    def delivery(
        c: Case, day: date, category: ResourceCategory, fund: str, n: int, unit: ServiceUnit, won: int
    ) -> None:
        db.add(ServiceDelivery(case_id=c.id, delivered_on=day, category=category, description=NOTE_TEXT,
                               quantity=n, unit=unit, amount_won=won, funding_source=fund,
                               provider_resource_id=housing.id, recorded_by_id=c.case_manager_id))  # fmt: skip

    delivery(c1, date(2026, 11, 5), ResourceCategory.IN_KIND, "DONATION", 4, ServiceUnit.TIMES, 40_000)
    delivery(c2, date(2026, 11, 6), ResourceCategory.IN_KIND, "DONATION", 1, ServiceUnit.TIMES, 10_000)
    delivery(c2, date(2026, 11, 7), ResourceCategory.CARE, "PROGRAM", 3, ServiceUnit.HOURS, 0)
    delivery(c1, date(2026, 10, 30), ResourceCategory.IN_KIND, "DONATION", 1, ServiceUnit.TIMES, 20_000)
    delivery(
        d1, date(2026, 11, 12), ResourceCategory.ECONOMIC, "PUBLIC_BENEFIT", 1, ServiceUnit.TIMES, 100_000
    )

    def report(c: Case, agency: ReportAgency, when: datetime) -> None:
        db.add(MandatoryReport(case_id=c.id, reported_at=when, agency=agency, reference=REPORT_REFERENCE,
                               reporter=str(c.case_manager_id)))  # fmt: skip

    report(c2, ReportAgency.CHILD_PROTECTION_AGENCY, at("2026-11-04"))
    report(c2, ReportAgency.POLICE_112, at("2026-11-30", "23:30"))  # the last evening: in
    report(c1, ReportAgency.CHILD_PROTECTION_AGENCY, at("2026-12-01", "00:10"))  # next month: out
    report(d1, ReportAgency.ELDER_PROTECTION_AGENCY, at("2026-11-12"))  # the other team
    db.flush()
    return {"m1": m1.id, "m2": m2.id, "m3": m3.id, "sup": sup.id}


def expected_team_a(ids: dict[str, int]) -> dict[str, dict[tuple[str, ...], tuple]]:
    """Team 사례관리1팀, November 2026, counted by hand from the fixture above."""
    return {
        "intake": {("NEW_INTAKES",): (2,), ("REFERRALS_IN",): (3,)},  # C-2, C-5 | C-2, C-3, C-5
        "assessments": {("INITIAL",): (1,), ("REASSESSMENT",): (1,)},
        "open_by_intensity": {("GENERAL",): (2,), ("CRISIS",): (1,), ("NONE",): (1,)},  # C-1, C-5 | C-2 | C-3
        "open_by_stage": {("6",): (1,), ("2",): (1,), ("0",): (1,), ("1",): (1,)},
        "closures": {("GOAL_ACHIEVED",): (1,)},
        "contacts": {("PHONE", "REGULAR"): (2, 30), ("HOME_VISIT", "INITIAL"): (1, 60)},
        "referrals": {("HOUSING", "PUBLIC", "SENT"): (2,), ("MENTAL_HEALTH", "PUBLIC", "DECLINED"): (1,)},
        "unmet_needs": {("LIVING_ENV", "MENTAL_HEALTH"): (1,)},
        "conferences": {("INTERNAL",): (1,), ("INTEGRATED",): (1,)},
        "mandatory_reports": {("CHILD_PROTECTION_AGENCY",): (1,), ("POLICE_112",): (1,)},
        "aftercare": {("DONE",): (2,), ("UNREACHABLE",): (1,)},
        "deliveries": {("IN_KIND", "DONATION"): (2, 5, 0, 50_000), ("CARE", "PROGRAM"): (1, 0, 3, 0)},
        # M1: C-1 general 1 + C-2 crisis 3 + C-3 unclassified 1; M2: C-5 general 1.
        "caseload": {(f"#{ids['m1']}",): (3, 5), (f"#{ids['m2']}",): (1, 1)},
    }


# Month by month (team 사례관리1팀): new intakes, closures, contacts, deliveries, amount.
TREND_TEAM_A = {
    "2026-08": (1, 0, 0, 0, 0),
    "2026-09": (1, 0, 0, 0, 0),
    "2026-10": (1, 1, 1, 1, 20_000),
    "2026-11": (2, 1, 3, 3, 50_000),
}
