"""Caseload figures (weighted load, crisis, the 8-week trend from the record, the threshold, supervision
gaps), the supervision service and its follow-up nudges, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select, text

from models.audit import AuditLog
from models.enums import AuditAction, CaseIntensity, CaseStatus, ReminderKind, ReminderStatus
from models.errors import InvalidInput, NotAllowed, NotFound
from models.reminder import Reminder
from models.schemas import FollowUpInput, SupervisionInput
from models.services import cases, desk, supervision
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.services.workload import week_ends, weekly_loads
from models.supervision import SupervisionFollowUp, SupervisionSession
from sandbox.slack import FakeSlack
from scheduler.sweep import sweep
from tests.factories import NOW, TODAY, intake

SEOUL = ZoneInfo("Asia/Seoul")
ISSUES = "가상 보호자와의 갈등으로 방문 거부가 반복됨"
GUIDANCE = "주 1회 전화 점검으로 관계를 먼저 회복하도록 지도"
FOLLOW_UP = "가상 위기 사례 안전계획 다시 세우기"


def seoul(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SEOUL)


def a_case(
    db, world, staff, referred: datetime, intensity: CaseIntensity | None, closed: datetime | None = None
):
    case = cases.open_case(db, world.ctx(staff, now=referred), intake())
    case.intensity = intensity
    if closed is not None:
        case.closed_at = closed
        case.status = CaseStatus.CLOSED
    db.flush()
    return case


@pytest.fixture
def loads(db, world):
    """Known intensities and dates (NOW is Monday 2 March 2026, 10:00 in Seoul)."""
    a_case(db, world, world.manager, seoul(2026, 1, 10), CaseIntensity.CRISIS)  # 3.0 all along
    a_case(db, world, world.manager, seoul(2026, 2, 4), CaseIntensity.GENERAL)  # 1.0 from the 9 Feb week end
    # 1.5 from the 26 Jan week end, closed 20 Feb
    a_case(db, world, world.manager, seoul(2026, 1, 20), CaseIntensity.INTENSIVE, closed=seoul(2026, 2, 20))
    a_case(db, world, world.manager, seoul(2026, 3, 2, 9), None)  # unclassified 1.0, this morning
    a_case(db, world, world.coworker, seoul(2026, 2, 10), CaseIntensity.LINKAGE_ONLY)  # 0.5
    a_case(db, world, world.outsider, seoul(2026, 1, 5), CaseIntensity.CRISIS)  # another team
    return world


MANAGER_TREND = [3.0, 4.5, 4.5, 5.5, 5.5, 4.0, 4.0, 5.0]
COWORKER_TREND = [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5]


def test_the_weeks_end_on_mondays_and_the_last_is_now():
    ends = week_ends(NOW, SEOUL)
    assert len(ends) == 8 and ends[-1] == NOW
    assert [e.date() for e in ends[:-1]] == [date(2026, 1, 19) + timedelta(weeks=i) for i in range(7)]
    assert all(e.hour == 0 and e.weekday() == 0 for e in ends[:-1])


def test_the_weekly_weighted_loads_come_from_intake_and_closure_dates(db, loads):
    trend = weekly_loads(db, loads.team.id, week_ends(NOW, SEOUL))
    assert trend[loads.manager.id] == MANAGER_TREND
    assert trend[loads.coworker.id] == COWORKER_TREND
    assert loads.outsider.id not in trend


def test_the_team_caseload_flags_workers_over_the_threshold(db, loads):
    load = desk.team_caseload(db, loads.ctx(loads.supervisor, policy=Policy(caseload_threshold=4.5)))
    by_id = {w.staff_id: w for w in load.workers}
    manager, coworker = by_id[loads.manager.id], by_id[loads.coworker.id]
    assert (manager.open_cases, manager.weighted, manager.crisis) == (3, 5.0, 1)
    assert manager.trend == MANAGER_TREND and manager.trend[-1] == manager.weighted
    assert coworker.trend == COWORKER_TREND and (coworker.weighted, coworker.crisis) == (0.5, 0)
    assert manager.over and not coworker.over
    assert [w.staff_id for w in load.over_threshold] == [loads.manager.id]
    # the default threshold (30) flags nobody
    assert desk.team_caseload(db, loads.ctx(loads.supervisor)).over_threshold == []


def test_a_crisis_flag_counts_as_a_crisis_case_held(db, world):
    case = a_case(db, world, world.manager, seoul(2026, 2, 2), CaseIntensity.GENERAL)
    case.crisis = True
    db.flush()
    [manager] = [
        w
        for w in desk.team_caseload(db, world.ctx(world.supervisor)).workers
        if w.staff_id == world.manager.id
    ]
    assert manager.crisis == 1


# ------------------------------------------------------------------ the service


def session_input(**overrides) -> SupervisionInput:
    values = {
        "held_on": TODAY,
        "case_codes": [],
        "issues": ISSUES,
        "guidance": GUIDANCE,
        "follow_ups": [FollowUpInput(number=1, text=FOLLOW_UP, due_on=TODAY + timedelta(days=7))],
    }
    values.update(overrides)
    return SupervisionInput(**values)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_session_is_stored_encrypted_with_its_cases_and_follow_up_nudges(db, world):
    mine = cases.open_case(db, world.ctx(), intake())
    form = supervision.session_form(db, world.ctx(world.supervisor), "<@UMANAGER|manager>")
    assert form.worker_id == world.manager.id and form.codes == [mine.code]
    session = supervision.record_session(
        db, world.ctx(world.supervisor), world.manager.id, session_input(case_codes=[mine.code.lower()])
    )
    assert [c.case_id for c in session.cases] == [mine.id]
    raw = db.execute(
        text("SELECT issues, guidance FROM supervision_sessions WHERE id = :id"), {"id": session.id}
    ).one()
    assert all(value.startswith("enc1:") for value in raw)
    assert db.scalar(text("SELECT text FROM supervision_follow_ups")).startswith("enc1:")
    [nudge] = db.scalars(select(Reminder).where(Reminder.kind == ReminderKind.SUPERVISION_FOLLOW_UP))
    assert (nudge.recipient_id, nudge.deadline_on, nudge.case_id) == (
        world.manager.id,
        TODAY + timedelta(7),
        None,
    )
    assert nudge.due_at == datetime(2026, 3, 9, 9, tzinfo=SEOUL)
    assert db.scalar(
        select(func.count()).where(
            AuditLog.record == "supervision_session", AuditLog.action == AuditAction.CREATE
        )
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": TODAY + timedelta(days=1)}, "held_on"),
        ({"issues": None}, "issues"),
        ({"guidance": None}, "guidance"),
        (
            {"follow_ups": [FollowUpInput(number=2, text=FOLLOW_UP, due_on=TODAY - timedelta(days=1))]},
            "follow_up_2_due",
        ),
        ({"case_codes": ["C-2026-9999"]}, "case_codes"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(db, world, overrides, field):
    with pytest.raises(InvalidInput) as raised:
        supervision.record_session(
            db, world.ctx(world.supervisor), world.manager.id, session_input(**overrides)
        )
    assert field in raised.value.errors
    assert count(db, SupervisionSession) == count(db, SupervisionFollowUp) == 0
    assert count(db, Reminder) == 0


def test_a_case_the_supervisor_may_not_see_is_neither_offered_nor_accepted(db, world):
    hidden = cases.open_case(db, world.ctx(), intake())
    hidden.restricted = True
    db.flush()
    assert supervision.session_form(db, world.ctx(world.supervisor), "UMANAGER").codes == []
    with pytest.raises(InvalidInput) as raised:
        supervision.record_session(
            db, world.ctx(world.supervisor), world.manager.id, session_input(case_codes=[hidden.code])
        )
    assert "case_codes" in raised.value.errors


def test_only_a_supervisor_of_the_workers_team_may_record(db, world):
    with pytest.raises(NotAllowed):  # a case manager
        supervision.session_form(db, world.ctx(world.coworker), "UMANAGER")
    with pytest.raises(NotAllowed):  # another team's supervisor
        supervision.session_form(db, world.ctx(world.other_supervisor), "@Manager")
    with pytest.raises(NotAllowed):
        supervision.record_session(db, world.ctx(world.other_supervisor), world.manager.id, session_input())
    for junk in ("@nobody", "@가\x00나", "x" * 500, "<@UNOBODY|x>"):
        with pytest.raises(NotFound):
            supervision.session_form(db, world.ctx(world.supervisor), junk)
    assert supervision.find_worker(db, "@manager").id == world.manager.id  # a display name, any case
    assert count(db, SupervisionSession) == 0


def test_workers_without_supervision_for_the_gap_are_named(db, world):
    for member in (world.manager, world.coworker):
        member.created_at = NOW - timedelta(days=120)
    db.flush()
    supervisor = world.ctx(world.supervisor, now=NOW - timedelta(weeks=5))
    supervision.record_session(
        db, supervisor, world.manager.id, session_input(held_on=TODAY - timedelta(weeks=5))
    )
    load = desk.team_caseload(db, world.ctx(world.supervisor))
    assert [(u.name, u.last_on) for u in load.unsupervised] == [
        ("Co-worker", None),
        ("Manager", TODAY - timedelta(weeks=5)),
    ]
    supervision.record_session(db, world.ctx(world.supervisor), world.coworker.id, session_input())
    load = desk.team_caseload(db, world.ctx(world.supervisor, policy=Policy(supervision_gap_weeks=6)))
    assert load.unsupervised == []  # five weeks is within six; the co-worker was seen today


def test_the_intake_warning_comes_before_the_threshold_is_passed(db, world):
    policy = Policy(caseload_threshold=3.5)
    for _ in range(2):
        a_case(db, world, world.manager, seoul(2026, 2, 2), CaseIntensity.GENERAL)
    assert supervision.over_threshold(db, world.ctx(policy=policy), world.manager.id) is None  # 2 + 1 = 3
    a_case(db, world, world.manager, seoul(2026, 2, 2), CaseIntensity.LINKAGE_ONLY)
    assert supervision.over_threshold(db, world.ctx(policy=policy), world.manager.id) is None  # 3.5: at it
    a_case(db, world, world.manager, seoul(2026, 2, 2), CaseIntensity.GENERAL)
    warning = supervision.over_threshold(db, world.ctx(policy=policy), world.manager.id)
    assert warning is not None and (warning.weighted, warning.threshold, warning.with_one_more) == (
        3.5,
        3.5,
        4.5,
    )


# ------------------------------------------------------------------ the nudges


def test_a_follow_up_nudges_the_worker_once_with_its_own_deadline_and_no_words(db, uow, world):
    supervision.record_session(
        db,
        world.ctx(world.supervisor),
        world.manager.id,
        session_input(
            follow_ups=[
                FollowUpInput(number=1, text=FOLLOW_UP, due_on=date(2026, 3, 4)),
                FollowUpInput(number=2, text=FOLLOW_UP + " 둘째", due_on=date(2026, 3, 4)),
            ]
        ),
    )
    db.commit()
    calendar = WorkCalendar(SEOUL, 9, 18)
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
        early = sweep(
            uow, client, Policy(), calendar, datetime(2026, 3, 3, 9, 30, tzinfo=SEOUL), sleep=lambda _: None
        )
        assert early.sent == 0
        # sent two days late (an outage): each follow-up its own message, its own deadline, "N days late"
        late = datetime(2026, 3, 6, 9, 30, tzinfo=SEOUL)
        report = sweep(uow, client, Policy(), calendar, late, sleep=lambda _: None)
        assert report.sent == 2
        posts = slack.calls("chat.postMessage")
        again = sweep(uow, client, Policy(), calendar, late + timedelta(hours=1), sleep=lambda _: None)
        assert again.sent == 0
    assert {p.params["channel"] for p in posts} == {"UMANAGER"}
    texts = [p.params["text"] for p in posts]
    assert all("2026-03-04" in t and "2026-03-02" in t and "Supervisor" in t for t in texts), texts
    payload = str([p.params for p in posts])
    for words in (ISSUES, GUIDANCE, FOLLOW_UP, "가상 위기", "방문 거부"):
        assert words not in payload
    assert {r.status for r in db.scalars(select(Reminder))} == {ReminderStatus.SENT}


def test_a_follow_up_marked_done_is_not_sent(db, uow, world):
    session = supervision.record_session(db, world.ctx(world.supervisor), world.manager.id, session_input())
    session.follow_ups[0].done_at = NOW.replace(tzinfo=UTC)
    db.commit()
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
        report = sweep(
            uow,
            client,
            Policy(),
            WorkCalendar(SEOUL, 9, 18),
            datetime(2026, 3, 10, 10, tzinfo=SEOUL),
            sleep=lambda _: None,
        )
        assert report.sent == 0 and slack.calls("chat.postMessage") == []
    assert {r.status for r in db.scalars(select(Reminder))} == {ReminderStatus.CANCELLED}


def test_destroying_a_discussed_case_takes_its_link_and_keeps_the_session(db, world):
    from models.services import retention
    from models.supervision import SupervisionCase

    case = cases.open_case(db, world.ctx(), intake())
    supervision.record_session(
        db, world.ctx(world.supervisor), world.manager.id, session_input(case_codes=[case.code])
    )
    case.status = CaseStatus.ARCHIVED
    db.flush()
    retention.purge_case(db, case.id, now=NOW, zone=SEOUL)
    db.expire_all()
    assert count(db, SupervisionCase) == 0
    assert count(db, SupervisionSession) == count(db, SupervisionFollowUp) == 1


# ------------------------------------------------------------------ follow-ups read back and done in Slack


def test_the_worker_and_the_supervisor_read_the_follow_ups_and_mark_one_done(db, world):
    session = supervision.record_session(db, world.ctx(world.supervisor), world.manager.id, session_input())
    [mine] = supervision.open_follow_ups(db, world.ctx(world.manager))
    assert (mine.text, mine.mine, mine.supervisor) == (FOLLOW_UP, True, world.supervisor.display_name)
    [given] = supervision.open_follow_ups(db, world.ctx(world.supervisor))
    assert (given.mine, given.worker) == (False, world.manager.display_name)
    assert supervision.open_follow_ups(db, world.ctx(world.coworker)) == []
    reads = select(func.count()).where(
        AuditLog.record == "supervision_follow_up", AuditLog.action == AuditAction.READ
    )
    assert db.scalar(reads) == 2  # the two reads that showed words; the empty one showed none

    done = supervision.complete_follow_up(db, world.ctx(world.manager), session.id, 1)
    assert done.done and supervision.open_follow_ups(db, world.ctx(world.manager)) == []
    [nudge] = db.scalars(select(Reminder).where(Reminder.kind == ReminderKind.SUPERVISION_FOLLOW_UP))
    assert nudge.status == ReminderStatus.CANCELLED
    first_done = db.scalar(select(SupervisionFollowUp.done_at))
    # A second click (the nudge after the modal, the supervisor too) changes nothing.
    supervision.complete_follow_up(db, world.ctx(world.supervisor), session.id, 1)
    assert db.scalar(select(SupervisionFollowUp.done_at)) == first_done
    updates = select(func.count()).where(
        AuditLog.record == "supervision_follow_up", AuditLog.action == AuditAction.UPDATE
    )
    assert db.scalar(updates) == 1


def test_someone_else_cannot_mark_a_follow_up_done_and_learns_nothing(db, world):
    session = supervision.record_session(db, world.ctx(world.supervisor), world.manager.id, session_input())
    for stranger in (world.coworker, world.other_supervisor):
        with pytest.raises(NotAllowed) as refused:
            supervision.complete_follow_up(db, world.ctx(stranger), session.id, 1)
        assert FOLLOW_UP not in refused.value.text("ko")
    with pytest.raises(NotFound):
        supervision.complete_follow_up(db, world.ctx(world.manager), session.id, 9)
    assert db.scalar(select(SupervisionFollowUp.done_at)) is None
    [nudge] = db.scalars(select(Reminder).where(Reminder.kind == ReminderKind.SUPERVISION_FOLLOW_UP))
    assert nudge.status == ReminderStatus.PENDING
