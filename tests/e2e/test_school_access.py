"""PROFILE=school through the running bot: without the head of the school's approval `/case new` is
refused privately (why, and whom to ask) and logged; once the approval is recorded the modal opens."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.ids import View
from models.audit import AuditLog
from models.enums import AuditAction
from models.services import staff
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, answer_to, command


@pytest.fixture(scope="module")
def bot_env() -> dict[str, str]:
    return {"PROFILE": "school"}


def test_case_new_needs_the_head_of_the_schools_approval(bot: RunningBot):
    add_staff(bot, "UCM1")
    command(bot, "new", "UCM1", channel_id="C0001")
    refusal = answer_to(bot, "UCM1")
    assert "학교장" in refusal["text"] and "관리자" in refusal["text"]
    assert bot.slack.calls("views.open") == []
    with bot.uow() as db:
        refused = db.scalars(select(AuditLog).where(AuditLog.action == AuditAction.REFUSED)).all()
        assert [(r.actor_ref, r.detail.split(":")[0]) for r in refused] == [("UCM1", "open case")]

    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    with bot.uow() as db:
        staff.approve(
            db,
            "UCM1",
            approved_by="교장 김가상",
            approved_on=today,
            reference="교무-2026-7",
            valid_until=None,
            entered_by="cli:e2e",
            today=today,
            now=datetime.now(UTC),
        )
    command(bot, "new", "UCM1", channel_id="C0001")
    opened = bot.slack.wait_for("views.open")[0]
    assert opened.params["view"]["callback_id"] == View.INTAKE
