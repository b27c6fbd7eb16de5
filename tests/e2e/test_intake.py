"""`/case new` → the intake modal → a case, through the running bot and the Slack stand-in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import text as text_sql

from bot.ids import View
from models import Case, Consent, StaffMember
from tests.e2e.helpers import add_staff, choice, choices, command, day, state, submit, text

NAME = "홍가상"


def valid_intake(**overrides: dict) -> dict:
    values = {
        "referral_source": choice("public_office"),
        "client.name": text(NAME),
        "client.birth_date": day("1970-05-01"),
        "client.contact": text("010-0000-0000"),
        "client.under14": choices(),
        "presenting_needs": choices("ECONOMIC", "HEALTH", kind="multi_static_select"),
        "intake_summary": text("실직 후 주거비 체납"),
        "confidentiality_notice_given": choices("yes"),
        "consent_scopes": choices("COLLECT_USE", "SENSITIVE"),
        "refusal_notice": choices("yes"),
    }
    values.update(overrides)
    return state(**values)


def cases_in(bot) -> list[Case]:
    with bot.uow() as db:
        return list(db.scalars(select(Case)))


def test_case_new_opens_the_intake_modal_at_once(bot):
    add_staff(bot, "UCM1")
    status, _ = command(bot, "new", "UCM1", channel_id="C0001")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[0]
    assert opened.params["view"]["callback_id"] == View.INTAKE
    assert opened.params["trigger_id"]
    block_ids = {b.get("block_id") for b in opened.params["view"]["blocks"]}
    assert {"client.name", "confidentiality_notice_given", "consent_scopes"} <= block_ids


def test_a_valid_intake_creates_the_case_once_and_answers_privately(bot):
    add_staff(bot, "UCM1")
    metadata = '{"channel": "C0001"}'
    status, body = submit(bot, "UCM1", View.INTAKE, valid_intake(), view_id="V1", private_metadata=metadata)
    assert status == 200 and body["response_action"] == "update"
    [case] = cases_in(bot)
    assert case.code in str(body["view"])
    ephemeral = bot.slack.wait_for("chat.postEphemeral")[0]
    assert ephemeral.params["channel"] == "C0001" and case.code in ephemeral.params["text"]
    with bot.uow() as db:
        scopes = set(db.scalars(select(Consent.scope).where(Consent.case_id == case.id)))
    assert {s.value for s in scopes} == {"COLLECT_USE", "SENSITIVE"}

    # a double click or retry of the same view: the same answer, no second case, no second message
    status, again = submit(bot, "UCM1", View.INTAKE, valid_intake(), view_id="V1", private_metadata=metadata)
    assert status == 200 and again["response_action"] == "update" and case.code in str(again["view"])
    assert len(cases_in(bot)) == 1
    assert len(bot.slack.calls("chat.postEphemeral")) == 1

    for call in bot.slack.calls():
        if call.method.startswith("chat."):
            assert NAME not in str(call.params)


def test_bad_input_comes_back_as_field_errors_and_creates_nothing(bot):
    add_staff(bot, "UCM1")
    values = valid_intake(
        **{
            "client.name": text(None),
            "confidentiality_notice_given": choices(),
            "intake_summary": text("주민번호 900101-1234567"),
        }
    )
    status, body = submit(bot, "UCM1", View.INTAKE, values, view_id="V2")
    assert status == 200 and body["response_action"] == "errors"
    assert set(body["errors"]) >= {"client.name"}
    assert cases_in(bot) == []

    status, body = submit(
        bot, "UCM1", View.INTAKE, valid_intake(intake_summary=text("900101-1234567")), view_id="V3"
    )
    assert body["errors"] == {"intake_summary": body["errors"]["intake_summary"]}
    assert "주민등록번호" in body["errors"]["intake_summary"]

    status, body = submit(
        bot, "UCM1", View.INTAKE, valid_intake(confidentiality_notice_given=choices()), view_id="V4"
    )
    assert set(body["errors"]) == {"confidentiality_notice_given"}

    status, body = submit(bot, "UCM1", View.INTAKE, valid_intake(refusal_notice=choices()), view_id="V5")
    assert set(body["errors"]) == {"refusal_notice"}

    status, body = submit(
        bot, "UCM1", View.INTAKE, valid_intake(**{"client.under14": choices("yes")}), view_id="V6"
    )
    assert set(body["errors"]) == {"guardians.0.name"}
    assert cases_in(bot) == []


def test_errors_speak_the_users_language(bot):
    add_staff(bot, "UEN1")
    bot.slack.set_user("UEN1", locale="en-US")
    _, body = submit(
        bot, "UEN1", View.INTAKE, valid_intake(confidentiality_notice_given=choices()), view_id="V7"
    )
    assert "confidentiality" in body["errors"]["confidentiality_notice_given"]


def test_the_users_language_and_time_zone_are_kept_from_slack(bot):
    add_staff(bot, "UEN2")
    bot.slack.set_user("UEN2", locale="en-US", tz="America/New_York")
    add_staff(bot, "UODD")
    bot.slack.set_user("UODD", locale="ko-KR", tz="Mars/Olympus_Mons")  # no such zone: not kept
    for user in ("UEN2", "UODD"):
        status, _ = command(bot, "help", user)
        assert status == 200
    with bot.uow() as db:
        kept = dict(db.execute(select(StaffMember.slack_user_id, StaffMember.tz)).all())
        languages = dict(db.execute(select(StaffMember.slack_user_id, StaffMember.locale)).all())
    assert (kept["UEN2"], languages["UEN2"]) == ("America/New_York", "en")
    assert (kept["UODD"], languages["UODD"]) == (None, "ko")


def test_someone_who_is_not_staff_cannot_submit(bot):
    _, body = submit(bot, "UNOBODY", View.INTAKE, valid_intake(), view_id="V8")
    assert body["response_action"] == "errors"
    assert cases_in(bot) == []


def test_the_database_failing_keeps_the_modal_open(bot):
    add_staff(bot, "UCM1")
    with bot.uow() as db:  # a real database failure in this test's own database
        db.execute(text_sql("DROP TABLE processed_requests"))
    _, body = submit(bot, "UCM1", View.INTAKE, valid_intake(), view_id="V9")
    assert body["response_action"] == "errors"
    message = next(iter(body["errors"].values()))
    assert "다시" in message and NAME not in message
    assert cases_in(bot) == []  # the half-done work was rolled back
