"""The sandbox keeps its story: a case manager moves the clock a week (the overdue nudges come) and a day
(the badge says +8일), and after a restart the DM still holds the nudges under their sandbox dates, with
the clock where it was. A snooze click then leaves the conversation where the
user had scrolled it. At 800 px wide the top bar still holds everything."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.sandbox_process import running_sandbox

MANAGER = "UDEMO01"
DM = "D" + MANAGER
WEEKDAYS_KO = "월화수목금토일"


def korean_day(day: date) -> str:
    """The page's day divider for ``day`` (its Korean date_long)."""
    return f"{day.year}년 {day.month}월 {day.day}일 ({WEEKDAYS_KO[day.weekday()]})"


@pytest.fixture
def new_page(browser) -> Iterator:  # type: ignore[no-untyped-def]
    contexts = []

    def make(url: str, width: int = 1280) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="ko-KR")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{url}/?user={MANAGER}&conv={DM}")
        expect(page.get_by_test_id("user-switcher")).to_have_value(MANAGER)
        return page

    yield make
    for context in contexts:
        context.close()


def day_dividers(page: Page) -> list[str]:
    return page.locator("#messages .day-divider").all_inner_texts()


def test_the_story_survives_a_restart_and_a_snooze_keeps_the_scroll_position(
    new_page, tmp_path: Path, screenshots: Path
):
    with running_sandbox(tmp_path, SCHEDULER_ENABLED="false") as first:
        page = new_page(first.url)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        badge = page.get_by_test_id("clock-offset")
        expect(badge).to_be_hidden()
        page.get_by_test_id("clock-plus-week").click()
        expect(badge).to_have_text("+7일")
        # The overdue nudges arrive, dated at the sandbox's time: under the day a week from today.
        week_on = date.fromisoformat(page.get_by_test_id("clock").get_attribute("data-now")[:10])
        nudges = page.get_by_test_id("message").filter(
            has=page.locator('[data-action-id="reminder.snooze.1"]')
        )
        expect(nudges.first).to_be_visible()
        expect(page.locator("#messages .day-divider").last).to_have_text(korean_day(week_on))
        report = page.get_by_test_id("clock-report")
        expect(report).to_be_visible()
        # The report is in the page's language, in words a case manager uses, not the scheduler's log.
        expect(report).to_contain_text("개인 메시지")
        expect(report).not_to_contain_text(re.compile(r"sent \d|folded|message\(s\)"))
        page.get_by_test_id("clock-plus-day").click()
        expect(badge).to_have_text("+8일")
        # The badge changes as soon as the clock has moved, while the day's nudges and digest are still
        # being sent: the move is over when its buttons are back (the page has the sandbox's answer),
        # and then the page shows, after its next poll, every message the sandbox holds in the DM.
        expect(page.get_by_test_id("clock-plus-day")).to_be_enabled()
        count = len(first.api(f"/api/state?user={MANAGER}")["messages"].get(DM, []))
        expect(page.get_by_test_id("message")).to_have_count(count)
        before = day_dividers(page)
        assert korean_day(date.today()) not in before, "no message is dated at the real clock's day"
        clock_day = page.get_by_test_id("clock").get_attribute("data-now")[:10]
        assert errors == [], errors

    with running_sandbox(tmp_path, SCHEDULER_ENABLED="false") as second:
        assert "Demo data loaded" not in second.log()
        page = new_page(second.url)
        expect(page.get_by_test_id("message")).to_have_count(count)
        assert day_dividers(page) == before
        assert page.get_by_test_id("clock").get_attribute("data-now")[:10] == clock_day
        expect(page.get_by_test_id("clock-offset")).to_have_text("+8일")

        # A snooze click on a nudge in the middle of the conversation: the view stays where it was.
        scroller = page.locator("#pane-scroll")
        composer = page.get_by_test_id("composer")
        composer.fill("/case help")  # a long answer below the nudges, so there is room to scroll
        composer.press("Enter")
        expect(page.get_by_test_id("message")).to_have_count(count + 1)
        assert scroller.evaluate("s => s.scrollHeight > s.clientHeight + 300"), "too few messages to scroll"
        nudges = page.get_by_test_id("message").filter(
            has=page.locator('[data-action-id="reminder.snooze.1"]')
        )
        target = nudges.nth(nudges.count() // 2)
        ts = target.get_attribute("data-ts")
        target.evaluate("node => node.scrollIntoView({block: 'center'})")
        top = scroller.evaluate("s => s.scrollTop")
        assert top > 0
        target.locator('[data-action-id="reminder.snooze.1"]').click()
        snoozed = page.locator(f'[data-testid="message"][data-ts="{ts}"]')
        expect(snoozed.locator('[data-action-id="reminder.snooze.1"]')).to_have_count(0)
        expect(snoozed).to_contain_text("다시 보냅니다")
        page.wait_for_timeout(300)  # a poll or two after the change
        assert abs(scroller.evaluate("s => s.scrollTop") - top) <= 2

        # 800 px wide: the top bar's parts do not overlap and the clock's buttons stay within the page.
        narrow = new_page(second.url, width=800)
        expect(narrow.get_by_test_id("clock-offset")).to_have_text(re.compile(r"^\+8일"))
        boxes = {
            name: narrow.locator(selector).bounding_box()
            for name, selector in {
                "user": ".topbar-user",
                "clock": ".topbar-clock",
                "brand": ".topbar-brand",
                "next": '[data-testid="clock-next-morning"]',
            }.items()
        }
        assert boxes["next"]["x"] + boxes["next"]["width"] <= 800
        for one, other in (("brand", "user"), ("user", "clock"), ("brand", "clock")):
            a, b = boxes[one], boxes[other]
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (one, other, boxes)
        narrow.screenshot(path=str(screenshots / "sandbox-800px.png"))
