"""Daily housekeeping: consent expiry recorded once, reminders recomputed, referrals relying on an
expired consent nudged; no late "expires soon" for a consent already expired; the job's structure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from models import schema
from models.audit import AuditLog, CaseEvent
from models.db import make_engine
from models.enums import ConsentScope, NeedDomain, ReferralStatus, ReminderKind, ReminderStatus, Surface
from models.reminder import Reminder
from models.schemas import ReferralInput, ReferralOutcomeInput
from models.services import consents, housekeeping, referrals
from models.services.calendar import WorkCalendar
from models.services.context import Policy
from models.services.lifecycle import snapshot
from models.services.reminders import due_items
from sandbox.slack import FakeSlack
from scheduler import housekeeping as job
from scheduler.jobs import Runtime
from scheduler.runner import build_scheduler
from scheduler.sweep import sweep
from tests.factories import NOW, case_in_monitoring, consent

SEOUL = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar(SEOUL, 9, 18)
K = ReminderKind
EXPIRES = date(2026, 3, 20)  # a Friday
MONDAY_EARLY = datetime(2026, 3, 23, 6, 30, tzinfo=SEOUL)  # the first working morning after it


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def runtime(uow, slack) -> Runtime:
    return Runtime(uow, WebClient(token="xoxb-hk", base_url=slack.url), Policy(), CAL, "ko")


def consent_rows(db, case) -> dict[str, tuple[datetime, ReminderStatus]]:
    db.expire_all()
    return {
        r.key.split(":", 3)[3]: (r.due_at, r.status)
        for r in db.scalars(
            select(Reminder).where(Reminder.case_id == case.id, Reminder.kind == K.CONSENT_EXPIRY)
        )
    }


def referred_on_expiring_consent(db, world, expires_on: date = EXPIRES):
    """A case in monitoring with a referral SENT on a THIRD_PARTY consent that ends on `expires_on`."""
    case = case_in_monitoring(db, world)
    ctx = world.ctx()
    record = consents.record_consent(
        db,
        ctx,
        case.code,
        consent(ConsentScope.THIRD_PARTY, expires_on=expires_on, recipients=[world.resource.id]),
    )
    referral = referrals.create(
        db,
        ctx,
        case.code,
        ReferralInput(resource_id=world.resource.id, domain=NeedDomain.LIVING_ENV, reason="주거"),
    )
    referrals.move(db, ctx, referral.id, ReferralStatus.SENT)
    assert db.get(type(referral), referral.id).consent_id == record.id
    return case, record, referral


# --- due_items: the defect of late warnings for a consent already expired ---------------------------


def test_a_consent_recorded_already_expired_gets_no_past_warnings(db, world):
    case = case_in_monitoring(db, world)
    consents.record_consent(
        db, world.ctx(), case.code, consent(given_on=date(2025, 1, 2), expires_on=date(2026, 2, 1))
    )
    assert (
        consent_rows(db, case) == {}
    )  # before the fix: two rows due 2026-01-02 and 2026-01-25, both sent late

    # Without a date the pure function still lists every obligation the record implies.
    snap = snapshot(db, case)
    undated = [i for i in due_items(snap, Policy()) if i.kind == K.CONSENT_EXPIRY]
    assert len(undated) == 2
    assert [i for i in due_items(snap, Policy(), today=date(2026, 3, 2)) if i.kind == K.CONSENT_EXPIRY] == []
    # The last day of a consent is still a day it holds: its warnings stay.
    assert (
        len([i for i in due_items(snap, Policy(), today=date(2026, 2, 1)) if i.kind == K.CONSENT_EXPIRY]) == 2
    )


def test_a_referral_relying_on_an_expiring_consent_nudges_the_morning_after_unless_renewed(db, world):
    case, record, _ = referred_on_expiring_consent(db, world)
    rows = consent_rows(db, case)
    assert rows[f"{record.id}:{EXPIRES}:expired"] == (
        kst(2026, 3, 21, 9, 0).astimezone(UTC),
        ReminderStatus.PENDING,
    )
    assert {k for k in rows if k.endswith((":30", ":7"))} == {
        f"{record.id}:{EXPIRES}:30",
        f"{record.id}:{EXPIRES}:7",
    }

    # A renewed consent naming the same recipient takes over: the nudge goes, the new warnings come.
    consents.record_consent(
        db,
        world.ctx(),
        case.code,
        consent(ConsentScope.THIRD_PARTY, expires_on=date(2027, 3, 20), recipients=[world.resource.id]),
    )
    assert consent_rows(db, case)[f"{record.id}:{EXPIRES}:expired"][1] == ReminderStatus.CANCELLED

    # A referral that ended needs no consent any more either.
    other_case, other_record, other_referral = referred_on_expiring_consent(db, world)
    declined = ReferralOutcomeInput(
        to=ReferralStatus.DECLINED, on=world.ctx().today, reason="NO_CAPACITY", note="정원 초과"
    )
    referrals.record_outcome(db, world.ctx(), other_referral.id, declined)
    assert consent_rows(db, other_case)[f"{other_record.id}:{EXPIRES}:expired"][1] == ReminderStatus.CANCELLED


# --- the housekeeping run --------------------------------------------------------------------------


def test_consent_expiry_is_recorded_once_stale_warnings_go_and_the_manager_is_nudged(db, uow, world, slack):
    case, record, referral = referred_on_expiring_consent(db, world)
    db.commit()
    rt = runtime(uow, slack)

    report = job.consent_expiry(rt, MONDAY_EARLY)
    assert report.recorded == 1 and report.failed == 0 and report.since is None  # first run: all time

    db.expire_all()
    events = list(
        db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event == "consent_expired")
        )
    )
    assert len(events) == 1
    assert events[0].actor_id is None and events[0].data == {
        "consent": record.id,
        "scope": "THIRD_PARTY",
        "expired_on": "2026-03-20",
        "referrals_relying": [referral.id],
    }
    audit = db.scalar(
        select(AuditLog).where(AuditLog.record == "consent_expired", AuditLog.case_id == case.id)
    )
    assert audit.surface == Surface.SCHEDULER and audit.case_code == case.code
    rows = consent_rows(db, case)
    # The warnings nobody sent (the bot was down) would now say "expires soon" about the past: dropped.
    assert rows[f"{record.id}:{EXPIRES}:30"][1] == ReminderStatus.CANCELLED
    assert rows[f"{record.id}:{EXPIRES}:7"][1] == ReminderStatus.CANCELLED
    assert rows[f"{record.id}:{EXPIRES}:expired"][1] == ReminderStatus.PENDING

    # The same day again, and the next day: nothing new.
    assert job.consent_expiry(rt, MONDAY_EARLY).already_done_today
    tuesday = job.consent_expiry(rt, kst(2026, 3, 24, 6, 30))
    assert tuesday.recorded == 0 and tuesday.since == "2026-03-09"
    db.expire_all()
    assert (
        db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.event == "consent_expired"))
        == 1
    )

    # The morning sweep sends the manager one consent message for the case: the expiry nudge.
    sweep(uow, rt.client, rt.policy, CAL, kst(2026, 3, 23, 9, 30), sleep=lambda _: None)
    consent_messages = [
        c
        for c in slack.calls("chat.postMessage")
        if case.code in c.params["text"] and K.CONSENT_EXPIRY.ko in c.params["text"]
    ]
    assert len(consent_messages) == 1
    assert consent_messages[0].params["channel"] == world.manager.slack_user_id
    assert (
        "기한 2026-03-20" in consent_messages[0].params["text"]
    )  # the consent's own expiry, not the nudge's day
    assert consent_rows(db, case)[f"{record.id}:{EXPIRES}:expired"][1] == ReminderStatus.SENT


def test_a_later_run_looks_back_from_the_last_one_and_withdrawn_consents_are_left_alone(
    db, uow, world, slack
):
    case = case_in_monitoring(db, world)
    ctx = world.ctx()
    old = consents.record_consent(
        db, ctx, case.code, consent(given_on=date(2025, 1, 2), expires_on=date(2026, 1, 31))
    )
    withdrawn = consents.record_consent(db, ctx, case.code, consent(expires_on=date(2026, 3, 10)))
    consents.withdraw_consent(db, ctx, withdrawn.id)
    db.commit()
    rt = runtime(uow, slack)
    assert job.consent_expiry(rt, kst(2026, 3, 3, 6, 30)).recorded == 1  # the old one; first run looks at all

    # Recorded late, an expiry two weeks before the last run is still caught; one older is not looked at.
    late = consents.record_consent(
        db, ctx, case.code, consent(given_on=date(2025, 2, 20), expires_on=date(2026, 2, 20))
    )
    too_old = consents.record_consent(
        db, ctx, case.code, consent(given_on=date(2025, 2, 10), expires_on=date(2026, 2, 10))
    )
    db.commit()
    report = job.consent_expiry(rt, kst(2026, 3, 4, 6, 30))
    assert report.since == "2026-02-17" and report.recorded == 1
    db.expire_all()
    recorded = {
        e.data["consent"] for e in db.scalars(select(CaseEvent).where(CaseEvent.event == "consent_expired"))
    }
    assert recorded == {old.id, late.id}
    assert withdrawn.id not in recorded and too_old.id not in recorded


def test_a_failed_expiry_leaves_no_run_marker_so_the_next_run_tries_again(db, uow, world, slack, monkeypatch):
    case = case_in_monitoring(db, world)
    consents.record_consent(db, world.ctx(), case.code, consent(expires_on=date(2026, 3, 10)))
    db.commit()
    rt = runtime(uow, slack)
    real = housekeeping.record_expiry

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(housekeeping, "record_expiry", broken)
    failed = job.consent_expiry(rt, MONDAY_EARLY)
    assert failed.failed == 1 and failed.recorded == 0
    with uow() as session:
        assert housekeeping.last_run(session) is None
        assert (
            session.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.event == "consent_expired")
            )
            == 0
        )

    monkeypatch.setattr(housekeeping, "record_expiry", real)
    retried = job.consent_expiry(rt, MONDAY_EARLY)
    assert retried.recorded == 1 and not retried.already_done_today
    with uow() as session:
        assert housekeeping.last_run(session) == date(2026, 3, 23)


def test_the_daily_job_runs_its_tasks_on_working_days_and_one_failing_task_does_not_stop_the_next(uow, slack):
    rt = runtime(uow, slack)
    ran: list[str] = []

    def failing(runtime, now):
        ran.append("first")
        raise RuntimeError("boom")

    def second(runtime, now):
        ran.append("second")
        return "ok"

    tasks = (job.Task("first", failing), job.Task("second", second))
    assert job.run_daily(rt, kst(2026, 3, 23, 6, 30), tasks) == {"first": None, "second": "ok"}
    assert ran == ["first", "second"]
    ran.clear()
    assert job.run_daily(rt, kst(2026, 3, 2, 6, 30), tasks) == {}  # 삼일절 substitute holiday
    assert ran == []
    assert [t.name for t in job.TASKS] == ["consent_expiry", "retention_notice", "retention_purge"]


def test_the_housekeeping_job_is_fixed_daily_early_on_weekdays_in_seoul(empty_database_url):
    engine = make_engine(empty_database_url("sqlite"))
    schema.upgrade(engine)
    scheduler = build_scheduler(engine, SEOUL)
    scheduler.start(paused=True)
    try:
        housekeeping_job = scheduler.get_job("housekeeping.daily")
        assert housekeeping_job.func_ref == "scheduler.jobs:run_housekeeping"
        trigger = str(housekeeping_job.trigger)
        assert str(housekeeping_job.trigger.timezone) == "Asia/Seoul"
        assert "day_of_week='mon-fri'" in trigger and "hour='6'" in trigger and "minute='30'" in trigger
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()


def test_the_fixed_moments_are_what_the_tests_say():
    # The fixed moments above must mean what the tests say (NOW itself is a holiday).
    assert CAL.is_working_day(MONDAY_EARLY.date()) and not CAL.is_working_day(NOW.astimezone(SEOUL).date())
