"""`casebot run` in HTTP mode: signed requests in, Web API calls out to the local stand-in."""

from __future__ import annotations

import json
import time

from models.enums import StaffRole, Surface
from models.schemas import StaffInput
from models.services import cases, staff
from models.services.context import Ctx
from sandbox.slack.requests import post, slash_command
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import answer_to
from tests.factories import NOW, intake


def add_staff(bot, user_id: str, role: StaffRole = StaffRole.CASE_MANAGER, team: str = "1팀"):
    with bot.uow() as db:
        return staff.add_staff(
            db, StaffInput(slack_user_id=user_id, display_name=user_id, role=role, team=team)
        )


def send(bot, text: str, user_id: str, **kwargs):
    kwargs.setdefault("response_url", bot.slack.response_url(user_id))
    request = slash_command(SIGNING_SECRET, text=text, user_id=user_id, **kwargs)
    return post(bot.events_url, request.body, request.headers)


def test_unsigned_and_stale_requests_are_refused_and_logged(bot, tmp_path):
    request = slash_command("wrong-secret", text="help 가나다테스트", user_id="U1")
    assert post(bot.events_url, request.body, request.headers)[0] == 401
    stale = slash_command(SIGNING_SECRET, text="help", user_id="U1", timestamp=int(time.time()) - 6 * 60)
    assert post(bot.events_url, stale.body, stale.headers)[0] == 401
    assert bot.slack.calls("chat.postEphemeral") == []
    log = bot.log_text()
    assert log.count("refused a request with an invalid or stale Slack signature from 127.0.0.1") == 2
    assert "가나다테스트" not in log and SIGNING_SECRET not in log  # neither the body nor the secret


def test_unknown_user_gets_a_polite_refusal_and_nothing_else(bot):
    status, _, body = send(bot, "list", "UNOBODY")
    assert status == 200
    answer = json.loads(body)  # answered in the ack: only the asker sees it
    assert answer["response_type"] == "ephemeral" and "권한이 없습니다" in answer["text"]
    time.sleep(0.3)
    # nothing else happened (Bolt's own one-time auth.test aside)
    assert [c.method for c in bot.slack.calls() if c.method != "auth.test"] == []


def test_help_list_and_show_answer_privately_with_case_codes_only(bot):
    member = add_staff(bot, "UCM1")
    with bot.uow() as db:
        actor = staff.find_staff(db, "UCM1")
        case = cases.open_case(db, Ctx(actor=actor, surface=Surface.CLI, now=NOW), intake(name="비밀이름"))
        code = case.code
    assert member.slack_user_id == "UCM1"

    status, _, body = send(bot, "", "UCM1")
    help_answer = json.loads(body)
    assert status == 200 and help_answer["response_type"] == "ephemeral"
    assert "/case list" in str(help_answer["blocks"])
    status, _, body = send(bot, "frobnicate", "UCM1")
    assert "frobnicate" in json.loads(body)["text"]

    send(bot, "list", "UCM1", channel_id="C0001")
    listed = answer_to(bot, "UCM1")  # through the command's response_url
    assert code in str(listed["blocks"])
    assert bot.slack.calls("chat.postEphemeral") == []

    send(bot, f"show {code.lower()}", "UCM1")
    summary = bot.slack.wait_for("views.open")[0]
    assert code in str(summary.params["view"])  # the summary is a modal: private to the person allowed

    for call in bot.slack.calls():
        if call.method.startswith("chat.") or call.method == "response_url":
            assert "비밀이름" not in str(call.params)


def test_a_colleague_from_another_team_is_refused(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "UOTHER", team="2팀")
    with bot.uow() as db:
        actor = staff.find_staff(db, "UCM1")
        code = cases.open_case(db, Ctx(actor=actor, surface=Surface.CLI, now=NOW), intake()).code
    send(bot, f"show {code}", "UOTHER")
    assert "권한이 없습니다" in answer_to(bot, "UOTHER")["text"]
