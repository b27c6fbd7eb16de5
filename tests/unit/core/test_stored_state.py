"""The stage and next step stored on the case row are what `lifecycle.derive` says, after every change.

The desk reads the stored values (`lifecycle.store_state`, kept by `reminders.refresh`) instead of
deriving them from each case's records. These tests hold them to the derivation: for every case, after
every kind of change a service makes, on the day of the change and on later days, when a consent's
start or end may have made them stale and the desk derives them afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.closure import Closure
from models.consent import Consent
from models.enums import (
    AfterCareAction,
    AfterCareStatus,
    CaseIntensity,
    CaseStatus,
    ClosureReason,
    ClosureStatus,
    ConsentScope,
    ContactType,
    GoalAttainment,
    MonitoringResult,
    NextStep,
    PlanStatus,
    ReferralStatus,
    Stage,
)
from models.errors import DomainError
from models.plan import ServicePlan
from models.schemas import AfterCareInput, ClosureInput, ReferralInput
from models.services import (
    assessments,
    cases,
    closure,
    consents,
    desk,
    housekeeping,
    notes,
    plans,
    referrals,
)
from models.services.context import Ctx
from models.services.lifecycle import (
    CaseSnapshot,
    CaseState,
    derive,
    snapshot,
    state_window,
    stored_state,
)
from tests.factories import (
    NOW,
    TODAY,
    World,
    assessment_input,
    consent,
    contact,
    intake,
    plan_input,
)


def stored_rows(db: Session) -> dict[int, Any]:
    """What the database holds, read past the session's objects."""
    db.flush()
    columns = (Case.id, Case.stage, Case.next_step, Case.state_valid_from, Case.state_valid_until)
    return {row.id: row for row in db.execute(select(*columns))}


def stored_on(row: Any, day: date) -> CaseState | None:
    return stored_state(row.stage, row.next_step, row.state_valid_from, row.state_valid_until, day)


def check_all_cases(db: Session, day: date, *, changed_today: set[int] = frozenset()) -> dict[int, CaseState]:
    """Every stored state that holds on `day` is the derived one; a case changed on `day` has one.

    The states are derived from `desk.snapshots` (one query per record type for all the cases, where
    `refresh` stores what the single-case `snapshot` gives): the two agreeing is a check of its own."""
    derived = {}
    rows = stored_rows(db)
    for snap in desk.snapshots(db, [db.get_one(Case, case_id) for case_id in rows]):
        case_id, row = snap.case.id, rows[snap.case.id]
        state = derive(snap, day)
        derived[case_id] = state
        stored = stored_on(row, day)
        if case_id in changed_today:
            assert stored == state, f"case {case_id} on {day}: stored {stored}, derived {state}"
        else:
            assert stored in (None, state), f"case {case_id} on {day}: stored {stored}, derived {state}"
    return derived


def check_desk(db: Session, ctx: Ctx, derived: dict[int, CaseState]) -> None:
    """The desk shows the derived state for every case on it, stored or not."""
    codes = {db.get_one(Case, case_id).code: state for case_id, state in derived.items()}
    for item in desk.my_desk(db, ctx, page_size=500).items:
        assert item.state == codes[item.code], item.code


# --- Cases in every stage -------------------------------------------------------------------------


def cases_in_every_stage(db: Session, world: World, now: datetime = NOW) -> list[Case]:
    """One case per stage and next step the services can reach, some with records of an earlier episode
    and consents that start or end later. Checks that every stage is there."""
    ctx, boss = world.ctx(now=now), world.ctx(world.supervisor, now=now)
    today = ctx.today
    made: list[Case] = []

    def opened(**options: Any) -> Case:
        case = cases.open_case(db, ctx, intake(**options))
        made.append(case)
        return case

    def assessed(intensity: CaseIntensity | None = None) -> Case:
        case = opened()
        assessments.assess(db, ctx, case.code, assessment_input())
        if intensity is not None:
            cases.classify(db, ctx, case.code, intensity)
        return case

    def planned(intensity: CaseIntensity = CaseIntensity.GENERAL) -> Case:
        case = assessed(intensity)
        plans.create_plan(db, ctx, case.code, plan_input(start=today))
        return case

    def closing(case: Case) -> int:
        plan = snapshot(db, case).plan_in_force
        goals = {g.id: GoalAttainment.PARTLY for g in plan.goals} if plan else {}
        data = ClosureInput(
            reason=ClosureReason.NEED_RESOLVED,
            attainments=goals,
            worker_evaluation="안정",
            client_informed=True,
        )
        return closure.request_closure(db, ctx, case.code, data).id

    opened(with_consent=False, intake_held=False)  # 0 referral-in
    opened(with_consent=False)  # 1 intake, no consent
    opened(consents=[consent(given_on=today + timedelta(days=5))])  # 1, consent starts later
    opened(consents=[consent(given_on=today - timedelta(days=30), expires_on=today - timedelta(days=1))])
    opened(consents=[consent(expires_on=today + timedelta(days=20))])  # 2, consent ends later
    opened(consents=[consent(given_on=today - timedelta(days=9), expires_on=today)])  # its last day
    opened(consents=[consent(given_on=today)])  # its first day
    on_hold = opened()
    cases.hold(db, ctx, on_hold.code)  # 2 with RESUME
    started = opened()
    assessments.start(db, ctx, started.code)  # 2, a draft assessment only
    assessed()  # 3 conference
    assessed(CaseIntensity.INTENSIVE)  # 4 write plan
    draft = assessed(CaseIntensity.GENERAL)
    plans.create_plan(db, ctx, draft.code, plan_input(agreed=False, start=today))  # 4 agree plan
    assessed(CaseIntensity.LINKAGE_ONLY)  # 5 without a plan
    planned()  # 5 link services
    referred = planned(CaseIntensity.HIGH_COMPLEXITY)
    consents.record_consent(
        db, ctx, referred.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    referral = referrals.create(
        db,
        ctx,
        referred.code,
        ReferralInput(resource_id=world.resource.id, domain="LIVING_ENV", reason="주거"),
    )
    referrals.move(db, ctx, referral.id, ReferralStatus.SENT)  # 5 log contact
    monitored = planned()
    later = now + timedelta(hours=2)
    notes.log_contact(db, world.ctx(now=later), monitored.code, contact(later))  # 6
    closable = planned()
    notes.log_contact(
        db, world.ctx(now=later), closable.code, contact(later, result=MonitoringResult.CONSIDER_CLOSE)
    )  # 6, closure review
    reassess = planned(CaseIntensity.CRISIS)
    notes.log_contact(
        db, world.ctx(now=later), reassess.code, contact(later, result=MonitoringResult.REASSESS)
    )
    pending = planned()
    closing(pending)  # 8 approve closure
    returned = planned()
    closure.decide_closure(db, boss, closing(returned), approve=False, comment="보완")  # back to 5
    aftercare = planned()
    closure.decide_closure(db, boss, closing(aftercare), approve=True)  # 9 after-care check
    finished = planned()
    closure.decide_closure(db, boss, closing(finished), approve=True)
    for check in closure._open_checks(db, finished):
        closure.record_aftercare(
            db, ctx, check.id, AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE)
        )  # 9, nothing left
    reopened = planned()
    closure.decide_closure(db, boss, closing(reopened), approve=True)
    check = closure._open_checks(db, reopened)[0]
    reopen = AfterCareInput(
        method=ContactType.HOME_VISIT, status=AfterCareStatus.NEW_NEED, action=AfterCareAction.REOPEN
    )
    closure.record_aftercare(db, ctx, check.id, reopen)  # episode 2: 2 again, episode 1's records kept

    reached = {derive(snapshot(db, case), today) for case in made}
    assert {state.stage for state in reached} == set(Stage)
    assert {state.next_step for state in reached} == set(NextStep)
    return made


def test_every_stage_is_stored_as_derived_on_the_day_and_shown_on_the_desk(db, world):
    made = cases_in_every_stage(db, world)
    derived = check_all_cases(db, TODAY, changed_today={case.id for case in made})
    check_desk(db, world.ctx(), derived)


def test_a_consent_starting_or_ending_later_is_derived_afresh_from_that_day(db, world):
    cases_in_every_stage(db, world)
    for days in (1, 5, 19, 20, 21, 40, 400):
        day = TODAY + timedelta(days=days)
        derived = check_all_cases(db, day)
        check_desk(db, world.ctx(now=NOW + timedelta(days=days)), derived)
    ending = db.scalar(
        select(Case)
        .join(Consent, Consent.case_id == Case.id)
        .where(Consent.expires_on == TODAY + timedelta(days=20))
    )
    assert ending.state_valid_until == TODAY + timedelta(days=21)
    assert derive(snapshot(db, ending), TODAY + timedelta(days=21)).next_step == NextStep.RECORD_CONSENT
    assert stored_on(stored_rows(db)[ending.id], TODAY + timedelta(days=21)) is None  # the desk derives it


def test_housekeeping_stores_the_state_a_consent_expiry_leaves(db, world):
    cases_in_every_stage(db, world)
    later = NOW + timedelta(days=21)
    expiries = housekeeping.expired_since(db, later.date(), None)
    assert expiries
    for expiry in expiries:
        housekeeping.record_expiry(db, expiry, world.ctx().policy, later)
    check_all_cases(db, later.date(), changed_today={expiry.case_id for expiry in expiries})


# --- The window in which a stored state holds ------------------------------------------------------

consent_days = st.integers(-60, 60)


@st.composite
def collection_consents(draw: st.DrawFn) -> list[Consent]:
    found = []
    for index in range(draw(st.integers(0, 4))):
        given = TODAY + timedelta(days=draw(consent_days))
        length = draw(st.one_of(st.none(), st.integers(0, 90)))
        found.append(
            Consent(
                id=index + 1,
                scope=draw(st.sampled_from([ConsentScope.COLLECT_USE, ConsentScope.THIRD_PARTY])),
                given_on=given,
                expires_on=given + timedelta(days=length) if length is not None else None,
                withdrawn_at=NOW if draw(st.booleans()) and index % 2 else None,
            )
        )
    return found


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(collection_consents(), consent_days, st.integers(-120, 120))
def test_derive_answers_the_same_on_every_day_of_the_window(found, today_offset, other_offset):
    case = Case(
        status=CaseStatus.OPEN,
        intake_at=NOW,
        episode=1,
        episode_started_at=NOW,
        classified_at=None,
        reassessment_requested_at=None,
        intensity=None,
    )
    snap = CaseSnapshot(case=case, consents=found)
    today = TODAY + timedelta(days=today_offset)
    other = TODAY + timedelta(days=other_offset)
    valid_from, valid_until = state_window(snap, today)
    assert valid_from is None or valid_from <= today
    assert valid_until is None or valid_until > today
    inside = (valid_from is None or valid_from <= other) and (valid_until is None or other < valid_until)
    if inside:
        assert derive(snap, other) == derive(snap, today)
    # The window is no wider than it needs to be: its first and last days are where a consent changes.
    if valid_until is not None:
        assert snap.active_consent(
            ConsentScope.COLLECT_USE, valid_until - timedelta(days=1)
        ) is not None or any(c.given_on == valid_until for c in found)


# --- Any sequence of changes -------------------------------------------------------------------------


@dataclass
class Walk:
    """One generated sequence of service calls on a few cases, with a clock that only moves forward."""

    db: Session
    world: World
    now: datetime = NOW
    made: list[Case] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)

    def ctx(self, supervisor: bool = False) -> Ctx:
        return self.world.ctx(self.world.supervisor if supervisor else None, now=self.now)

    @property
    def today(self) -> date:
        return self.ctx().today


def _plan_goals(walk: Walk, case: Case) -> dict[int, GoalAttainment]:
    plan = snapshot(walk.db, case).plan_in_force
    return {g.id: GoalAttainment.MET for g in plan.goals} if plan else {}


def _latest(walk: Walk, case: Case, model: type, **where: Any) -> Any:
    query = select(model).where(model.case_id == case.id).order_by(model.id.desc())
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return walk.db.scalars(query).first()


def op_open(walk: Walk, case: Case | None, n: int) -> Case:
    options = [
        {},
        {"with_consent": False},
        {"with_consent": False, "intake_held": False},
        {"consents": [consent(given_on=walk.today, expires_on=walk.today + timedelta(days=n % 30))]},
        {"consents": [consent(given_on=walk.today + timedelta(days=n % 7))]},
    ]
    made = cases.open_case(walk.db, walk.ctx(), intake(**options[n % len(options)]))
    walk.made.append(made)
    return made


def op_intake(walk: Walk, case: Case, n: int) -> None:
    cases.record_intake(walk.db, walk.ctx(), case.code, summary="초기상담", notice_given=True)


def op_consent(walk: Walk, case: Case, n: int) -> None:
    given = walk.today + timedelta(days=n % 3)
    expires = given + timedelta(days=n % 20) if n % 2 else None
    consents.record_consent(walk.db, walk.ctx(), case.code, consent(given_on=given, expires_on=expires))


def op_withdraw(walk: Walk, case: Case, n: int) -> None:
    live = _latest(walk, case, Consent, scope=ConsentScope.COLLECT_USE, withdrawn_at=None)
    if live is not None:
        consents.withdraw_consent(walk.db, walk.ctx(), live.id)


def op_assess(walk: Walk, case: Case, n: int) -> None:
    if n % 3 == 0:
        assessments.start(walk.db, walk.ctx(), case.code)
    else:
        assessments.assess(walk.db, walk.ctx(), case.code, assessment_input(severity=n % 4))


def op_classify(walk: Walk, case: Case, n: int) -> None:
    intensities = [
        CaseIntensity.GENERAL,
        CaseIntensity.LINKAGE_ONLY,
        CaseIntensity.CRISIS,
        CaseIntensity.INTENSIVE,
    ]
    cases.classify(walk.db, walk.ctx(), case.code, intensities[n % len(intensities)])


def op_plan(walk: Walk, case: Case, n: int) -> None:
    draft = _latest(walk, case, ServicePlan, status=PlanStatus.DRAFT)
    if draft is not None and n % 2:
        plans.agree(walk.db, walk.ctx(), draft.id, plan_input().agreement_method)
    elif n % 3 == 0 and (agreed := _latest(walk, case, ServicePlan, status=PlanStatus.AGREED)) is not None:
        plans.review(walk.db, walk.ctx(), agreed.id)
    else:
        plans.create_plan(walk.db, walk.ctx(), case.code, plan_input(agreed=bool(n % 2), start=walk.today))


def op_refer(walk: Walk, case: Case, n: int) -> None:
    resource = walk.world.resource.id
    consents.record_consent(
        walk.db, walk.ctx(), case.code, consent(ConsentScope.THIRD_PARTY, recipients=[resource])
    )
    referral = referrals.create(
        walk.db, walk.ctx(), case.code, ReferralInput(resource_id=resource, domain="HEALTH", reason="진료")
    )
    if n % 2:
        referrals.move(walk.db, walk.ctx(), referral.id, ReferralStatus.SENT)


def op_note(walk: Walk, case: Case, n: int) -> None:
    result = [MonitoringResult.MAINTAIN, MonitoringResult.REASSESS][n % 2]
    notes.log_contact(walk.db, walk.ctx(), case.code, contact(walk.now, result=result))


def op_hold(walk: Walk, case: Case, n: int) -> None:
    if case.status == CaseStatus.ON_HOLD:
        cases.resume(walk.db, walk.ctx(), case.code)
    else:
        cases.hold(walk.db, walk.ctx(), case.code)


def op_transfer(walk: Walk, case: Case, n: int) -> None:
    target = walk.world.coworker if case.case_manager_id == walk.world.manager.id else walk.world.manager
    cases.transfer(walk.db, walk.ctx(supervisor=True), case.code, target.id)


def op_close(walk: Walk, case: Case, n: int) -> None:
    pending = _latest(walk, case, Closure, status=ClosureStatus.PENDING)
    if pending is None:
        data = ClosureInput(
            reason=ClosureReason.NEED_RESOLVED,
            attainments=_plan_goals(walk, case),
            worker_evaluation="평가",
            client_informed=True,
        )
        closure.request_closure(walk.db, walk.ctx(), case.code, data)
    else:
        closure.decide_closure(
            walk.db, walk.ctx(supervisor=True), pending.id, approve=bool(n % 2), comment="보완"
        )


def op_aftercare(walk: Walk, case: Case, n: int) -> None:
    checks = closure._open_checks(walk.db, case)
    if not checks:
        closure.reopen(walk.db, walk.ctx(), case.code, reason="재의뢰")
        return
    status = [AfterCareStatus.STABLE, AfterCareStatus.CRISIS, AfterCareStatus.NEW_NEED][n % 3]
    action = AfterCareAction.REOPEN if status == AfterCareStatus.NEW_NEED else AfterCareAction.NONE
    closure.record_aftercare(
        walk.db,
        walk.ctx(),
        checks[0].id,
        AfterCareInput(method=ContactType.PHONE, status=status, action=action),
    )


def op_next(walk: Walk, case: Case, n: int) -> None:
    """What the case's next step asks for (a walk of random calls alone rarely gets past the assessment)."""
    step = derive(snapshot(walk.db, case), walk.today).next_step
    if step == NextStep.CLASSIFY:
        op_classify(walk, case, n)
    elif step in (NextStep.COMPLETE_ASSESSMENT, NextStep.COMPLETE_REASSESSMENT):
        assessments.assess(walk.db, walk.ctx(), case.code, assessment_input(severity=n % 4))
    elif step in (NextStep.WRITE_PLAN, NextStep.AGREE_PLAN):
        op_plan(walk, case, n | 1)  # agreed, or the draft agreed
    elif step == NextStep.NONE:
        closure.reopen(walk.db, walk.ctx(), case.code, reason="재의뢰")
    else:
        NEXT[step](walk, case, n)


def op_wait(walk: Walk, case: Case | None, n: int) -> set[int]:
    """Days pass; housekeeping records the consents that expired meanwhile (every other time)."""
    walk.now += timedelta(days=n % 25, hours=n % 5)
    if n % 2:
        return set()
    touched = set()
    for expiry in housekeeping.expired_since(walk.db, walk.today, None):
        if expiry.key not in walk.expired:
            housekeeping.record_expiry(walk.db, expiry, walk.ctx().policy, walk.now)
            walk.expired.add(expiry.key)
            touched.add(expiry.case_id)
    return touched


OPERATIONS = {
    "intake": op_intake,
    "consent": op_consent,
    "withdraw": op_withdraw,
    "assess": op_assess,
    "classify": op_classify,
    "plan": op_plan,
    "refer": op_refer,
    "note": op_note,
    "hold": op_hold,
    "transfer": op_transfer,
    "close": op_close,
    "aftercare": op_aftercare,
}
NEXT = {
    NextStep.RECORD_INTAKE: op_intake,
    NextStep.RECORD_CONSENT: op_consent,
    NextStep.LINK_SERVICES: op_refer,
    NextStep.LOG_CONTACT: op_note,
    NextStep.APPROVE_CLOSURE: op_close,
    NextStep.AFTERCARE_CHECK: op_aftercare,
    NextStep.RESUME: op_hold,
}
OPERATIONS["next"] = op_next
# The next step more often than anything else, so that walks reach every stage.
steps = st.lists(
    st.tuples(
        st.sampled_from(["open", "wait", *OPERATIONS, *["next"] * 8]), st.integers(0, 3), st.integers(0, 100)
    ),
    min_size=20,
    max_size=40,
)


@settings(
    derandomize=True,
    database=None,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_any_sequence_of_changes_keeps_the_stored_state_derived(db, world, sequence):
    walk = Walk(db, world)
    example = db.begin_nested()  # each example starts from the same world
    try:
        op_open(walk, None, 0)
        for name, index, n in sequence:
            case = walk.made[index % len(walk.made)]
            savepoint = db.begin_nested()
            try:
                if name == "open":
                    changed = {op_open(walk, None, n).id}
                elif name == "wait":
                    changed = op_wait(walk, case, n)
                else:
                    OPERATIONS[name](walk, case, n)
                    changed = {case.id}
                savepoint.commit()
            except DomainError:
                savepoint.rollback()  # refused, as the unit of work would: nothing of it stays
                changed = set()
            derived = check_all_cases(db, walk.today, changed_today=changed)
        check_desk(db, walk.ctx(), derived)
        check_desk(db, world.ctx(world.coworker, now=walk.now), derived)
    finally:
        example.rollback()
