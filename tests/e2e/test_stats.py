"""`/case serve` (서비스 제공기록) and `/case stats` (통계), through the running bot with signed requests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import Action, View
from models import AuditLog, ServiceDelivery
from models.enums import StaffRole
from sandbox.slack.requests import block_actions, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answer_to, choice, command, day, state, submit, text
from tests.e2e.test_notes import case_in_monitoring

SEOUL = ZoneInfo("Asia/Seoul")


def deliveries(bot: RunningBot) -> list[ServiceDelivery]:
    with bot.uow() as db:
        return list(db.scalars(select(ServiceDelivery)))


def serve_values(opened: dict, **overrides: dict) -> dict:
    resource = next(b for b in opened["blocks"] if b.get("block_id") == "provider_staff_id")
    values = {
        "delivered_on": day(datetime.now(SEOUL).date().isoformat()),
        "category": choice("IN_KIND"),
        "description": text("가상 도시락 지원"),
        "quantity": {"type": "number_input", "value": "4"},
        "unit": choice("TIMES"),
        "amount_won": {"type": "number_input", "value": "40000"},
        "funding_source": choice("DONATION"),
        "provider_staff_id": choice(resource["element"]["options"][0]["value"]),
    }
    values.update(overrides)
    return state(**values)


def test_case_serve_records_a_delivery_once_and_refuses_bad_input(bot):
    code = case_in_monitoring(bot)
    status, _ = command(bot, f"serve {code}", "UCM1")
    assert status == 200
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.SERVE and code in str(opened["blocks"][0])
    meta = opened["private_metadata"]

    # a negative amount (forged past the number input's minimum), a date before the case opened,
    # a fund that is not in the catalog: field errors, nothing written
    yesterday = (datetime.now(SEOUL).date() - timedelta(days=3)).isoformat()
    for field, value in (
        ("amount_won", {"type": "number_input", "value": "-5"}),
        ("delivered_on", day(yesterday)),
        ("funding_source", choice("복권기금")),
    ):
        _, body = submit(
            bot, "UCM1", View.SERVE, serve_values(opened, **{field: value}), private_metadata=meta
        )
        assert body["response_action"] == "errors" and field in body["errors"], (field, body)
    assert deliveries(bot) == []

    values = serve_values(opened)
    _, body = submit(bot, "UCM1", View.SERVE, values, view_id="VSERVE1", private_metadata=meta)
    assert body["response_action"] == "update" and "₩40,000" in str(body["view"]), body
    _, again = submit(bot, "UCM1", View.SERVE, values, view_id="VSERVE1", private_metadata=meta)
    assert again["response_action"] == "update"
    [stored] = deliveries(bot)
    assert (stored.amount_won, stored.funding_source, stored.quantity) == (40_000, "DONATION", 4)
    assert "가상 도시락" not in str([c.params for c in bot.slack.calls()])  # the words stay out of Slack


def test_case_stats_is_for_supervisors_and_logged(bot):
    case_in_monitoring(bot)
    status, _ = command(bot, "통계", "UCM1")  # a case manager: refused in words
    assert status == 200
    refusal = answer_to(bot, "UCM1")["text"]
    assert "슈퍼바이저" in refusal or "supervisor" in refusal
    assert bot.slack.calls("views.open") == []

    month = datetime.now(SEOUL).strftime("%Y-%m")
    status, _ = command(bot, f"stats {month}", "USUP")
    assert status == 200
    view = bot.slack.wait_for("views.open")[0].params["view"]
    shown = str(view["blocks"])
    assert view["callback_id"] == View.STATS and "1팀" in shown
    assert "신규 접수" in shown or "New intakes" in shown
    assert "C-20" not in shown  # aggregates only: no case codes
    with bot.uow() as db:
        logged = db.scalars(select(AuditLog).where(AuditLog.record == "statistics")).all()
    assert len(logged) == 1 and f"from={month}-01" in (logged[0].detail or "")

    add_staff(bot, "UCM9", StaffRole.CASE_MANAGER)
    status, _ = command(bot, "stats 2026-13", "USUP")  # a month that does not exist
    assert status == 200
    assert "YYYY-MM" in answer_to(bot, "USUP")["text"]


def test_the_stats_modal_offers_the_workbook_and_without_an_address_says_how_to_make_it(bot):
    case_in_monitoring(bot)
    month = datetime.now(SEOUL).strftime("%Y-%m")
    command(bot, f"stats {month}", "USUP", channel_id="C0042")
    view = bot.slack.wait_for("views.open")[0].params["view"]
    [download] = [
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.STATS_DOWNLOAD
    ]
    request = block_actions(
        SIGNING_SECRET,
        user_id="USUP",
        actions=[{"action_id": Action.STATS_DOWNLOAD, "value": download["value"]}],
        view={**view, "id": "VSTATS1"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    pushed = bot.slack.wait_for("views.push")[-1].params["view"]
    shown = json.dumps(pushed, ensure_ascii=False)
    assert pushed["callback_id"] == View.STATS_DOWNLOAD
    assert f"casebot stats --from {month}-01" in shown and "--format xlsx" in shown
    # the button's value is checked again: a case manager who forges the click is refused in words
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.STATS_DOWNLOAD, "value": download["value"]}],
        view={**view, "id": "VSTATS2"},
        response_url=bot.slack.response_url("UCM1"),
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    assert "슈퍼바이저" in answer_to(bot, "UCM1")["text"] or "supervisor" in answer_to(bot, "UCM1")["text"]
    assert len(bot.slack.calls("views.push")) == 1
