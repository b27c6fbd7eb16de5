"""`casebot demo-data`: a realistic, clearly fictional data set built through the real services.

Every name carries "(가상)" so that nobody mistakes it for a real person; Slack ids start with UDEMO.
Cases are opened over the last four months and taken to every stage, so that some work is overdue,
some due this week and some later.
"""

from __future__ import annotations

import random
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import (
    AfterCareStatus,
    CaseIntensity,
    ClosureReason,
    ConsentMethod,
    ConsentScope,
    ContactOutcome,
    ContactType,
    GoalAttainment,
    LifeStage,
    MonitoringResult,
    NeedDomain,
    ReferralStatus,
    ResourceCategory,
    ResourceSector,
    ResponsibleParty,
    StaffRole,
    Surface,
    domains_for,
)
from models.errors import Message, RuleViolation
from models.profiles import NO_PLAN
from models.resource import Resource
from models.schemas import (
    STRICT_CONTEXT,
    AfterCareInput,
    AssessmentInput,
    ClosureInput,
    ConsentInput,
    ContactInput,
    GoalInput,
    IntakeInput,
    PlanInput,
    RatingInput,
    ReferralInput,
    StaffInput,
    TaskInput,
)
from models.services import assessments, cases, closure, consents, notes, plans, referrals, staff
from models.services.context import Ctx, Policy
from models.staff import StaffMember

# The fictional names and records live in a data file next to this module (demo.toml).
with (Path(__file__).with_name("demo.toml")).open("rb") as _handle:
    DATA = tomllib.load(_handle)
TEAMS: tuple[tuple[str, str], ...] = tuple((name, prefix) for name, prefix in DATA["teams"])
SURNAMES: str = DATA["surnames"]
GIVEN: tuple[str, ...] = tuple(DATA["given_names"])
FICTIONAL: str = DATA["fictional"]
RECORDS: dict[str, str] = DATA["records"]
RESOURCES: dict[ResourceCategory, list[tuple[str, ResourceSector]]] = {
    ResourceCategory[category]: [(name, ResourceSector(sector)) for name, sector in entries]
    for category, entries in DATA["resources"]["entries"].items()
}
# How far each demo case is taken, cycled over the cases (0 = referral registered ... 10 = closed).
TARGETS = (0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10)


def load(db: Session, policy: Policy, *, cases: int = 50, seed: int = 7, now: datetime) -> str:
    if db.scalar(select(StaffMember).where(StaffMember.slack_user_id.like("UDEMO%"))) is not None:
        raise RuleViolation("DEMO_LOADED", Message("demo.errors.demo_data_set_already"))
    rng = random.Random(seed)
    teams = _staff(db)
    directory = _resources(db, now)
    managers = [m for members in teams.values() for m in members if m.role == StaffRole.CASE_MANAGER]
    supervisors = {
        m.team_id: m for members in teams.values() for m in members if m.role == StaffRole.SUPERVISOR
    }
    reached: dict[int, int] = {}
    for index in range(cases):
        manager = managers[index % len(managers)]
        target = TARGETS[index % len(TARGETS)]
        opened = now - timedelta(days=rng.randint(5, 120), hours=rng.randint(0, 8))
        _case(db, policy, rng, manager, supervisors[manager.team_id], directory, opened, now, target, index)
        reached[target] = reached.get(target, 0) + 1
    spread = ", ".join(f"stage {k if k < 10 else 'closed'}: {v}" for k, v in sorted(reached.items()))
    staff_count = sum(len(m) for m in teams.values()) + 1
    return (
        f"Demo data loaded: {len(teams)} teams, {staff_count} staff, {len(directory)} resources, "
        f"{cases} cases ({spread})."
    )


def _staff(db: Session) -> dict[str, list[StaffMember]]:
    teams: dict[str, list[StaffMember]] = {}
    for t_index, (team_name, prefix) in enumerate(TEAMS):
        members = []
        for p_index, (role, label) in enumerate(
            (
                (StaffRole.SUPERVISOR, DATA["staff"]["supervisor"]),
                *((StaffRole.CASE_MANAGER, label) for label in DATA["staff"]["case_managers"]),
            )
        ):
            member = staff.add_staff(
                db,
                StaffInput(
                    slack_user_id=f"UDEMO{t_index}{p_index}",
                    display_name=f"{team_name} {label}{FICTIONAL}",
                    role=role,
                    team=team_name,
                ),
            )
            member.team.case_code_prefix = prefix
            members.append(member)
        teams[team_name] = members
    staff.add_staff(
        db,
        StaffInput(
            slack_user_id="UDEMOADMIN",
            display_name=DATA["staff"]["admin"],
            role=StaffRole.ADMIN,
            team=TEAMS[0][0],
        ),
    )
    return teams


def _resources(db: Session, now: datetime) -> list[Resource]:
    rows = []
    for category, entries in RESOURCES.items():
        for name, sector in entries:
            rows.append(
                Resource(
                    name=name,
                    category=category,
                    sector=sector,
                    contact=DATA["resources"]["contact"],
                    eligibility=DATA["resources"]["eligibility"],
                    capacity=DATA["resources"]["capacity"],
                    last_verified_at=now,
                    created_at=now,
                )
            )
    db.add_all(rows)
    db.flush()
    return rows


def _case(
    db: Session,
    policy: Policy,
    rng: random.Random,
    manager: StaffMember,
    supervisor: StaffMember,
    directory: list[Resource],
    opened: datetime,
    now: datetime,
    target: int,
    index: int,
) -> None:
    clock = {"t": opened}

    def ctx(actor: StaffMember = manager, days: float = 0) -> Ctx:
        clock["t"] = min(clock["t"] + timedelta(days=days), now)
        return Ctx(actor=actor, surface=Surface.SYSTEM, now=clock["t"], policy=policy)

    first = ctx()
    domains = domains_for(first.profile)
    needs = rng.sample(list(domains), 2)
    case = cases.open_case(
        db,
        first,
        IntakeInput.model_validate(
            {
                "client": _client(policy, rng, index),
                "referral_source": rng.choice(DATA["referral_sources"]),
                "presenting_needs": needs,
                "intake_summary": RECORDS["intake_summary"] if target >= 1 else None,
                "confidentiality_notice_given": target >= 1,
                "intake_held": target >= 1,
            },
            context=_context(policy),
        ),
    )
    if target < 1:
        return
    if target >= 2:
        consents.record_consent(
            db, ctx(days=0.1), case.code, _consent(policy, ConsentScope.COLLECT_USE, first.today)
        )
    if target < 3:
        return
    severities = {d: rng.choice((0, 1, 1, 2, 2, 3)) for d in domains}
    if index % 9 == 0:
        severities[needs[0]] = 4
    result = assessments.assess(
        db,
        ctx(days=rng.uniform(2, 8)),
        case.code,
        AssessmentInput(
            ratings=[RatingInput(domain=d, severity=s, client_priority=None) for d, s in severities.items()],
            screen_self_harm=False,
            screen_abuse=False,
            screen_loss_of_income_or_housing=severities.get(NeedDomain.ECONOMIC, 0) >= 3,
            screen_loss_of_carer=False,
            strengths_personal=RECORDS["strengths_personal"],
            informal_supports=RECORDS["informal_supports"],
        ),
    )
    if target < 4:
        return
    # From the team's own list (models/profiles.py); its first is its most intensive (위기, 집중).
    offered = cases.classifications(first, case)
    planned_kinds = [i for i in offered if i not in NO_PLAN and i != CaseIntensity.GENERAL]
    intensity = (
        offered[0]
        if result.crisis
        else rng.choice((CaseIntensity.GENERAL, CaseIntensity.GENERAL, *planned_kinds))
    )
    cases.classify(db, ctx(supervisor, days=rng.uniform(1, 4)), case.code, intensity)
    if target < 5:
        return
    planned = ctx(days=rng.uniform(2, 6))
    resource = rng.choice(directory)
    plan = plans.create_plan(
        db,
        planned,
        case.code,
        PlanInput(
            goals=[
                GoalInput(
                    domain=needs[0],
                    description=RECORDS["goal"],
                    indicator=RECORDS["indicator"],
                    baseline=RECORDS["baseline"],
                    target=RECORDS["target"],
                    target_date=planned.today + timedelta(days=90),
                )
            ],
            tasks=[
                TaskInput(
                    action=RECORDS["task"],
                    responsible_party=ResponsibleParty.WORKER,
                    resource_id=resource.id,
                    due_date=planned.today + timedelta(days=14),
                    goal_index=0,
                )
            ],
            period_start=planned.today,
            agreed=True,
            agreement_method=ConsentMethod.WRITTEN,
        ),
    )
    if target < 6:
        return
    linked = ctx(days=rng.uniform(1, 3))
    consents.record_consent(
        db, linked, case.code, _consent(policy, ConsentScope.THIRD_PARTY, linked.today, [resource.id])
    )
    referral = referrals.create(
        db,
        linked,
        case.code,
        ReferralInput(resource_id=resource.id, domain=needs[0], reason=RECORDS["referral_reason"]),
    )
    referrals.move(db, linked, referral.id, ReferralStatus.SENT)
    if rng.random() < 0.6:
        referrals.move(db, ctx(days=rng.uniform(2, 6)), referral.id, ReferralStatus.IN_SERVICE)
    if target < 7:
        return
    for _ in range(rng.randint(1, 3)):
        contacted = ctx(days=rng.uniform(5, 15))
        notes.log_contact(db, contacted, case.code, _contact(contacted.now, MonitoringResult.MAINTAIN, rng))
    if target == 8:
        contacted = ctx(days=1)
        notes.log_contact(db, contacted, case.code, _contact(contacted.now, MonitoringResult.REASSESS, rng))
        return
    if target < 9:
        return
    closing = ctx(days=rng.uniform(1, 5))
    request = closure.request_closure(
        db,
        closing,
        case.code,
        ClosureInput(
            reason=rng.choice(
                (ClosureReason.GOAL_ACHIEVED, ClosureReason.NEED_RESOLVED, ClosureReason.CLIENT_REQUEST)
            ),
            attainments={g.id: rng.choice(list(GoalAttainment)) for g in plan.goals},
            worker_evaluation=RECORDS["worker_evaluation"],
            client_informed=True,
        ),
    )
    if target < 10:
        return
    closure.decide_closure(db, ctx(supervisor, days=1), request.id, approve=True)
    checks = closure._open_checks(db, case)
    if checks and checks[0].due_on <= now.date():
        closure.record_aftercare(
            db,
            ctx(days=0.1),
            checks[0].id,
            AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE),
        )


def _context(policy: Policy) -> dict[str, str] | None:
    """Strict mode parses inputs with the strict context: names may (and must) be absent."""
    return STRICT_CONTEXT if policy.strict_privacy else None


def _client(policy: Policy, rng: random.Random, index: int) -> dict[str, object]:
    if policy.strict_privacy:  # identifiers stay in the system of record; a demo number stands in
        return {"external_ref": f"DEMO-{index + 1:04d}", "life_stage": rng.choice(list(LifeStage))}
    return {
        "name": f"{SURNAMES[index % len(SURNAMES)]}{GIVEN[index % len(GIVEN)]}{FICTIONAL}",
        "birth_date": date(1950 + rng.randint(0, 60), rng.randint(1, 12), rng.randint(1, 28)),
        "contact": RECORDS["contact"],
        "address": RECORDS["address"],
        "life_stage": rng.choice(list(LifeStage)),
    }


def _consent(
    policy: Policy, scope: ConsentScope, given: date, recipients: list[int] | None = None
) -> ConsentInput:
    return ConsentInput.model_validate(
        {
            "scope": scope,
            # Strict mode: the signed form (and the signer's name) stay in the system of record.
            "signer_name": None if policy.strict_privacy else RECORDS["signer_name"],
            "purposes": RECORDS["consent_purposes"],
            "items": RECORDS["consent_items"],
            "recipient_resource_ids": recipients or [],
            "retention": RECORDS["consent_retention"],
            "refusal_notice_given": True,
            "method": ConsentMethod.WRITTEN,
            "given_on": given,
            "expires_on": given + timedelta(days=365),
        },
        context=_context(policy),
    )


def _contact(at: datetime, result: MonitoringResult, rng: random.Random) -> ContactInput:
    return ContactInput(
        contact_at=at,
        contact_type=rng.choice((ContactType.PHONE, ContactType.HOME_VISIT, ContactType.VISIT_OFFICE)),
        outcome=ContactOutcome.DONE,
        result=result,
        summary=RECORDS["contact_summary"],
    )
