"""The sandbox page in real headless Chromium: a case manager takes in a new case through the intake
modal (with a field error first), opens its assessment from the App Home, and moves the clock until
the nudge about it arrives. Screenshots of the intake modal and the App Home go to the `screenshots` folder
(a temporary one; scripts/screenshots puts them in docs/screenshots for the README)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.sandbox_process import SandboxProcess

MANAGER, OUTSIDER = "UDEMO01", "UDEMO11"
NAME = "유리구슬(가상)"
CODE = re.compile(r"[A-Z]{1,10}-\d{4}-\d{4}")


def block(page: Page, block_id: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("modal").locator(f'[data-block-id="{block_id}"]')


def open_as(page: Page, sandbox: SandboxProcess, user: str) -> None:
    page.goto(sandbox.url + "/")
    page.get_by_test_id("user-switcher").select_option(user)
    expect(page.get_by_test_id("user-switcher")).to_have_value(user)


def run_command(page: Page, text: str) -> None:
    page.get_by_test_id(f"nav-D{MANAGER}").click()
    composer = page.get_by_test_id("composer")
    composer.fill(text)
    composer.press("Enter")


def test_intake_then_assessment_from_home_then_the_clock_brings_the_nudge(
    page: Page, sandbox: SandboxProcess, screenshots: Path
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(sandbox.url) else None)
    open_as(page, sandbox, MANAGER)

    # /case new opens the intake modal; a 주민등록번호-shaped contact and no name come back as field errors.
    run_command(page, "/case new")
    modal = page.get_by_test_id("modal")
    expect(modal).to_be_visible()
    block(page, "referral_source").locator("select").select_option("self")
    block(page, "client.contact").locator("input").fill("900101-1234567")
    block(page, "confidentiality_notice_given").locator('input[value="yes"]').check()
    block(page, "consent_scopes").locator('input[value="COLLECT_USE"]').check()
    block(page, "refusal_notice").locator('input[value="yes"]').check()
    # The page, like Slack, holds back a submission with a required field empty: fill the name after the
    # bot has spoken about the contact number, so that the error shown is the bot's own.
    block(page, "client.name").locator("input").fill(" ")
    page.get_by_test_id("modal-submit").click()
    contact_error = page.locator('[data-testid="field-error"][data-block-id="client.contact"]')
    expect(contact_error).to_contain_text("주민등록번호")
    expect(block(page, "client.contact").locator("input")).to_have_value("900101-1234567")  # nothing lost
    modal.locator(".modal-body").evaluate("body => body.scrollTo(0, 0)")
    contact_error.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "sandbox-intake.png"))

    block(page, "client.name").locator("input").fill(NAME)
    block(page, "client.contact").locator("input").fill("010-0000-0000")
    page.get_by_test_id("modal-submit").click()
    expect(page.locator('[data-testid="field-error"]')).to_have_count(0)
    expect(modal).to_contain_text(CODE)
    code = CODE.search(modal.inner_text()).group(0)
    page.get_by_test_id("modal-close").click()
    expect(modal).to_have_count(0)
    reply = page.get_by_test_id("message").filter(has_text=code).last
    expect(reply).to_contain_text(code)
    expect(reply.get_by_test_id("ephemeral-marker")).to_be_visible()
    expect(page.get_by_test_id("messages")).not_to_contain_text(NAME)

    # The App Home lists the new case with its next step; its button opens the assessment.
    page.get_by_test_id("nav-home").click()
    home = page.get_by_test_id("home")
    expect(home).to_contain_text(code)
    page.screenshot(path=str(screenshots / "sandbox-home.png"))
    assess = home.locator(f'[data-block-id="home.case.{code}"] [data-action-id="case.assess.open"]')
    assess.click()
    expect(modal).to_be_visible()
    expect(modal).to_have_attribute("data-callback-id", re.compile("assess"))
    expect(modal).to_contain_text(code)
    page.get_by_test_id("modal-close").click()

    # Two weeks on, the next working morning: the overdue assessment nudge arrives in the DM, with buttons.
    page.get_by_test_id(f"nav-D{MANAGER}").click()
    # The case's nudges: messages with its code and a snooze button (the morning digests name it too).
    snoozable = page.locator('[data-action-id="reminder.snooze.1"]')
    before = page.get_by_test_id("message").filter(has_text=code).filter(has=snoozable).count()
    page.get_by_test_id("clock-plus-week").click()
    expect(page.get_by_test_id("clock-report")).to_be_visible()
    page.get_by_test_id("clock-plus-week").click()
    page.get_by_test_id("clock-next-morning").click()
    nudges = page.get_by_test_id("message").filter(has_text=code).filter(has=snoozable)
    expect(nudges).to_have_count(before + 1, timeout=20_000)
    nudge = nudges.last
    expect(nudge.locator('[data-action-id="reminder.snooze.1"]')).to_be_visible()
    expect(nudge).not_to_contain_text(NAME)
    expect(page.get_by_test_id("clock")).to_contain_text(re.compile(r"09:30"))

    assert errors == [], errors
    assert outside == [], f"the page asked for something outside the sandbox: {outside}"


def test_the_page_follows_the_users_language_and_roles(page: Page, sandbox: SandboxProcess):
    open_as(page, sandbox, OUTSIDER)  # another team's case manager, whose Slack locale is English
    page.get_by_test_id("nav-home").click()
    home = page.get_by_test_id("home")
    expect(home).to_contain_text(re.compile(r"[A-Za-z]{4,}"))
    expect(page.get_by_test_id("persona")).to_contain_text("another team")
    page.get_by_test_id(f"nav-D{OUTSIDER}").click()
    composer = page.get_by_test_id("composer")
    composer.fill("hello")
    composer.press("Enter")
    expect(page.get_by_test_id("composer-note")).to_contain_text("/case")


def test_a_supervisor_schedules_a_conference_with_every_kind_of_input(page: Page, sandbox: SandboxProcess):
    """The conference modal has selects, date and time pickers, number inputs, a channel select, user
    selects and checkboxes: the page must hand all of them to the bot in Slack's shapes."""
    supervisor, channel = "UDEMO00", "C0SANDBOX1"
    code = team_case_code(sandbox)
    open_as(page, sandbox, supervisor)
    page.get_by_test_id(f"nav-{channel}").click()
    composer = page.get_by_test_id("composer")
    composer.fill("/case conference")
    composer.press("Enter")
    modal = page.get_by_test_id("modal")
    expect(modal).to_have_attribute("data-callback-id", "case.conference.modal")
    # Ten days after the sandbox's own time (earlier tests moved its clock on).
    now = date.fromisoformat(sandbox.api("/api/session")["clock"]["now"][:10])
    day = (now + timedelta(days=10)).isoformat()
    block(page, "conference_type").locator("select").select_option("INTERNAL")
    block(page, "scheduled_at").locator("input").fill(day)
    block(page, "scheduled_time").locator("input").fill("15:30")
    block(page, "duration_minutes").locator("input").fill("90")
    block(page, "slack_channel_id").locator("select").select_option(channel)
    block(page, "chair_id").locator("select").select_option(supervisor)
    participants = block(page, "participant_ids").locator("select")
    participants.select_option(MANAGER)
    participants.select_option("UDEMO02")
    block(page, "cases.0.code").locator("input").fill(code)
    block(page, "cases.0.purpose").locator("select").select_option("REVIEW")
    block(page, "cases.0.question").locator("input, textarea").fill(
        "주거급여 신청 여부를 정하기 (비공개 질문)"
    )
    page.get_by_test_id("modal-submit").click()
    # The modal turns into the confirmation: the day, the time and the agenda's case code.
    expect(modal).to_contain_text(code, timeout=15_000)
    expect(modal).to_contain_text("15:30")
    expect(page.get_by_test_id("field-error")).to_have_count(0)
    page.get_by_test_id("modal-close").click()
    expect(modal).to_have_count(0)

    # A week on, the team channel gets the conference's reminder (D-3: prepare the papers); the
    # question asked of the conference stays out of the channel.
    posts = page.get_by_test_id("messages")
    page.get_by_test_id("clock-plus-week").click()
    page.get_by_test_id("clock-next-morning").click()
    reminder = posts.get_by_test_id("message").filter(has_text="15:30").filter(has_text="D-3")
    expect(reminder).to_have_count(1, timeout=20_000)
    expect(posts).not_to_contain_text("비공개 질문")


def team_case_code(sandbox: SandboxProcess) -> str:
    """An open case of the first team, for the conference's agenda."""
    from sqlalchemy import select

    from models.case import Case
    from models.db import make_engine, make_session_factory
    from models.services.cases import CLOSED_STATUSES
    from models.staff import StaffMember

    engine = make_engine(sandbox.database_url)
    try:
        with make_session_factory(engine)() as db:
            manager = db.scalars(select(StaffMember).where(StaffMember.slack_user_id == MANAGER)).one()
            return db.scalars(
                select(Case.code)
                .where(Case.case_manager_id == manager.id, Case.status.not_in(CLOSED_STATUSES))
                .order_by(Case.id)
            ).first()
    finally:
        engine.dispose()
