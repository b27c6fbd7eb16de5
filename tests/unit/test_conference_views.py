"""Conference views respect Slack's limits in both languages; messages carry codes, never questions;
the modal's rows are read back into the core's inputs with errors under the row they are about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.conference_forms import Rows, parse_add_cases, parse_record, parse_schedule
from bot.i18n import catalog
from bot.views import blocks as b
from bot.views import conferences as views
from models.enums import (
    ConferencePurpose,
    ConferenceRecurrence,
    ConferenceStatus,
    ConferenceType,
    ReminderKind,
    Stage,
    TaskStatus,
)
from models.errors import InvalidInput, Message
from models.services.conferences import CONFERENCE_KINDS, AgendaItem, ConferenceBrief

SEOUL = ZoneInfo("Asia/Seoul")
QUESTION = "가상 질문: 긴급지원 연계 여부"
LOCALES = ["ko", "en"]


def validate(view: dict) -> None:
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    b.check_view(view)


def brief(**overrides) -> ConferenceBrief:
    values: dict = dict(
        id=7,
        conference_type=ConferenceType.INTEGRATED,
        status=ConferenceStatus.SCHEDULED,
        scheduled_at=datetime(2026, 3, 17, 5, 0, tzinfo=UTC),  # 14:00 in Seoul
        duration_minutes=90,
        channel_id="C0CONF",
        chair_id=1,
        chair_name="김의장",
        recurrence=ConferenceRecurrence.MONTHLY,
        series_key="abc",
        recorded=False,
        codes=tuple(f"C-2026-{n:04d}" for n in range(1, 31)),
        external_count=2,
        can_change=True,
    )
    values.update(overrides)
    return ConferenceBrief(**values)


def agenda(count: int = 30, *, question: str | None = None) -> list[AgendaItem]:
    return [
        AgendaItem(
            code=f"C-2026-{n:04d}",
            purpose=ConferencePurpose.PLAN,
            stage=Stage.PLAN,
            overdue=n % 3,
            max_severity=None if n == 1 else 3,
            open_referrals=1,
            third_party_consent=n % 2 == 0,
            question=question,
        )
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_modal_is_valid_at_its_largest(locale):
    today = date(2026, 3, 2)
    schedule = views.schedule_modal(locale, SEOUL, today, channel_id="C0001")
    validate(schedule)
    inputs = [block["block_id"] for block in schedule["blocks"] if block["type"] == "input"]
    assert {
        "cases.0.code",
        f"cases.{views.CASE_ROWS - 1}.question",
        "participant_ids",
        "slack_channel_id",
    } <= set(inputs)
    channel = next(block for block in schedule["blocks"] if block.get("block_id") == "slack_channel_id")
    assert channel["element"]["initial_conversation"] == "C0001"
    timepicker = next(block for block in schedule["blocks"] if block.get("block_id") == "scheduled_time")
    assert timepicker["element"]["timezone"] == "Asia/Seoul"
    in_dm = views.schedule_modal(locale, SEOUL, today, channel_id="D0001")["blocks"]
    assert (
        "initial_conversation"
        not in next(x for x in in_dm if x.get("block_id") == "slack_channel_id")["element"]
    )

    long_question = "질" * 1000
    validate(views.agenda_modal(brief(), agenda(question=long_question), SEOUL, locale, can_add=True))
    closed = views.agenda_modal(brief(status=ConferenceStatus.HELD), agenda(3), SEOUL, locale, can_add=False)
    validate(closed)
    assert "submit" not in closed
    validate(views.record_modal(brief(), SEOUL, locale))
    validate(views.reschedule_modal(brief(), SEOUL, locale))
    for series_key in ("abc", None):
        cancel = views.cancel_modal(brief(series_key=series_key), SEOUL, locale)
        validate(cancel)
        scope = next(block for block in cancel["blocks"] if block.get("block_id") == "scope")
        assert len(scope["element"]["options"]) == (2 if series_key else 1)
    item = views.action_item_modal(
        item_id=3,
        description="가상 실행과제",
        code="C-2026-0001",
        due=date(2026, 3, 27),
        owner="김담당",
        status=TaskStatus.OPEN,
        conference=brief(),
        zone=SEOUL,
        locale=locale,
    )
    validate(item)
    validate(views.done_modal(locale, views.scheduled_lines([brief(), brief()], SEOUL, locale)))


@pytest.mark.parametrize("locale", LOCALES)
def test_titles_and_buttons_fit(locale):
    texts = catalog(locale)
    for key, value in texts.items():
        if key.startswith("conferences.") and key.rsplit(".", 1)[1] in ("title", "submit", "close"):
            assert len(value) <= 24, (locale, key)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(CONFERENCE_KINDS))
def test_conference_messages_carry_codes_and_figures_never_questions(locale, kind):
    text, blocks = views.conference_nudge(
        ReminderKind(kind), brief(), agenda(question=QUESTION), SEOUL, locale, cancelled_following=3
    )
    assert len(blocks) <= b.LIMITS["blocks_message"]
    for block in blocks:
        Block.parse(block).validate_json()
    body = str(blocks)
    assert QUESTION not in body and QUESTION not in text
    assert "2026-03-17" in text and "14:00" in text
    buttons = [e for block in blocks if block["type"] == "actions" for e in block["elements"]]
    assert buttons  # every nudge has a button
    if kind == ReminderKind.CONFERENCE_CANCELLED:
        assert "C-2026-0001" not in body and "3" in text
    else:
        assert "C-2026-0030" in body  # all thirty codes fit in one section
        severity_none = catalog(locale)["conferences.agenda.severity_none"]
        assert severity_none in body
    if kind == ReminderKind.CONFERENCE_RECORD:
        assert buttons[0]["action_id"] == "case.conference.record"


@pytest.mark.parametrize("locale", LOCALES)
def test_action_item_nudge_and_list(locale):
    text, blocks = views.action_item_nudge(
        5, "C-2026-0001", date(2026, 3, 27), date(2026, 3, 30), brief(), SEOUL, locale, reminder_id=9
    )
    assert "C-2026-0001" in text and "2026-03-27" in text and "3" in text
    ids = [e["action_id"] for block in blocks if block["type"] == "actions" for e in block["elements"]]
    assert ids == [
        "case.conference.item.done",
        "case.conference.item.show",
        "reminder.snooze.1",
        "reminder.snooze.7",
    ]
    text, blocks = views.action_item_nudge(
        5, None, date(2026, 3, 27), date(2026, 3, 20), brief(), SEOUL, locale
    )
    assert "C-2026" not in text and len(blocks[1]["elements"]) == 2

    listed = views.list_blocks(
        [brief(id=n) for n in range(1, 21)], SEOUL, datetime(2026, 3, 2, tzinfo=UTC), locale
    )
    assert len(listed) <= b.LIMITS["blocks_message"]
    for block in listed:
        Block.parse(block).validate_json()
    started = views.list_blocks([brief()], SEOUL, datetime(2026, 3, 17, 6, 0, tzinfo=UTC), locale)
    ids = [e["action_id"] for block in started if block["type"] == "actions" for e in block["elements"]]
    assert "case.conference.record" in ids and "case.conference.reschedule" not in ids
    others = views.list_blocks([brief(can_change=False)], SEOUL, datetime(2026, 3, 2, tzinfo=UTC), locale)
    ids = [e["action_id"] for block in others if block["type"] == "actions" for e in block["elements"]]
    assert ids == ["case.conference.agenda", "case.conference.open"]


# --- reading the modals ---------------------------------------------------------------------------


def schedule_form(**overrides) -> dict:
    form = {
        "conference_type": "INTEGRATED",
        "scheduled_at": "2026-03-17",
        "scheduled_time": "14:00",
        "duration_minutes": "90",
        "slack_channel_id": "C0CONF",
        "participant_ids": ["UCO"],
        "chair_id": None,
        "externals": "김가상 / 가상구 정신건강복지센터\n\n이가상, 가상동 주민센터",
        "pledge": ["yes"],
        "recurrence": "NONE",
        "occurrences": "1",
        "cases.1.code": "c-2026-0002",
        "cases.1.purpose": "PLAN",
        "cases.1.question": QUESTION,
        "cases.3.code": "C-2026-0004",
    }
    form.update(overrides)
    return form


def test_the_schedule_form_becomes_the_core_input():
    form = parse_schedule(schedule_form(), SEOUL)
    data = form.data
    assert data.scheduled_at == datetime(2026, 3, 17, 14, 0, tzinfo=SEOUL)
    assert [(c.code, c.purpose) for c in data.cases] == [
        ("C-2026-0002", ConferencePurpose.PLAN),
        ("C-2026-0004", ConferencePurpose.REVIEW),
    ]
    assert form.case_rows == [1, 3]
    assert [(e.name, e.organisation, e.confidentiality_pledge) for e in data.externals] == [
        ("김가상", "가상구 정신건강복지센터", True),
        ("이가상", "가상동 주민센터", True),
    ]
    assert form.participant_users == ["UCO"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scheduled_time": None}, "scheduled_time"),
        ({"externals": "이름만"}, "externals"),
        ({"pledge": []}, "externals"),
        ({"recurrence": "MONTHLY", "occurrences": "1"}, "occurrences"),
        ({"cases.3.code": "C-2026-0002"}, "cases.3.code"),  # the same case twice
        ({"cases.3.question": "가" * 1001}, "cases.3.question"),  # the core's cases.1 is the modal's row 3
    ],
)
def test_schedule_form_errors_land_on_their_field(overrides, field):
    with pytest.raises(InvalidInput) as excinfo:
        parse_schedule(schedule_form(**overrides), SEOUL)
    assert field in excinfo.value.errors


def test_rows_map_the_cores_indexes_back_to_the_modal():
    rows = Rows("cases", [1, 3])
    message = Message("errors.input.other")
    assert set(rows.to_blocks({"cases.1.code": message, "scheduled_at": message})) == {
        "cases.3.code",
        "scheduled_at",
    }
    assert parse_add_cases({"cases.1.code": "C-2026-0001"}).case_rows == [1]
    with pytest.raises(InvalidInput):
        parse_add_cases({})


def test_the_record_form_keeps_filled_rows_only():
    form = parse_record(
        {
            "decisions.1": "재사정 후 계획 변경",
            "action_items.0.description": None,
            "action_items.2.description": "서류 제출",
            "action_items.2.owner_id": "UOWNER",
            "action_items.2.due_date": "2026-03-27",
            "action_items.2.code": "C-2026-0002",
            "minutes_ref": "회의록-12",
        },
        ["C-2026-0001", "C-2026-0002"],
    )
    assert form.decisions == [(1, "C-2026-0002", "재사정 후 계획 변경")]
    assert [(row, values["code"], user) for row, values, user in form.items] == [(2, "C-2026-0002", "UOWNER")]
