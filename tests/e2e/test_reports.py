"""`/case report CODE` (신고) through the running bot: recorded once, encrypted at rest, shown to the case's
circle only (with who reported), never in Slack's history, and counted without identity."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy import text as sql

from bot.ids import View
from models import Case, MandatoryReport
from models.enums import ReportAgency, StaffRole, Surface
from models.services import cases, staff, stats
from models.services.context import Ctx
from tests.e2e.helpers import add_staff, answers_to, choice, command, day, state, submit, text
from tests.factories import NOW, intake

SEOUL = ZoneInfo("Asia/Seoul")
REFERENCE = "아보전-2026-8841"


def clock(value: str | None) -> dict:
    return {"type": "timepicker", "selected_time": value, "timezone": "Asia/Seoul"}


def values(when: datetime, agency: str | None = "CHILD_PROTECTION_AGENCY", reference: str | None = REFERENCE):
    local = when.astimezone(SEOUL)
    return state(
        reported_on=day(local.date().isoformat()),
        reported_time=clock(local.strftime("%H:%M")),
        agency=choice(agency),
        reference=text(reference),
    )


def opened(bot, count: int) -> dict:
    return bot.slack.wait_for("views.open", count)[count - 1].params["view"]


def test_a_report_is_recorded_for_the_circle_only_and_never_reaches_slack_history(bot):
    add_staff(bot, "UCM1")
    add_staff(bot, "USUP1", StaffRole.SUPERVISOR)
    add_staff(bot, "UOTHER", team="2팀")  # a colleague outside the case's circle
    with bot.uow() as db:
        code = cases.open_case(
            db, Ctx(actor=staff.find_staff(db, "UCM1"), surface=Surface.CLI, now=NOW), intake()
        ).code

    assert command(bot, f"신고 {code}", "UCM1")[0] == 200
    view = opened(bot, 1)
    assert view["callback_id"] == View.REPORT and json.loads(view["private_metadata"]) == {"code": code}
    assert "기록된 신고가 없습니다" in json.dumps(view, ensure_ascii=False)

    when = datetime.now(UTC) - timedelta(hours=2)
    later = datetime.now(UTC) + timedelta(days=1)
    _, body = submit(
        bot, "UCM1", View.REPORT, values(later), view_id="VREP0", private_metadata=view["private_metadata"]
    )
    assert body["response_action"] == "errors" and set(body["errors"]) == {"reported_on"}, body
    _, body = submit(
        bot,
        "UCM1",
        View.REPORT,
        values(when, agency=None),
        view_id="VREP0",
        private_metadata=view["private_metadata"],
    )
    assert set(body["errors"]) == {"agency"}, body
    for _ in range(2):  # Slack's retry of the same view: recorded once
        _, body = submit(
            bot, "UCM1", View.REPORT, values(when), view_id="VREP1", private_metadata=view["private_metadata"]
        )
        assert body["response_action"] == "update" and code in json.dumps(body["view"]), body
        assert REFERENCE not in json.dumps(body["view"], ensure_ascii=False)

    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        [report] = db.scalars(select(MandatoryReport).where(MandatoryReport.case_id == case_id))
        assert (report.agency, report.reference) == (ReportAgency.CHILD_PROTECTION_AGENCY, REFERENCE)
        assert report.reported_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M") == when.astimezone(
            SEOUL
        ).strftime("%Y-%m-%d %H:%M")
        raw = db.execute(sql("SELECT reference, reporter FROM mandatory_reports")).one()
        assert all(str(v).startswith("enc1:") for v in raw)  # at rest: ciphertext only

    # the circle sees it, with who reported: the team's supervisor
    assert command(bot, f"report {code}", "USUP1")[0] == 200
    shown = json.dumps(opened(bot, 2), ensure_ascii=False)
    assert REFERENCE in shown and "UCM1" in shown and "아동보호전문기관" in shown

    # a colleague outside it is refused, privately, and learns nothing of it
    told = len(answers_to(bot, "UOTHER", 0))
    assert command(bot, f"report {code}", "UOTHER")[0] == 200
    refusal = answers_to(bot, "UOTHER", told + 1)[-1]
    assert refusal["response_type"] == "ephemeral"  # to the asker only
    assert len(bot.slack.calls("views.open")) == 2

    # nothing of it in Slack's history
    for call in bot.slack.calls():
        if call.method.startswith("chat.") or call.method == "response_url":
            shown = json.dumps(call.params, ensure_ascii=False)
            assert REFERENCE not in shown and "8841" not in shown, call.method

    # counted, without identity, in the statistics
    today = datetime.now(SEOUL).date()
    with bot.uow() as db:
        report_ = stats.compute(db, stats.period(today - timedelta(days=3), today), zone=SEOUL)
    [table] = [t for t in report_.tables if t.key == "mandatory_reports"]
    assert [tuple(r) for r in table.rows] == [("CHILD_PROTECTION_AGENCY", 1)]
    assert "UCM1" not in repr(table) and REFERENCE not in repr(table)
