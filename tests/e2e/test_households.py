"""가구 and outside action items through the running bot, with signed requests.

- Two cases in one household: each viewer sees the other case's code only where they may see that case;
  a viewer of one case only sees nothing of the other, and may not link them.
- A household's life (made, linked, a member with a name added, needs rated, shown, unlinked): no
  member's name and no client's data in any chat.* call or response_url answer.
- An action item owned outside Casebot nudges the conference's chair, D-2 and on the due date, until
  the chair records its status from the nudge's buttons.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.ids import Action, View
from bot.slack_client import refusal_count
from models import privacy
from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.conference import ActionItem, AgendaRequest, ConferenceCase
from models.enums import (
    AgendaRequestStatus,
    AuditAction,
    ConferencePurpose,
    ConferenceType,
    ReminderKind,
    ReminderStatus,
    ResourceCategory,
    ResourceSector,
    StaffRole,
    TaskStatus,
)
from models.household import Household, HouseholdPerson
from models.reminder import Reminder
from models.resource import Resource
from models.schemas import ActionItemInput, ConferenceCaseInput, ConferenceInput, OutcomeInput
from models.services import cases, conferences
from models.services import staff as staff_service
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import add_staff, command
from tests.e2e.test_assessment import ctx_of
from tests.e2e.test_conferences import (
    CALENDAR,
    buttons_in,
    click,
    meeting_day,
    send_reminders,
    send_view,
)
from tests.e2e.test_notes import case_in_monitoring
from tests.e2e.test_privacy_scan import everything_tagged_in
from tests.factories import CLIENT_NAME, intake

MEMBER_NAME = "가상막내테스트"
OUTSIDE_OWNER = "가상구 주거복지센터 가상담당자"
ITEM_TEXT = "주거급여 재신청 서류 가상 확인"


def opened(bot: RunningBot, command_text: str, user: str) -> dict:
    before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, command_text, user)
    assert status == 200
    return bot.slack.wait_for("views.open", count=before + 1)[-1].params["view"]


def two_cases(bot: RunningBot) -> tuple[str, str]:
    """UCM1's case and UCM2's, one team, USUP its supervisor: UCM1 does not see UCM2's case."""
    first = case_in_monitoring(bot, "UCM1", "USUP")
    second = case_in_monitoring(bot, "UCM2", None)
    return first, second


def test_cases_of_one_household_show_each_others_codes_only_where_access_allows(bot: RunningBot):
    first, second = two_cases(bot)

    # UCM1 may not link a case they cannot see: refused under the field, audited, nothing saved.
    view = opened(bot, f"가구 {first}", "UCM1")
    assert view["callback_id"] == View.HOUSEHOLD and view["private_metadata"]
    answer = send_view(bot, "UCM1", "VHH1", view, {"link_code": second})
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"link_code"}
    with bot.uow() as db:
        assert db.scalar(select(Household)) is None
        assert db.scalar(
            select(AuditLog).where(AuditLog.case_code == second, AuditLog.action == AuditAction.REFUSED)
        )

    # The team's supervisor leads both and links them from the modal.
    view = opened(bot, f"household {first}", "USUP")
    answer = send_view(bot, "USUP", "VHH2", view, {"link_code": second})
    assert answer["response_action"] == "update", answer
    assert second in str(answer["view"])
    with bot.uow() as db:
        household = db.scalar(select(Household))
        code = household.code
        assert code.startswith("H-") and len(household.cases) == 2
        for case_code in (first, second):
            case_id = db.scalar(select(Case.id).where(Case.code == case_code))
            linked = db.scalar(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.event == "household_linked")
            )
            assert linked is not None and linked.data == {"household": code}

    # The supervisor's /case show lists the other case; UCM1's shows the household and nothing of it.
    shown = json.dumps(opened(bot, f"show {first}", "USUP"), ensure_ascii=False)
    assert code in shown and second in shown
    shown = json.dumps(opened(bot, f"보기 {first}", "UCM1"), ensure_ascii=False)
    assert code in shown and second not in shown
    household_view = json.dumps(opened(bot, f"가구 {first}", "UCM1"), ensure_ascii=False)
    assert code in household_view and second not in household_view
    history = json.dumps(opened(bot, f"history {first}", "UCM1"), ensure_ascii=False)
    assert code in history and second not in history
    history = json.dumps(opened(bot, f"과정기록 {first}", "USUP"), ensure_ascii=False)
    assert code in history and second in history
    # UCM2 sees their own case's household, and nothing of UCM1's case.
    shown = json.dumps(opened(bot, f"show {second}", "UCM2"), ensure_ascii=False)
    assert code in shown and first not in shown
    # Someone of another team gets no household at all: the case is not theirs.
    add_staff(bot, "UOTHER", team="2팀")
    before = len(bot.slack.calls("views.open"))
    command(bot, f"가구 {first}", "UOTHER")
    time.sleep(0.5)
    assert len(bot.slack.calls("views.open")) == before


def test_a_household_lifecycle_sends_no_members_name_to_slack(bot: RunningBot):
    refused_before = refusal_count()
    first, second = two_cases(bot)
    view = opened(bot, f"가구 {first}", "UCM1")
    answer = send_view(
        bot,
        "UCM1",
        "VHHP1",
        view,
        {"person_relation": "CHILD", "person_age": "YOUTH", "person_name": MEMBER_NAME, "need_ECONOMIC": "3"},
    )
    assert answer["response_action"] == "update", answer
    with bot.uow() as db:
        [person] = db.scalars(select(HouseholdPerson))
        assert person.name == MEMBER_NAME
    # The name shows in the modal, to a viewer of the case, and nowhere else.
    view = opened(bot, f"가구 {first}", "USUP")
    assert MEMBER_NAME in json.dumps(view, ensure_ascii=False)
    answer = send_view(bot, "USUP", "VHHP2", view, {"link_code": second, "need_HEALTH": "2"})
    assert answer["response_action"] == "update", answer
    opened(bot, f"show {first}", "USUP")
    opened(bot, f"show {second}", "UCM2")
    opened(bot, f"history {first}", "UCM1")
    view = opened(bot, f"가구 {second}", "UCM2")
    answer = send_view(bot, "UCM2", "VHHP3", view, {"unlink": ["yes"]})
    assert answer["response_action"] == "update", answer
    command(bot, f"가구 {first}", "UCM1")  # an ephemeral answer path as well as modals
    command(bot, "가구", "UCM1")  # no code: told how to give one, privately
    time.sleep(0.5)

    stored = everything_tagged_in(bot)
    assert "household_persons.name" in {t.label for t in stored.matches(privacy.normalise(MEMBER_NAME))}
    outbound = [c for c in bot.slack.calls() if c.method.startswith("chat.") or c.method == "response_url"]
    assert outbound, "the lifecycle answered nothing outside a modal"
    for call in outbound:
        assert privacy.scan(call.params, seen_values=stored) == [], call.method
        sent = json.dumps(call.params, ensure_ascii=False)
        assert MEMBER_NAME not in sent and CLIENT_NAME not in sent
    assert refusal_count() == refused_before  # the gate never had to stop anything


def test_an_outside_action_item_nudges_the_chair_until_its_status_is_recorded(
    bot: RunningBot, tmp_path: Path
):
    code = case_in_monitoring(bot, "UCHAIR", None)
    add_staff(bot, "USUP", StaffRole.SUPERVISOR)
    meeting = meeting_day()
    due = meeting.date() + timedelta(days=10)
    with bot.uow() as db:
        ctx = ctx_of(db, "UCHAIR")
        [conference] = conferences.schedule(
            db,
            ctx,
            ConferenceInput(
                conference_type=ConferenceType.INTEGRATED,
                scheduled_at=meeting,
                duration_minutes=60,
                slack_channel_id="C0CONF",
                cases=[ConferenceCaseInput(code=code, purpose=ConferencePurpose.PLAN)],
            ),
        )
        after = replace(ctx, now=meeting + timedelta(hours=2))
        conferences.record_outcome(
            db,
            after,
            conference.id,
            OutcomeInput(
                action_items=[
                    ActionItemInput(
                        description=ITEM_TEXT, owner_external=OUTSIDE_OWNER, due_date=due, code=code
                    )
                ]
            ),
        )
        times = sorted(
            r.due_at
            for r in db.scalars(select(Reminder).where(Reminder.kind == ReminderKind.ACTION_ITEM))
            if r.status == ReminderStatus.PENDING
        )
    assert len(times) == 2  # D-2 and the due date

    def chair_nudges() -> list[dict]:
        return [
            c.params
            for c in bot.slack.calls("chat.postMessage")
            if c.params.get("channel") == "UCHAIR"
            and Action.ACTION_ITEM_DROPPED
            in {b["action_id"] for b in buttons_in(c.params.get("blocks") or [])}
        ]

    send_reminders(bot, tmp_path, CALENDAR.next_working_start(times[0]))
    [first] = chair_nudges()
    assert code in first["text"] and due.isoformat() in first["text"]
    sent = json.dumps(first, ensure_ascii=False)
    assert OUTSIDE_OWNER not in sent and ITEM_TEXT not in sent
    # Not recorded: on the due date the chair hears again.
    send_reminders(bot, tmp_path, CALENDAR.next_working_start(times[1]))
    nudges = chair_nudges()
    assert len(nudges) == 2
    # Someone else (neither the chair nor an organiser) may not record it from a forwarded button.
    add_staff(bot, "UCM2")
    dropped = next(
        b for b in buttons_in(nudges[-1]["blocks"]) if b["action_id"] == Action.ACTION_ITEM_DROPPED
    )
    click(bot, "UCM2", dropped, channel_id="DUCM2", message={"ts": "8.0", "text": nudges[-1]["text"]})
    time.sleep(0.5)
    with bot.uow() as db:
        assert db.scalar(select(ActionItem.status)) == TaskStatus.OPEN
    # The chair records it as not done from the nudge: the message says so.
    click(bot, "UCHAIR", dropped, channel_id="DUCHAIR", message={"ts": "9.0", "text": nudges[-1]["text"]})
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        with bot.uow() as db:
            if db.scalar(select(ActionItem.status)) == TaskStatus.CANCELLED:
                break
        time.sleep(0.05)
    with bot.uow() as db:
        assert db.scalar(select(ActionItem.status)) == TaskStatus.CANCELLED
        assert not db.scalar(
            select(Reminder.id).where(
                Reminder.kind == ReminderKind.ACTION_ITEM, Reminder.status == ReminderStatus.PENDING
            )
        )
    # Recorded: no further nudge.
    send_reminders(bot, tmp_path, CALENDAR.next_working_start(times[1] + timedelta(days=3)))
    assert len(chair_nudges()) == 2


def test_an_integrated_conference_takes_another_teams_case_only_with_its_supervisors_agreement(
    bot: RunningBot,
):
    add_staff(bot, "UCHAIR")
    add_staff(bot, "UOTHERCM", team="2팀")
    add_staff(bot, "USUP2", StaffRole.SUPERVISOR, team="2팀")
    with bot.uow() as db:  # a case of team 2, which nobody of team 1 sees
        theirs = cases.open_case(db, ctx_of(db, "UOTHERCM"), intake(name="가상다른팀")).code
    view = opened(bot, "사례회의", "UCHAIR")
    meeting = meeting_day()
    answer = send_view(
        bot,
        "UCHAIR",
        "VINT1",
        view,
        {
            "conference_type": "INTEGRATED",
            "scheduled_at": meeting.date().isoformat(),
            "scheduled_time": "14:00",
            "duration_minutes": "60",
            "cases.0.code": theirs,
        },
    )
    assert answer["response_action"] == "update", answer
    with bot.uow() as db:
        [request] = db.scalars(select(AgendaRequest))
        assert request.status == AgendaRequestStatus.PENDING
        assert db.scalar(select(ConferenceCase.id)) is None  # not on the agenda before the agreement
    dms = bot.slack.wait_for("chat.postMessage")
    [ask] = [c.params for c in dms if c.params.get("channel") == "USUP2"]
    assert theirs in ask["text"]
    agree = next(b for b in buttons_in(ask["blocks"]) if b["action_id"] == Action.AGENDA_AGREE)
    # The chair may not agree in the supervisor's place.
    click(bot, "UCHAIR", agree, channel_id="DUCHAIR", message={"ts": "5.0", "text": ask["text"]})
    time.sleep(0.5)
    with bot.uow() as db:
        assert db.scalar(select(ConferenceCase.id)) is None
    click(bot, "USUP2", agree, channel_id="DUSUP2", message={"ts": "6.0", "text": ask["text"]})
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        with bot.uow() as db:
            if db.scalar(select(ConferenceCase.id)) is not None:
                break
        time.sleep(0.05)
    with bot.uow() as db:
        [on_agenda] = db.scalars(select(ConferenceCase))
        assert db.get_one(Case, on_agenda.case_id).code == theirs
        assert db.scalar(select(AgendaRequest.status)) == AgendaRequestStatus.AGREED
    assert bot.slack.wait_for("chat.update")[-1].params["ts"] == "6.0"


def test_the_agencies_of_a_case_from_the_summary_by_its_case_manager_only(bot: RunningBot):
    first, _second = two_cases(bot)
    add_staff(bot, "UCOWORK")
    with bot.uow() as db:
        cases.add_coworker(db, ctx_of(db, "UCM1"), first, staff_service.find_staff(db, "UCOWORK").id)
        resource = Resource(
            name="가상 주거복지센터", category=ResourceCategory.HOUSING, sector=ResourceSector.PUBLIC
        )
        db.add(resource)
        db.flush()
        resource_id = resource.id
    summary = opened(bot, f"show {first}", "UCM1")
    [button] = [b for b in buttons_in(summary["blocks"]) if b["action_id"] == Action.OPEN_AGENCIES]
    pushed_before = len(bot.slack.calls("views.push"))
    click(bot, "UCM1", button, view={"id": "VSHOW1", "type": "modal", "callback_id": View.SHOW})
    view = bot.slack.wait_for("views.push", count=pushed_before + 1)[-1].params["view"]
    assert view["callback_id"] == View.AGENCIES
    answer = send_view(
        bot,
        "UCM1",
        "VAG1",
        view,
        {
            "lead.resource_id": str(resource_id),
            "lead.role": "주거 지원 총괄",
            "partners.0.organisation": "가상시 청소년상담복지센터",
            "partners.0.role": "청소년 상담",
            "partners.1.role": "역할만",  # a row with a role and no agency: an error on that row
        },
    )
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"partners.1.resource_id"}, (
        answer
    )
    answer = send_view(
        bot,
        "UCM1",
        "VAG2",
        view,
        {
            "lead.resource_id": str(resource_id),
            "lead.role": "주거 지원 총괄",
            "partners.0.organisation": "가상시 청소년상담복지센터",
            "partners.0.role": "청소년 상담",
        },
    )
    assert answer["response_action"] == "update", answer
    shown = json.dumps(opened(bot, f"보기 {first}", "USUP"), ensure_ascii=False)
    assert "가상 주거복지센터" in shown and "가상시 청소년상담복지센터" in shown
    # A co-worker sees them and may not change them.
    view = opened(bot, f"기관 {first}", "UCOWORK")
    assert "submit" not in view and "청소년 상담" in json.dumps(view, ensure_ascii=False)
    outbound = [c for c in bot.slack.calls() if c.method.startswith("chat.") or c.method == "response_url"]
    assert not any("가상시 청소년상담복지센터" in json.dumps(c.params, ensure_ascii=False) for c in outbound)
