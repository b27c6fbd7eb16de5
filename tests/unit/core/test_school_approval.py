"""School profile: only staff the head of the school approved handle student data (학생맞춤통합지원법 §17⑦).

An approval is a record (who approved, when, document number, optional end, who entered it); it can be
revoked and is kept as history. Without one in force nobody opens, reads, changes, is put on or is
nudged about a school case; the refusal says why and whom to ask, and is in the access log. Approved
school staff (homeroom teacher, school nurse) work on the cases they are named on, and only those.
The welfare-centre profile is untouched.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.audit import AuditLog
from models.case import Case
from models.contact import ContactNote
from models.enums import AuditAction, CaseIntensity, Profile, ReminderKind, ReminderStatus, StaffRole
from models.errors import InvalidInput, NotAllowed, NotFound
from models.reminder import Reminder
from models.services import access, assessments, cases, desk, digest, notes, plans
from models.services import staff as staff_service
from models.services.access import NO_ACCESS, NOT_APPROVED, NOT_APPROVED_ASSIGNEE
from models.services.context import Policy
from models.staff import DataHandlingApproval, StaffMember
from tests.factories import (
    NOW,
    TODAY,
    World,
    assessment_input,
    contact,
    intake,
    make_world,
    plan_input,
    school_intake,
)

SCHOOL = Policy(profile=Profile.SCHOOL)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
OPERATOR = "cli:admin"


@pytest.fixture
def teacher(db, world) -> StaffMember:
    """A homeroom teacher of the school team (the case manager's team)."""
    member = StaffMember(
        slack_user_id="UTEACHER",
        display_name="담임(가상)",
        role=StaffRole.SCHOOL_STAFF,
        team_id=world.team.id,
        active=True,
    )
    db.add(member)
    db.flush()
    return member


def approve(db, member: StaffMember, *, until: date | None = None, on: date = TODAY - timedelta(days=10)):
    return staff_service.approve(
        db,
        member.slack_user_id,
        approved_by="교장 김가상",
        approved_on=on,
        reference=f"교무-2026-{member.id}",
        valid_until=until,
        entered_by=OPERATOR,
        today=TODAY,
        now=NOW,
    )


def school_ctx(world: World, who: StaffMember, now=NOW):
    return world.ctx(who, now=now, policy=SCHOOL)


def open_school_case(db, world: World) -> Case:
    return cases.open_case(db, school_ctx(world, world.manager), intake())


def assert_told_to_ask_for_approval(error: NotAllowed, actor: StaffMember, case: Case | None) -> None:
    assert type(error) is NotAllowed
    ko, en = error.text("ko"), error.text("en")
    assert "학교장" in ko and "학생맞춤통합지원법" in ko and "관리자" in ko  # why, and whom to ask
    assert "head of the school" in en and "principal" in en and "administrator" in en
    assert not HANGUL.search(en.replace("학생맞춤통합지원법", ""))  # English apart from the law's name
    assert error.actor_id == actor.id
    assert error.case_id == (case.id if case else None)
    assert "no head-of-school approval" in error.detail


# --- without an approval -----------------------------------------------------------------------


def test_without_approval_a_case_manager_cannot_open_a_school_case_and_is_told_why(db, world):
    with pytest.raises(NotAllowed) as excinfo:
        open_school_case(db, world)
    assert excinfo.value.message == NOT_APPROVED
    assert_told_to_ask_for_approval(excinfo.value, world.manager, None)
    assert excinfo.value.detail.startswith("open case")
    with pytest.raises(NotAllowed) as excinfo:
        cases.my_cases(db, school_ctx(world, world.manager))
    assert_told_to_ask_for_approval(excinfo.value, world.manager, None)
    assert db.scalars(select(Case)).all() == []


def test_an_approved_case_manager_works_the_case_but_unapproved_colleagues_on_it_cannot(db, world, teacher):
    approve(db, world.manager)
    case = open_school_case(db, world)
    assert case.profile == Profile.SCHOOL
    assert cases.show(db, school_ctx(world, world.manager), case.code).case.id == case.id
    notes.log_contact(db, school_ctx(world, world.manager), case.code, contact(NOW))

    # The team's supervisor would see a welfare case; a school case needs their own approval.
    for attempt in (
        lambda: cases.show(db, school_ctx(world, world.supervisor), case.code),
        lambda: notes.log_contact(db, school_ctx(world, world.supervisor), case.code, contact(NOW)),
    ):
        with pytest.raises(NotAllowed) as excinfo:
            attempt()
        assert_told_to_ask_for_approval(excinfo.value, world.supervisor, case)
    assert not access.can_access(db, world.supervisor, case, today=TODAY)
    assert access.case_supervisors(db, case, today=TODAY) == []

    # Nobody unapproved can be put on the case: co-worker, case manager or named person.
    with pytest.raises(InvalidInput) as excinfo:
        cases.add_coworker(db, school_ctx(world, world.manager), case.code, teacher.id)
    assert excinfo.value.errors == {"staff_id": NOT_APPROVED_ASSIGNEE}
    with pytest.raises(InvalidInput) as excinfo:
        cases.transfer(db, school_ctx(world, world.manager), case.code, world.coworker.id)
    assert excinfo.value.errors == {"new_manager_id": NOT_APPROVED_ASSIGNEE}
    with pytest.raises(InvalidInput) as excinfo:
        cases.restrict(db, school_ctx(world, world.manager), case.code, [world.supervisor.id])
    assert excinfo.value.errors == {"named": NOT_APPROVED_ASSIGNEE}
    assert case.workers == [] and case.case_manager_id == world.manager.id and not case.restricted
    assert len(db.scalars(select(ContactNote).where(ContactNote.case_id == case.id)).all()) == 1

    approve(db, world.supervisor)
    assert cases.show(db, school_ctx(world, world.supervisor), case.code).case.id == case.id
    assert access.case_supervisors(db, case, today=TODAY) == [world.supervisor.id]


def test_revocation_or_the_end_date_ends_access_again(db, world):
    approve(db, world.manager, until=TODAY + timedelta(days=30))
    approve(db, world.supervisor)
    case = open_school_case(db, world)
    last_day = NOW + timedelta(days=30)
    assert cases.show(db, school_ctx(world, world.manager, now=last_day), case.code)  # the end date holds

    after = NOW + timedelta(days=31)
    with pytest.raises(NotAllowed) as excinfo:
        cases.show(db, school_ctx(world, world.manager, now=after), case.code)
    assert_told_to_ask_for_approval(excinfo.value, world.manager, case)
    ended = (TODAY + timedelta(days=30)).isoformat()
    assert ended in excinfo.value.text("ko") and ended in excinfo.value.text("en")
    assert not access.can_access(db, world.manager, case, today=after.date())
    assert access.can_access(db, world.manager, case, today=TODAY)

    staff_service.revoke_approval(db, "USUPER", revoked_by=OPERATOR, reason="전보", now=NOW)
    with pytest.raises(NotAllowed) as excinfo:
        cases.show(db, school_ctx(world, world.supervisor), case.code)
    assert_told_to_ask_for_approval(excinfo.value, world.supervisor, case)
    assert "철회" in excinfo.value.text("ko") and "revoked" in excinfo.value.text("en")
    assert db.scalars(access.visible_cases_query(world.supervisor, today=TODAY)).all() == []
    # Revoked, not deleted: the record stays for the auditor.
    kept = db.scalars(
        select(DataHandlingApproval).where(DataHandlingApproval.staff_id == world.supervisor.id)
    )
    assert [(a.revoked_by, a.revoke_reason) for a in kept] == [(OPERATOR, "전보")]


def test_refusals_are_in_the_access_log(uow):
    with uow() as db:
        world = make_world(db)
        approve(db, world.manager)
        code = open_school_case(db, world).code
    with pytest.raises(NotAllowed), uow() as db:
        cases.show(db, school_ctx(world, world.supervisor), code)
    with pytest.raises(NotAllowed), uow() as db:
        cases.open_case(db, school_ctx(world, world.coworker), intake())
    with uow() as db:
        refused = db.scalars(
            select(AuditLog).where(AuditLog.action == AuditAction.REFUSED).order_by(AuditLog.id)
        ).all()
        assert [(r.actor_id, r.case_code) for r in refused] == [
            (world.supervisor.id, code),
            (world.coworker.id, None),
        ]
        assert all("no head-of-school approval" in r.detail and "§17⑦" in r.detail for r in refused)


# --- approved school staff -----------------------------------------------------------------------


def test_an_approved_school_staff_co_worker_sees_only_their_cases_and_owns_none(db, world, teacher):
    for member in (world.manager, world.supervisor, teacher):
        approve(db, member)
    ctx = school_ctx(world, world.manager)
    theirs, other = open_school_case(db, world), open_school_case(db, world)
    cases.add_coworker(db, ctx, theirs.code, teacher.id)

    as_teacher = school_ctx(world, teacher)
    assert cases.show(db, as_teacher, theirs.code).case.id == theirs.id
    notes.log_contact(db, as_teacher, theirs.code, contact(NOW))
    with pytest.raises(NotAllowed) as excinfo:
        cases.show(db, as_teacher, other.code)
    assert excinfo.value.message == NO_ACCESS
    assert [c.id for c in cases.my_cases(db, as_teacher)] == [theirs.id]
    assert [c.id for c in db.scalars(access.visible_cases_query(teacher, today=TODAY))] == [theirs.id]
    assert {c.id for c in db.scalars(access.visible_cases_query(world.supervisor, today=TODAY))} == {
        theirs.id,
        other.id,
    }

    # Not a case owner: cannot open, take over, widen the circle or see the team's caseload.
    with pytest.raises(NotAllowed) as excinfo:
        cases.open_case(db, as_teacher, intake())
    assert "사례관리자" in excinfo.value.text("ko")
    with pytest.raises(InvalidInput) as excinfo:
        cases.transfer(db, ctx, theirs.code, teacher.id)
    assert set(excinfo.value.errors) == {"new_manager_id"}
    with pytest.raises(NotAllowed):
        cases.add_coworker(db, as_teacher, theirs.code, world.coworker.id)
    with pytest.raises(NotAllowed):
        cases.set_access(db, as_teacher, theirs.code, coworker_ids=[], restricted=False, named_ids=[])
    with pytest.raises(NotAllowed):
        desk.team_caseload(db, as_teacher)
    assert teacher.id not in access.case_supervisors(db, theirs, today=TODAY)
    assert theirs.case_manager_id == world.manager.id
    assert [w.staff_id for w in theirs.workers] == [teacher.id]


def test_the_desk_says_why_to_the_unapproved_and_the_caseload_counts_case_owners_only(db, world, teacher):
    approve(db, world.manager)
    approve(db, world.supervisor)
    open_school_case(db, world)
    # Unapproved: the desk (/case list, the App Home) refuses with the reason, not an empty list.
    with pytest.raises(NotAllowed) as excinfo:
        desk.my_desk(db, school_ctx(world, world.coworker))
    assert excinfo.value.message == NOT_APPROVED
    assert desk.my_desk(db, school_ctx(world, world.manager)).total == 1
    # The supervisor's caseload lists the people who own cases: not approved school staff.
    approve(db, teacher)
    workers = {w.staff_id for w in desk.team_caseload(db, school_ctx(world, world.supervisor)).workers}
    assert world.manager.id in workers and teacher.id not in workers


def test_an_approved_school_staff_member_cannot_be_chosen_as_case_manager_at_intake(db, world, teacher):
    approve(db, world.manager)
    approve(db, teacher)
    data = intake().model_copy(update={"case_manager_id": teacher.id})
    with pytest.raises(InvalidInput) as excinfo:
        cases.open_case(db, school_ctx(world, world.manager), data)
    assert set(excinfo.value.errors) == {"case_manager_id"}


# --- the welfare-centre profile ------------------------------------------------------------------


def test_the_welfare_centre_profile_needs_no_approval(db, world):
    case = cases.open_case(db, world.ctx(), intake())
    assert case.profile == Profile.WELFARE_CENTRE
    cases.add_coworker(db, world.ctx(), case.code, world.coworker.id)
    for who in (world.manager, world.coworker, world.supervisor):
        assert cases.show(db, world.ctx(who), case.code).case.id == case.id
        assert access.can_access(db, who, case, today=TODAY)
    assert access.case_supervisors(db, case, today=TODAY) == [world.supervisor.id]
    assert [c.id for c in cases.my_cases(db, world.ctx())] == [case.id]
    assert db.scalars(select(DataHandlingApproval)).all() == []


# --- the approval record -------------------------------------------------------------------------


def test_approval_and_revocation_are_audited_and_kept_as_history(db, world):
    first = approve(db, world.manager, until=TODAY + timedelta(days=100))
    second = approve(db, world.manager)  # a renewal closes the earlier one
    assert (first.revoked_at, first.revoked_by, first.revoke_reason) == (NOW, OPERATOR, "superseded")
    assert second.revoked_at is None and second.entered_by == OPERATOR
    assert (second.approved_by, second.reference) == ("교장 김가상", f"교무-2026-{world.manager.id}")
    revoked = staff_service.revoke_approval(db, str(world.manager.id), revoked_by=OPERATOR, now=NOW)
    assert revoked.id == second.id and revoked.revoked_at == NOW
    assert [a.id for a in staff_service.approval_history(db, "UMANAGER")] == [first.id, second.id]
    with pytest.raises(NotFound):
        staff_service.revoke_approval(db, "UMANAGER", revoked_by=OPERATOR, now=NOW)

    logged = db.scalars(
        select(AuditLog).where(AuditLog.record == staff_service.APPROVAL_RECORD).order_by(AuditLog.id)
    ).all()
    assert [(r.action, r.actor_ref) for r in logged] == [
        (AuditAction.CREATE, OPERATOR),
        (AuditAction.CREATE, OPERATOR),
        (AuditAction.UPDATE, OPERATOR),
    ]
    assert f"approval #{second.id}" in logged[1].detail and f"supersedes #{first.id}" in logged[1].detail
    assert "UMANAGER" in logged[2].detail and "revoked" in logged[2].detail


def test_the_database_keeps_one_open_approval_per_person(db, world):
    approve(db, world.manager)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            DataHandlingApproval(
                staff_id=world.manager.id,
                approved_by="교장",
                approved_on=TODAY,
                reference="dup",
                entered_by=OPERATOR,
            )
        )
        db.flush()


def test_bad_approvals_are_refused_field_by_field(db, world):
    with pytest.raises(InvalidInput) as excinfo:
        staff_service.approve(
            db,
            "UMANAGER",
            approved_by=" ",
            approved_on=TODAY + timedelta(days=1),
            reference="",
            valid_until=TODAY,
            entered_by=OPERATOR,
            today=TODAY,
            now=NOW,
        )
    assert set(excinfo.value.errors) == {"approved_by", "approved_on", "reference", "valid_until"}
    for who in ("UADMIN", "UOUTSIDER"):
        if who == "UOUTSIDER":
            world.outsider.active = False
        with pytest.raises(InvalidInput) as excinfo:
            staff_service.approve(
                db,
                who,
                approved_by="교장 김가상",
                approved_on=TODAY,
                reference="1",
                valid_until=None,
                entered_by=OPERATOR,
                today=TODAY,
                now=NOW,
            )
        assert set(excinfo.value.errors) == {"staff"}
    assert db.scalars(select(DataHandlingApproval)).all() == []


def test_the_staff_lists_approval_standing(db, world, teacher):
    approve(db, world.manager, until=TODAY + timedelta(days=5))
    approve(db, teacher)
    staff_service.revoke_approval(db, "UTEACHER", revoked_by=OPERATOR, now=NOW)
    ids = [world.manager.id, teacher.id, world.supervisor.id]
    today = staff_service.approval_statuses(db, ids, TODAY)
    assert [today[i].state for i in ids] == ["approved", "revoked", "none"]
    later = staff_service.approval_statuses(db, ids, TODAY + timedelta(days=6))
    assert later[world.manager.id].state == "expired"
    assert (
        "until" in today[world.manager.id].describe() and "교장 김가상" in today[world.manager.id].describe()
    )


# --- nudges --------------------------------------------------------------------------------------


def school_case_in_monitoring(db, world: World) -> Case:
    ctx = school_ctx(world, world.manager)
    case = cases.open_case(db, ctx, school_intake())
    assessments.assess(db, ctx, case.code, assessment_input(profile=Profile.SCHOOL))
    cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
    plans.create_plan(db, ctx, case.code, plan_input(start=ctx.today))
    return case


@pytest.mark.parametrize("revoked", [False, True])
def test_case_nudges_and_digests_reach_approved_staff_only(db, uow, world, revoked):
    from zoneinfo import ZoneInfo

    from slack_sdk import WebClient

    from models.services.calendar import WorkCalendar
    from sandbox.slack import FakeSlack
    from scheduler.sweep import sweep

    approve(db, world.manager)
    case = school_case_in_monitoring(db, world)
    if revoked:
        staff_service.revoke_approval(db, "UMANAGER", revoked_by=OPERATOR, now=NOW)
    db.commit()
    nudge = next(
        r
        for r in db.scalars(select(Reminder).where(Reminder.case_id == case.id))
        if r.kind == ReminderKind.NEXT_CONTACT and r.recipient_id == world.manager.id
    )
    calendar = WorkCalendar(ZoneInfo("Asia/Seoul"), 9, 18)
    at = calendar.next_working_start(nudge.due_at)
    day = at.astimezone(SCHOOL.zone).date()
    lines = digest.due_between(db, world.manager.id, day, day, SCHOOL)
    assert (case.code in {line.code for line in lines}) is not revoked

    with FakeSlack() as slack:
        sweep(
            uow, WebClient(token="xoxb-test", base_url=slack.url), SCHOOL, calendar, at, sleep=lambda _: None
        )
        to_manager = [
            c
            for c in slack.calls("chat.postMessage")
            if c.params["channel"] == world.manager.slack_user_id and case.code in c.params["text"]
        ]
    db.expire_all()
    if revoked:
        assert to_manager == []
        assert db.get(Reminder, nudge.id).status == ReminderStatus.CANCELLED
    else:
        assert to_manager
        assert db.get(Reminder, nudge.id).status == ReminderStatus.SENT


# --- the migration -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_migration_0008_keeps_approvals_history_and_downgrades_without_granting_anything(
    empty_database_url, backend_name
):
    """Upgrading adds the table with the entered_at default; downgrading to 0007 drops it and leaves
    approved school staff as deactivated case managers (the older code knows no `school_staff`)."""
    from sqlalchemy import inspect, text

    from models import schema
    from models.db import make_engine

    engine = make_engine(empty_database_url(backend_name))
    try:
        schema.upgrade(engine, "0008")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO teams (id, name, case_code_prefix, created_at) VALUES (1, 't', 'C', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO staff_members (id, slack_user_id, display_name, role, team_id, active, created_at) "
                    "VALUES (1, 'U1', 'w', 'school_staff', 1, true, CURRENT_TIMESTAMP),"
                    " (2, 'U2', 'm', 'case_manager', 1, true, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO data_handling_approvals (staff_id, approved_by, approved_on, reference, entered_by)"
                    " VALUES (1, '교장', '2026-03-02', 'r', 'cli:x')"
                )
            )
            entered = connection.execute(text("SELECT entered_at FROM data_handling_approvals")).scalar()
            assert entered is not None
        schema.downgrade(engine, "0007")
        assert "data_handling_approvals" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            staff_rows = connection.execute(
                text("SELECT id, role, active, deactivated_at IS NOT NULL FROM staff_members ORDER BY id")
            ).all()
        assert [tuple(row) for row in staff_rows] == [
            (1, "case_manager", False, True),
            (2, "case_manager", True, False),
        ]
    finally:
        engine.dispose()
