"""Through the running bot with signed requests: `/case intake CODE` records the intake's details and a
crisis (the supervisors told by case code only, the first-response nudge at once); a school case's next
step on the Home names the missing student-support consent and its button opens the consent dialogue;
a co-worker is refused the public after-care hand-over."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseRef
from models import Case
from models.enums import (
    ConsentScope,
    MissingConsent,
    NextStep,
    Profile,
    ReminderKind,
    ReminderStatus,
    SignerRelationship,
    StaffRole,
)
from models.handover import AfterCareHandover
from models.reminder import Reminder
from models.services import cases, staff
from sandbox.slack.requests import block_actions, post
from tests.e2e import test_lifecycle as lifecycle
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answer_to, choice, choices, command, day, state, submit, text
from tests.e2e.test_consents import click
from tests.e2e.test_home import buttons, open_home, published
from tests.e2e.test_profiles import PUBLIC_TEAM, SCHOOL_TEAM, approve, closed_case, ctx_of
from tests.e2e.test_referral_in import referral_values, the_case
from tests.factories import consent, intake

SEOUL = ZoneInfo("Asia/Seoul")
GUARDIAN, GUARDIAN_PHONE, MEMBER = "윤보호자가상", "010-5151-6262", "윤가구원가상"


def referred_code(bot: RunningBot, user: str) -> str:
    _, body = submit(bot, user, View.INTAKE, referral_values(), view_id="VIF0")
    assert body["response_action"] == "update", body
    return the_case(bot).code


def open_record_intake(bot: RunningBot, user: str, code: str) -> dict:
    status, _ = command(bot, f"intake {code}", user)
    assert status == 200
    return bot.slack.wait_for("views.open")[-1].params["view"]


def interview_values(**overrides: dict) -> dict:
    values = {
        "intake_summary": text("가정 방문 초기상담"),
        "intake_route": {"type": "radio_buttons", "selected_option": {"value": "VISIT"}},
        "client.characteristics": choices("LIVING_ALONE"),
        "client.interpreter": choices("yes"),
        "client.interpreter_language": text("몽골어"),
        "client.benefits": choices("LIVELIHOOD"),
        "client.housing_type": choice("MONTHLY_RENT"),
        "crisis_flags": choices(),
        "household.0.name": text(MEMBER),
        "household.0.relation": text("손자"),
        "household.0.age_band": choice(None),
        "household.0.flags": choices("co_resident"),
        "guardians.0.name": text(GUARDIAN),
        "guardians.0.relationship_kind": text("아들"),
        "guardians.0.contact": text(GUARDIAN_PHONE),
        "guardians.0.legal_standing": choice("ADULT_GUARDIAN"),
        "guardians.0.flags": choices(),
        "confidentiality_notice_given": choices("yes"),
    }
    values.update(overrides)
    return state(**values)


def test_the_intake_command_shows_the_intakes_detail_blocks(bot: RunningBot):
    add_staff(bot, "UCM1")
    code = referred_code(bot, "UCM1")
    view = open_record_intake(bot, "UCM1", code)
    assert view["callback_id"] == View.RECORD_INTAKE
    ids = {b.get("block_id") for b in view["blocks"]}
    assert {
        "intake_route",
        "client.characteristics",
        "client.interpreter",
        "client.benefits",
        "client.housing_type",
        "crisis_flags",
        "guardians.0.legal_standing",
        "household.add",
        "guardians.add",
        "confidentiality_notice_given",
    } <= ids
    # "Add a household member": the same modal with one more row, what was typed kept.
    typed = {"client.interpreter_language": "몽골어", "guardians.0.name": GUARDIAN}
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.INTAKE_ADD_MEMBER, "block_id": "household.add"}],
        view={
            "id": "VIFADD",
            "callback_id": View.RECORD_INTAKE,
            "private_metadata": view["private_metadata"],
            "blocks": view["blocks"],
            "state": {"values": lifecycle.fill(view, typed)},
        },
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    [update] = bot.slack.wait_for("views.update")
    assert update.params["view_id"] == "VIFADD"
    updated = update.params["view"]
    assert updated["callback_id"] == View.RECORD_INTAKE
    assert updated["private_metadata"] == view["private_metadata"]
    kept = {b["block_id"]: b["element"] for b in updated["blocks"] if b["type"] == "input"}
    assert "household.0.relation" in kept and "household.1.relation" not in kept
    assert kept["client.interpreter_language"]["initial_value"] == "몽골어"
    assert kept["guardians.0.name"]["initial_value"] == GUARDIAN


def test_the_intake_of_a_referral_records_details_and_a_crisis_tells_the_supervisors(bot: RunningBot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR, team="2팀")  # another team's: not told
    code = referred_code(bot, "UCM1")
    view = open_record_intake(bot, "UCM1", code)
    meta = view["private_metadata"]

    nameless = interview_values(**{"guardians.0.name": text(None)})
    _, body = submit(bot, "UCM1", View.RECORD_INTAKE, nameless, view_id="VIF1", private_metadata=meta)
    assert body["response_action"] == "errors" and "guardians.0.name" in body["errors"], body
    assert the_case(bot).intake_at is None

    before = datetime.now(UTC)
    values = interview_values(crisis_flags=choices("SELF_HARM"))
    _, body = submit(bot, "UCM1", View.RECORD_INTAKE, values, view_id="VIF2", private_metadata=meta)
    assert body["response_action"] == "update", body
    case = the_case(bot)
    assert case.intake_at is not None and case.crisis and case.crisis_flags == ["SELF_HARM"]
    with bot.uow() as db:
        client = db.scalar(select(Case).where(Case.code == code)).client
        assert client.characteristics == ["LIVING_ALONE"] and client.benefits == ["LIVELIHOOD"]
        assert client.interpreter_needed and client.interpreter_language == "몽골어"
        assert [m.name for m in client.household] == [MEMBER]
        [guardian] = client.guardians
        assert guardian.name == GUARDIAN and guardian.is_legal_representative
    # The supervisor of the team, by DM, case code only.
    [message] = bot.slack.wait_for("chat.postMessage")
    assert message.params["channel"] == "USUP1" and code in message.params["text"]
    shown = json.dumps(message.params, ensure_ascii=False)
    assert all(v not in shown for v in ("자해", GUARDIAN, MEMBER, GUARDIAN_PHONE, "몽골어"))
    # The first-response nudge at once, with its 24-hour deadline; the supervisors' at the deadline.
    with bot.uow() as db:
        rows = list(
            db.scalars(
                select(Reminder).where(
                    Reminder.case_id == case.id,
                    Reminder.status == ReminderStatus.PENDING,
                    Reminder.kind.in_(
                        [ReminderKind.CRISIS_FIRST_RESPONSE, ReminderKind.CRISIS_RESPONSE_OVERDUE]
                    ),
                )
            )
        )
        manager = staff.find_staff(db, "UCM1").id
        supervisor = staff.find_staff(db, "USUP1").id
    [nudge] = [r for r in rows if r.kind == ReminderKind.CRISIS_FIRST_RESPONSE]
    [overdue] = [r for r in rows if r.kind == ReminderKind.CRISIS_RESPONSE_OVERDUE]
    assert nudge.recipient_id == manager and before <= nudge.due_at <= datetime.now(UTC)
    assert overdue.recipient_id == supervisor and overdue.due_at == nudge.due_at + timedelta(hours=24)
    assert nudge.deadline_on == overdue.due_at.astimezone(SEOUL).date()

    # Slack's retry of the same submission: recorded once, told once.
    _, again = submit(bot, "UCM1", View.RECORD_INTAKE, values, view_id="VIF2", private_metadata=meta)
    assert again["response_action"] == "update"
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_a_school_cases_home_names_the_missing_consent_and_opens_the_consent_dialogue(bot: RunningBot):
    add_staff(bot, "USCH", team=SCHOOL_TEAM)
    today = datetime.now(UTC).date()
    student = consent(ConsentScope.STUDENT_SUPPORT).model_copy(
        update={"signer_relationship": SignerRelationship.SELF}
    )
    with bot.uow() as db:
        staff.set_team_profile(db, SCHOOL_TEAM, Profile.SCHOOL)
        approve(db, "USCH", today)
        code = cases.open_case(db, ctx_of(db, "USCH"), intake(consents=[consent(), student])).code
        state_ = cases.show(db, ctx_of(db, "USCH"), code).state
    assert state_.next_step == NextStep.RECORD_CONSENT and state_.missing_consent == MissingConsent.GUARDIAN

    open_home(bot, "USCH")
    view = published(bot)["view"]
    step = t("lifecycle.next_step.consent", "ko", missing=MissingConsent.GUARDIAN.label("ko"))
    assert step in json.dumps(view["blocks"], ensure_ascii=False)
    assert NextStep.COMPLETE_ASSESSMENT.label("ko") not in json.dumps(view["blocks"], ensure_ascii=False)
    [button] = [b for b in buttons(view, Action.OPEN_CONSENT) if code in b["value"]]
    click(bot, "USCH", Action.OPEN_CONSENT, button["value"])
    opened = bot.slack.wait_for("views.open")[-1].params["view"]
    assert opened["callback_id"] == View.CONSENT and code in json.dumps(opened)
    # The form starts at the missing consent: student support, signed by a parent.
    initial = {
        b["block_id"]: b["element"].get("initial_option", {}).get("value")
        for b in opened["blocks"]
        if b["type"] == "input"
    }
    assert initial["scope"] == "STUDENT_SUPPORT" and initial["signer_relationship"] == "PARENT"

    # `/case show` says the same step.
    command(bot, f"show {code}", "USCH")
    shown = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    assert step in json.dumps(shown, ensure_ascii=False)


def test_a_coworker_is_refused_the_public_handover(bot: RunningBot):
    add_staff(bot, "UPUB", team=PUBLIC_TEAM)
    add_staff(bot, "USVP", StaffRole.SUPERVISOR, team=PUBLIC_TEAM)
    add_staff(bot, "UCOW", team=PUBLIC_TEAM)
    with bot.uow() as db:
        staff.set_team_profile(db, PUBLIC_TEAM, Profile.PUBLIC)
    code = closed_case(bot, "UPUB", "USVP")
    with bot.uow() as db:
        cases.add_coworker(db, ctx_of(db, "UPUB"), code, staff.find_staff(db, "UCOW").id)

    command(bot, f"인계 {code}", "UCOW")
    refusal = answer_to(bot, "UCOW")["text"]
    assert t("access.lead_actions.handover", "ko") in refusal and "R9" in refusal
    assert bot.slack.calls("views.open") == []

    # A submission of the dialogue all the same (an old modal): refused, nothing recorded.
    values = state(
        handed_to=text("가상동 행정복지센터"),
        handed_over_on=day(datetime.now(SEOUL).date().isoformat()),
        note=text(None),
    )
    meta = CaseRef(code=code).dump()
    _, body = submit(bot, "UCOW", View.HANDOVER, values, view_id="VHOC", private_metadata=meta)
    assert body["response_action"] == "errors" and "R9" in json.dumps(body, ensure_ascii=False)
    with bot.uow() as db:
        assert list(db.scalars(select(AfterCareHandover))) == []

    # The supervisor records it.
    _, body = submit(bot, "USVP", View.HANDOVER, values, view_id="VHOS", private_metadata=meta)
    assert body["response_action"] == "update", body
