"""The intake of issue 17 through the running bot with signed requests: household members and guardians
added in place, a crisis ticked at intake told to the supervisors within the request with a 24-hour
first-response nudge, an alleged-abuser guardian refused as the consent signer (at intake and in
`/case consent`), and nothing of the household or the guardians in any chat.* call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import Action, View
from models import Case, Consent, privacy
from models.client import Guardian, HouseholdMember
from models.enums import ReminderKind, ReminderStatus, StaffRole
from models.reminder import Reminder
from models.services import staff
from sandbox.slack.requests import block_actions, post
from tests.e2e import test_lifecycle as lifecycle
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, choice, choices, command, submit, text
from tests.e2e.test_consents import consent_values, open_dialogue
from tests.e2e.test_intake import NAME, cases_in, valid_intake
from tests.e2e.test_privacy_scan import everything_tagged_in, scheduler_side

MEMBERS = ("김첫째가구원", "김둘째가구원")
GUARDIAN, GUARDIAN_PHONE, GUARDIAN_EMAIL = "박보호자가상", "010-3141-5926", "guardian.park@example.com"
ABUSER, ABUSER_PHONE = "최의심가상", "010-2718-2818"
PRIVATE = (
    NAME,
    *MEMBERS,
    GUARDIAN,
    GUARDIAN_PHONE,
    GUARDIAN_PHONE.replace("-", ""),
    GUARDIAN_EMAIL,
    ABUSER,
    ABUSER_PHONE,
    ABUSER_PHONE.replace("-", ""),
    "베트남어",
)


def no_private_value_in_chat(bot: RunningBot) -> list[Any]:
    outbound = [c for c in bot.slack.calls() if c.method.startswith("chat.") or c.method == "response_url"]
    for call in outbound:
        shown = json.dumps(call.params, ensure_ascii=False)
        leaked = [value for value in PRIVATE if value in shown]
        assert not leaked, f"{call.method} to {call.params.get('channel')} carries {leaked}"
    return outbound


def pending_first_responses(bot: RunningBot, code: str) -> list[Reminder]:
    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        return list(
            db.scalars(
                select(Reminder).where(
                    Reminder.case_id == case_id,
                    Reminder.kind == ReminderKind.CRISIS_FIRST_RESPONSE,
                    Reminder.status == ReminderStatus.PENDING,
                )
            )
        )


def test_a_crisis_at_intake_reaches_the_supervisors_within_the_request_with_a_24_hour_nudge(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR, team="2팀")  # another team's: not told
    before = datetime.now(UTC)
    values = valid_intake(crisis_flags=choices("SELF_HARM", "ABUSE"))
    status, body = submit(bot, "UCM1", View.INTAKE, values, view_id="VCRISIS1")
    assert status == 200 and body["response_action"] == "update", body
    [case] = cases_in(bot)
    [message] = bot.slack.wait_for("chat.postMessage")
    assert message.params["channel"] == "USUP1"
    assert case.code in message.params["text"]
    buttons = [e for b in message.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [Action.OPEN_SHOW]
    shown = json.dumps(message.params, ensure_ascii=False)
    assert "자해" not in shown and "학대" not in shown  # the case code only, not even which flag

    [nudge] = pending_first_responses(bot, case.code)
    with bot.uow() as db:
        assert nudge.recipient_id == staff.find_staff(db, "UCM1").id
    # At once (the next sweep), with the first response's deadline 24 hours after the intake.
    assert before <= nudge.due_at <= datetime.now(UTC)
    deadline = nudge.due_at + timedelta(hours=24)
    assert nudge.deadline_on == deadline.astimezone(ZoneInfo("Asia/Seoul")).date()
    assert case.crisis and case.crisis_flags == ["SELF_HARM", "ABUSE"]

    # Slack's retry of the same submission: no second case, no second DM
    status, again = submit(bot, "UCM1", View.INTAKE, values, view_id="VCRISIS1")
    assert again["response_action"] == "update" and len(cases_in(bot)) == 1
    assert len(bot.slack.calls("chat.postMessage")) == 1
    no_private_value_in_chat(bot)


def test_no_crisis_ticked_nobody_is_told_and_no_first_response_is_due(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    _, body = submit(bot, "UCM1", View.INTAKE, valid_intake(), view_id="VCALM1")
    assert body["response_action"] == "update", body
    [case] = cases_in(bot)
    assert pending_first_responses(bot, case.code) == []
    assert bot.slack.calls("chat.postMessage") == []


def abuser_and_guardian(**overrides: dict) -> dict:
    return valid_intake(
        **{
            "client.under14": choices("yes"),
            "guardians.0.name": text(ABUSER),
            "guardians.0.relationship_kind": text("부"),
            "guardians.0.contact": text(ABUSER_PHONE),
            "guardians.0.legal_standing": choice("PARENTAL_AUTHORITY"),
            "guardians.0.flags": choices("alleged_abuser"),
            "guardians.1.name": text(GUARDIAN),
            "guardians.1.relationship_kind": text("모"),
            "guardians.1.legal_standing": choice("PARENTAL_AUTHORITY"),
            "guardians.1.flags": choices(),
            **overrides,
        }
    )


def test_an_alleged_abuser_offered_as_the_consent_signer_is_refused_with_a_field_error(bot):
    add_staff(bot, "UCM1")
    offered = abuser_and_guardian(consent_signer=choice("guardian.0"))
    status, body = submit(bot, "UCM1", View.INTAKE, offered, view_id="VABUSE1")
    assert status == 200 and body["response_action"] == "errors", body
    assert set(body["errors"]) == {"consent_signer"} and "R12" in body["errors"]["consent_signer"]
    assert cases_in(bot) == []
    with bot.uow() as db:
        assert list(db.scalars(select(Guardian))) == [] and list(db.scalars(select(Consent))) == []

    # left to the default, a child's first guardian (the alleged abuser here) would sign: refused too
    _, body = submit(bot, "UCM1", View.INTAKE, abuser_and_guardian(), view_id="VABUSE2")
    assert set(body["errors"]) == {"consent_signer"} and cases_in(bot) == []

    _, body = submit(
        bot, "UCM1", View.INTAKE, abuser_and_guardian(consent_signer=choice("guardian.1")), view_id="VABUSE3"
    )
    assert body["response_action"] == "update", body
    [case] = cases_in(bot)
    with bot.uow() as db:
        signers = {c.signer_name for c in db.scalars(select(Consent).where(Consent.case_id == case.id))}
        flagged = [(g.name, g.is_alleged_abuser) for g in db.scalars(select(Guardian).order_by(Guardian.id))]
    assert signers == {GUARDIAN} and flagged == [(ABUSER, True), (GUARDIAN, False)]

    # and later, in /case consent: the same guardian refused under the signer's input, nothing written
    view = open_dialogue(bot, case.code)
    values = consent_values(
        scope=choice("MEDIA"), signer_name=text(f" {ABUSER} "), signer_relationship=choice("PARENT")
    )
    _, body = submit(
        bot, "UCM1", View.CONSENT, values, view_id="VABUSE4", private_metadata=view["private_metadata"]
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"signer_name"}, body
    assert "R12" in body["errors"]["signer_name"]
    with bot.uow() as db:
        assert {c.signer_name for c in db.scalars(select(Consent).where(Consent.case_id == case.id))} == {
            GUARDIAN
        }
    no_private_value_in_chat(bot)


def opened_intake(bot: RunningBot) -> tuple[str, dict]:
    """The intake modal opened through views.open and the id the stand-in gave it (its ids keep
    increasing across the tests of a module, so the stored views are searched)."""
    view = bot.slack.wait_for("views.open")[0].params["view"]
    found = []
    for number in range(1, 2000):
        try:
            stored = bot.slack.view(f"V{number:06d}")
        except KeyError:
            continue
        if stored.get("callback_id") == View.INTAKE and stored["blocks"] == view["blocks"]:
            found.append(stored["id"])
    assert found, "the stand-in holds no intake modal"
    return found[-1], view


def click_add(bot: RunningBot, view_id: str, view: dict, typed: dict, action: str, updates: int) -> dict:
    """An "add" button inside the open intake modal, with what was typed; the view it is updated to."""
    block = "household.add" if action == Action.INTAKE_ADD_MEMBER else "guardians.add"
    request = block_actions(
        SIGNING_SECRET,
        user_id=lifecycle.MANAGER,
        actions=[{"action_id": action, "block_id": block}],
        view={
            "id": view_id,
            "callback_id": View.INTAKE,
            "private_metadata": view["private_metadata"],
            "blocks": view["blocks"],
            "state": {"values": lifecycle.fill(view, typed)},
        },
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    params = bot.slack.wait_for("views.update", updates)[updates - 1].params
    assert params["view_id"] == view_id
    return params["view"]


def test_a_full_intake_with_household_and_guardians_leaves_none_of_them_in_any_chat_call(bot, tmp_path):
    add_staff(bot, lifecycle.MANAGER)
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    assert command(bot, "new", lifecycle.MANAGER, channel_id=lifecycle.CHANNEL)[0] == 200
    view_id, view = opened_intake(bot)
    typed: dict[str, Any] = {
        "referral_source": "outreach",
        "intake_route": "OUTREACH",
        "client.name": NAME,
        "client.contact": "010-5555-6666",
        "client.characteristics": ["SINGLE_PARENT", "MULTICULTURAL"],
        "client.interpreter": ["yes"],
        "client.interpreter_language": "베트남어",
        "client.benefits": ["LIVELIHOOD", "EMERGENCY"],
        "client.housing_type": "MONTHLY_RENT",
        "presenting_needs": ["ECONOMIC"],
        "crisis_flags": ["CARER_LOSS"],
        "guardians.0.name": GUARDIAN,
        "guardians.0.relationship_kind": "조모",
        "guardians.0.contact": f"{GUARDIAN_PHONE}, {GUARDIAN_EMAIL}",
        "guardians.0.legal_standing": "MINOR_GUARDIAN",
        "confidentiality_notice_given": ["yes"],
        "consent_scopes": ["COLLECT_USE"],
        "refusal_notice": ["yes"],
    }
    # two household members and a second guardian, each row added in place with what was typed kept
    view = click_add(bot, view_id, view, typed, Action.INTAKE_ADD_MEMBER, 1)
    view = click_add(bot, view_id, view, typed, Action.INTAKE_ADD_MEMBER, 2)
    view = click_add(bot, view_id, view, typed, Action.INTAKE_ADD_GUARDIAN, 3)
    ids = {b.get("block_id") for b in view["blocks"]}
    assert {"household.1.name", "guardians.1.name"} <= ids and "household.2.name" not in ids
    kept = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert kept["client.name"]["initial_value"] == NAME
    assert kept["guardians.0.contact"]["initial_value"] == f"{GUARDIAN_PHONE}, {GUARDIAN_EMAIL}"
    assert [o["value"] for o in kept["client.benefits"]["initial_options"]] == ["LIVELIHOOD", "EMERGENCY"]
    typed |= {
        "household.0.name": MEMBERS[0],
        "household.0.relation": "자녀",
        "household.0.age_band": "CHILD",
        "household.0.flags": ["co_resident"],
        "household.1.name": MEMBERS[1],
        "household.1.relation": "자녀",
        "household.1.age_band": "YOUTH",
        "household.1.flags": ["co_resident", "main_carer"],
        "guardians.1.name": ABUSER,
        "guardians.1.relationship_kind": "부",
        "guardians.1.contact": ABUSER_PHONE,
        "guardians.1.flags": ["alleged_abuser"],
        "consent_signer": "guardian.0",
    }
    body = lifecycle.send(bot, lifecycle.MANAGER, view_id, view, typed)
    assert body["response_action"] == "update" and body["view"]["callback_id"] == View.DONE, body
    [case] = cases_in(bot)
    bot.slack.wait_for("chat.postMessage")  # the supervisor's crisis DM
    with bot.uow() as db:
        members = [(m.name, m.relation, m.is_main_carer) for m in db.scalars(select(HouseholdMember))]
        kept_guardians = [(g.name, g.contact, g.is_alleged_abuser) for g in db.scalars(select(Guardian))]
    assert members == [(MEMBERS[0], "자녀", False), (MEMBERS[1], "자녀", True)]
    assert kept_guardians == [
        (GUARDIAN, f"{GUARDIAN_PHONE}, {GUARDIAN_EMAIL}", False),
        (ABUSER, ABUSER_PHONE, True),
    ]

    # the scheduler's side on the same record: digests and every pending reminder sent
    scheduler_side(bot, case.code)
    stored = everything_tagged_in(bot)
    for private, column in [(MEMBERS[0], "household_members.name"), (GUARDIAN_EMAIL, "guardians.contact")]:
        assert column in {t.label for t in stored.matches(privacy.normalise(private))}, private
    outbound = no_private_value_in_chat(bot)
    assert {"chat.postMessage", "chat.postEphemeral"} <= {c.method for c in outbound}
    for call in outbound:
        findings = privacy.scan(call.params, seen_values=stored)
        assert findings == [], f"{call.method}: {[str(f) for f in findings]}"
