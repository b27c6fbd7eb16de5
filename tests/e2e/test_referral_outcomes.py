"""Referral outcomes, after-care LINK referrals and the reply to a referral-in's referrer, through the
running bot with signed requests (SQLite and PostgreSQL): a decline's reason and note are stored and
appear in no chat.* call; a LINK check leads to the referral form; the reply nudge's button records it."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.ids import Action, View
from bot.metadata import CaseRef, HistoryPage, ReferFrom
from bot.settings import Settings
from bot.slack_client import make_web_client
from models import Case, Reminder, UnmetNeed
from models.enums import (
    CaseIntensity,
    DeclineReason,
    ReferralStatus,
    ReminderKind,
    ReminderStatus,
    ReplyMethod,
    Surface,
)
from models.services import assessments, cases, staff
from models.services.calendar import WorkCalendar
from models.services.case_file import Section
from models.services.context import Ctx
from sandbox.slack.requests import block_actions, post
from scheduler.sweep import sweep
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answer_to, choice, choices, command, day, state, submit, text
from tests.e2e.test_closure import aftercare_checks, click, request_closure
from tests.e2e.test_notes import case_in_monitoring
from tests.e2e.test_referrals import (
    NAME,
    REASON,
    WITH_CONSENT,
    add_resource,
    case_for,
    meta,
    refer_values,
    referrals_of,
    status_buttons,
)
from tests.e2e.test_referrals import click as click_action
from tests.factories import assessment_input, intake

NOTE = "가상센터 회신: 소득 기준 초과로 이번 분기 이용 불가"
REFERRER = "가상동 행정복지센터 맞춤형복지팀"


def chat_calls(bot: RunningBot) -> list[str]:
    """Everything the bot sent with chat.* methods and through response_urls, as text."""
    return [
        json.dumps(c.params, ensure_ascii=False)
        for c in bot.slack.calls()
        if c.method.startswith("chat.") or c.method == "response_url"
    ]


def initial_date(view: dict, block_id: str) -> str:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]["initial_date"]


def sent_referral(bot: RunningBot) -> tuple[str, dict]:
    """A case with a referral sent (consent obtained in the form), and the case manager's DM."""
    add_staff(bot, "UCM1")
    code = case_for(bot)
    resource = add_resource(bot, "행복주거지원센터")
    _, body = submit(
        bot,
        "UCM1",
        View.REFER,
        refer_values(resource, **WITH_CONSENT),
        view_id="VREF1",
        private_metadata=meta(code),
    )
    assert body["response_action"] == "update", body
    return code, bot.slack.wait_for("chat.postMessage")[0].params


def test_a_declined_referral_keeps_reason_and_note_in_the_record_and_out_of_every_chat_call(bot):
    code, dm = sent_referral(bot)
    message = {"ts": "1700000000.000100", "text": dm["text"], "blocks": dm["blocks"]}
    declined = status_buttons(dm["blocks"])["DECLINED"]
    action = {"action_id": declined["action_id"], "value": declined["value"], "block_id": "referral"}
    assert click_action(bot, "UCM1", action, channel_id="DUCM1", message=message) == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.REFERRAL_STATUS
    reasons = next(b for b in opened["blocks"] if b.get("block_id") == "outcome_reason")
    assert [o["text"]["text"] for o in reasons["element"]["options"]][:2] == ["자격 불충족", "정원 초과/대기"]
    today = initial_date(opened, "outcome_on")

    # no reason and no note: each comes back under its input, nothing is recorded
    empty = state(
        outcome_on=day(today), outcome_reason=choice(None), outcome_note=text(None), no_alternative=choices()
    )
    _, body = submit(
        bot, "UCM1", View.REFERRAL_STATUS, empty, view_id="VDEC1", private_metadata=opened["private_metadata"]
    )
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"outcome_reason", "outcome_note"}
    assert referrals_of(bot, code)[0].status == ReferralStatus.SENT

    full = state(
        outcome_on=day(today),
        outcome_reason=choice("NO_CAPACITY"),
        outcome_note=text(NOTE),
        no_alternative=choices("yes"),
    )
    for _ in range(2):  # a double submit records it once
        _, body = submit(
            bot,
            "UCM1",
            View.REFERRAL_STATUS,
            full,
            view_id="VDEC2",
            private_metadata=opened["private_metadata"],
        )
        assert body["response_action"] == "update", body
    [referral] = referrals_of(bot, code)
    assert referral.status == ReferralStatus.DECLINED and referral.outcome == NOTE
    assert referral.outcome_reason == "NO_CAPACITY" and referral.no_alternative
    with bot.uow() as db:
        [need] = db.scalars(select(UnmetNeed)).all()
        assert need.referral_id == referral.id and need.category.value == "HOUSING"

    update = bot.slack.wait_for("chat.update")[0].params
    assert update["channel"] == "DUCM1" and ReferralStatus.DECLINED.label("ko") in update["text"]
    time.sleep(0.3)
    assert len(bot.slack.calls("chat.update")) == 1

    # the circle reads the reason and the note in the history (a modal), never in a message
    command(bot, f"과정기록 {code}", "UCM1")
    view = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    page = HistoryPage(code=code, section=Section.REFERRALS).dump()
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": f"{Action.HISTORY_PAGE}.referrals", "value": page}],
        view={**view, "id": "VHIST1"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    history = json.dumps(bot.slack.wait_for("views.update")[-1].params["view"], ensure_ascii=False)
    reason_label = DeclineReason.NO_CAPACITY.label("ko")
    assert NOTE in history and reason_label in history
    # and the case summary lists the declined referral with its reason
    command(bot, f"show {code}", "UCM1")
    shown = json.dumps(bot.slack.wait_for("views.open", count=3)[-1].params["view"], ensure_ascii=False)
    assert "행복주거지원센터" in shown and reason_label in shown

    sent = chat_calls(bot)
    assert sent, "the referral DM and its update were sent"
    for secret in (NOTE, "소득 기준 초과", reason_label, "NO_CAPACITY", NAME, REASON):
        assert not [c for c in sent if secret in c], secret


def test_an_after_care_link_check_leads_to_a_referral_on_the_after_care_case(bot):
    code = case_in_monitoring(bot)
    resource = add_resource(bot, "행복주거지원센터")
    closure, _ = request_closure(bot, code)
    click(bot, "USUP", Action.APPROVE_CLOSURE, closure.id)
    bot.slack.wait_for("chat.update")
    check = aftercare_checks(bot, code)[0]

    # /case refer on a case in after-care is refused (not open)
    _, body = submit(
        bot,
        "UCM1",
        View.REFER,
        refer_values(resource, **WITH_CONSENT),
        view_id="VAL0",
        private_metadata=meta(code),
    )
    assert body["response_action"] == "errors" and referrals_of(bot, code) == []

    command(bot, f"사후관리 {code}", "UCM1")
    opened = bot.slack.wait_for("views.open", count=2)[-1].params["view"]
    assert opened["callback_id"] == View.AFTERCARE
    values = state(
        method=choice("PHONE"),
        status={"type": "radio_buttons", "selected_option": {"value": "STABLE"}},
        action={"type": "radio_buttons", "selected_option": {"value": "LINK"}},
        note=text("주거 불안 재발, 주거지원 연계 필요"),
    )
    _, body = submit(
        bot, "UCM1", View.AFTERCARE, values, view_id="VAL1", private_metadata=opened["private_metadata"]
    )
    assert body["response_action"] == "push", body
    form = body["view"]
    assert form["callback_id"] == View.REFER
    assert ReferFrom.read(form["private_metadata"]) == ReferFrom(code=code, check_id=check.id)
    assert [c.id for c in aftercare_checks(bot, code) if c.done_at is not None] == [check.id]

    # the pushed form is its own view: submitted once, it sends the referral on the after-care case
    for _ in range(2):
        _, sent = submit(
            bot,
            "UCM1",
            View.REFER,
            refer_values(resource, **WITH_CONSENT),
            view_id="VAL2",
            private_metadata=form["private_metadata"],
        )
        assert sent["response_action"] == "update", sent
    [referral] = referrals_of(bot, code)
    assert referral.status == ReferralStatus.SENT and referral.aftercare_check_id == check.id
    with bot.uow() as db:
        assert db.scalar(select(Case.status).where(Case.code == code)).value in ("AFTERCARE", "CLOSED")
    dms = [c for c in bot.slack.wait_for("chat.postMessage") if c.params["channel"] == "UCM1"]
    assert any(code in c.params["text"] and "행복주거지원센터" in c.params["text"] for c in dms)


def referral_in_classified(bot: RunningBot, *, add: bool = True) -> str:
    if add:
        add_staff(bot, "UCM1")
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, "UCM1"), surface=Surface.CLI, now=datetime.now(UTC))
        data = intake(with_consent=True, intake_held=False).model_copy(
            update={"referrer": REFERRER, "referred_on": ctx.today - timedelta(days=2)}
        )
        case = cases.open_case(db, ctx, data)
        cases.record_intake(db, ctx, case.code, summary=None, notice_given=True)
        assessments.assess(db, ctx, case.code, assessment_input())
        cases.classify(db, ctx, case.code, CaseIntensity.GENERAL)
        return case.code


def reply_reminders(bot: RunningBot, code: str) -> list[Reminder]:
    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        return list(
            db.scalars(
                select(Reminder).where(
                    Reminder.case_id == case_id, Reminder.kind == ReminderKind.REFERRER_REPLY
                )
            )
        )


def test_the_reply_nudge_reaches_the_case_manager_and_its_button_records_the_reply(bot):
    code = referral_in_classified(bot)
    [row] = reply_reminders(bot, code)
    settings = Settings(_env_file=None, slack_bot_token="xoxb-e2e", slack_api_url=bot.slack.url)  # type: ignore[call-arg]
    due_on = row.deadline_on
    assert due_on == datetime.now(settings.zone).date() + timedelta(days=7)

    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    later = calendar.next_working_start(row.due_at.astimezone(settings.zone) + timedelta(hours=1))
    report = sweep(
        bot.uow,
        make_web_client(settings),
        settings.policy(),
        calendar,
        later + timedelta(hours=1),
        sleep=lambda _: None,
    )
    assert report.failed == 0, report
    nudges = [
        c.params
        for c in bot.slack.calls("chat.postMessage")
        if Action.OPEN_REFERRER_REPLY in json.dumps(c.params.get("blocks") or [])
    ]
    assert len(nudges) == 1 and nudges[0]["channel"] == "UCM1" and code in nudges[0]["text"]
    assert REFERRER not in json.dumps(nudges[0], ensure_ascii=False)
    [button] = [
        e
        for b in nudges[0]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.OPEN_REFERRER_REPLY
    ]
    assert json.loads(button["value"]) == json.loads(CaseRef(code=code).dump())

    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": button["action_id"], "value": button["value"]}],
        channel_id="DUCM1",
        message={"ts": "1700000000.000300", "text": nudges[0]["text"]},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    opened = bot.slack.wait_for("views.open")[-1].params["view"]
    assert opened["callback_id"] == View.REFERRER_REPLY
    today = initial_date(opened, "replied_on")
    future = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    _, body = submit(
        bot,
        "UCM1",
        View.REFERRER_REPLY,
        state(replied_on=day(future), method=choice("DOCUMENT")),
        view_id="VREP1",
        private_metadata=opened["private_metadata"],
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"replied_on"}
    for _ in range(2):
        _, body = submit(
            bot,
            "UCM1",
            View.REFERRER_REPLY,
            state(replied_on=day(today), method=choice("DOCUMENT")),
            view_id="VREP2",
            private_metadata=opened["private_metadata"],
        )
        assert body["response_action"] == "update", body
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        assert case.referrer_replied_on == date.fromisoformat(today)
        assert case.referrer_reply_method == ReplyMethod.DOCUMENT
    [row] = reply_reminders(bot, code)
    assert row.status == ReminderStatus.SENT and row.unneeded  # its message is marked done at the next sweep
    command(bot, f"show {code}", "UCM1")
    shown = json.dumps(bot.slack.wait_for("views.open", count=2)[-1].params["view"], ensure_ascii=False)
    assert f"{today} · {ReplyMethod.DOCUMENT.label('ko')}" in shown

    # the button again: the reply is recorded already, told privately, no dialogue
    opens = len(bot.slack.calls("views.open"))
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    told = bot.slack.wait_for("chat.postEphemeral")[-1].params
    assert told["user"] == "UCM1" and today in told["text"]
    assert len(bot.slack.calls("views.open")) == opens


def test_case_reply_opens_the_reply_dialogue_and_refuses_a_case_not_referred_in(bot):
    other = case_in_monitoring(bot)  # opened by the walk-in route: no referrer to answer
    code = referral_in_classified(bot, add=False)
    status, _ = command(bot, f"회신 {code}", "UCM1")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[-1].params["view"]
    assert opened["callback_id"] == View.REFERRER_REPLY and code in json.dumps(opened, ensure_ascii=False)

    before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, f"reply {other}", "UCM1")
    assert status == 200
    refusal = answer_to(bot, "UCM1")["text"]
    assert "의뢰" in refusal or "referr" in refusal
    assert len(bot.slack.calls("views.open")) == before
