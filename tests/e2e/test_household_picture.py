"""One household picture, the household in the export, and agenda requests from the Home, through the
running bot with signed requests:

- The 가구 button of `/case show` opens the household modal on top of the summary; it lists the
  household members each case's intake recorded, only for the cases the viewer may see.
- A supervisor's App Home lists the agenda request of another team's integrated conference; agreeing
  from it puts the case on the agenda, publishes the Home again without it, and the chair hears by DM
  (case code and the conference's date only).
- The record export (`casebot export`) names the household's code and nothing of the other client.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from bot.ids import Action, View
from bot.settings import Settings
from models.conference import AgendaRequest, ConferenceCase
from models.enums import AgendaRequestStatus, ConferencePurpose, ConferenceType, LifeStage, StaffRole
from models.household import Household
from models.schemas import ConferenceCaseInput, ConferenceInput, HouseholdInput, HouseholdMemberInput
from models.services import cases, conferences, households
from sandbox.slack.requests import block_actions, event, post
from tests.e2e.conftest import SIGNING_SECRET, RunningBot, bot_environment
from tests.e2e.helpers import add_staff
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_conferences import buttons_in, click, meeting_day, send_view
from tests.e2e.test_households import opened
from tests.factories import intake

MY_CLIENT, MY_MEMBER = "가상본인하나", "가상첫째딸"
THEIR_CLIENT, THEIR_MEMBER = "가상이웃둘", "가상이웃아들"
QUESTION = "가상 사례회의 질문 내용"


def with_member(name: str, member: str, relation: str):
    return intake(name=name).model_copy(
        update={"household": [HouseholdMemberInput(name=member, relation=relation, age_band=LifeStage.YOUTH)]}
    )


def linked_household(bot: RunningBot) -> tuple[str, str, str]:
    """UCM1's case and UCM2's (UCM1 does not see it), each intake with a member, linked by USUP."""
    add_staff(bot, "UCM1")
    add_staff(bot, "UCM2")
    add_staff(bot, "USUP", StaffRole.SUPERVISOR)
    with bot.uow() as db:
        mine = cases.open_case(db, ctx_of(db, "UCM1"), with_member(MY_CLIENT, MY_MEMBER, "딸")).code
        theirs = cases.open_case(db, ctx_of(db, "UCM2"), with_member(THEIR_CLIENT, THEIR_MEMBER, "아들")).code
        shown = households.change(db, ctx_of(db, "USUP"), mine, HouseholdInput(link_code=theirs))
        assert shown.code is not None
        return mine, theirs, shown.code


def household_from_show(bot: RunningBot, user: str, code: str) -> dict:
    summary = opened(bot, f"show {code}", user)
    [button] = [b for b in buttons_in(summary["blocks"]) if b["action_id"] == Action.OPEN_HOUSEHOLD]
    before = len(bot.slack.calls("views.push"))
    click(bot, user, button, view={"id": f"VSHOW{user}", "type": "modal", "callback_id": View.SHOW})
    return bot.slack.wait_for("views.push", count=before + 1)[-1].params["view"]


def test_the_household_button_of_the_summary_opens_the_modal_with_the_intakes_members(bot: RunningBot):
    mine, theirs, household = linked_household(bot)
    view = household_from_show(bot, "UCM1", mine)
    assert view["callback_id"] == View.HOUSEHOLD and json.loads(view["private_metadata"])["code"] == mine
    shown = json.dumps(view, ensure_ascii=False)
    assert household in shown and MY_MEMBER in shown  # a modal, to a viewer of the case
    for other in (theirs, THEIR_MEMBER, THEIR_CLIENT):  # UCM1 may not see the other case: nothing of it
        assert other not in shown, other
    # The supervisor sees both cases: both intakes' members.
    shown = json.dumps(household_from_show(bot, "USUP", mine), ensure_ascii=False)
    assert MY_MEMBER in shown and THEIR_MEMBER in shown and theirs in shown
    # The modal works from the button as from the command: a need rated from it is saved.
    view = household_from_show(bot, "UCM1", mine)
    answer = send_view(bot, "UCM1", "VHHB1", view, {"need_ECONOMIC": "3"})
    assert answer["response_action"] == "update", answer
    with bot.uow() as db:
        assert [n.severity.value for n in db.scalar(select(Household)).needs] == ["3"]
    time.sleep(0.3)
    for call in bot.slack.calls():
        if call.method.startswith("chat.") or call.method == "response_url":
            sent = json.dumps(call.params, ensure_ascii=False)
            assert MY_MEMBER not in sent and THEIR_MEMBER not in sent and MY_CLIENT not in sent


def open_home(bot: RunningBot, user: str) -> dict:
    before = len(bot.slack.calls("views.publish"))
    request = event(
        SIGNING_SECRET, event={"type": "app_home_opened", "user": user, "channel": "D0001", "tab": "home"}
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    return bot.slack.wait_for("views.publish", count=before + 1)[-1].params


def test_a_supervisor_agrees_to_an_agenda_request_from_the_home_and_the_chair_hears(bot: RunningBot):
    add_staff(bot, "UCHAIR")
    add_staff(bot, "UOTHERCM", team="2팀")
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR, team="2팀")
    meeting = meeting_day()
    with bot.uow() as db:
        theirs = cases.open_case(db, ctx_of(db, "UOTHERCM"), intake(name=THEIR_CLIENT)).code
        [conference] = conferences.schedule(
            db,
            ctx_of(db, "UCHAIR"),
            ConferenceInput(
                conference_type=ConferenceType.INTEGRATED,
                scheduled_at=meeting,
                duration_minutes=60,
                slack_channel_id="C0CONF",
                cases=[ConferenceCaseInput(code=theirs, purpose=ConferencePurpose.PLAN, question=QUESTION)],
            ),
        )
        assert db.scalar(select(AgendaRequest.status)) == AgendaRequestStatus.PENDING
    # The case's team supervisor sees the request on their Home; the chair's Home has none.
    home = open_home(bot, "USUP2")
    assert home["user_id"] == "USUP2" and theirs in json.dumps(home["view"], ensure_ascii=False)
    agree = next(b for b in buttons_in(home["view"]["blocks"]) if b["action_id"] == Action.AGENDA_AGREE)
    chair_home = open_home(bot, "UCHAIR")["view"]
    assert not [b for b in buttons_in(chair_home["blocks"]) if b["action_id"] == Action.AGENDA_AGREE]

    published = len(bot.slack.calls("views.publish"))
    request = block_actions(
        SIGNING_SECRET,
        user_id="USUP2",
        actions=[{"action_id": Action.AGENDA_AGREE, "value": agree["value"]}],
        view={"type": "home", "id": "VHOMEUSUP2"},
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        with bot.uow() as db:
            if db.scalar(select(ConferenceCase.id)) is not None:
                break
        time.sleep(0.05)
    with bot.uow() as db:
        [on_agenda] = db.scalars(select(ConferenceCase))
        assert on_agenda.conference_id == conference.id
        assert db.scalar(select(AgendaRequest.status)) == AgendaRequestStatus.AGREED
    # The Home is published again, without the request.
    again = bot.slack.wait_for("views.publish", count=published + 1)[-1].params
    assert again["user_id"] == "USUP2"
    assert not [b for b in buttons_in(again["view"]["blocks"]) if b["action_id"] == Action.AGENDA_AGREE]
    # The chair hears by DM: the case code and the conference's date, nothing of the case.
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    day = meeting.astimezone(settings.zone).date().isoformat()
    deadline = time.monotonic() + 8
    told: list[dict] = []
    while time.monotonic() < deadline and not told:
        told = [
            c.params
            for c in bot.slack.calls("chat.postMessage")
            if c.params.get("channel") == "UCHAIR" and theirs in (c.params.get("text") or "")
        ]
        time.sleep(0.05)
    [dm] = told
    assert day in dm["text"]
    sent = json.dumps(dm, ensure_ascii=False)
    assert QUESTION not in sent and THEIR_CLIENT not in sent


def test_the_export_names_the_household_code_and_no_other_clients_data(bot: RunningBot, tmp_path: Path):
    mine, theirs, household = linked_household(bot)
    done = subprocess.run(
        [sys.executable, "-m", "casebot.cli", "export", mine, "--reason", "열람 청구 2026-03-02"],
        env=bot_environment(bot.database_url, bot.slack.url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert mine in text and household in text
    assert MY_CLIENT in text and MY_MEMBER in text  # the client's own record
    for other in (theirs, THEIR_CLIENT, THEIR_MEMBER):
        assert other not in text, other
