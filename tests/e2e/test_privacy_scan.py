"""No identifier reaches Slack's history across a case's whole life (domain.md R1, the outbound gate).

The end-to-end lifecycle of test_lifecycle.py runs unchanged against the real `casebot run` process, with
distinctive client data: a name, birth date, phone number, address, a guardian with an e-mail address and
a narrative sentence. Its guardian (phone and e-mail address) is then marked as the alleged abuser and
a mandatory abuse report with a distinctive reference number is recorded through `/case report` (R12).
Then the scheduler's side runs on the same record through the same gated client:
the daily digests on the days something falls due, the weekly digest, and a sweep that sends every
pending reminder. Every recorded `chat.*` call (and every response_url post) is then scanned for

- every value of every tagged column in the database after the lifecycle (whatever the steps typed),
  in all the spellings `models.privacy` knows;
- the detectors' patterns (주민등록번호, phone numbers, e-mail addresses);
- the distinctive values verbatim, independently of the scanner.

And the gate must not have had to refuse anything: the app itself never tried to send client data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.ids import View
from bot.settings import Settings
from bot.slack_client import make_web_client, refusal_count
from models import privacy
from models.base import Base
from models.case import Case
from models.client import Client, Guardian
from models.enums import Surface
from models.mandatory_report import MandatoryReport
from models.reminder import Reminder
from models.services import guardians, staff
from models.services.calendar import WorkCalendar
from models.services.context import Ctx
from scheduler.digests import send_daily, send_weekly
from scheduler.jobs import Runtime
from scheduler.sweep import sweep
from tests.e2e import test_lifecycle as lifecycle
from tests.e2e.conftest import RunningBot
from tests.e2e.helpers import choice, command, state, submit, text
from tests.e2e.helpers import day as picked_day

NAME = "홍길동테스트"
PHONE = "010-1234-5678"
BIRTH_DATE = "1971-11-02"
ADDRESS = "서울특별시 가상구 시험로 12, 101동 1001호"
GUARDIAN = "홍보호자테스트"
GUARDIAN_EMAIL = "guardian.hong@example.com"
GUARDIAN_PHONE = "010-8765-4321"
REPORT_REFERENCE = "아보전-2026-77123"
NARRATIVE = "실직 후 월세 체납. 남편의 음주 문제로 가족 갈등이 심하고 아이가 학교에 가지 않으려 한다"
VERBATIM = (
    NAME,
    PHONE,
    PHONE.replace("-", ""),
    BIRTH_DATE,
    BIRTH_DATE.replace("-", ""),
    ADDRESS,
    "시험로 12",
    GUARDIAN,
    GUARDIAN_EMAIL,
    GUARDIAN_PHONE,
    GUARDIAN_PHONE.replace("-", ""),
    REPORT_REFERENCE,
    "남편의 음주 문제",
)
EXTRA_INTAKE = {
    "client.address": ADDRESS,
    "guardians.0.name": GUARDIAN,
    "guardians.0.relationship_kind": "배우자",
    "guardians.0.contact": f"{GUARDIAN_PHONE}, {GUARDIAN_EMAIL}",
    "intake_summary": NARRATIVE,
}


def everything_tagged_in(bot: RunningBot) -> privacy.SeenValues:
    """Every stored value of every tagged column, as the gate's matcher would hold it."""
    values = privacy.SeenValues(limit=1_000_000, ttl=1e9)
    with bot.uow() as db:
        for mapper in Base.registry.mappers:
            tagged = privacy.tagged_attributes(mapper)
            if not tagged:
                continue
            for row in db.scalars(select(mapper.class_)):
                for key, tag in tagged:
                    values.add(getattr(row, key), tag)
    return values


def scheduler_side(bot: RunningBot, code: str) -> list[str]:
    """Digests and a full reminder sweep on the lifecycle's record, through `make_web_client`'s gate."""
    settings = Settings(_env_file=None, slack_bot_token="xoxb-e2e", slack_api_url=bot.slack.url)  # type: ignore[call-arg]
    calendar = WorkCalendar(settings.zone, settings.working_hours.start_hour, settings.working_hours.end_hour)
    runtime = Runtime(
        bot.uow, make_web_client(settings), settings.policy(), calendar, settings.default_locale
    )
    with bot.uow() as db:
        case_id = db.scalar(select(Case.id).where(Case.code == code))
        due = [r.due_at for r in db.scalars(select(Reminder).where(Reminder.case_id == case_id))]
    assert due, "the lifecycle left no reminder to send"
    done: list[str] = []
    for day in sorted({d.astimezone(settings.zone).date() for d in due}):
        if calendar.is_working_day(day):
            morning = datetime.combine(day, time(9, 5), tzinfo=settings.zone).astimezone(UTC)
            done.append(f"daily {day}: {send_daily(runtime, morning)}")
    monday = datetime.now(settings.zone).date() + timedelta(days=7)
    monday -= timedelta(days=monday.weekday())
    while not calendar.is_working_day(monday):
        monday += timedelta(days=1)
    done.append(
        f"weekly {monday}: {send_weekly(runtime, datetime.combine(monday, time(9, 5), settings.zone))}"
    )
    # One sweep after everything fell due, at a working hour: every pending reminder goes out.
    later = max(due).astimezone(settings.zone) + timedelta(days=1)
    later = calendar.next_working_start(later + timedelta(hours=1))
    report = sweep(bot.uow, runtime.client, settings.policy(), calendar, later, sleep=lambda _: None)
    assert report.failed == 0, report
    done.append(f"sweep: {report}")
    return done


def mark_abuser_and_report(bot: RunningBot, code: str) -> None:
    """R12 on the lifecycle's record: the guardian marked as the alleged abuser (the core, as the case
    manager), then a mandatory report through `/case report` with signed requests."""
    with bot.uow() as db:
        manager = staff.find_staff(db, lifecycle.MANAGER)
        ctx = Ctx(actor=manager, surface=Surface.CLI, now=datetime.now(UTC))
        [guardian] = db.scalars(select(Guardian))
        guardians.mark_alleged_abuser(db, ctx, code, guardian.id)
    opened_before = len(bot.slack.calls("views.open"))
    status, _ = command(bot, f"report {code}", lifecycle.MANAGER, channel_id=lifecycle.CHANNEL)
    assert status == 200
    view = bot.slack.wait_for("views.open", opened_before + 1)[opened_before].params["view"]
    assert view["callback_id"] == View.REPORT
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Seoul")) - timedelta(hours=1)
    _, body = submit(
        bot,
        lifecycle.MANAGER,
        View.REPORT,
        state(
            reported_on=picked_day(local.date().isoformat()),
            reported_time={"type": "timepicker", "selected_time": local.strftime("%H:%M")},
            agency=choice("CHILD_PROTECTION_AGENCY"),
            reference=text(REPORT_REFERENCE),
        ),
        view_id="VSCANREPORT",
        private_metadata=view["private_metadata"],
    )
    assert body["response_action"] == "update", body
    with bot.uow() as db:
        [report] = db.scalars(select(MandatoryReport))
        assert report.reference == REPORT_REFERENCE


def test_no_identifier_reaches_slack_history_across_the_lifecycle(
    bot: RunningBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle, "CLIENT_NAME", NAME)
    monkeypatch.setattr(lifecycle, "CONTACT", PHONE)
    monkeypatch.setattr(lifecycle, "BIRTH_DATE", BIRTH_DATE)
    monkeypatch.setattr(lifecycle, "PRIVATE", VERBATIM)
    typed_into_intake: list[dict] = []
    real_send = lifecycle.send

    def send(bot: RunningBot, user: str, view_id: str, view: dict, typed: dict[str, Any]) -> dict:
        if view["callback_id"] == View.INTAKE:
            typed = {**typed, **EXTRA_INTAKE}
            typed_into_intake.append(typed)
        return real_send(bot, user, view_id, view, typed)

    monkeypatch.setattr(lifecycle, "send", send)
    refused_before = refusal_count()

    lifecycle.test_a_case_goes_from_intake_to_aftercare_through_slack_alone(bot, tmp_path)

    assert len(typed_into_intake) == 1
    with bot.uow() as db:
        [case] = db.scalars(select(Case))
        code = case.code
        client = db.get_one(Client, case.client_id)
        assert (client.name, client.address, case.intake_summary) == (NAME, ADDRESS, NARRATIVE)
        assert [(g.name, g.contact) for g in db.scalars(select(Guardian))] == [
            (GUARDIAN, f"{GUARDIAN_PHONE}, {GUARDIAN_EMAIL}")
        ]
    mark_abuser_and_report(bot, code)
    print("\n" + "\n".join(scheduler_side(bot, code)))

    stored = everything_tagged_in(bot)
    assert len(stored) > 40  # names, dates, contacts, narratives, plan, notes, evaluations …
    for private, column in [
        (NAME, "clients.name"),
        ("01012345678", "clients.contact"),
        ("1971.11.02", "clients.birth_date"),
        (GUARDIAN_EMAIL, "guardians.contact"),
        (GUARDIAN_PHONE, "guardians.contact"),
        (REPORT_REFERENCE, "mandatory_reports.reference"),
        ("남편의 음주 문제로 가족 갈등이 심하고", "cases.intake_summary"),
        ("주거급여 신청 동행", "plan_tasks.action"),
    ]:  # the scan below is not vacuous: it knows these
        assert column in {t.label for t in stored.matches(privacy.normalise(private))}, private
    outbound = [c for c in bot.slack.calls() if c.method.startswith("chat.") or c.method == "response_url"]
    methods = {c.method for c in outbound}
    assert {"chat.postMessage", "chat.postEphemeral", "chat.update"} <= methods, methods
    assert len(outbound) >= 8
    for call in outbound:
        findings = privacy.scan(call.params, seen_values=stored)
        assert findings == [], f"{call.method} to {call.params.get('channel')}: {[str(f) for f in findings]}"
        shown = json.dumps(call.params, ensure_ascii=False)
        for private in VERBATIM:
            assert private not in shown, f"{call.method} carries a private value"

    # The gate never had to stop anything: the app never tried. It was on in the bot process.
    assert "outbound privacy gate on:" in bot.log_path.read_text()  # said when the process started
    log = bot.log_text()
    assert "outbound gate refused" not in log and "OutboundRefused" not in log
    assert refusal_count() == refused_before
