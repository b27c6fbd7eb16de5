"""`/case hold|resume|transfer` (보류·재개·이관) through the running bot, with signed requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.ids import Action, View
from models import Case, Reminder
from models.enums import CaseStatus, ReminderKind, ReminderStatus
from models.services import cases
from models.services import staff as staff_service
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, choices, command, day, state, submit, text
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_consents import click
from tests.e2e.test_home import buttons, open_home, published
from tests.e2e.test_notes import case_in_monitoring
from tests.factories import CLIENT_NAME


def the_case(bot: RunningBot, code: str) -> Case:
    with bot.uow() as db:
        return db.scalar(select(Case).where(Case.code == code))


def pending(bot: RunningBot, code: str) -> list[tuple[ReminderKind, str]]:
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        rows = db.scalars(
            select(Reminder).where(Reminder.case_id == case.id, Reminder.status == ReminderStatus.PENDING)
        )
        ids = {m.id: m.slack_user_id for m in staff_service.list_staff(db)}
        return [(r.kind, ids.get(r.recipient_id, "")) for r in rows]


def opened(bot: RunningBot, command_text: str, user: str = "UCM1") -> dict:
    before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, command_text, user)
    assert status == 200
    return bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]


def test_hold_pauses_contact_nudges_and_the_home_offers_resume(bot: RunningBot):
    code = case_in_monitoring(bot)
    view = opened(bot, f"보류 {code}")
    assert view["callback_id"] == View.HOLD
    meta = view["private_metadata"]
    _, body = submit(
        bot,
        "UCM1",
        View.HOLD,
        state(reason=text("입원"), until=day(None)),
        view_id="VH1",
        private_metadata=meta,
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"until"}
    assert the_case(bot, code).status == CaseStatus.ACTIVE

    until = (datetime.now(UTC).date() + timedelta(days=21)).isoformat()
    values = state(reason=text("입원 치료 중"), until=day(until))
    _, body = submit(bot, "UCM1", View.HOLD, values, view_id="VH2", private_metadata=meta)
    assert body["response_action"] == "update", body
    case = the_case(bot, code)
    assert case.status == CaseStatus.ON_HOLD and case.hold_reason == "입원 치료 중"
    kinds = {kind for kind, _ in pending(bot, code)}
    assert ReminderKind.HOLD_END in kinds and ReminderKind.NEXT_CONTACT not in kinds

    open_home(bot, "UCM1")
    [resume] = [b for b in buttons(published(bot)["view"], Action.OPEN_RESUME) if code in b["value"]]
    click(bot, "UCM1", Action.OPEN_RESUME, resume["value"])
    view = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    assert view["callback_id"] == View.RESUME and until in str(view)
    _, body = submit(
        bot,
        "UCM1",
        View.RESUME,
        state(confirm=choices()),
        view_id="VR1",
        private_metadata=view["private_metadata"],
    )
    assert set(body["errors"]) == {"confirm"}
    _, body = submit(
        bot,
        "UCM1",
        View.RESUME,
        state(confirm=choices("yes")),
        view_id="VR2",
        private_metadata=view["private_metadata"],
    )
    assert body["response_action"] == "update", body
    assert the_case(bot, code).status == CaseStatus.ACTIVE
    assert ReminderKind.NEXT_CONTACT in {kind for kind, _ in pending(bot, code)}


def test_transfer_moves_reminders_tells_both_by_dm_and_refuses_bad_targets(bot: RunningBot):
    code = case_in_monitoring(bot)
    add_staff(bot, "UCM2")
    add_staff(bot, "UOTHER", team="2팀")
    add_staff(bot, "ULEFT")
    with bot.uow() as db:
        staff_service.find_staff(db, "ULEFT").active = False
    assert "UCM1" in {who for _, who in pending(bot, code)}

    view = opened(bot, f"이관 {code} <@UCM2|ucm2>")
    assert view["callback_id"] == View.TRANSFER
    picker = next(b for b in view["blocks"] if b.get("block_id") == "new_manager_id")
    assert picker["element"]["initial_user"] == "UCM2"
    meta = view["private_metadata"]

    def send(user_id: str, view_id: str, by: str = "UCM1") -> dict:
        values = state(
            new_manager_id={"type": "users_select", "selected_user": user_id}, keep_previous=choices()
        )
        return submit(bot, by, View.TRANSFER, values, view_id=view_id, private_metadata=meta)[1]

    for target, view_id in (("ULEFT", "VT1"), ("UOTHER", "VT2"), ("UCM1", "VT3"), ("UNOBODY", "VT4")):
        body = send(target, view_id)
        assert body["response_action"] == "errors" and set(body["errors"]) == {"new_manager_id"}, (
            target,
            body,
        )
    add_staff(bot, "UCW9")
    with bot.uow() as db:
        cases.add_coworker(db, ctx_of(db, "UCM1"), code, ctx_of(db, "UCW9").actor.id)
    body = send("UCW9", "VT5", by="UCW9")  # a co-worker may not transfer (R9)
    assert "R9" in next(iter(body["errors"].values()))
    assert the_case(bot, code).case_manager_id == staff_id(bot, "UCM1")

    body = send("UCM2", "VT6")
    assert body["response_action"] == "update", body
    assert the_case(bot, code).case_manager_id == staff_id(bot, "UCM2")
    recipients = {who for kind, who in pending(bot, code) if kind != ReminderKind.CONTACT_OVERDUE}
    assert "UCM1" not in recipients and "UCM2" in recipients
    dms = bot.slack.wait_for("chat.postMessage", count=2)
    assert {c.params["channel"] for c in dms} == {"UCM1", "UCM2"}
    for call in dms:
        assert code in call.params["text"] and CLIENT_NAME not in str(call.params)
    send("UCM2", "VT6")  # a Slack retry: no second transfer, no second DM
    assert len(bot.slack.calls("chat.postMessage")) == 2


def staff_id(bot: RunningBot, slack_user_id: str) -> int:
    with bot.uow() as db:
        return staff_service.find_staff(db, slack_user_id).id
