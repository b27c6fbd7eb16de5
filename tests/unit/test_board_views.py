"""The team board message: grouped by case manager, the right button per item, ≤50 blocks, both languages."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from slack_sdk.models.blocks import Block

from bot.i18n import t
from bot.ids import Action
from bot.views.board import board_message, channel_problem, channel_reply
from bot.views.messages import help_blocks
from models.services.board import Board, BoardItem, BoardKind, ManagerGroup

DAY = date(2026, 4, 6)


def item(code: str, kind: BoardKind, late: int) -> BoardItem:
    return BoardItem(code, kind, DAY - timedelta(days=late), late)


def valid(blocks: list[dict]) -> None:
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()


def buttons(blocks: list[dict]) -> list[tuple[str, dict, str | None]]:
    return [
        (b["accessory"]["action_id"], json.loads(b["accessory"]["value"]), b["accessory"].get("style"))
        for b in blocks
        if b.get("accessory")
    ]


def test_items_by_manager_with_the_button_of_their_dialogue():
    board = Board(
        1,
        "사례관리1팀",
        DAY,
        [
            ManagerGroup(10, "김사례", [item("C-2026-0001", BoardKind.CONTACT, 3)]),
            ManagerGroup(
                11,
                "이관리",
                [item("C-2026-0002", BoardKind.PLAN_REVIEW, 0), item("C-2026-0003", BoardKind.AFTERCARE, 1)],
            ),
        ],
    )
    text, blocks = board_message(board, "ko")
    valid(blocks)
    assert "사례관리1팀" in text and "2026-04-06" in text and "3" in text
    assert blocks[0]["type"] == "header" and "2026-04-06" in blocks[0]["text"]["text"]
    lines = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert lines[0] == "*김사례* · 1건"
    assert lines[1] == "`C-2026-0001` — 정기 점검(연락) (3일 지남, 기한 2026-04-03)"
    assert lines[2] == "*이관리* · 2건"
    assert lines[3] == "`C-2026-0002` — 계획 점검 (오늘까지)"
    assert buttons(blocks) == [
        (Action.OPEN_NOTE, {"code": "C-2026-0001"}, "danger"),
        (Action.OPEN_PLAN, {"code": "C-2026-0002"}, None),
        (Action.OPEN_AFTERCARE, {"code": "C-2026-0003"}, "danger"),
    ]


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_nothing_due_is_a_friendly_line(locale):
    text, blocks = board_message(Board(1, "Team", DAY), locale)
    valid(blocks)
    assert text == t("board.text", locale, team="Team", date="2026-04-06", count=0)
    assert blocks[-1]["text"]["text"] == t("board.nothing_due", locale)
    assert buttons(blocks) == []


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_a_big_board_stays_within_fifty_blocks_and_says_how_many_more(locale):
    groups = [
        ManagerGroup(
            m,
            f"담당자{m}" + "가" * 90,
            [item(f"C-2026-{m:02d}{i:02d}", BoardKind.CONTACT, i) for i in range(7)],
        )
        for m in range(12)
    ]
    board = Board(1, "팀" * 200, DAY, groups)  # a long name is cut to the header's limit
    text, blocks = board_message(board, locale)
    valid(blocks)
    assert len(blocks) == 50 and "84" in text
    shown = len(buttons(blocks))
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"] == t("board.more", locale, count=12 * 7 - shown)
    assert shown >= 40  # most of the room goes to items, not headings


def test_an_english_line_and_buttons():
    board = Board(1, "Team 1", DAY, [ManagerGroup(1, "Kim", [item("C-2026-0009", BoardKind.AFTERCARE, 2)])])
    _, blocks = board_message(board, "en")
    assert "`C-2026-0009` — After-care check due (overdue 2 day(s), due 2026-04-04)" in str(blocks)
    assert blocks[-1]["accessory"]["text"]["text"] == "Record check"


def test_the_channel_answers():
    linked = channel_reply("1팀", "C01", None, "C01", "ko")
    assert "<#C01>" in linked and "/invite @Casebot" in linked
    moved = channel_reply("1팀", "C02", "C01", "C02", "en")
    assert "<#C02>" in moved and "<#C01>" in moved and "/invite" in moved
    current = channel_reply("1팀", "C01", "C01", "DUSER", "en")
    assert "<#C01>" in current and "/case channel off" in current and "/invite" not in current
    assert "/case channel" in channel_reply("1팀", None, None, "DUSER", "ko")
    assert "<#C01>" in channel_reply("1팀", None, "C01", "C01", "ko")
    assert "/invite @Casebot" in channel_problem("1팀", "C01", "not_in_channel", "ko")
    assert "is_archived" in channel_problem("1팀", "C01", "is_archived", "en")


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_help_mentions_the_channel_command(locale):
    assert "/case channel" in str(help_blocks(locale))
