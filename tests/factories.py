"""Builders of realistic inputs and a small world of teams and staff for the core tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from models.case import Case
from models.enums import (
    CaseIntensity,
    ConsentMethod,
    ConsentScope,
    ContactOutcome,
    ContactType,
    NeedDomain,
    Profile,
    ResourceCategory,
    ResourceSector,
    ResponsibleParty,
    SignerRelationship,
    StaffRole,
    Surface,
    domains_for,
)
from models.resource import Resource
from models.schemas import (
    AssessmentInput,
    ClientInput,
    ConsentInput,
    ContactInput,
    GoalInput,
    IntakeInput,
    PlanInput,
    RatingInput,
    TaskInput,
)
from models.services import assessments, cases, plans
from models.services.context import Ctx, Policy
from models.staff import StaffMember, Team

# Monday 2 March 2026, 10:00 in Seoul.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
CLIENT_NAME = "가나다테스트"


# The core tests' deployment offers every classification under every profile (the CLASSIFICATIONS
# setting), so that a test about an intensity's cadence can classify with any of them. What each
# profile offers by default is tested with `Policy()` itself (tests/unit/core/test_profiles.py).
EVERY_CLASSIFICATION = Policy(classifications=tuple((p, tuple(CaseIntensity)) for p in Profile))


@dataclass
class World:
    team: Team
    other_team: Team
    manager: StaffMember
    coworker: StaffMember
    supervisor: StaffMember
    outsider: StaffMember
    other_supervisor: StaffMember
    admin: StaffMember
    resource: Resource
    other_resource: Resource

    def ctx(self, staff: StaffMember | None = None, now: datetime = NOW, policy: Policy | None = None) -> Ctx:
        return Ctx(
            actor=staff or self.manager, surface=Surface.CLI, now=now, policy=policy or EVERY_CLASSIFICATION
        )


def make_world(db: Session) -> World:
    team, other = (
        Team(name="사례관리1팀", case_code_prefix="C"),
        Team(name="사례관리2팀", case_code_prefix="D"),
    )
    db.add_all([team, other])
    db.flush()

    def staff(user: str, name: str, role: StaffRole, of: Team) -> StaffMember:
        member = StaffMember(slack_user_id=user, display_name=name, role=role, team_id=of.id, active=True)
        db.add(member)
        return member

    world = World(
        team=team,
        other_team=other,
        manager=staff("UMANAGER", "Manager", StaffRole.CASE_MANAGER, team),
        coworker=staff("UCOWORKER", "Co-worker", StaffRole.CASE_MANAGER, team),
        supervisor=staff("USUPER", "Supervisor", StaffRole.SUPERVISOR, team),
        outsider=staff("UOUTSIDER", "Other team", StaffRole.CASE_MANAGER, other),
        other_supervisor=staff("USUPER2", "Other supervisor", StaffRole.SUPERVISOR, other),
        admin=staff("UADMIN", "Admin", StaffRole.ADMIN, team),
        resource=Resource(
            name="행복주거지원센터", category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC
        ),
        other_resource=Resource(
            name="마음건강센터", category=ResourceCategory.MENTAL_HEALTH, sector=ResourceSector.PUBLIC
        ),
    )
    db.add_all([world.resource, world.other_resource])
    db.flush()
    for member in (world.manager, world.coworker, world.supervisor, world.outsider, world.admin):
        db.refresh(member)
    return world


def consent(
    scope: ConsentScope = ConsentScope.COLLECT_USE,
    *,
    given_on: date = TODAY,
    expires_on: date | None = None,
    recipients: list[int] | None = None,
) -> ConsentInput:
    return ConsentInput(
        scope=scope,
        signer_name=CLIENT_NAME,
        purposes="사례관리 서비스 제공",
        items="성명, 연락처, 욕구 사정 결과",
        recipient_resource_ids=recipients or [],
        retention="종결 후 5년",
        refusal_notice_given=True,
        method=ConsentMethod.WRITTEN,
        given_on=given_on,
        expires_on=expires_on,
    )


def student_support_consents(given_on: date = TODAY) -> list[ConsentInput]:
    """학생맞춤통합지원 동의 of the student and of a parent (학생맞춤통합지원법 §11③): what a school team's
    case needs before the assessment."""
    return [
        consent(ConsentScope.STUDENT_SUPPORT, given_on=given_on).model_copy(
            update={"signer_relationship": who}
        )
        for who in (SignerRelationship.SELF, SignerRelationship.PARENT)
    ]


def school_intake(given_on: date = TODAY) -> IntakeInput:
    """The standard intake with the collection consent and both student-support consents."""
    return intake(consents=[consent(given_on=given_on), *student_support_consents(given_on)])


def sharing_consent(*recipient_names: str) -> ConsentInput:
    """A third-party consent naming organisations outside the directory (e.g. at a conference)."""
    return consent().model_copy(
        update={"scope": ConsentScope.THIRD_PARTY, "recipient_names": list(recipient_names)}
    )


def intake(
    *,
    with_consent: bool = True,
    intake_held: bool = True,
    name: str = CLIENT_NAME,
    consents: list[ConsentInput] | None = None,
) -> IntakeInput:
    return IntakeInput(
        client=ClientInput(
            name=name, birth_date=date(1970, 5, 1), contact="010-0000-0000", address="가상시 가상구"
        ),
        referral_source="행정복지센터",
        presenting_needs=[NeedDomain.ECONOMIC, NeedDomain.HEALTH],
        intake_summary="실직 후 주거비 체납",
        confidentiality_notice_given=intake_held,
        intake_held=intake_held,
        consents=consents if consents is not None else ([consent()] if with_consent else []),
    )


def assessment_input(
    *, severity: int = 2, crisis_domain: NeedDomain | None = None, profile: Profile = Profile.WELFARE_CENTRE
) -> AssessmentInput:
    domains = domains_for(profile)
    return AssessmentInput(
        ratings=[
            RatingInput(domain=d, severity=4 if d == crisis_domain else severity, client_priority=i + 1)
            for i, d in enumerate(domains)
        ],
        screen_self_harm=False,
        screen_abuse=False,
        screen_loss_of_income_or_housing=False,
        screen_loss_of_carer=False,
        strengths_personal="근로 의지가 높음",
        informal_supports="이웃",
    )


def plan_input(*, agreed: bool = True, start: date = TODAY, resource_id: int | None = None) -> PlanInput:
    return PlanInput(
        goals=[
            GoalInput(
                domain=NeedDomain.ECONOMIC,
                description="주거비 체납 해소",
                indicator="체납 개월 수",
                baseline="3개월",
                target="0개월",
                target_date=start + timedelta(days=120),
            )
        ],
        tasks=[
            TaskInput(
                action="주거급여 신청 동행",
                responsible_party=ResponsibleParty.WORKER,
                resource_id=resource_id,
                due_date=start + timedelta(days=14),
                goal_index=0,
            )
        ],
        period_start=start,
        agreed=agreed,
        agreement_method=ConsentMethod.WRITTEN if agreed else None,
    )


def contact(at: datetime, **overrides) -> ContactInput:
    values = dict(contact_at=at, contact_type=ContactType.PHONE, outcome=ContactOutcome.DONE)
    values.update(overrides)
    return ContactInput(**values)


def case_in_monitoring(
    db: Session, world: World, *, intensity: CaseIntensity = CaseIntensity.GENERAL, now: datetime = NOW
) -> Case:
    """A case taken through intake, assessment, classification and an agreed plan."""
    ctx = world.ctx(now=now)
    case = cases.open_case(db, ctx, intake())
    assessments.assess(db, ctx, case.code, assessment_input())
    cases.classify(db, ctx, case.code, intensity)
    plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
    return case
