"""Retention (R10): supervisors are told the codes due for destruction 30 and 7 days before, once each;
an operator's hold stops the clock (no notice, no purge) and its release restarts it, both logged."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.settings import load_settings
from casebot.cli import main
from models.audit import AuditLog, CaseEvent
from models.case import Case
from models.db import make_engine, make_session_factory
from models.errors import InvalidInput, RuleViolation
from models.services import retention
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from sandbox.slack import FakeSlack
from scheduler import housekeeping as job
from scheduler.jobs import Runtime
from tests.factories import NOW, make_world
from tests.unit.core.test_retention import closed_case

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def morning(day: date) -> datetime:
    return datetime.combine(day, time(6, 30), tzinfo=SEOUL)


def test_the_notice_goes_30_and_7_days_before_once_each_to_the_supervisors_by_code(db, uow, world, slack):
    case = closed_case(db, world)
    destroy_on = case.retention_until + timedelta(days=1)
    rt = Runtime(
        uow, WebClient(token="xoxb-rt", base_url=slack.url), Policy(), WorkCalendar(SEOUL, 9, 18), "ko"
    )

    assert retention.due_for_destruction(db, destroy_on - timedelta(days=31)) == []
    [d30] = retention.due_for_destruction(db, destroy_on - timedelta(days=30))
    assert (d30.code, d30.days, d30.destroy_on) == (case.code, 30, destroy_on)
    report = job.retention_notice(rt, morning(destroy_on - timedelta(days=30)))
    assert (report.told, report.cases, report.failed) == (1, 1, 0)
    [sent] = slack.calls("chat.postMessage")
    assert sent.params["channel"] == world.supervisor.slack_user_id
    shown = json.dumps(sent.params, ensure_ascii=False)
    assert case.code in shown and destroy_on.isoformat() in shown
    assert case.client.name not in shown

    # the next days: nothing new until the 7-day notice, which goes once too
    assert job.retention_notice(rt, morning(destroy_on - timedelta(days=29))).cases == 0
    assert job.retention_notice(rt, morning(destroy_on - timedelta(days=7))).cases == 1
    assert job.retention_notice(rt, morning(destroy_on - timedelta(days=6))).cases == 0
    assert len(slack.calls("chat.postMessage")) == 2


def test_a_hold_stops_the_clock_and_a_release_restarts_it_both_logged(db, world):
    case = closed_case(db, world)
    after = case.retention_until + timedelta(days=1)
    until = after + timedelta(days=60)
    with pytest.raises(InvalidInput):
        retention.hold(db, case.code, reason=" ", until=until, operator="cli:dpo", now=NOW, today=after)
    with pytest.raises(InvalidInput):
        retention.hold(
            db,
            case.code,
            reason="수사",
            until=after - timedelta(days=2),
            operator="cli:dpo",
            now=NOW,
            today=after,
        )
    retention.hold(
        db, case.code, reason="경찰 수사 협조 요청", until=until, operator="cli:dpo", now=NOW, today=after
    )
    assert retention.expired_case_ids(db, after) == []  # past its date, but held
    assert retention.due_for_destruction(db, after) == []  # and no notice: its destruction is 60 days off
    [again] = retention.due_for_destruction(db, until + timedelta(days=1) - timedelta(days=30))
    assert again.destroy_on == until + timedelta(days=1)  # told again before the hold's end
    assert retention.expired_case_ids(db, until + timedelta(days=1)) == [case.id]  # the hold ran out

    retention.release(db, case.code, operator="cli:dpo", now=NOW)
    assert retention.expired_case_ids(db, after) == [case.id]  # the clock runs again
    with pytest.raises(RuleViolation):
        retention.release(db, case.code, operator="cli:dpo", now=NOW)
    events = [e.event for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert events[-2:] == ["retention_held", "retention_released"]
    logged = [
        (a.record, a.actor_ref) for a in db.scalars(select(AuditLog).where(AuditLog.case_id == case.id))
    ]
    assert ("retention_held", "cli:dpo") in logged and ("retention_released", "cli:dpo") in logged
    assert "경찰" not in json.dumps([str(a.detail) for a in db.scalars(select(AuditLog))], ensure_ascii=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, empty_database_url):
    url = empty_database_url(request.param)
    assert run(url, "db", "upgrade") == 0
    return url


def run(url: str, *argv: str) -> int:
    return main(list(argv), settings_loader=lambda: load_settings(database_url=url))


def test_the_command_line_holds_and_releases(database_url, capsys):
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db:
        code = closed_case(db, make_world(db)).code
        db.commit()
    assert (
        run(database_url, "retention", "hold", code, "--reason", "법원 보전명령", "--until", "2099-01-31")
        == 0
    )
    assert "2099-01-31" in capsys.readouterr().out
    with make_session_factory(engine)() as db:
        case = db.scalar(select(Case).where(Case.code == code))
        assert (case.retention_hold_until, case.retention_hold_reason) == (date(2099, 1, 31), "법원 보전명령")
    assert run(database_url, "retention", "hold", code, "--reason", "x", "--until", "31-01-2099") == 1
    assert run(database_url, "retention", "release", code) == 0
    assert run(database_url, "retention", "release", code) == 1  # not on hold any more
    assert run(database_url, "retention", "release", "C-2099-9999") == 1
    with make_session_factory(engine)() as db:
        assert db.scalar(select(Case.retention_hold_until).where(Case.code == code)) is None
    engine.dispose()
