"""The note, closure, return and after-care views respect Slack's limits in both languages."""

from __future__ import annotations

from datetime import date

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.i18n import catalog
from bot.ids import Action
from bot.metadata import ClosureRef, MessageRef, NoteMeta
from bot.views import blocks as b
from bot.views.closure import (
    GoalRow,
    aftercare_done_modal,
    aftercare_modal,
    approval_request_blocks,
    close_done_modal,
    close_modal,
    closure_reasons,
    decided_blocks,
    return_modal,
)
from bot.views.notes import NOTE_BLOCKS, note_blocks_of, note_done_modal, note_modal
from models.enums import SCHOOL_ONLY_CLOSURE_REASONS, ClosureStatus, Profile

LOCALES = ["ko", "en"]
CODE = "C-2026-0007"
GOALS = [
    GoalRow(11, "경제", "체납 개월 수", "0개월"),
    GoalRow(12, "건강", "정기 진료 " * 300, "주 1회 " * 100),  # long texts are cut, never refused
]


def validate(view: dict) -> None:
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    b.check_view(view)


def inputs(view: dict) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


@pytest.mark.parametrize("locale", LOCALES)
def test_note_modal_for_one_case(locale):
    view = note_modal(locale, today=date(2026, 3, 2), timezone="Asia/Seoul", code=CODE)
    validate(view)
    assert inputs(view) == NOTE_BLOCKS[1:] == note_blocks_of(NoteMeta(code=CODE))
    time_block = next(x for x in view["blocks"] if x.get("block_id") == "contact_at")
    assert time_block["element"]["type"] == "timepicker"
    assert time_block["element"]["timezone"] == "Asia/Seoul"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text", [None, "짧은 메모", "가" * 5000])
def test_note_modal_from_a_message(locale, text):
    view = note_modal(
        locale,
        today=date(2026, 3, 2),
        timezone="Asia/Seoul",
        case_codes=[f"C-2026-{n:04d}" for n in range(1, 150)],
        summary=text,
        source=MessageRef(channel="C0001", ts="1700000000.000100"),
    )
    validate(view)
    assert inputs(view) == NOTE_BLOCKS == note_blocks_of(NoteMeta())
    summary = next(x for x in view["blocks"] if x.get("block_id") == "summary")
    if text:
        assert summary["element"]["initial_value"] == b.cut(text, 3000)
    # the message text is in the private modal only, never in its metadata
    assert "짧은" not in view["private_metadata"] and "1700000000.000100" in view["private_metadata"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("profile", list(Profile))
def test_close_modal(locale, profile):
    view = close_modal(locale, profile, CODE, GOALS)
    validate(view)
    assert {"goal_11", "goal_12", "reason", "worker_evaluation"} <= set(inputs(view))
    reasons = {o["value"] for o in view["blocks"][2]["element"]["options"]}
    assert reasons == {r.value for r in closure_reasons(profile)}
    assert (reasons & set(SCHOOL_ONLY_CLOSURE_REASONS) != set()) == (profile == Profile.SCHOOL)


@pytest.mark.parametrize("locale", LOCALES)
def test_close_modal_without_goals_and_the_other_views(locale):
    validate(close_modal(locale, Profile.WELFARE_CENTRE, CODE, []))
    validate(close_done_modal(locale, CODE))
    validate(return_modal(locale, 7, channel="DUSUP", ts="1.2"))
    validate(aftercare_modal(locale, CODE, 3, date(2026, 4, 2)))
    validate(note_done_modal(locale, CODE, "2026-03-20"))
    validate(note_done_modal(locale, CODE))
    for reopened in (True, False):
        validate(aftercare_done_modal(locale, CODE, reopened))


@pytest.mark.parametrize("locale", LOCALES)
def test_supervisor_dm_blocks(locale):
    request = approval_request_blocks(locale, CODE, 42)
    for block in request:
        Block.parse(block).validate_json()
    buttons = request[1]["elements"]
    assert [x["action_id"] for x in buttons] == [Action.REVIEW_CLOSURE]  # the review modal decides
    assert all(x["value"] == ClosureRef(closure_id=42).dump() for x in buttons)
    assert CODE in str(request)
    for approved in (True, False):
        decided = decided_blocks(locale, CODE, approved, "USUP")
        for block in decided:
            Block.parse(block).validate_json()
        assert "<@USUP>" in str(decided) and "actions" not in str(decided)


def test_titles_and_buttons_fit():
    keys = [
        "note.modal.title",
        "note.modal.submit",
        "note.modal.close",
        "note.done.title",
        "closure.modal.title",
        "closure.modal.submit",
        "closure.modal.close",
        "closure.done.title",
        "closure.return.title",
        "closure.return.submit",
        "closure.return.close",
        "aftercare.modal.title",
        "aftercare.modal.submit",
        "aftercare.modal.close",
        "aftercare.done.title",
    ]
    for locale in LOCALES:
        texts = catalog(locale)
        for key in keys:
            assert len(texts[key]) <= 24, (locale, key)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("status", list(ClosureStatus))
def test_the_closure_review_modal_fits_slack(locale, status):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.views.closure_review import review_modal
    from models.enums import ClosureReason, GoalAttainment
    from models.services.case_file import AttainmentEntry, ClosureEntry

    long = "가" * 3000
    entry = ClosureEntry(
        closure_id=7,
        status=status,
        reason=ClosureReason.GOAL_ACHIEVED,
        requested_by="Manager",
        requested_at=datetime(2026, 3, 2, tzinfo=UTC),
        decided_by=None,
        decided_at=None,
        supervisor_comment=None,
        client_informed=True,
        client_evaluation=long,
        worker_evaluation=long,
        aftercare_plan=long,
        handover_target=None,
        attainments=[AttainmentEntry(long, "지표", "목표", GoalAttainment.MET) for _ in range(60)],
    )
    view = review_modal(CODE, entry, locale, ZoneInfo("Asia/Seoul"), channel="DUSUP", ts="1790000000.000100")
    validate(view)
    inputs = {b.get("block_id") for b in view["blocks"] if b["type"] == "input"}
    assert inputs == ({"decision", "comment"} if status == ClosureStatus.PENDING else set())
