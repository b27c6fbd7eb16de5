"""Down time loses nothing: reminders that fell due while the bot was stopped go out once after it
starts again; late ones of one kind for one case come as one message; a case closed meanwhile gets none.

The bot's clock cannot be moved, and a sweep sends only in working time; so the first sweep after the
restart is `casebot reminders send --as-of T`, the same sweep the running scheduler calls every minute,
at a working moment T weeks after the cases were opened.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ids import View
from models.case import Case
from models.enums import CaseStatus, ClosureReason, ReminderKind, ReminderStatus, StaffRole, Surface
from models.reminder import Reminder
from models.schemas import ClosureInput
from models.services import closure
from models.services.calendar import WorkCalendar
from models.services.context import Ctx
from models.staff import StaffMember
from tests.e2e.conftest import _wait_healthy, bot_environment, free_port
from tests.e2e.helpers import add_staff, submit
from tests.e2e.test_intake import valid_intake

SEOUL = ZoneInfo("Asia/Seoul")
CALENDAR = WorkCalendar(SEOUL, 9, 18)
ROOT = Path(__file__).resolve().parents[2]


def _send_as_of(database_url: str, slack_url: str, moment: datetime, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "casebot.cli", "reminders", "send", "--as-of", moment.isoformat()],
        env=bot_environment(database_url, slack_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_what_fell_due_while_the_bot_was_down_is_sent_once_after_the_restart(bot, tmp_path):
    add_staff(bot, "URST1")
    add_staff(bot, "URSTSUP", role=StaffRole.SUPERVISOR)
    for i in range(3):
        status, body = submit(bot, "URST1", View.INTAKE, valid_intake(), view_id=f"VRST{i}")
        assert status == 200 and body["response_action"] == "update"
    with bot.uow() as db:
        database_url = db.get_bind().engine.url.render_as_string(hide_password=False)
        opened = list(db.scalars(select(Case).order_by(Case.id)))
        codes = [c.code for c in opened]
        opened_on = max(c.intake_at for c in opened).astimezone(SEOUL).date()
    assert len(codes) == 3

    bot.process.terminate()  # the bot stops
    bot.process.wait(timeout=10)

    # Meanwhile the third case is closed (its client moved to another agency), as another process
    # serving Slack would close it: through the services.
    with bot.uow() as db:
        manager = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == "URST1"))
        supervisor = db.scalar(select(StaffMember).where(StaffMember.slack_user_id == "URSTSUP"))
        now = datetime.now(UTC)
        request = closure.request_closure(
            db,
            Ctx(actor=manager, surface=Surface.CLI, now=now),
            codes[2],
            ClosureInput(
                reason=ClosureReason.TRANSFERRED, worker_evaluation="타기관 이관", client_informed=True
            ),
        )
        closure.decide_closure(
            db, Ctx(actor=supervisor, surface=Surface.CLI, now=now), request.id, approve=True
        )

    # The bot starts again (a new process on the same database and Slack) and leads the scheduler.
    port = free_port()
    log_path = tmp_path / "restarted.log"
    with log_path.open("w") as log:
        restarted = subprocess.Popen(
            [sys.executable, "-m", "casebot.cli", "run"],
            env=bot_environment(
                database_url, bot.slack.url, HOST="127.0.0.1", PORT=str(port), SCHEDULER_ENABLED="true"
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", restarted, log_path)
            _wait_for_text(log_path, "this process runs the scheduler")

            # Four weeks later, in working time: the assessment (day 10) and both plan nudges (days 20
            # and 27) fell due while nobody sent them.
            first_sweep_at = CALENDAR.next_working_start(
                datetime.combine(opened_on + timedelta(days=28), datetime.min.time(), SEOUL).replace(hour=10)
            )
            before = len(bot.slack.calls("chat.postMessage"))
            report = _send_as_of(database_url, bot.slack.url, first_sweep_at, tmp_path)
            assert "sent 4 message(s) (2 late reminders folded in)" in report, report
            posts = bot.slack.calls("chat.postMessage")[before:]

            # Again, and a day later: nothing is sent twice.
            assert "sent 0 message(s)" in _send_as_of(database_url, bot.slack.url, first_sweep_at, tmp_path)
            later = CALENDAR.next_working_start(first_sweep_at + timedelta(days=1))
            assert "sent 0 message(s)" in _send_as_of(database_url, bot.slack.url, later, tmp_path)
            assert len(bot.slack.calls("chat.postMessage")) == before + len(posts)
        finally:
            restarted.terminate()
            restarted.wait(timeout=10)

    per_case_and_kind = Counter(
        (code, kind)
        for post in posts
        for code in codes
        for kind in (ReminderKind.ASSESSMENT_DUE, ReminderKind.PLAN_DUE)
        if code in post.params["text"] and kind.ko in post.params["text"]
    )
    assert per_case_and_kind == Counter(
        {
            (code, kind): 1
            for code in codes[:2]
            for kind in (ReminderKind.ASSESSMENT_DUE, ReminderKind.PLAN_DUE)
        }
    )
    assert all(post.params["channel"] == "URST1" for post in posts)
    assert not any(codes[2] in post.params["text"] for post in posts)  # the closed case: nothing

    with bot.uow() as db:
        rows = {
            code: [
                (r.kind, r.status, r.message_ts)
                for r in db.scalars(select(Reminder).where(Reminder.case_id == case_id))
            ]
            for case_id, code in db.execute(select(Case.id, Case.code))
        }
        assert db.scalar(select(Case.status).where(Case.code == codes[2])) == CaseStatus.CLOSED
    for code in codes[:2]:
        due = [(kind, status, ts) for kind, status, ts in rows[code] if kind != ReminderKind.CONSENT_EXPIRY]
        plan_rows = [r for r in due if r[0] == ReminderKind.PLAN_DUE]
        assert len(plan_rows) == 2 and {s for _, s, _ in plan_rows} == {ReminderStatus.SENT}
        assert (
            len({ts for _, _, ts in plan_rows}) == 1 and plan_rows[0][2]
        )  # one message, both stamped with it
        assessment_rows = [r for r in due if r[0] == ReminderKind.ASSESSMENT_DUE]
        assert [(s, bool(ts)) for _, s, ts in assessment_rows] == [(ReminderStatus.SENT, True)]
    assert all(status != ReminderStatus.PENDING for _, status, _ in rows[codes[2]])
    assert not any(status == ReminderStatus.SENT for _, status, _ in rows[codes[2]])


def _wait_for_text(path: Path, text: str, timeout: float = 15) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log:\n{path.read_text()}")
