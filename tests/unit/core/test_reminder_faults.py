"""Faults lose no reminder: a long Slack outage, undeliverable addresses, a stop, a crash, a dead
process's claims. Time moves with the sweep's as-of argument; Slack is the stand-in (FakeSlack)."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select, update

from bot.views.digests import weekly
from models.enums import ReminderKind, ReminderStatus, Surface
from models.reminder import Reminder
from models.services import cases, desk, sweeper
from models.services.calendar import WorkCalendar
from models.services.context import Ctx, Policy
from sandbox.slack import FakeSlack
from scheduler.sweep import BURST_LIMIT, sweep
from tests.factories import intake

SEOUL = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar(SEOUL, 9, 18)
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=SEOUL)  # a Tuesday morning
KINDS = (
    ReminderKind.ACTION_ITEM,
    ReminderKind.PLAN_END,
    ReminderKind.PLAN_REVIEW,
    ReminderKind.REFERRAL_RESPONSE,
)


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def run(uow, slack, now, **kwargs):
    client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
    return sweep(uow, client, Policy(), CAL, now, sleep=lambda _: None, **kwargs)


def due_reminders(db, world, n_cases: int = 3, recipient=None) -> list[Reminder]:
    """`n_cases` × 4 reminders due at T0, each its own message (one case and kind each)."""
    rows = []
    for c in range(n_cases):
        case = cases.open_case(db, world.ctx(), intake(name=f"가상{c}"))
        for kind in KINDS:
            row = Reminder(
                key=f"fault:{case.id}:{kind.value}",
                kind=kind,
                case_id=case.id,
                recipient_id=(recipient or world.manager).id,
                due_at=T0,
                attempts=0,
            )
            db.add(row)
            rows.append(row)
    db.commit()
    return rows


def statuses(db, rows) -> dict[int, ReminderStatus]:
    db.expire_all()
    return {r.id: db.get(Reminder, r.id).status for r in rows}


def test_a_45_minute_outage_then_recovery_delivers_every_due_reminder_exactly_once(
    db, uow, world, slack, caplog
):
    rows = due_reminders(db, world, n_cases=5)  # 20 messages
    delivered: list[tuple[int, str]] = []  # (minute, text) of each message Slack took
    minute = 0
    slack.subscribe(lambda call, body: delivered.append((minute, call.params["text"])))
    slack.fail("chat.postMessage", error="service_unavailable", status=503, retry_after=None, times=10**6)
    failures = []
    with caplog.at_level(logging.ERROR, logger="casebot.scheduler"):
        for minute in range(0, 76):
            if minute == 45:
                slack.reset()  # Slack answers again (the stand-in forgets the injected failures)
            report = run(uow, slack, T0 + timedelta(minutes=minute))
            failures.append(report.failed)
            if minute < 45:
                assert report.sent == 0 and report.given_up == []
                # Never given up on: every row is still pending (or being retried), none FAILED.
                assert ReminderStatus.FAILED not in statuses(db, rows).values()
                assert 1 <= report.failed <= BURST_LIMIT  # a few calls a minute, not the whole queue
    assert all(s == ReminderStatus.SENT for s in statuses(db, rows).values())
    texts = [text for _, text in delivered]
    assert len(texts) == len(rows) == len(set(texts))  # each reminder exactly once
    last = max(m for m, _ in delivered)
    assert min(m for m, _ in delivered) >= 45 and last <= 46  # at once when Slack is back
    attempts = [db.get(Reminder, r.id).attempts for r in rows]
    print(
        f"\noutage 0-45 min, {len(rows)} messages: all delivered by minute {last}; "
        f"Slack calls during the outage {sum(failures[:45])}; attempts per row max {max(attempts)}"
    )
    # One log record per failing sweep, with one traceback per distinct error.
    failing = [r for r in caplog.records if "reminder sweep:" in r.getMessage()]
    assert len(failing) == sum(1 for f in failures if f)
    assert all(r.getMessage().count("Traceback") <= 1 and r.getMessage().count("-- ") == 1 for r in failing)


def test_the_back_off_doubles_and_is_capped_at_an_hour_and_never_gives_up(db, uow, world, slack):
    rows = due_reminders(db, world, n_cases=1)[:1]
    db.execute(update(Reminder).where(Reminder.id != rows[0].id).values(status=ReminderStatus.CANCELLED))
    db.commit()
    slack.fail("chat.postMessage", error="internal_error", status=500, retry_after=None, times=10**6)
    moment, tries = T0, []
    while moment < T0 + timedelta(hours=8):
        report = run(uow, slack, moment)
        if report.failed:
            tries.append(moment)
        moment += timedelta(minutes=1)
    gaps = [(b - a) for a, b in itertools.pairwise(tries)]
    # Never longer than an hour between tries (here the probe, a sweep with nothing else due asking
    # Slack with the row waiting longest, even tries it every minute).
    assert max(gaps) <= timedelta(hours=1)
    db.expire_all()
    row = db.get(Reminder, rows[0].id)
    assert row.status == ReminderStatus.PENDING and row.retry_at is not None
    assert [sweeper.backoff(n) for n in (1, 2, 5, 6, 20)] == [
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=32),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "channel_not_found", "is_archived"])
def test_an_undeliverable_reminder_ends_with_its_reason_shown_to_the_supervisors(
    db, uow, world, slack, error
):
    rows = due_reminders(db, world, n_cases=1)
    slack.fail("chat.postMessage", error=error, status=200, retry_after=None, times=1)
    report = run(uow, slack, T0)
    assert report.failed == 1 and len(report.given_up) == 1 and report.sent == len(rows) - 1
    db.expire_all()
    ended = db.get(Reminder, report.given_up[0])
    assert ended.status == ReminderStatus.FAILED and ended.last_error == error
    assert run(uow, slack, T0 + timedelta(hours=2)).failed == 0  # not tried again

    supervisor = Ctx(
        actor=world.supervisor, surface=Surface.SCHEDULER, now=T0 + timedelta(days=1), policy=Policy()
    )
    caseload = desk.team_caseload(db, supervisor)
    assert [(u.reminder_id, u.reason) for u in caseload.undelivered] == [(ended.id, error)]
    for locale in ("ko", "en"):
        _, blocks = weekly(caseload, T0.date(), locale)
        assert any(ended.kind.label(locale) in str(b) for b in blocks[2:])
    later = Ctx(
        actor=world.supervisor, surface=Surface.SCHEDULER, now=T0 + timedelta(days=9), policy=Policy()
    )
    assert desk.team_caseload(db, later).undelivered == []  # the week's, not forever


def test_a_reminder_for_a_deactivated_recipient_ends_with_its_reason(db, uow, world, slack):
    rows = due_reminders(db, world, n_cases=1, recipient=world.coworker)
    world.coworker.active = False
    db.commit()
    run(uow, slack, T0)
    db.expire_all()
    assert {db.get(Reminder, r.id).last_error for r in rows} == {"account_inactive"}
    assert set(statuses(db, rows).values()) == {ReminderStatus.FAILED}


def test_each_message_is_stamped_sent_before_the_next_is_posted(db, uow, world, slack, engine):
    rows = due_reminders(db, world, n_cases=2)
    seen: list[tuple[str, int]] = []  # (text posted, reminders already SENT when Slack received it)

    def check(params):
        with uow() as s:
            sent = s.scalar(
                select(func.count()).where(
                    Reminder.id.in_([r.id for r in rows]), Reminder.status == ReminderStatus.SENT
                )
            )
        seen.append((params["text"], sent))
        return {"ok": True, "channel": "D1", "ts": f"1.{len(seen)}"}

    slack.respond("chat.postMessage", check)
    report = run(uow, slack, T0)
    assert report.sent == len(rows)
    assert [sent for _, sent in seen] == list(range(len(rows)))  # the n-th post finds n-1 stamped


def test_a_stop_event_ends_the_sweep_between_messages_and_puts_back_the_rest(db, uow, world, slack):
    rows = due_reminders(db, world, n_cases=2)
    stop = threading.Event()
    posted = []

    def post(params):
        posted.append(params["text"])
        if len(posted) == 3:
            stop.set()  # SIGTERM arrives while the third message is in flight
        return {"ok": True, "channel": "D1", "ts": f"2.{len(posted)}"}

    slack.respond("chat.postMessage", post)
    report = run(uow, slack, T0, stop=stop)
    assert report.stopped and report.sent == 3 and report.released == len(rows) - 3
    by_status = statuses(db, rows)
    assert list(by_status.values()).count(ReminderStatus.SENT) == 3
    assert list(by_status.values()).count(ReminderStatus.PENDING) == len(rows) - 3  # nothing stranded
    db.expire_all()
    assert all(
        db.get(Reminder, r.id).attempts == 0 for r in rows if by_status[r.id] == ReminderStatus.PENDING
    )
    assert run(uow, slack, T0).sent == len(rows) - 3  # the restart sends the rest at once
    assert len(posted) == len(rows)


def _claimed(db, rows, holder: str, now: datetime) -> list[int]:
    ids = sweeper.claim(db, now, holder=holder)
    db.commit()
    assert set(ids) == {r.id for r in rows}
    return ids


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_claims_of_a_gone_process_are_released_at_once_and_a_live_ones_kept(db, world):
    rows = due_reminders(db, world, n_cases=1)
    host = sweeper.process_holder().split(":")[0]
    gone = f"{host}:{_dead_pid()}:abc"
    _claimed(db, rows, gone, T0)
    # A minute later, well inside the lease: the holder is gone, so its claims are free at once.
    assert sweeper.release_stale_claims(db, T0 + timedelta(minutes=1)) == len(rows)
    assert set(statuses(db, rows).values()) == {ReminderStatus.PENDING}

    earlier_run_of_this_pid = f"{host}:{sweeper.process_holder().split(':')[1]}:0ld"
    _claimed(db, rows, earlier_run_of_this_pid, T0)
    assert sweeper.release_stale_claims(db, T0) == len(rows)  # a restart with the same pid (a container)
    db.commit()

    _claimed(db, rows, sweeper.process_holder(), T0)  # this process, alive
    assert sweeper.release_stale_claims(db, T0 + sweeper.LEASE - timedelta(seconds=1)) == 0
    db.commit()


def test_claims_of_another_host_are_released_when_their_lease_runs_out(db, world):
    rows = due_reminders(db, world, n_cases=1)
    _claimed(db, rows, "other-host:4242:abc", T0)
    assert sweeper.release_stale_claims(db, T0 + sweeper.LEASE - timedelta(seconds=1)) == 0
    assert sweeper.release_stale_claims(db, T0 + sweeper.LEASE + timedelta(seconds=1)) == len(rows)
    db.commit()
    db.expire_all()
    assert all(db.get(Reminder, r.id).attempts == 0 for r in rows)  # the untried claim is not a try


def test_release_unsent_claims_puts_back_only_the_holders_own(db, world):
    rows = due_reminders(db, world, n_cases=2)
    mine, theirs = rows[:4], rows[4:]
    for row in theirs:
        row.status = ReminderStatus.CANCELLED  # out of the first claim
    db.commit()
    _claimed(db, mine, sweeper.process_holder(), T0)
    for row in theirs:
        row.status = ReminderStatus.PENDING
    db.commit()
    _claimed(db, theirs, "other-host:1:x", T0)
    assert sweeper.release_unsent_claims(db) == len(mine)
    db.commit()
    by_status = statuses(db, rows)
    assert {by_status[r.id] for r in mine} == {ReminderStatus.PENDING}
    assert {by_status[r.id] for r in theirs} == {ReminderStatus.CLAIMED}
