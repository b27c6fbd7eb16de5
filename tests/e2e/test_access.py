"""`/case access CODE`: co-workers and restriction to named people, through the running bot."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.ids import View
from models import Case, CaseAccessGrant, CaseWorker
from models.enums import StaffRole
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, answer_to, choices, command, state, submit
from tests.e2e.test_notes import case_in_monitoring
from tests.factories import CLIENT_NAME


def users(*ids: str) -> dict:
    return {"type": "multi_users_select", "selected_users": list(ids)}


def open_access(bot: RunningBot, code: str, user: str = "UCM1") -> dict:
    before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, f"access {code}", user)
    assert status == 200
    view = bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]
    assert view["callback_id"] == View.ACCESS
    return view


def test_restricting_a_case_hides_it_from_an_unnamed_supervisor(bot: RunningBot):
    code = case_in_monitoring(bot)
    add_staff(bot, "UCW1")
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR)
    view = open_access(bot, code)
    assert {b["block_id"] for b in view["blocks"] if b["type"] == "input"} == {
        "coworkers",
        "restricted",
        "named",
    }

    # Someone who is not staff cannot be named: an inline error, nothing saved.
    status, body = submit(
        bot,
        "UCM1",
        View.ACCESS,
        state(coworkers=users("UCW1"), restricted=choices("yes"), named=users("USUP", "UNOBODY")),
        view_id="VACC1",
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and body["response_action"] == "errors" and set(body["errors"]) == {"named"}

    status, body = submit(
        bot,
        "UCM1",
        View.ACCESS,
        state(coworkers=users("UCW1"), restricted=choices("yes"), named=users("USUP")),
        view_id="VACC2",
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and body["response_action"] == "update", body
    with bot.uow() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        assert case.restricted
        assert len(db.scalars(select(CaseWorker).where(CaseWorker.case_id == case.id)).all()) == 1
        assert len(db.scalars(select(CaseAccessGrant).where(CaseAccessGrant.case_id == case.id)).all()) == 1

    command(bot, f"show {code}", "USUP2")  # the unnamed supervisor of the same team
    assert "권한" in answer_to(bot, "USUP2")["text"]

    reopened = open_access(bot, code, user="USUP")  # the named supervisor sees the current circle
    inputs = {b["block_id"]: b["element"] for b in reopened["blocks"] if b["type"] == "input"}
    assert inputs["coworkers"]["initial_users"] == ["UCW1"]
    assert inputs["named"]["initial_users"] == ["USUP"]
    assert inputs["restricted"]["initial_options"][0]["value"] == "yes"


def test_a_supervisor_reviews_the_teams_access_in_a_modal_and_a_case_manager_cannot(bot: RunningBot):
    code = case_in_monitoring(bot)
    command(bot, f"show {code}", "UCM1")  # a read to review
    before = len(bot.slack.wait_for("views.open", 1))  # the summary modal is open: its read is logged
    status, _ = command(bot, "audit", "USUP")
    assert status == 200
    opened = bot.slack.wait_for("views.open", before + 1)[before:]
    [view] = [c.params["view"] for c in opened if c.params["view"]["callback_id"] == View.ACCESS_LOG]
    shown = json.dumps(view, ensure_ascii=False)
    assert code in shown and "UCM1" in shown  # case codes and staff only
    assert CLIENT_NAME not in shown
    command(bot, "audit", "UCM1")
    assert "슈퍼바이저" in answer_to(bot, "UCM1")["text"]
