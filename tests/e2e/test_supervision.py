"""`/case supervision @person` (슈퍼비전) and the supervisor's Home load section, through the running bot
with signed requests, on both databases; and the privacy gate: no supervision narrative in any `chat.*`.

The bot runs with CASELOAD_THRESHOLD=5 so that a handful of cases puts a worker over it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.ids import Action, View
from bot.settings import Settings
from bot.slack_client import make_web_client, refusal_count
from models import privacy
from models.enums import CaseIntensity, ReminderKind, ReminderStatus, StaffRole, Surface
from models.reminder import Reminder
from models.services import cases, staff
from models.services.calendar import WorkCalendar
from models.services.context import Ctx
from models.supervision import SupervisionFollowUp, SupervisionSession
from sandbox.slack.requests import block_actions, post
from scheduler.digests import send_weekly
from scheduler.jobs import Runtime
from scheduler.sweep import sweep
from tests.e2e.conftest import SIGNING_SECRET, RunningBot
from tests.e2e.helpers import add_staff, answers_to, choices, command, day, state, submit, text
from tests.e2e.test_home import open_home, published
from tests.e2e.test_privacy_scan import everything_tagged_in
from tests.factories import intake

SEOUL = ZoneInfo("Asia/Seoul")
ISSUES = "가상 내담자 가족의 방문 거부가 석 달째 이어지고 담당자 소진이 심함"
GUIDANCE = "사례회의에 올려 공동 방문으로 전환하고 주 1회 점검 시간을 따로 잡기"
FOLLOW_UP = "가상 공동방문 일정을 보건소와 먼저 조율하기"
VERBATIM = (ISSUES, GUIDANCE, FOLLOW_UP, "방문 거부가 석 달째", "공동 방문으로 전환", "보건소와 먼저 조율")


@pytest.fixture(scope="module")
def bot_env() -> dict[str, str]:
    return {"CASELOAD_THRESHOLD": "5"}


def team(bot: RunningBot) -> None:
    add_staff(bot, "UCM1")
    add_staff(bot, "UCM2")
    add_staff(bot, "USV1", StaffRole.SUPERVISOR)
    add_staff(bot, "USV2", StaffRole.SUPERVISOR, team="2팀")


def cases_of(bot: RunningBot, user_id: str, *intensities: CaseIntensity | None) -> list[str]:
    with bot.uow() as db:
        ctx = Ctx(actor=staff.find_staff(db, user_id), surface=Surface.CLI, now=datetime.now(UTC))
        opened = []
        for intensity in intensities:
            case = cases.open_case(db, ctx, intake())
            case.intensity = intensity
            opened.append(case.code)
        return opened


def today() -> str:
    return datetime.now(SEOUL).date().isoformat()


def in_days(days: int) -> str:
    return (datetime.now(SEOUL).date() + timedelta(days=days)).isoformat()


def values(**overrides: dict) -> dict:
    typed = {
        "held_on": day(today()),
        "issues": text(ISSUES),
        "guidance": text(GUIDANCE),
        "follow_up_1_text": text(FOLLOW_UP),
        "follow_up_1_due": day(in_days(3)),
    }
    typed.update(overrides)
    return state(**typed)


def stored(bot: RunningBot, model) -> int:
    with bot.uow() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_case_supervision_refuses_in_words_checks_fields_and_saves_once(bot: RunningBot):
    team(bot)
    [code] = cases_of(bot, "UCM1", CaseIntensity.GENERAL)
    cases_of(bot, "UCM2", CaseIntensity.GENERAL)

    # a case manager: refused in words, no modal
    status, _ = command(bot, "슈퍼비전 <@UCM1|UCM1>", "UCM2")
    assert status == 200
    refusal = answers_to(bot, "UCM2")[0]["text"]
    assert "슈퍼바이저" in refusal or "supervisor" in refusal.lower()
    # another team's supervisor: refused in words
    bot.slack.reset()
    command(bot, "supervision <@UCM1|UCM1>", "USV2")
    refusal = answers_to(bot, "USV2")[0]["text"]
    assert "팀" in refusal or "team" in refusal
    assert bot.slack.calls("views.open") == []

    bot.slack.reset()
    command(bot, "supervision <@UCM1|UCM1>", "USV1")
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.SUPERVISION
    [case_block] = [b for b in opened["blocks"] if b.get("block_id") == "case_codes"]
    assert [o["value"] for o in case_block["element"]["options"]] == [code]  # UCM1's only, not UCM2's
    meta = opened["private_metadata"]

    for overrides, field in (
        ({"held_on": day(in_days(1))}, "held_on"),
        ({"follow_up_1_due": day(in_days(-1))}, "follow_up_1_due"),
        ({"issues": text("   ")}, "issues"),
        ({"guidance": text("")}, "guidance"),
        ({"follow_up_2_text": text("기한 없는 과제")}, "follow_up_2_due"),
        ({"case_codes": choices("C-2026-9999", kind="multi_static_select")}, "case_codes"),
    ):
        _, body = submit(bot, "USV1", View.SUPERVISION, values(**overrides), private_metadata=meta)
        assert body.get("response_action") == "errors" and field in body["errors"], (field, body)
    assert stored(bot, SupervisionSession) == stored(bot, SupervisionFollowUp) == 0

    typed = values(case_codes=choices(code, kind="multi_static_select"))
    _, body = submit(bot, "USV1", View.SUPERVISION, typed, view_id="VSUP1", private_metadata=meta)
    assert body["response_action"] == "update", body
    _, again = submit(bot, "USV1", View.SUPERVISION, typed, view_id="VSUP1", private_metadata=meta)
    assert again["response_action"] == "update"
    assert stored(bot, SupervisionSession) == stored(bot, SupervisionFollowUp) == 1
    with bot.uow() as db:
        [nudge] = db.scalars(select(Reminder).where(Reminder.kind == ReminderKind.SUPERVISION_FOLLOW_UP))
        assert nudge.deadline_on.isoformat() == in_days(3)
        [session] = db.scalars(select(SupervisionSession))
        assert [c.case_id for c in session.cases] and session.issues == ISSUES
    # a forged submission for another team's worker is refused, nothing written
    _, body = submit(bot, "USV2", View.SUPERVISION, values(), private_metadata=meta)
    assert body["response_action"] == "errors"
    assert stored(bot, SupervisionSession) == 1
    shown = json.dumps([c.params for c in bot.slack.calls()], ensure_ascii=False)
    assert not any(words in shown for words in VERBATIM)


def test_the_supervisors_home_shows_each_workers_load_against_the_threshold(bot: RunningBot):
    team(bot)
    cases_of(bot, "UCM1", CaseIntensity.CRISIS, CaseIntensity.GENERAL, CaseIntensity.INTENSIVE)  # 5.5
    cases_of(bot, "UCM2", CaseIntensity.LINKAGE_ONLY)  # 0.5
    assert open_home(bot, "USV1") == 200
    view = published(bot)["view"]
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    line = next(
        b["text"]["text"] for b in view["blocks"] if b["type"] == "section" and "*UCM1*" in b["text"]["text"]
    )
    assert "5.5" in line and "/ 기준 5" in line and "위기 1건" in line and "기준 초과" in line, line
    assert "`·······█`" in line  # seven empty weeks, this week over the threshold
    assert "▁" in shown or "▂" in shown  # UCM2's 0.5 of 5
    assert "사례량 기준(5) 초과 1명" in shown and "UCM2 :warning:" not in shown
    # a case manager's Home has no team section
    bot.slack.reset()
    open_home(bot, "UCM1")
    assert "기준 초과" not in json.dumps(published(bot)["view"]["blocks"], ensure_ascii=False)


def test_the_intake_warns_a_worker_over_the_threshold_and_still_opens(bot: RunningBot):
    team(bot)
    cases_of(bot, "UCM1", CaseIntensity.CRISIS, CaseIntensity.GENERAL)  # 4 + 1 new = 5: at the threshold
    command(bot, "new", "UCM1")
    first = bot.slack.wait_for("views.open")[0].params["view"]
    assert "사례량 경고" not in json.dumps(first["blocks"], ensure_ascii=False)
    cases_of(bot, "UCM1", CaseIntensity.LINKAGE_ONLY)  # 4.5 + 1 = 5.5
    bot.slack.reset()
    command(bot, "new", "UCM1")
    view = bot.slack.wait_for("views.open")[0].params["view"]
    assert "사례량 경고" in view["blocks"][0]["text"]["text"] and "4.5" in view["blocks"][0]["text"]["text"]
    assert view["submit"]  # a warning, the form is still there to submit


def test_no_supervision_narrative_reaches_slack(bot: RunningBot, tmp_path: Path):
    team(bot)
    [code] = cases_of(bot, "UCM1", CaseIntensity.CRISIS)
    command(bot, "supervision <@UCM1|UCM1>", "USV1")
    meta = bot.slack.wait_for("views.open")[0].params["view"]["private_metadata"]
    typed = values(case_codes=choices(code, kind="multi_static_select"))
    _, body = submit(bot, "USV1", View.SUPERVISION, typed, view_id="VSUP2", private_metadata=meta)
    assert body["response_action"] == "update"
    open_home(bot, "USV1")
    published(bot)
    refused_before = refusal_count()

    # The scheduler's side through the gated client: the weekly digest and the follow-up's nudge.
    settings = Settings(_env_file=None, slack_bot_token="xoxb-e2e", slack_api_url=bot.slack.url)  # type: ignore[call-arg]
    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    runtime = Runtime(
        bot.uow, make_web_client(settings), settings.policy(), calendar, settings.default_locale
    )
    monday = datetime.now(settings.zone).date() + timedelta(days=7)
    monday -= timedelta(days=monday.weekday())
    while not calendar.is_working_day(monday):
        monday += timedelta(days=1)
    assert send_weekly(runtime, datetime.combine(monday, time(9, 5), settings.zone)) >= 1
    later = calendar.next_working_start(datetime.now(settings.zone) + timedelta(days=4, hours=1))
    report = sweep(bot.uow, runtime.client, settings.policy(), calendar, later, sleep=lambda _: None)
    assert report.sent >= 1 and report.failed == 0, report
    nudges = [c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == "UCM1"]
    assert any(in_days(3) in c.params["text"] for c in nudges), [c.params["text"] for c in nudges]

    values_stored = everything_tagged_in(bot)
    assert {t.label for t in values_stored.matches(privacy.normalise(GUIDANCE))} == {
        "supervision_sessions.guidance"
    }  # the scan knows the narrative
    outbound = [c for c in bot.slack.calls() if c.method.startswith("chat.") or c.method == "response_url"]
    assert outbound
    for call in outbound:
        assert privacy.scan(call.params, seen_values=values_stored) == [], call.method
        shown = json.dumps(call.params, ensure_ascii=False)
        assert not any(words in shown for words in VERBATIM), call.method
    assert refusal_count() == refused_before  # the gate never had to stop anything


def test_the_worker_reads_the_follow_ups_in_a_modal_and_marks_one_done_from_the_nudge(bot: RunningBot):
    team(bot)
    [code] = cases_of(bot, "UCM1", CaseIntensity.GENERAL)
    command(bot, "supervision <@UCM1|UCM1>", "USV1")
    meta = bot.slack.wait_for("views.open")[0].params["view"]["private_metadata"]
    typed = values(case_codes=choices(code, kind="multi_static_select"))
    _, body = submit(bot, "USV1", View.SUPERVISION, typed, view_id="VSUP3", private_metadata=meta)
    assert body["response_action"] == "update"

    # `/case 슈퍼비전` alone: the worker's own follow-ups, words included, in a modal (never a message)
    bot.slack.reset()
    command(bot, "슈퍼비전", "UCM1")
    opened = bot.slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == View.FOLLOW_UPS
    shown = json.dumps(opened["blocks"], ensure_ascii=False)
    assert FOLLOW_UP in shown and in_days(3) in shown
    [done] = [
        b["accessory"]
        for b in opened["blocks"]
        if b.get("accessory", {}).get("action_id") == Action.FOLLOW_UP_DONE
    ]
    # another team's supervisor cannot mark it done (told privately), nothing changes
    request = block_actions(
        SIGNING_SECRET,
        user_id="USV2",
        actions=[{"action_id": Action.FOLLOW_UP_DONE, "value": done["value"]}],
        channel_id="DUSV2",
        message={"text": "nudge"},
        response_url=bot.slack.response_url("USV2"),
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    assert answers_to(bot, "USV2")[0]["text"]
    with bot.uow() as db:
        assert db.scalar(select(SupervisionFollowUp.done_at)) is None

    # the worker clicks Done on the nudge: the nudge says done, the follow-up is done, its reminder off
    request = block_actions(
        SIGNING_SECRET,
        user_id="UCM1",
        actions=[{"action_id": Action.FOLLOW_UP_DONE, "value": done["value"]}],
        channel_id="DUCM1",
        message={"text": "nudge"},
        response_url=bot.slack.response_url("UCM1"),
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    replaced = answers_to(bot, "UCM1")[-1]
    assert replaced.get("replace_original") and FOLLOW_UP not in json.dumps(replaced, ensure_ascii=False)
    with bot.uow() as db:
        assert db.scalar(select(SupervisionFollowUp.done_at)) is not None
        [nudge] = db.scalars(select(Reminder).where(Reminder.kind == ReminderKind.SUPERVISION_FOLLOW_UP))
        assert nudge.status == ReminderStatus.CANCELLED

    # the nudge's Open button shows the list, now empty
    before = len(bot.slack.calls("views.open"))
    request = block_actions(
        SIGNING_SECRET, user_id="UCM1", actions=[{"action_id": Action.OPEN_FOLLOW_UPS}], channel_id="DUCM1"
    )
    assert post(bot.events_url, request.body, request.headers)[0] == 200
    empty = bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]
    assert empty["callback_id"] == View.FOLLOW_UPS and FOLLOW_UP not in json.dumps(empty, ensure_ascii=False)
