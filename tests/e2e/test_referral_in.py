"""Referral-in through the running bot: `/case new` records a referral only (stage 0), the Home offers
"record intake", `/case intake CODE` (초기상담) records it and the case moves on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.ids import Action, View
from models import Case
from models.enums import NextStep, Stage
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, answers_to, choices, command, day, state, submit, text
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_consents import click
from tests.e2e.test_home import buttons, open_home, published
from tests.e2e.test_intake import valid_intake

REASON = "이웃 주민이 어르신이 며칠째 식사를 못 한다고 알림"


def referral_values(**overrides: dict) -> dict:
    values = valid_intake(
        intake_summary=text(None),
        confidentiality_notice_given=choices(),
        consent_scopes=choices(),
        refusal_notice=choices(),
    )
    values.update(
        state(
            intake_held={"type": "radio_buttons", "selected_option": {"value": "referral_only"}},
            referrer=text("가상동 행정복지센터"),
            referred_on=day((datetime.now(UTC).date() - timedelta(days=3)).isoformat()),
            referral_reason=text(REASON),
        )
    )
    values.update(state(**overrides))
    return values


def the_case(bot: RunningBot) -> Case:
    with bot.uow() as db:
        return db.scalar(select(Case))


def stage_of(bot: RunningBot, code: str):
    from models.services import cases

    with bot.uow() as db:
        return cases.show(db, ctx_of(db, "UCM1"), code).state


def test_a_referral_only_then_the_intake_from_the_home(bot: RunningBot):
    add_staff(bot, "UCM1")
    future = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    _, body = submit(bot, "UCM1", View.INTAKE, referral_values(referred_on=day(future)), view_id="VRI0")
    assert body["response_action"] == "errors" and set(body["errors"]) == {"referred_on"}
    assert the_case(bot) is None

    _, body = submit(bot, "UCM1", View.INTAKE, referral_values(), view_id="VRI1")
    assert body["response_action"] == "update", body
    assert REASON not in json.dumps(body, ensure_ascii=False)
    case = the_case(bot)
    assert (
        case.intake_at is None and case.referral_reason == REASON and case.referrer == "가상동 행정복지센터"
    )
    state_ = stage_of(bot, case.code)
    assert state_.stage == Stage.REFERRAL_IN and state_.next_step == NextStep.RECORD_INTAKE

    open_home(bot, "UCM1")
    [button] = [
        b for b in buttons(published(bot)["view"], Action.OPEN_RECORD_INTAKE) if case.code in b["value"]
    ]
    click(bot, "UCM1", Action.OPEN_RECORD_INTAKE, button["value"])
    view = bot.slack.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == View.RECORD_INTAKE

    no_notice = state(intake_summary=text("방문 상담"), confidentiality_notice_given=choices())
    _, body = submit(
        bot, "UCM1", View.RECORD_INTAKE, no_notice, view_id="VRI2", private_metadata=view["private_metadata"]
    )
    assert set(body["errors"]) == {"confidentiality_notice_given"}
    assert the_case(bot).intake_at is None

    values = state(intake_summary=text("방문 상담"), confidentiality_notice_given=choices("yes"))
    _, body = submit(
        bot, "UCM1", View.RECORD_INTAKE, values, view_id="VRI3", private_metadata=view["private_metadata"]
    )
    assert body["response_action"] == "update", body
    assert the_case(bot).intake_at is not None
    assert stage_of(bot, case.code).stage == Stage.INTAKE
    # A Slack retry: the same answer, nothing recorded twice.
    _, again = submit(
        bot, "UCM1", View.RECORD_INTAKE, values, view_id="VRI3", private_metadata=view["private_metadata"]
    )
    assert again["response_action"] == "update"

    # The command too, now answered with "already recorded".
    told = len(answers_to(bot, "UCM1", 0))
    status, _ = command(bot, f"초기상담 {case.code}", "UCM1", channel_id="C0001")
    assert status == 200
    answer = answers_to(bot, "UCM1", told + 1)[-1]
    assert case.code in answer["text"] and "이미" in answer["text"]


def test_the_intake_command_opens_the_modal_for_a_referred_case(bot: RunningBot):
    add_staff(bot, "UCM1")
    submit(bot, "UCM1", View.INTAKE, referral_values(), view_id="VRI5")
    code = the_case(bot).code
    status, _ = command(bot, f"intake {code}", "UCM1")
    assert status == 200
    view = bot.slack.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == View.RECORD_INTAKE and code in json.dumps(view)
