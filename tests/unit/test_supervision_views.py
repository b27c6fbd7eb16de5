"""The load bars, the flags and the supervision gap in the supervisor's Home and weekly digest, and the
supervision modal: pure functions of what is passed in."""

from __future__ import annotations

import json
from datetime import date

from bot.views.digests import weekly
from bot.views.home import team_blocks
from bot.views.supervision import SUPERVISION_BLOCKS, bars, follow_up_nudge, supervision_modal
from models.enums import StaffRole
from models.services.desk import TeamCaseload, WorkerLoad
from models.services.supervision import FollowUpNudge, SessionForm
from models.services.workload import Unsupervised


def caseload() -> TeamCaseload:
    heavy = WorkerLoad(1, "김가상", StaffRole.CASE_MANAGER, open_cases=12, weighted=31.5, crisis=3, overdue=2)
    heavy.trend, heavy.threshold = [10, 14, 18, 22, 26, 28, 30, 31.5], 30
    light = WorkerLoad(2, "이가상", StaffRole.CASE_MANAGER, open_cases=4, weighted=4.0)
    light.trend, light.threshold = [0, 0, 0, 1, 2, 3, 4, 4], 30
    return TeamCaseload(
        workers=[heavy, light],
        threshold=30,
        gap_weeks=4,
        unsupervised=[Unsupervised(2, "이가상", None), Unsupervised(1, "김가상", date(2026, 10, 1))],
    )


def test_bars_scale_to_the_threshold_and_mark_empty_weeks():
    assert bars([0, 3.75, 7.5, 15, 30, 45], 30) == "·▁▂▄██"
    assert bars([0.1], 30) == "▁" and bars([29.9], 30) == "█"
    assert len(bars([1.0] * 8, 30)) == 8


def test_the_home_flags_the_worker_over_the_threshold_with_the_trend():
    shown = json.dumps(team_blocks(caseload(), "ko"), ensure_ascii=False)
    assert (
        "*김가상* :warning: 기준 초과 · 가중 *31.5* / 기준 30 · 진행 12건 · 위기 3건 · 기한 지남 2건" in shown
    )
    assert "`▃▄▅▆▇███`" in shown and "10 → 31.5" in shown
    assert "*이가상* · 가중 *4*" in shown  # not flagged
    assert "사례량 기준(30) 초과 1명*: 김가상" in shown
    assert "4주 넘게 슈퍼비전 기록이 없는 직원 2명" in shown and "이가상 (마지막 기록 없음)" in shown
    english = json.dumps(team_blocks(caseload(), "en"), ensure_ascii=False)
    assert "over threshold" in english and "8-week trend" in english


def test_the_weekly_digest_names_the_over_threshold_and_the_unsupervised():
    _text, blocks = weekly(caseload(), date(2026, 12, 7), "ko")
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "• 김가상 :warning: 기준 초과: 가중 31.5 / 기준 30" in shown
    assert "사례량 기준(30) 초과 1명" in shown
    assert "김가상 (마지막 2026-10-01)" in shown


def test_the_supervision_modal_offers_codes_only_and_the_nudge_no_words():
    form = SessionForm(7, "김가상", ["C-2026-0001", "C-2026-0002"], 31.5, 30, None)
    view = supervision_modal(form, "ko", today=date(2026, 12, 7))
    ids = [b.get("block_id") for b in view["blocks"] if b["type"] == "input"]
    assert ids == SUPERVISION_BLOCKS
    assert json.loads(view["private_metadata"]) == {"worker": 7}
    text, _blocks = follow_up_nudge(
        FollowUpNudge(5, 2, date(2026, 12, 1), "박팀장", date(2026, 12, 4), False), date(2026, 12, 7), 9, "ko"
    )
    assert "2026-12-04" in text and "2026-12-01" in text and "박팀장" in text and "3일" in text
