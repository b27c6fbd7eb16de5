"""The sandbox page in real headless Chromium: a case manager takes in a new case through the intake
modal (with a field error first), opens its assessment from the App Home, and moves the clock until
the nudge about it arrives. Screenshots of the intake modal and the App Home go to docs/screenshots."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.sandbox_process import SandboxProcess

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
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
    page: Page, sandbox: SandboxProcess
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
    page.screenshot(path=str(SCREENSHOTS / "sandbox-intake.png"))

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
    page.screenshot(path=str(SCREENSHOTS / "sandbox-home.png"))
    assess = home.locator(f'[data-block-id="home.case.{code}"] [data-action-id="case.assess.open"]')
    assess.click()
    expect(modal).to_be_visible()
    expect(modal).to_have_attribute("data-callback-id", re.compile("assess"))
    expect(modal).to_contain_text(code)
    page.get_by_test_id("modal-close").click()

    # Two weeks on, the next working morning: the overdue assessment nudge arrives in the DM, with buttons.
    page.get_by_test_id(f"nav-D{MANAGER}").click()
    before = page.get_by_test_id("message").filter(has_text=code).count()
    page.get_by_test_id("clock-plus-week").click()
    expect(page.get_by_test_id("clock-report")).to_be_visible()
    page.get_by_test_id("clock-plus-week").click()
    page.get_by_test_id("clock-next-morning").click()
    nudges = page.get_by_test_id("message").filter(has_text=code)
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
