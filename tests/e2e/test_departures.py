"""When a staff member leaves, through the running bot with signed requests: the admin desk names their
open cases and hands them over (reminders and DMs follow) or leaves them for the supervisors, whose
Home lists them with a transfer button, and whose Slack receives the nudges the person who left would
have had."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import CaseRef
from bot.settings import Settings
from models import Case, Reminder
from models.enums import ReminderKind, ReminderStatus, StaffRole
from models.services import staff as staff_service
from models.services.calendar import WorkCalendar
from tests.e2e.conftest import RunningBot, send_reminders_as_of
from tests.e2e.helpers import add_staff, choices, state, submit
from tests.e2e.test_consents import click
from tests.e2e.test_home import NAME, buttons, open_cases, open_home
from tests.e2e.test_notes import case_in_monitoring

ADMIN = "UADMIN"


def person(user_id: str) -> dict:
    return {"type": "users_select", "selected_user": user_id}


def managers(bot: RunningBot, codes: list[str]) -> set[str]:
    with bot.uow() as db:
        ids = {m.id: m.slack_user_id for m in staff_service.list_staff(db)}
        return {ids[c.case_manager_id] for c in db.scalars(select(Case).where(Case.code.in_(codes)))}


def pending_rows(bot: RunningBot, codes: list[str]) -> dict[int, str]:
    """Pending reminder rows of the cases: id → the recipient's Slack id."""
    with bot.uow() as db:
        ids = {m.id: m.slack_user_id for m in staff_service.list_staff(db)}
        rows = db.scalars(
            select(Reminder)
            .join(Case, Case.id == Reminder.case_id)
            .where(Case.code.in_(codes), Reminder.status == ReminderStatus.PENDING)
        )
        return {r.id: ids.get(r.recipient_id, "") for r in rows}


def next_contact_to(bot: RunningBot, code: str) -> list[str]:
    """Who the case's pending next-contact nudge is addressed to."""
    with bot.uow() as db:
        ids = {m.id: m.slack_user_id for m in staff_service.list_staff(db)}
        case = db.scalar(select(Case).where(Case.code == code))
        rows = db.scalars(
            select(Reminder).where(
                Reminder.case_id == case.id,
                Reminder.kind == ReminderKind.NEXT_CONTACT,
                Reminder.status == ReminderStatus.PENDING,
            )
        )
        return [ids.get(r.recipient_id, "") for r in rows]


def is_active(bot: RunningBot, user_id: str) -> bool:
    with bot.uow() as db:
        return staff_service.find_staff(db, user_id).active


def deactivate(bot: RunningBot, view_id: str, member: str, reassign_to: str | None = None, leave=False):
    values = state(
        member=person(member),
        reassign_to=person(reassign_to) if reassign_to else {"type": "users_select", "selected_user": None},
        leave_unassigned=choices("yes") if leave else choices(),
    )
    status, body = submit(bot, ADMIN, View.ADMIN_DEACTIVATE, values, view_id=view_id)
    assert status == 200
    return body


def test_the_admin_desk_refuses_then_hands_the_open_cases_over_with_their_reminders(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    add_staff(bot, "UCM1")
    add_staff(bot, "UCM2")
    add_staff(bot, "UOTHER", team="2팀")
    add_staff(bot, "ULEFT")
    with bot.uow() as db:
        staff_service.find_staff(db, "ULEFT").active = False
    codes = open_cases(bot, "UCM1", 0, count=2)
    before = pending_rows(bot, codes)
    assert before and set(before.values()) == {"UCM1"}

    body = deactivate(bot, "VDEP1", "UCM1")  # neither a person nor "leave unassigned": named, refused
    assert body["response_action"] == "errors" and set(body["errors"]) == {"reassign_to"}, body
    assert all(code in body["errors"]["reassign_to"] for code in codes)
    for bad, view_id in (("ULEFT", "VDEP2"), ("UOTHER", "VDEP3"), ("UCM1", "VDEP4")):
        body = deactivate(bot, view_id, "UCM1", reassign_to=bad)
        assert body["response_action"] == "errors" and "reassign_to" in body["errors"], (bad, body)
    body = deactivate(bot, "VDEP5", "UCM1", reassign_to="UCM2", leave=True)  # not both
    assert body["response_action"] == "errors", body
    assert is_active(bot, "UCM1") and managers(bot, codes) == {"UCM1"}
    assert pending_rows(bot, codes) == before
    assert bot.slack.calls("chat.postMessage") == []

    body = deactivate(bot, "VDEP6", "UCM1", reassign_to="UCM2")
    assert body["response_action"] == "update", body
    shown = str(body["view"])
    assert all(code in shown for code in codes) and "<@UCM2>" in shown
    assert not is_active(bot, "UCM1") and managers(bot, codes) == {"UCM2"}
    after = pending_rows(bot, codes)
    assert {i: after[i] for i in before} == {i: "UCM2" for i in before}  # the same rows, readdressed
    dms = bot.slack.wait_for("chat.postMessage", count=2 * len(codes))
    assert sorted(c.params["channel"] for c in dms) == sorted(["UCM1", "UCM2"] * len(codes))
    for call in dms:
        assert any(code in call.params["text"] for code in codes) and NAME not in str(call.params)
    deactivate(bot, "VDEP6", "UCM1", reassign_to="UCM2")  # a Slack retry: nothing twice
    assert len(bot.slack.calls("chat.postMessage")) == 2 * len(codes)


def home_published_for(bot: RunningBot, user: str, after: int) -> dict:
    """The first Home published for `user` after the first `after` publishes (the admin desk's own Home is
    published again by lazy work that may land in between)."""
    for count in range(after + 1, after + 6):
        call = bot.slack.wait_for("views.publish", count=count)[count - 1]
        if call.params["user_id"] == user:
            return call.params["view"]
    raise AssertionError(f"no Home published for {user}")


def test_a_case_left_unassigned_is_on_the_supervisors_home_with_a_transfer_button(bot: RunningBot):
    add_staff(bot, ADMIN, role=StaffRole.ADMIN)
    code = case_in_monitoring(bot, "UCM1", "USUP")
    add_staff(bot, "UCM2")
    body = deactivate(bot, "VDEP7", "UCM1", leave=True)
    assert body["response_action"] == "update", body
    assert code in str(body["view"]) and not is_active(bot, "UCM1")
    assert managers(bot, [code]) == {"UCM1"}
    assert set(pending_rows(bot, [code]).values()) == {"USUP"}  # their nudges, until it is transferred
    assert next_contact_to(bot, code) == ["USUP"]

    published_before = len(bot.slack.calls("views.publish"))
    open_home(bot, "USUP")
    home = home_published_for(bot, "USUP", published_before)
    headers = [b["text"]["text"] for b in home["blocks"] if b["type"] == "header"]
    assert any(h.startswith("담당자 없음") for h in headers), headers
    [transfer] = [b for b in buttons(home, Action.OPEN_TRANSFER) if CaseRef.read(b["value"]).code == code]

    opened_before = len(bot.slack.calls("views.open"))
    click(bot, "USUP", Action.OPEN_TRANSFER, transfer["value"], trigger_id="T-dep")
    modal = bot.slack.wait_for("views.open", count=opened_before + 1)[-1].params["view"]
    assert modal["callback_id"] == View.TRANSFER
    values = state(new_manager_id=person("UCM2"), keep_previous=choices())
    status, body = submit(
        bot, "USUP", View.TRANSFER, values, view_id="VDEPT", private_metadata=modal["private_metadata"]
    )
    assert status == 200 and body["response_action"] == "update", body
    assert managers(bot, [code]) == {"UCM2"}
    assert next_contact_to(bot, code) == ["UCM2"]
    published_before = len(bot.slack.calls("views.publish"))
    open_home(bot, "USUP")
    home = home_published_for(bot, "USUP", published_before)
    assert not [b for b in buttons(home, Action.OPEN_TRANSFER) if CaseRef.read(b["value"]).code == code]


def test_a_nudge_for_someone_who_left_reaches_the_supervisor(bot: RunningBot, tmp_path: Path):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP", StaffRole.SUPERVISOR)
    [code] = open_cases(bot, "UCM1", 15)  # its assessment is overdue
    with bot.uow() as db:  # deactivated without the desk (an older record, a database edit)
        staff_service.find_staff(db, "UCM1").active = False
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    at = calendar.next_working_start(datetime.now(settings.zone) + timedelta(hours=1))
    printed = send_reminders_as_of(bot, at, tmp_path)
    assert "0 failed" in printed and "undeliverable" not in printed, printed
    posted = [c.params for c in bot.slack.calls("chat.postMessage")]
    assert [p["channel"] for p in posted if code in p["text"]] == ["USUP"], posted
    assert "UCM1" not in {p["channel"] for p in posted}
    assert all(NAME not in str(p) for p in posted)
    with bot.uow() as db:
        ids = {m.id: m.slack_user_id for m in staff_service.list_staff(db)}
        case = db.scalar(select(Case).where(Case.code == code))
        rows = db.scalars(select(Reminder).where(Reminder.case_id == case.id)).all()
        assert not [
            r for r in rows if ids.get(r.recipient_id) == "UCM1" and r.status != ReminderStatus.CANCELLED
        ]
        assert any(ids.get(r.recipient_id) == "USUP" and r.status == ReminderStatus.SENT for r in rows)
