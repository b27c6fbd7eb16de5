"""Hold (보류) with a reason and a date, resume, and transfer (이관) with its field errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.case import CaseWorker
from models.enums import CaseStatus, NextStep, ReminderKind, ReminderStatus, StaffRole
from models.errors import InvalidInput
from models.reminder import Reminder
from models.services import access, cases
from models.staff import StaffMember
from tests.factories import NOW, TODAY, case_in_monitoring


def pending(db, case) -> list[Reminder]:
    return list(
        db.scalars(
            select(Reminder).where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
        )
    )


def test_a_hold_pauses_contact_nudges_and_nudges_on_the_until_date(db, world):
    case = case_in_monitoring(db, world)
    assert any(r.kind == ReminderKind.NEXT_CONTACT for r in pending(db, case))
    assert case.hold_until is None
    until = TODAY + timedelta(days=30)
    cases.hold(db, world.ctx(), case.code, reason="입원 치료 중", until=until)
    kinds = {r.kind for r in pending(db, case)}
    assert ReminderKind.NEXT_CONTACT not in kinds and ReminderKind.CONTACT_OVERDUE not in kinds
    [hold_end] = [r for r in pending(db, case) if r.kind == ReminderKind.HOLD_END]
    assert hold_end.deadline_on == until and hold_end.recipient_id == world.manager.id
    assert cases.current_state(db, world.ctx(), case).next_step == NextStep.RESUME

    cases.resume(db, world.ctx(), case.code)
    assert case.status == CaseStatus.ACTIVE and case.hold_until is None
    assert ReminderKind.HOLD_END not in {r.kind for r in pending(db, case)}
    assert ReminderKind.NEXT_CONTACT in {r.kind for r in pending(db, case)}


def test_a_hold_date_today_or_before_is_a_field_error(db, world):
    case = case_in_monitoring(db, world)
    with pytest.raises(InvalidInput) as excinfo:
        cases.hold(db, world.ctx(), case.code, reason="사유", until=TODAY)
    assert set(excinfo.value.errors) == {"until"}
    assert case.status == CaseStatus.ACTIVE


def test_a_transfer_moves_pending_reminders_and_keeps_the_previous_manager_only_if_named(db, world):
    case = case_in_monitoring(db, world)
    managers = {r.id for r in pending(db, case) if r.recipient_id == world.manager.id}
    assert managers
    cases.transfer(db, world.ctx(world.supervisor), case.code, world.coworker.id)
    assert case.case_manager_id == world.coworker.id
    moved = {r.id: r.recipient_id for r in pending(db, case) if r.id in managers}
    assert moved and set(moved.values()) == {world.coworker.id}  # the same rows, readdressed
    assert world.manager.id not in {r.recipient_id for r in pending(db, case)}
    assert not access.can_access(db, world.manager, case, today=TODAY)

    cases.transfer(db, world.ctx(world.coworker), case.code, world.manager.id, keep_previous=True)
    assert access.can_access(db, world.coworker, case, today=TODAY)  # kept as a co-worker
    workers = set(db.scalars(select(CaseWorker.staff_id).where(CaseWorker.case_id == case.id)))
    assert workers == {world.coworker.id}


def test_bad_transfers_are_field_errors_and_change_nothing(db, world):
    case = case_in_monitoring(db, world)
    leaver = StaffMember(
        slack_user_id="ULEFT",
        display_name="Left",
        role=StaffRole.CASE_MANAGER,
        team_id=world.team.id,
        active=False,
    )
    db.add(leaver)
    db.flush()
    for target, key in (
        (leaver, "transfer_inactive"),
        (world.outsider, "transfer_other_team"),
        (world.manager, "transfer_to_current_manager"),
    ):
        with pytest.raises(InvalidInput) as excinfo:
            cases.transfer(db, world.ctx(), case.code, target.id)
        assert excinfo.value.errors["new_manager_id"].key == f"cases.errors.{key}"
    assert case.case_manager_id == world.manager.id
    assert world.coworker.id not in {r.recipient_id for r in pending(db, case)}


def test_transfer_by_slack_user_names_the_previous_manager(db, world):
    case = case_in_monitoring(db, world)
    moved, previous = cases.transfer_to_slack_user(db, world.ctx(), case.code, "UCOWORKER")
    assert moved.case_manager_id == world.coworker.id and previous == world.manager.id
    notice = cases.transfer_notice(db, moved, previous)
    assert [p[0] for p in notice.people] == ["UCOWORKER", "UMANAGER"] and notice.code == case.code
    with pytest.raises(InvalidInput):
        cases.transfer_to_slack_user(db, world.ctx(world.coworker), case.code, "UNOBODY")
    assert NOW
