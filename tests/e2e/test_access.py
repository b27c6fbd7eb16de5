"""`/case access CODE`: co-workers and restriction to named people, through the running bot."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import View
from models import Case, CaseAccessGrant, CaseWorker
from models.enums import StaffRole
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, choices, command, state, submit
from tests.e2e.test_notes import case_in_monitoring


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

    posted = len(bot.slack.calls("chat.postEphemeral"))
    command(bot, f"show {code}", "USUP2")  # the unnamed supervisor of the same team
    refusal = bot.slack.wait_for("chat.postEphemeral", count=posted + 1)[-1]
    assert refusal.params["user"] == "USUP2" and "권한" in refusal.params["text"]

    reopened = open_access(bot, code, user="USUP")  # the named supervisor sees the current circle
    inputs = {b["block_id"]: b["element"] for b in reopened["blocks"] if b["type"] == "input"}
    assert inputs["coworkers"]["initial_users"] == ["UCW1"]
    assert inputs["named"]["initial_users"] == ["USUP"]
    assert inputs["restricted"]["initial_options"][0]["value"] == "yes"
