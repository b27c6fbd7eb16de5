"""When someone leaves (issue 14, "no dead ends"): their open cases are named and handed over or left
for the supervisors; a case whose manager left shows on the supervisors' Home and in the weekly
digest; its nudges reach the supervisors; and an overdue contact keeps escalating until it is logged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.ids import Action
from bot.metadata import CaseRef
from bot.views.digests import weekly
from bot.views.home import team_blocks
from models.audit import AuditLog, CaseEvent
from models.case import Case, CaseAccessGrant
from models.enums import CaseIntensity, ReminderKind, ReminderStatus, StaffRole, Surface
from models.errors import InvalidInput
from models.reminder import Reminder
from models.services import admin_desk, cases, desk, digest, notes, staff, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Ctx, Policy
from models.services.reminders import refresh
from models.staff import StaffMember
from models.text import t
from sandbox.slack import FakeSlack
from scheduler.sweep import sweep
from tests.factories import NOW, TODAY, case_in_monitoring, contact

SEOUL = ZoneInfo("Asia/Seoul")
K = ReminderKind


def operator(now: datetime = NOW) -> Ctx:
    return Ctx(actor=staff.operator_actor("cli:ops"), surface=Surface.CLI, now=now)


def live(db, case: Case) -> list[Reminder]:
    db.flush()
    return list(
        db.scalars(
            select(Reminder)
            .where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
            .order_by(Reminder.due_at, Reminder.id)
        )
    )


def events(db, case: Case) -> list[tuple[str, dict]]:
    return [(e.event, e.data) for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]


def colleague(db, world, user: str = "UOTHER", *, active: bool = True) -> StaffMember:
    member = StaffMember(
        slack_user_id=user,
        display_name=user,
        role=StaffRole.CASE_MANAGER,
        team_id=world.team.id,
        active=active,
    )
    db.add(member)
    db.flush()
    return member


# --- 1. deactivating someone who still manages open cases ----------------------------------------------


def test_deactivation_names_the_open_cases_and_changes_nothing_until_told_what_becomes_of_them(db, world):
    first, second = case_in_monitoring(db, world), case_in_monitoring(db, world)
    for deactivate in (
        lambda: staff.deactivate(db, operator(), "UMANAGER"),
        lambda: admin_desk.deactivate(db, world.ctx(world.admin), "UMANAGER"),
    ):
        with pytest.raises(InvalidInput) as refused:
            deactivate()
        message = refused.value.errors["reassign_to"]
        assert message.key == "staff.errors.still_holds_cases"
        for locale in ("ko", "en"):
            assert first.code in message.text(locale) and second.code in message.text(locale)
    assert world.manager.active and world.manager.deactivated_at is None
    assert {first.case_manager_id, second.case_manager_id} == {world.manager.id}
    # Someone without open cases needs neither choice.
    done = admin_desk.deactivate(db, world.ctx(world.admin), "UCOWORKER")
    assert not world.coworker.active and done.moved == [] and done.left == []


def test_reassigning_transfers_each_case_moves_its_reminders_and_tells_both(db, world):
    case = case_in_monitoring(db, world)
    managers = {r.id for r in live(db, case) if r.recipient_id == world.manager.id}
    assert managers
    done = admin_desk.deactivate(db, world.ctx(world.admin), "UMANAGER", reassign_to="UCOWORKER")
    assert not world.manager.active and world.manager.deactivated_at == NOW
    assert case.case_manager_id == world.coworker.id and done.to is world.coworker
    moved = {r.id: r.recipient_id for r in live(db, case) if r.id in managers}
    assert moved and set(moved.values()) == {world.coworker.id}  # the same rows, readdressed
    assert world.manager.id not in {r.recipient_id for r in live(db, case)}
    [notice] = done.moved
    assert notice.code == case.code and [p[0] for p in notice.people] == ["UCOWORKER", "UMANAGER"]
    assert (
        "transferred",
        {"previous": world.manager.id, "to": world.coworker.id, "kept": False, "departed": world.manager.id},
    ) in events(db, case)
    detail = db.scalars(select(AuditLog.detail).where(AuditLog.record == "staff")).all()
    assert detail == [f"deactivated UMANAGER; {case.code} transferred to UCOWORKER"]


def test_the_command_line_operator_reassigns_by_staff_id(db, world):
    case = case_in_monitoring(db, world)
    done = staff.deactivate(db, operator(), str(world.manager.id), reassign_to=str(world.coworker.id))
    assert case.case_manager_id == world.coworker.id and [n.code for n in done.moved] == [case.code]
    [event] = db.scalars(select(CaseEvent).where(CaseEvent.event == "transferred")).all()
    assert event.actor_id is None  # not staff: the access log knows the operator by login
    assert "cli:ops" in db.scalars(select(AuditLog.actor_ref).where(AuditLog.case_id == case.id)).all()


def test_bad_reassignments_are_clear_errors_and_change_nothing(db, world):
    case = case_in_monitoring(db, world)
    colleague(db, world, "ULEFT", active=False)
    before = [(r.id, r.recipient_id, r.due_at) for r in live(db, case)]
    for target, leave, key in (
        ("ULEFT", False, "staff.errors.reassign_refused"),  # inactive
        ("UOUTSIDER", False, "staff.errors.reassign_refused"),  # another team
        ("UMANAGER", False, "staff.errors.reassign_to_self"),
        ("UNOBODY", False, "staff.errors.no_staff_member"),
        ("UCOWORKER", True, "staff.errors.reassign_or_leave"),
    ):
        with pytest.raises(InvalidInput) as refused:
            staff.deactivate(db, operator(), "UMANAGER", reassign_to=target, leave_unassigned=leave)
        assert refused.value.errors["reassign_to"].key == key, target
    with pytest.raises(InvalidInput) as refused:
        staff.deactivate(db, operator(), "UMANAGER", reassign_to="ULEFT")
    assert refused.value.errors["reassign_to"].params["problem"].key == "cases.errors.transfer_inactive"
    assert case.code in refused.value.errors["reassign_to"].text("en")
    with pytest.raises(InvalidInput) as refused:
        staff.deactivate(db, operator(), "UMANAGER", reassign_to="UOUTSIDER")
    assert refused.value.errors["reassign_to"].params["problem"].key == "cases.errors.transfer_other_team"
    assert world.manager.active and case.case_manager_id == world.manager.id
    assert [(r.id, r.recipient_id, r.due_at) for r in live(db, case)] == before
    assert [e for e, _ in events(db, case)].count("transferred") == 0


# --- 2, 3. left unassigned: the supervisors' Home and their nudges ------------------------------------------


def test_left_unassigned_the_case_is_the_supervisors_until_one_transfers_it(db, world):
    case = case_in_monitoring(db, world)
    manager_rows = [r for r in live(db, case) if r.recipient_id == world.manager.id]
    done = staff.deactivate(db, operator(), "UMANAGER", leave_unassigned=True)
    assert done.left == [case.code] and done.moved == [] and not world.manager.active
    assert case.case_manager_id == world.manager.id
    assert ("manager_left", {"previous": world.manager.id}) in events(db, case)
    # Every nudge that was the manager's is now the supervisor's (the other team's supervisor: none).
    rows = live(db, case)
    assert {r.recipient_id for r in rows} == {world.supervisor.id}
    assert {r.kind for r in rows} >= {r.kind for r in manager_rows}
    next_contact = [r for r in rows if r.kind == K.NEXT_CONTACT]
    assert len(next_contact) == 1 and next_contact[0].key.endswith(f":s{world.supervisor.id}")

    due = digest.due_between(db, world.supervisor.id, date(2026, 4, 1), date(2026, 4, 2), Policy())
    # their daily digest: the contact, and the plan's task falling due the same days
    assert sorted((line.code, line.kind) for line in due) == [
        (case.code, K.NEXT_CONTACT),
        (case.code, K.TASK_DUE),
    ]
    load = desk.team_caseload(db, world.ctx(world.supervisor))
    assert [(u.code, u.left) for u in load.unassigned] == [(case.code, "Manager")]
    assert desk.team_caseload(db, world.ctx(world.other_supervisor)).unassigned == []
    for locale in ("ko", "en"):
        blocks = team_blocks(load, locale)
        [buttons] = [blk for blk in blocks if blk.get("block_id") == f"home.unassigned.{case.code}"]
        transfer = buttons["elements"][0]
        assert transfer["action_id"] == Action.OPEN_TRANSFER
        assert CaseRef.read(transfer["value"]) == CaseRef(code=case.code)
    # The supervisor transfers it from there: off the list, the nudges go to the new manager.
    cases.transfer(db, world.ctx(world.supervisor), case.code, world.coworker.id)
    assert desk.team_caseload(db, world.ctx(world.supervisor)).unassigned == []
    assert world.manager.deactivated_at == NOW
    assert {r.recipient_id for r in live(db, case) if r.kind == K.NEXT_CONTACT} == {world.coworker.id}


def test_an_earlier_leavers_cases_are_handed_over_later_without_a_new_date(db, world):
    case = case_in_monitoring(db, world)
    staff.deactivate(db, operator(), "UMANAGER", leave_unassigned=True)
    later = NOW + timedelta(days=3)
    done = staff.deactivate(db, operator(later), "UMANAGER", reassign_to="UCOWORKER")
    assert [n.code for n in done.moved] == [case.code] and case.case_manager_id == world.coworker.id
    assert world.manager.deactivated_at == NOW and not world.manager.active
    assert [n.people for n in done.moved] == [[("UCOWORKER", None)]]  # the leaver is not messaged


def test_a_restricted_case_shows_only_to_the_supervisors_named_on_it(db, world):
    case = case_in_monitoring(db, world)
    case.restricted = True
    db.flush()
    staff.deactivate(db, operator(), "UMANAGER", leave_unassigned=True)
    assert desk.team_caseload(db, world.ctx(world.supervisor)).unassigned == []
    db.add(CaseAccessGrant(case_id=case.id, staff_id=world.supervisor.id, granted_by_id=world.supervisor.id))
    db.flush()
    assert [u.code for u in desk.team_caseload(db, world.ctx(world.supervisor)).unassigned] == [case.code]


def test_the_weekly_digest_counts_the_unassigned_cases(db, world):
    case_in_monitoring(db, world)
    case_in_monitoring(db, world)
    load = desk.team_caseload(db, world.ctx(world.supervisor))
    _, quiet = weekly(load, TODAY, "en")
    assert "without a case manager" not in str(quiet)
    staff.deactivate(db, operator(), "UMANAGER", leave_unassigned=True)
    load = desk.team_caseload(db, world.ctx(world.supervisor))
    assert len(load.unassigned) == 2
    _, blocks = weekly(load, TODAY, "en")
    assert "Cases without a case manager: 2" in str(blocks)
    _, blocks = weekly(load, TODAY, "ko")
    assert t("digest.weekly.unassigned", "ko", count=2) in str(blocks)


def test_the_sweep_readdresses_nudges_of_a_manager_deactivated_behind_its_back(db, uow, world):
    """Someone deactivated without the service (older data, a database edit): at the next sweep their
    cases' pending nudges go to the supervisors, and the supervisor receives the one due."""
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)
    world.manager.active = False
    db.commit()
    due = datetime(2026, 3, 16, 9, 5, tzinfo=SEOUL)  # the next contact's morning
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
        report = sweep(uow, client, Policy(), WorkCalendar(SEOUL, 9, 18), due, sleep=lambda _: None)
        posted = [c.params for c in slack.calls("chat.postMessage")]
    # the next contact and the plan's task due that week, both the supervisor's now
    assert report.sent == 2 and report.given_up == []
    assert [p["channel"] for p in posted] == ["USUPER", "USUPER"]
    assert all(case.code in p["text"] for p in posted)
    db.expire_all()
    rows = db.scalars(select(Reminder).where(Reminder.case_id == case.id)).all()
    assert not [r for r in rows if r.recipient_id == world.manager.id and r.status == ReminderStatus.PENDING]
    sent = sorted((r.kind, r.recipient_id) for r in rows if r.status == ReminderStatus.SENT)
    assert sent == [(K.NEXT_CONTACT, world.supervisor.id), (K.TASK_DUE, world.supervisor.id)]


def test_without_a_supervisor_the_nudge_stays_undelivered_and_says_why(db, world):
    case = case_in_monitoring(db, world)
    world.supervisor.active = False
    staff.deactivate(db, operator(), "UMANAGER", leave_unassigned=True)
    assert {r.recipient_id for r in live(db, case)} == {world.manager.id}  # nobody stands in
    assert sweeper.readdress_departed(db, Policy(), NOW) == 1  # tried again, still nobody
    assert {r.recipient_id for r in live(db, case)} == {world.manager.id}


# --- 5. escalation repeats --------------------------------------------------------------------------------


def supervisors_escalations(db, case: Case, supervisor_id: int) -> list[tuple[date, ReminderStatus]]:
    db.flush()
    rows = db.scalars(
        select(Reminder)
        .where(
            Reminder.case_id == case.id,
            Reminder.kind == K.CONTACT_OVERDUE,
            Reminder.recipient_id == supervisor_id,
            Reminder.status != ReminderStatus.CANCELLED,
        )
        .order_by(Reminder.due_at)
    )
    return [(r.due_at.astimezone(SEOUL).date(), r.status) for r in rows]


def test_an_overdue_contact_escalates_again_every_interval_without_duplicate_rows(db, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.INTENSIVE)  # every 14 days
    P, S = ReminderStatus.PENDING, ReminderStatus.SENT

    def rows_now() -> int:
        db.flush()
        return len(db.scalars(select(Reminder).where(Reminder.case_id == case.id)).all())

    def send_due(by: date) -> None:  # what the sweep does with the rows due by then
        for row in db.scalars(
            select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == K.CONTACT_OVERDUE)
        ):
            if row.status == P and row.due_at.astimezone(SEOUL).date() <= by:
                row.status, row.message_ts = S, "1.1"

    assert supervisors_escalations(db, case, world.supervisor.id) == [(date(2026, 4, 13), P)]
    # The first escalation to the supervisor fires; the next one comes one interval later.
    send_due(date(2026, 4, 13))
    refresh(db, case, Policy(), today=date(2026, 4, 13))
    assert supervisors_escalations(db, case, world.supervisor.id) == [
        (date(2026, 4, 13), S),
        (date(2026, 4, 27), P),
    ]
    count = rows_now()
    for today in (date(2026, 4, 13), date(2026, 4, 14), date(2026, 4, 26)):
        refresh(db, case, Policy(), today=today)
    assert rows_now() == count  # refreshed again and again: no duplicates
    send_due(date(2026, 4, 27))
    refresh(db, case, Policy(), today=date(2026, 4, 27))
    assert supervisors_escalations(db, case, world.supervisor.id) == [
        (date(2026, 4, 13), S),
        (date(2026, 4, 27), S),
        (date(2026, 5, 11), P),
    ]
    # A round missed while nothing refreshed the case is not sent late on top of the current one.
    send_due(date(2026, 5, 11))
    refresh(db, case, Policy(), today=date(2026, 6, 1))
    assert supervisors_escalations(db, case, world.supervisor.id)[-2:] == [
        (date(2026, 5, 11), S),
        (date(2026, 6, 8), P),
    ]
    # Sent ones stay sent (their messages are not settled as done).
    assert not db.scalars(
        select(Reminder).where(Reminder.case_id == case.id, Reminder.unneeded.is_(True))
    ).all()
    # A logged contact ends the round: what is still pending of it is cancelled.
    at = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)
    notes.log_contact(db, world.ctx(now=at), case.code, contact(at))
    after = supervisors_escalations(db, case, world.supervisor.id)
    assert (date(2026, 6, 8), P) not in after and after[-1] == (date(2026, 7, 14), P)


def test_a_crisis_case_untouched_for_three_months_keeps_nudging_the_supervisors(db, uow, world):
    case = case_in_monitoring(db, world, intensity=CaseIntensity.CRISIS)  # weekly without a risk rated 4
    db.commit()
    calendar = WorkCalendar(SEOUL, 9, 18)
    sent_to_supervisor = []
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
        day = TODAY
        while day < TODAY + timedelta(days=92):
            day += timedelta(days=1)
            at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=SEOUL)
            if calendar.is_working_time(at):
                sweep(uow, client, Policy(), calendar, at, sleep=lambda _: None)
        sent_to_supervisor = [
            c.params for c in slack.calls("chat.postMessage") if c.params["channel"] == "USUPER"
        ]
    # Weekly after the first two escalations: about a dozen nudges over the three months, all of them
    # the same contact's, the last one in the final fortnight.
    assert len(sent_to_supervisor) >= 10
    assert all(case.code in p["text"] for p in sent_to_supervisor)
    db.expire_all()
    last = db.scalars(
        select(Reminder)
        .where(
            Reminder.case_id == case.id,
            Reminder.recipient_id == world.supervisor.id,
            Reminder.status == ReminderStatus.SENT,
        )
        .order_by(Reminder.sent_at.desc())
    ).first()
    assert last is not None and last.sent_at >= datetime(2026, 5, 19, tzinfo=UTC)
    assert db.scalars(
        select(Reminder).where(
            Reminder.case_id == case.id,
            Reminder.kind == K.CONTACT_OVERDUE,
            Reminder.recipient_id == world.supervisor.id,
            Reminder.status == ReminderStatus.PENDING,
        )
    ).first()  # and the next one waits
