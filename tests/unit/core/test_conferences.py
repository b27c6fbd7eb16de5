"""사례회의: scheduling, series, reminders on a frozen clock, reschedule and cancel, agenda, outcome,
permissions, and sending them through the sweep (channel posts carry case codes, never questions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.ids import Action
from models.case import Case
from models.conference import ActionItem, CaseConference
from models.enums import (
    AuditAction,
    ConferencePurpose,
    ConferenceRecurrence,
    ConferenceStatus,
    ConferenceType,
    ReminderKind,
    ReminderStatus,
    Stage,
    TaskStatus,
)
from models.errors import InvalidInput, NotAllowed, RuleViolation
from models.reminder import Reminder
from models.schemas import (
    ActionItemInput,
    ConferenceCaseInput,
    ConferenceInput,
    DecisionInput,
    ExternalMemberInput,
    OutcomeInput,
    ReferralInput,
    RescheduleInput,
)
from models.services import conferences, referrals, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from sandbox.slack import FakeSlack
from scheduler.sweep import sweep
from tests.factories import NOW, case_in_monitoring

SEOUL = ZoneInfo("Asia/Seoul")
K = ReminderKind
PENDING, CANCELLED, SENT = ReminderStatus.PENDING, ReminderStatus.CANCELLED, ReminderStatus.SENT
CHANNEL = "C0CONF"
QUESTION = "주거급여 탈락 이후 긴급지원 연계 여부 검토 가상질문"


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def conference_input(case: Case | None = None, **overrides) -> ConferenceInput:
    values: dict = dict(
        conference_type=ConferenceType.INTEGRATED,
        scheduled_at=kst(2026, 3, 17, 14, 0),  # Tuesday
        duration_minutes=90,
        slack_channel_id=CHANNEL,
        participant_ids=[],
        cases=[ConferenceCaseInput(code=case.code, purpose=ConferencePurpose.PLAN, question=QUESTION)]
        if case
        else [],
    )
    values.update(overrides)
    return ConferenceInput(**values)


def rows(db, conference: CaseConference, *statuses: ReminderStatus) -> list[tuple]:
    """(kind, recipient, channel, local due time, status), by time then kind."""
    db.flush()
    found = db.scalars(select(Reminder).where(Reminder.conference_id == conference.id))
    listed = [
        (
            r.kind,
            r.recipient_id,
            r.slack_channel_id,
            r.due_at.astimezone(SEOUL).replace(tzinfo=None),
            r.status,
        )
        for r in found
        if not statuses or r.status in statuses
    ]
    return sorted(listed, key=lambda row: (row[3], row[0].value, row[1] or 0, row[2] or ""))


def local(*args: int) -> datetime:
    return datetime(*args)


# --- reminders on a frozen clock ------------------------------------------------------------------


def test_each_reminder_kind_at_its_time_to_the_channel_and_the_participants(db, world):
    case = case_in_monitoring(db, world)
    [conference] = conferences.schedule(
        db, world.ctx(), conference_input(case, participant_ids=[world.coworker.id])
    )
    me, co = world.manager.id, world.coworker.id  # the manager chairs: the chair gets the DMs too
    assert rows(db, conference) == [
        (K.CONFERENCE_AGENDA, None, CHANNEL, local(2026, 3, 10, 9, 0), PENDING),  # D-7
        (K.CONFERENCE_PAPERS, None, CHANNEL, local(2026, 3, 13, 9, 0), PENDING),  # D-3 is a Saturday
        (K.CONFERENCE_DAY_BEFORE, None, CHANNEL, local(2026, 3, 16, 9, 0), PENDING),
        (K.CONFERENCE_DAY_BEFORE, me, None, local(2026, 3, 16, 9, 0), PENDING),
        (K.CONFERENCE_DAY_BEFORE, co, None, local(2026, 3, 16, 9, 0), PENDING),
        (K.CONFERENCE_SOON, None, CHANNEL, local(2026, 3, 17, 13, 0), PENDING),
        (K.CONFERENCE_SOON, me, None, local(2026, 3, 17, 13, 0), PENDING),
        (K.CONFERENCE_SOON, co, None, local(2026, 3, 17, 13, 0), PENDING),
        (K.CONFERENCE_RECORD, me, None, local(2026, 3, 17, 15, 30), PENDING),  # at the end, to the chair
        (K.CONFERENCE_RECORD, me, None, local(2026, 3, 19, 9, 0), PENDING),  # and D+2 if still not recorded
    ]
    assert all(
        r.case_id is None for r in db.scalars(select(Reminder).where(Reminder.conference_id == conference.id))
    )
    # Refreshing again changes nothing (keys are stable).
    before = rows(db, conference)
    conferences.refresh_conference(db, conference, Policy(), now=NOW)
    assert rows(db, conference) == before


def test_day_reminders_move_to_the_working_day_before_a_public_holiday(db, world):
    # Wednesday 6 May 2026: D-1 is Children's Day (Tue 5 May); D-3 is a Sunday, then Saturday, then
    # Labour Day (Fri 1 May), so the papers call goes out on Thursday 30 April.
    [conference] = conferences.schedule(
        db, world.ctx(), conference_input(scheduled_at=kst(2026, 5, 6, 14, 0), slack_channel_id=CHANNEL)
    )
    channel = [(kind, due) for kind, _, ch, due, _ in rows(db, conference) if ch == CHANNEL]
    assert channel == [
        (K.CONFERENCE_AGENDA, local(2026, 4, 29, 9, 0)),
        (K.CONFERENCE_PAPERS, local(2026, 4, 30, 9, 0)),
        (K.CONFERENCE_DAY_BEFORE, local(2026, 5, 4, 9, 0)),
        (K.CONFERENCE_SOON, local(2026, 5, 6, 13, 0)),
    ]


def test_reminders_already_past_when_scheduled_are_skipped_and_a_nine_oclock_meeting_has_no_hour_before(
    db, world
):
    # Scheduled on Monday 2 March 10:00 for Thursday 5 March 09:00: D-7 and D-3 (moved off the
    # 2 March holiday to 27 February) are past; an hour before 09:00 is outside working time.
    [conference] = conferences.schedule(
        db, world.ctx(), conference_input(scheduled_at=kst(2026, 3, 5, 9, 0), duration_minutes=60)
    )
    assert [(kind, ch, due) for kind, _, ch, due, _ in rows(db, conference) if ch] == [
        (K.CONFERENCE_DAY_BEFORE, CHANNEL, local(2026, 3, 4, 9, 0))
    ]
    assert {kind for kind, *_ in rows(db, conference)} == {K.CONFERENCE_DAY_BEFORE, K.CONFERENCE_RECORD}


def test_without_a_channel_the_chair_and_participants_get_every_reminder_by_dm(db, world):
    [conference] = conferences.schedule(
        db,
        world.ctx(),
        conference_input(
            slack_channel_id=None, chair_id=world.supervisor.id, participant_ids=[world.coworker.id]
        ),
    )
    found = rows(db, conference)
    assert all(ch is None for _, _, ch, _, _ in found)
    for kind in (K.CONFERENCE_AGENDA, K.CONFERENCE_PAPERS, K.CONFERENCE_DAY_BEFORE, K.CONFERENCE_SOON):
        assert {who for k, who, *_ in found if k == kind} == {world.supervisor.id, world.coworker.id}
    assert {who for k, who, *_ in found if k == K.CONFERENCE_RECORD} == {world.supervisor.id}


# --- reschedule and cancel ------------------------------------------------------------------------


def test_rescheduling_replaces_the_pending_reminders_and_leaves_sent_ones(db, world):
    [conference] = conferences.schedule(db, world.ctx(), conference_input())
    agenda_call = db.scalar(
        select(Reminder).where(Reminder.conference_id == conference.id, Reminder.kind == K.CONFERENCE_AGENDA)
    )
    agenda_call.status = SENT  # it went out on 10 March
    conferences.reschedule(
        db,
        world.ctx(now=kst(2026, 3, 11, 10, 0)),
        conference.id,
        RescheduleInput(scheduled_at=kst(2026, 3, 24, 10, 0)),
    )
    assert conference.scheduled_at == kst(2026, 3, 24, 10, 0)
    assert [(k, due) for k, _, ch, due, _ in rows(db, conference, PENDING) if ch] == [
        (K.CONFERENCE_AGENDA, local(2026, 3, 17, 9, 0)),  # a new agenda call for the new date
        (K.CONFERENCE_PAPERS, local(2026, 3, 20, 9, 0)),
        (K.CONFERENCE_DAY_BEFORE, local(2026, 3, 23, 9, 0)),
        (K.CONFERENCE_SOON, local(2026, 3, 24, 9, 0)),
    ]
    assert (K.CONFERENCE_AGENDA, None, CHANNEL, local(2026, 3, 10, 9, 0), SENT) in rows(db, conference)
    old = [row for row in rows(db, conference, CANCELLED)]
    assert {row[3] for row in old} >= {
        local(2026, 3, 13, 9, 0),
        local(2026, 3, 16, 9, 0),
        local(2026, 3, 17, 13, 0),
    }
    # Moving it back revives the old rows rather than adding duplicates.
    conferences.reschedule(
        db,
        world.ctx(now=kst(2026, 3, 11, 11, 0)),
        conference.id,
        RescheduleInput(scheduled_at=kst(2026, 3, 17, 14, 0)),
    )
    pending_channel = [(k, due) for k, _, ch, due, _ in rows(db, conference, PENDING) if ch]
    assert pending_channel[0] == (K.CONFERENCE_PAPERS, local(2026, 3, 13, 9, 0))


def test_cancelling_withdraws_every_pending_reminder_and_tells_the_channel_once(db, world):
    [conference] = conferences.schedule(
        db, world.ctx(), conference_input(participant_ids=[world.coworker.id])
    )
    conferences.cancel(db, world.ctx(now=kst(2026, 3, 3, 15, 0)), conference.id)
    assert conference.status == ConferenceStatus.CANCELLED
    assert rows(db, conference, PENDING) == [
        (K.CONFERENCE_CANCELLED, None, CHANNEL, local(2026, 3, 3, 15, 0), PENDING)
    ]
    assert len(rows(db, conference, CANCELLED)) == 10
    with pytest.raises(RuleViolation):
        conferences.reschedule(
            db, world.ctx(), conference.id, RescheduleInput(scheduled_at=kst(2026, 3, 20, 10, 0))
        )


def test_a_monthly_series_shares_a_key_and_cancel_following_keeps_the_earlier_ones(db, world):
    case = case_in_monitoring(db, world)
    series = conferences.schedule(
        db,
        world.ctx(),
        conference_input(
            case, scheduled_at=kst(2026, 3, 31, 14, 0), recurrence=ConferenceRecurrence.MONTHLY, occurrences=4
        ),
    )
    assert [c.scheduled_at.astimezone(SEOUL) for c in series] == [
        kst(2026, 3, 31, 14, 0),
        kst(2026, 4, 30, 14, 0),  # the month's last day when it has no 31st
        kst(2026, 5, 31, 14, 0),
        kst(2026, 6, 30, 14, 0),
    ]
    assert len({c.series_key for c in series}) == 1 and series[0].series_key
    assert [len(c.cases) for c in series] == [1, 0, 0, 0]  # later agendas come from their agenda call
    assert all(rows(db, c, PENDING) for c in series)

    cancelled = conferences.cancel(db, world.ctx(), series[1].id, following=True)
    assert [c.id for c in cancelled] == [c.id for c in series[1:]]
    assert series[0].status == ConferenceStatus.SCHEDULED and rows(db, series[0], PENDING)
    notices = [c.id for c in series[1:] for row in rows(db, c, PENDING) if row[0] == K.CONFERENCE_CANCELLED]
    assert notices == [series[1].id]  # one notice for the whole run, not one per meeting
    assert all(row[0] == K.CONFERENCE_CANCELLED for c in series[1:] for row in rows(db, c, PENDING))


def test_a_weekly_series_and_its_validation():
    with pytest.raises(ValueError, match="at least two"):
        conference_input(recurrence=ConferenceRecurrence.WEEKLY, occurrences=1)
    with pytest.raises(ValueError, match="one occurrence"):
        conference_input(occurrences=3)
    with pytest.raises(ValueError, match="pledge"):
        conference_input(externals=[ExternalMemberInput(name="김가상", organisation="가상센터")])
    times = conferences.occurrence_times(kst(2026, 3, 3, 10, 0), ConferenceRecurrence.BIWEEKLY, 3, Policy())
    assert times == [kst(2026, 3, 3, 10, 0), kst(2026, 3, 17, 10, 0), kst(2026, 3, 31, 10, 0)]


# --- the agenda -----------------------------------------------------------------------------------


def test_agenda_figures_by_case_code(db, world):
    case = case_in_monitoring(db, world)
    referrals.create(
        db,
        world.ctx(),
        case.code,
        ReferralInput(resource_id=world.resource.id, domain="LIVING_ENV", reason="주거"),
    )
    [conference] = conferences.schedule(db, world.ctx(), conference_input(case))
    [item] = conferences.agenda_figures(db, conference, kst(2026, 4, 3, 10, 0), Policy())
    assert item.code == case.code and item.purpose == ConferencePurpose.PLAN
    assert item.stage == Stage.DELIVERY  # plan agreed, no contact logged yet
    assert item.max_severity == 2
    assert item.open_referrals == 1  # the draft referral is still under way
    # the monthly contact due 2 April (its escalation copy is not counted twice) and the plan task due 16 March
    assert item.overdue == 2
    assert item.question is None  # figures never carry the question
    assert conferences.agenda_figures(db, conference, NOW, Policy())[0].overdue == 0

    shown = conferences.agenda(db, world.ctx(world.supervisor), conference)
    assert shown[0].question == QUESTION  # the team supervisor may see the case
    hidden = conferences.agenda(db, world.ctx(world.coworker), conference)  # team member, not on the case
    assert hidden[0].question is None and hidden[0].code == case.code


def test_scheduling_refuses_unknown_and_hidden_cases_on_their_row(db, world):
    case = case_in_monitoring(db, world)
    unknown = conference_input(cases=[ConferenceCaseInput(code="C-2026-9999")])
    with pytest.raises(InvalidInput) as excinfo:
        conferences.schedule(db, world.ctx(), unknown)
    assert set(excinfo.value.errors) == {"cases.0.code"}
    # Another team's case: refused at a team's own conference (an integrated one asks its supervisors
    # instead: test_integrated_conference.py).
    internal = conference_input(case, conference_type=ConferenceType.INTERNAL)
    with pytest.raises(NotAllowed) as refused:
        conferences.schedule(db, world.ctx(world.outsider), internal)
    assert isinstance(refused.value, InvalidInput) and set(refused.value.errors) == {"cases.0.code"}
    assert refused.value.case_code == case.code  # the unit of work audits it as a refusal
    with pytest.raises(NotAllowed):
        conferences.schedule(db, world.ctx(world.admin), conference_input())
    with pytest.raises(InvalidInput) as past:
        conferences.schedule(db, world.ctx(), conference_input(scheduled_at=kst(2026, 3, 1, 10, 0)))
    assert set(past.value.errors) == {"scheduled_at"}


def test_only_the_chair_the_organiser_or_a_team_supervisor_may_change_it(db, world):
    [conference] = conferences.schedule(
        db, world.ctx(), conference_input(participant_ids=[world.coworker.id, world.outsider.id])
    )
    later = RescheduleInput(scheduled_at=kst(2026, 3, 18, 14, 0))
    for who in (world.coworker, world.outsider, world.other_supervisor, world.admin):
        with pytest.raises(NotAllowed):
            conferences.reschedule(db, world.ctx(who), conference.id, later)
        with pytest.raises(NotAllowed):
            conferences.cancel(db, world.ctx(who), conference.id)
    with pytest.raises(NotAllowed):
        conferences.load(db, world.ctx(world.other_supervisor), conference.id)  # other team, not invited
    assert conferences.load(db, world.ctx(world.outsider), conference.id) is conference  # invited
    conferences.reschedule(db, world.ctx(world.supervisor), conference.id, later)
    assert conference.scheduled_at == kst(2026, 3, 18, 14, 0)
    assert [c.id for c in conferences.upcoming(db, world.ctx(world.coworker))] == [conference.id]
    assert conferences.upcoming(db, world.ctx(world.other_supervisor)) == []


# --- outcome and action items ---------------------------------------------------------------------


def test_recording_the_outcome_turns_action_items_into_nudges(db, world):
    case = case_in_monitoring(db, world)
    [conference] = conferences.schedule(db, world.ctx(), conference_input(case))
    outcome = OutcomeInput(
        decisions=[DecisionInput(code=case.code, decision="긴급지원 신청 후 재사정")],
        action_items=[
            ActionItemInput(
                description="긴급지원 신청서 작성",
                owner_id=world.coworker.id,
                due_date=date(2026, 3, 27),
                code=case.code,
            ),
            ActionItemInput(
                description="분과 회의록 공유", owner_id=world.supervisor.id, due_date=date(2026, 3, 30)
            ),
            ActionItemInput(
                description="외부 자원 확인",
                owner_external="가상구 정신건강복지센터",
                due_date=date(2026, 3, 30),
            ),
        ],
    )
    too_early = world.ctx(now=kst(2026, 3, 17, 13, 0))
    with pytest.raises(RuleViolation):
        conferences.record_outcome(db, too_early, conference.id, outcome)
    with pytest.raises(NotAllowed):
        conferences.record_outcome(
            db, world.ctx(world.coworker, now=kst(2026, 3, 17, 16, 0)), conference.id, outcome
        )
    after = world.ctx(now=kst(2026, 3, 17, 16, 0))
    conferences.record_outcome(db, after, conference.id, outcome)
    assert conference.status == ConferenceStatus.HELD and conference.recorded_at == after.now
    assert conference.cases[0].decision == "긴급지원 신청 후 재사정"
    with pytest.raises(RuleViolation):
        conferences.record_outcome(db, after, conference.id, outcome)  # once

    # The case-linked item is nudged by the case's reminders, the case-less one by the conference's.
    case_item = db.scalar(select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == K.ACTION_ITEM))
    assert case_item.recipient_id == world.coworker.id and case_item.status == PENDING
    assert case_item.due_at.astimezone(SEOUL) == kst(2026, 3, 25, 9, 0)
    own = [row for row in rows(db, conference, PENDING)]
    # 28 March (D-2 of the 30th) is a Saturday: the nudge goes out on Friday the 27th. No RECORD left.
    # The item owned outside Casebot nudges the chair, D-2 and on the due date.
    chair = world.manager.id
    outside = [
        (K.ACTION_ITEM, chair, None, local(2026, 3, 27, 9, 0), PENDING),
        (K.ACTION_ITEM, chair, None, local(2026, 3, 30, 9, 0), PENDING),
    ]
    assert own == sorted(
        [*outside, (K.ACTION_ITEM, world.supervisor.id, None, local(2026, 3, 27, 9, 0), PENDING)],
        key=lambda row: (row[3], row[1]),
    )
    items = {i.description: i for i in conference.action_items}
    assert conferences.action_item_id_of(case_item) == items["긴급지원 신청서 작성"].id

    # The owner marks theirs done; an outsider may not.
    with pytest.raises(NotAllowed):
        conferences.complete_action_item(
            db, world.ctx(world.outsider, now=after.now), items["분과 회의록 공유"].id
        )
    conferences.complete_action_item(
        db, world.ctx(world.supervisor, now=after.now), items["분과 회의록 공유"].id
    )
    done = conferences.mark_action_item_done(
        db, world.ctx(world.coworker, now=after.now), items["긴급지원 신청서 작성"].id
    )
    assert (done.code, done.owner, done.status) == (case.code, world.coworker.display_name, TaskStatus.DONE)
    assert done.conference.id == conference.id and done.due_date == date(2026, 3, 27)
    assert rows(db, conference, PENDING) == outside  # the chair follows up the outside owner
    db.refresh(case_item)
    assert case_item.status == CANCELLED
    assert items["외부 자원 확인"].status == TaskStatus.OPEN  # external owners get no Slack nudge
    # The item's modal gets plain data: the external owner as typed, no case.
    shown = conferences.action_item_detail(db, after, items["외부 자원 확인"].id)
    assert (shown.owner, shown.code, shown.status) == ("가상구 정신건강복지센터", None, TaskStatus.OPEN)
    with pytest.raises(NotAllowed):
        conferences.action_item_detail(
            db, world.ctx(world.outsider, now=after.now), items["외부 자원 확인"].id
        )


def test_a_decision_for_a_case_not_on_the_agenda_is_an_error_on_its_field(db, world):
    case = case_in_monitoring(db, world)
    [conference] = conferences.schedule(db, world.ctx(), conference_input(case))
    after = world.ctx(now=kst(2026, 3, 17, 16, 0))
    with pytest.raises(InvalidInput) as excinfo:
        conferences.record_outcome(
            db,
            after,
            conference.id,
            OutcomeInput(decisions=[DecisionInput(code="C-2026-0999", decision="x")]),
        )
    assert set(excinfo.value.errors) == {"decisions.0"}
    with pytest.raises(InvalidInput) as excinfo:
        conferences.record_outcome(
            db,
            after,
            conference.id,
            OutcomeInput(
                action_items=[
                    ActionItemInput(description="x", owner_id=world.manager.id, due_date=date(2026, 3, 1))
                ]
            ),
        )
    assert set(excinfo.value.errors) == {"action_items.0.due_date"}
    with pytest.raises(ValueError, match="one owner"):
        ActionItemInput(description="x", due_date=date(2026, 3, 30))


def test_cases_are_added_from_the_agenda_call_and_the_timeline_records_it(db, world):
    case = case_in_monitoring(db, world)
    [conference] = conferences.schedule(db, world.ctx(), conference_input())
    conferences.add_cases(db, world.ctx(), conference.id, [ConferenceCaseInput(code=case.code.lower())])
    assert [c.case_id for c in conference.cases] == [case.id]
    with pytest.raises(InvalidInput) as excinfo:
        conferences.add_cases(db, world.ctx(), conference.id, [ConferenceCaseInput(code=case.code)])
    assert set(excinfo.value.errors) == {"cases.0.code"}
    from models.audit import AuditLog, CaseEvent

    events = set(db.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id)))
    assert "conference_agenda_added" in events
    assert db.scalar(
        select(AuditLog.id).where(AuditLog.case_id == case.id, AuditLog.action == AuditAction.UPDATE)
    )


# --- sending through the sweep --------------------------------------------------------------------


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def run_sweep(uow, slack, now):
    client = WebClient(token="xoxb-test", base_url=slack.url)
    return sweep(uow, client, Policy(), WorkCalendar(SEOUL, 9, 18), now, sleep=lambda _: None)


def posts(slack, channel: str) -> list[dict]:
    return [c.params for c in slack.calls("chat.postMessage") if c.params["channel"] == channel]


def test_the_sweep_posts_each_kind_at_its_time_with_codes_and_no_question(db, uow, world, slack):
    case = case_in_monitoring(db, world)
    [_conference] = conferences.schedule(
        db, world.ctx(), conference_input(case, participant_ids=[world.coworker.id])
    )
    db.commit()
    co = world.coworker.slack_user_id
    expectations = [
        (kst(2026, 3, 10, 9, 0), "안건 제출 요청"),
        (kst(2026, 3, 13, 9, 0), "자료 준비"),
        (kst(2026, 3, 16, 9, 0), "D-1"),
        (kst(2026, 3, 17, 13, 0), "1시간 뒤"),
    ]
    for count, (at, words) in enumerate(expectations, start=1):
        assert run_sweep(uow, slack, at - timedelta(minutes=1)).sent == 0  # not a minute early
        run_sweep(uow, slack, at)
        channel = posts(slack, CHANNEL)
        assert len(channel) == count and words in channel[-1]["text"]
        body = str(channel[-1])
        assert case.code in body and QUESTION not in body and "가나다테스트" not in body
        assert "2026-03-17 (화) 14:00" in channel[-1]["text"]
        buttons = [e for b in channel[-1]["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert buttons and buttons[0]["action_id"] == "case.conference.agenda"
    assert [p["text"] for p in posts(slack, co)][-2:] == [
        posts(slack, CHANNEL)[2]["text"],
        posts(slack, CHANNEL)[3]["text"],
    ]  # the participant got D-1 and one hour by DM, not the agenda call or papers
    assert len(posts(slack, co)) == 2

    run_sweep(uow, slack, kst(2026, 3, 17, 15, 30))
    [prompt] = posts(slack, world.manager.slack_user_id)[-1:]
    assert "기록해 주세요" in prompt["text"]
    actions = [e["action_id"] for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions[0] == "case.conference.record"


def test_a_late_sweep_folds_earlier_calls_into_the_latest_and_drops_cancelled_ones(db, uow, world, slack):
    [first] = conferences.schedule(db, world.ctx(), conference_input())
    [second] = conferences.schedule(
        db, world.ctx(), conference_input(scheduled_at=kst(2026, 3, 18, 14, 0), slack_channel_id="C0OTHER")
    )
    second.status = ConferenceStatus.CANCELLED  # as if cancelled after the rows were claimed
    db.commit()
    report = run_sweep(uow, slack, kst(2026, 3, 16, 10, 0))  # nothing went out before the day before
    channel = posts(slack, CHANNEL)
    assert len(channel) == 1 and "D-1" in channel[0]["text"]
    assert posts(slack, "C0OTHER") == []
    assert report.stale == 2 and report.coalesced == 2
    db.expire_all()
    statuses = {
        r.kind: r.status
        for r in db.scalars(
            select(Reminder).where(Reminder.conference_id == first.id, Reminder.slack_channel_id == CHANNEL)
        )
    }
    assert statuses[K.CONFERENCE_AGENDA] == statuses[K.CONFERENCE_PAPERS] == SENT  # folded in, not resent
    # Once the meeting has started, the pre-meeting rows are stale.
    ids = sweeper.claim(db, kst(2026, 3, 17, 14, 5))
    _groups, stale = sweeper.batches(db, ids, kst(2026, 3, 17, 14, 5))
    assert {r.kind for r in stale} >= {K.CONFERENCE_SOON}


def test_the_cancellation_notice_and_the_action_item_nudge_are_sent(db, uow, world, slack):
    case = case_in_monitoring(db, world)
    [held] = conferences.schedule(db, world.ctx(), conference_input(case))
    [dropped] = conferences.schedule(
        db, world.ctx(), conference_input(scheduled_at=kst(2026, 3, 20, 14, 0), slack_channel_id="C0OTHER")
    )
    conferences.cancel(db, world.ctx(now=kst(2026, 3, 4, 10, 0)), dropped.id)
    conferences.record_outcome(
        db,
        world.ctx(now=kst(2026, 3, 17, 16, 0)),
        held.id,
        OutcomeInput(
            action_items=[
                ActionItemInput(
                    description="긴급지원 신청서 가상",
                    owner_id=world.coworker.id,
                    due_date=date(2026, 3, 27),
                    code=case.code,
                ),
                ActionItemInput(
                    description="회의록 공유 가상", owner_id=world.coworker.id, due_date=date(2026, 3, 27)
                ),
            ]
        ),
    )
    db.commit()
    run_sweep(uow, slack, kst(2026, 3, 4, 10, 0))
    [notice] = posts(slack, "C0OTHER")
    assert "취소" in notice["text"]
    run_sweep(uow, slack, kst(2026, 3, 25, 9, 0))
    dms = posts(slack, world.coworker.slack_user_id)
    assert len(dms) == 2 and all("기한 2026-03-27" in d["text"] for d in dms)
    assert any(case.code in d["text"] for d in dms)
    assert not any("신청서" in str(d) or "회의록 공유" in str(d) for d in dms)  # the item's text stays put
    for dm in dms:
        actions = [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert actions[:2] == ["case.conference.item.done", "case.conference.item.show"]
        # Every nudge can be put off, an item with no case too (the recipient snoozes their own row).
        assert actions[2:] == [f"{Action.SNOOZE_REMINDER}.1", f"{Action.SNOOZE_REMINDER}.7"]
    db.expire_all()
    assert db.scalar(select(ActionItem.status).where(ActionItem.case_id == case.id)) == TaskStatus.OPEN
