"""The access log and the case timeline (R9): every read and write is logged, refusals survive the
rollback, both tables are append-only, and neither carries client details."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.contact import ContactNote
from models.enums import (
    AfterCareStatus,
    AuditAction,
    CaseIntensity,
    ClosureReason,
    ConsentScope,
    ContactType,
    GoalAttainment,
    NeedDomain,
    ReferralStatus,
    Surface,
)
from models.errors import NotAllowed
from models.schemas import AfterCareInput, AssessmentInput, ClosureInput, ReferralInput
from models.services import assessments, cases, closure, consents, notes, plans, referrals
from models.services.lifecycle import snapshot
from models.staff import StaffMember
from tests.factories import (
    CLIENT_NAME,
    NOW,
    assessment_input,
    case_in_monitoring,
    consent,
    contact,
    intake,
    make_world,
    plan_input,
)

WRITES = (AuditAction.CREATE, AuditAction.UPDATE)


def count(s, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where))


def closure_input(db, case, reason=ClosureReason.GOAL_ACHIEVED) -> ClosureInput:
    goals = snapshot(db, case).plan_in_force.goals
    return ClosureInput(
        reason=reason,
        attainments={g.id: GoalAttainment.MET for g in goals},
        worker_evaluation="목표 달성",
        client_informed=True,
    )


def lifecycle(db, world) -> Iterator[tuple[str, StaffMember, Case]]:
    """A case from referral-in to a second episode; yields after every write: (what, who, case)."""
    ctx, sup = world.ctx(), world.ctx(world.supervisor)
    case = cases.open_case(db, ctx, intake(with_consent=False, intake_held=False))
    yield "open_case", world.manager, case
    cases.record_intake(db, ctx, case.code, summary=f"{CLIENT_NAME} 초기상담", notice_given=True)
    yield "record_intake", world.manager, case
    consents.record_consent(db, ctx, case.code, consent())
    yield "record_consent", world.manager, case
    draft = assessments.start(db, ctx, case.code)
    yield "start_assessment", world.manager, case
    assessments.save_draft(db, ctx, draft.id, AssessmentInput(strengths_personal="성실함"), step=1)
    yield "save_draft", world.manager, case
    assessments.complete(db, ctx, draft.id, assessment_input())
    yield "complete_assessment", world.manager, case
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    yield "classify", world.manager, case
    plan = plans.create_plan(db, ctx, case.code, plan_input(agreed=False))
    yield "create_plan", world.manager, case
    plans.agree(db, ctx, plan.id, plan_input().agreement_method)
    yield "agree_plan", world.manager, case
    plans.review(db, ctx, plan.id)
    yield "review_plan", world.manager, case
    cases.add_coworker(db, ctx, case.code, world.coworker.id)
    yield "add_coworker", world.manager, case
    shared = consents.record_consent(
        db, ctx, case.code, consent(ConsentScope.THIRD_PARTY, recipients=[world.resource.id])
    )
    yield "third_party_consent", world.manager, case
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(
            resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason=f"{CLIENT_NAME} 주거"
        ),
    )
    yield "create_referral", world.manager, case
    referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    yield "send_referral", world.manager, case
    later = NOW + timedelta(days=2)
    notes.log_contact(
        db, world.ctx(world.coworker, now=later), case.code, contact(later, summary=f"{CLIENT_NAME} 통화")
    )
    yield "log_contact", world.coworker, case
    cases.hold(db, ctx, case.code)
    yield "hold", world.manager, case
    cases.resume(db, ctx, case.code)
    yield "resume", world.manager, case
    consents.withdraw_consent(db, ctx, shared.id)
    yield "withdraw_consent", world.manager, case
    request = closure.request_closure(db, ctx, case.code, closure_input(db, case))
    yield "request_closure", world.manager, case
    closure.decide_closure(db, sup, request.id, approve=False, comment="재검토")
    yield "return_closure", world.supervisor, case
    request = closure.request_closure(db, ctx, case.code, closure_input(db, case))
    yield "request_closure_again", world.manager, case
    closure.decide_closure(db, sup, request.id, approve=True)
    yield "approve_closure", world.supervisor, case
    check = closure._open_checks(db, case)[0]
    closure.record_aftercare(
        db,
        ctx,
        check.id,
        AfterCareInput(method=ContactType.PHONE, status=AfterCareStatus.STABLE, note=CLIENT_NAME),
    )
    yield "aftercare", world.manager, case
    closure.reopen(db, ctx, case.code, reason=f"{CLIENT_NAME}씨 본인 재요청")
    yield "reopen", world.manager, case
    cases.transfer(db, sup, case.code, world.coworker.id)
    yield "transfer", world.supervisor, case


# --- reads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "supervisor"])
def test_every_read_is_logged(db, world, who):
    case = cases.open_case(db, world.ctx(), intake())
    reader = getattr(world, who)
    events = count(db, CaseEvent, CaseEvent.case_id == case.id)
    for times in (1, 2):
        cases.show(db, world.ctx(reader), case.code)
        db.flush()
        reads = db.scalars(
            select(AuditLog).where(AuditLog.action == AuditAction.READ).order_by(AuditLog.id)
        ).all()
        assert len(reads) == times
    row = reads[-1]
    assert (row.actor_id, row.actor_ref) == (reader.id, reader.slack_user_id)
    assert (row.case_id, row.case_code) == (case.id, case.code)
    assert row.surface == Surface.CLI and row.record == "case" and row.at == NOW
    assert count(db, CaseEvent, CaseEvent.case_id == case.id) == events  # reading changes nothing


# --- writes ---------------------------------------------------------------------------------------


def test_every_write_adds_a_timeline_entry_and_an_audit_row(db, world):
    seen_events = 0
    seen_audit = 0
    steps = []
    for step, actor, case in lifecycle(db, world):
        db.flush()
        steps.append(step)
        events = db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        ).all()
        audit = db.scalars(select(AuditLog).where(AuditLog.case_id == case.id).order_by(AuditLog.id)).all()
        new_events, new_audit = events[seen_events:], audit[seen_audit:]
        assert new_events, f"{step} left no timeline entry"
        # A write opens the case first: that opening is logged as a read, with what it was for.
        opened = [a for a in new_audit if a.action not in WRITES]
        assert {a.action for a in opened} == ({AuditAction.READ} if step != "open_case" else set()), step
        assert all(a.actor_id == actor.id and a.detail for a in opened), step
        new_audit = [a for a in new_audit if a.action in WRITES]
        assert sorted(a.record for a in new_audit) == sorted(e.event for e in new_events), step
        for event in new_events:
            assert event.actor_id == actor.id, step
            row = next(a for a in new_audit if a.record == event.event)
            assert row.action == (AuditAction.CREATE if event.event == "case_opened" else AuditAction.UPDATE)
            assert (row.actor_id, row.actor_ref) == (actor.id, actor.slack_user_id), step
            assert (row.case_id, row.case_code, row.surface) == (case.id, case.code, Surface.CLI), step
        seen_events, seen_audit = len(events), len(audit)
    assert steps[-1] == "transfer" and seen_events >= len(steps)


def test_the_timeline_and_the_log_never_carry_client_details(db, world):
    steps = list(lifecycle(db, world))
    case = steps[-1][2]
    db.flush()
    client = case.client
    secrets = [client.name, client.contact, client.address, client.birth_date.isoformat(), "초기상담", "통화"]
    assert client.name == CLIENT_NAME
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert len(events) > 20
    for event in events:
        dumped = json.dumps(event.data, ensure_ascii=False, default=str)
        for secret in secrets:
            assert secret not in dumped, (event.event, dumped)
            assert secret not in event.event
    for row in db.scalars(select(AuditLog)):
        for secret in secrets:
            assert secret not in (row.detail or "") and secret not in row.record
            assert secret not in (row.case_code or "")
    reopened = next(e for e in events if e.event == "reopened")
    assert reopened.data["episode"] == 2


# --- refusals -------------------------------------------------------------------------------------


@pytest.fixture
def committed(uow):
    with uow() as s:
        world = make_world(s)
        case = case_in_monitoring(s, world)
        ids = {"case": case.id, "code": case.code}
    return world, ids


def test_a_refusal_is_rolled_back_but_its_audit_row_survives(uow, committed):
    world, ids = committed
    with uow() as s:
        events = count(s, CaseEvent, CaseEvent.case_id == ids["case"])
        audit = count(s, AuditLog)

    with pytest.raises(NotAllowed), uow() as s:
        # The manager's contact is written first; the outsider's refusal in the same request undoes it.
        notes.log_contact(s, world.ctx(), ids["code"], contact(NOW))
        assert count(s, ContactNote, ContactNote.case_id == ids["case"]) == 1
        notes.log_contact(s, world.ctx(world.outsider), ids["code"], contact(NOW))

    with uow() as s:
        assert count(s, ContactNote, ContactNote.case_id == ids["case"]) == 0
        assert count(s, CaseEvent, CaseEvent.case_id == ids["case"]) == events
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert len(rows) == audit + 1
        refusal = rows[-1]
        assert refusal.action == AuditAction.REFUSED
        assert (refusal.actor_id, refusal.actor_ref) == (world.outsider.id, "UOUTSIDER")
        assert (refusal.case_id, refusal.case_code) == (ids["case"], ids["code"])
        assert refusal.surface == Surface.CLI and refusal.record == "case" and refusal.detail == "log contact"


def test_a_closure_decided_by_the_case_manager_is_refused_and_logged(uow, committed):
    world, ids = committed
    with uow() as s:
        case = s.get(Case, ids["case"])
        request_id = closure.request_closure(s, world.ctx(), ids["code"], closure_input(s, case)).id

    with pytest.raises(NotAllowed), uow() as s:
        closure.decide_closure(s, world.ctx(), request_id, approve=True)

    with uow() as s:
        case = s.get(Case, ids["case"])
        assert case.closed_at is None and snapshot(s, case).pending_closure.id == request_id
        refusal = s.scalars(select(AuditLog).where(AuditLog.action == AuditAction.REFUSED)).one()
        assert (refusal.actor_ref, refusal.case_code, refusal.detail) == (
            "UMANAGER",
            ids["code"],
            "decide closure",
        )


def test_a_refusal_of_a_deactivated_member_is_logged_without_a_case(uow, committed):
    world, ids = committed
    with uow() as s:
        s.get(StaffMember, world.coworker.id).active = False
    world.coworker.active = False

    with pytest.raises(NotAllowed), uow() as s:
        cases.show(s, world.ctx(world.coworker), ids["code"])

    with uow() as s:
        refusal = s.scalars(select(AuditLog).where(AuditLog.action == AuditAction.REFUSED)).one()
        assert (refusal.actor_id, refusal.actor_ref) == (world.coworker.id, "UCOWORKER")
        assert (refusal.case_id, refusal.case_code, refusal.record) == (None, None, "access")
        assert (
            count(s, AuditLog, AuditLog.action == AuditAction.READ, AuditLog.actor_id == world.coworker.id)
            == 0
        )


# --- append-only ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET detail = 'x'",
        "UPDATE audit_log SET actor_ref = NULL WHERE action = 'READ'",
        "DELETE FROM audit_log",
        "UPDATE case_events SET event = 'x'",
        "UPDATE case_events SET data = '{}'",
        "DELETE FROM case_events WHERE event = 'case_opened'",
    ],
)
def test_the_log_and_the_timeline_are_append_only(db, world, statement):
    case = cases.open_case(db, world.ctx(), intake())
    cases.show(db, world.ctx(), case.code)
    db.flush()

    def rows():
        return (
            db.execute(select(AuditLog.id, AuditLog.detail, AuditLog.actor_ref).order_by(AuditLog.id)).all(),
            db.execute(select(CaseEvent.id, CaseEvent.event, CaseEvent.data).order_by(CaseEvent.id)).all(),
        )

    before = rows()
    assert before[0] and before[1]
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert rows() == before
    # Appending still works, and the session is usable after the refused statement.
    cases.hold(db, world.ctx(), case.code)
    db.flush()
    assert count(db, CaseEvent, CaseEvent.case_id == case.id) == len(before[1]) + 1
