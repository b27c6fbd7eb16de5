"""The case file in the sandbox page, in real headless Chromium: a case manager opens `/case history` of a
demo case (the notes in their words, the pages), presses 인쇄 for the service plan, and the one-time link
the bot answers with (to the sandbox's own server, never through Slack) gives the PDF once; its first page
is rendered to PNG. Both pictures go to the `screenshots` folder (scripts/screenshots puts them in
docs/screenshots for the README)."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import create_engine, func, select

from models.case import Case
from models.contact import ContactNote
from models.staff import StaffMember
from tests.sandbox_process import SandboxProcess

MANAGER = "UDEMO01"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/print/[A-Za-z0-9_-]+\?user=" + MANAGER)


def case_with_most_notes(sandbox: SandboxProcess) -> str:
    """The demo case of MANAGER with the most contact notes (its history has something to read)."""
    engine = create_engine(sandbox.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(Case.code)
                .join(StaffMember, StaffMember.id == Case.case_manager_id)
                .join(ContactNote, ContactNote.case_id == Case.id)
                .where(StaffMember.slack_user_id == MANAGER)
                .group_by(Case.code)
                .order_by(func.count(ContactNote.id).desc(), Case.code)
                .limit(1)
            ).scalar_one()
    finally:
        engine.dispose()


def test_the_history_modal_and_a_printed_plan_from_its_one_time_link(
    page: Page, sandbox: SandboxProcess, screenshots: Path, tmp_path: Path
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    code = case_with_most_notes(sandbox)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(sandbox.url + "/")
    page.get_by_test_id("user-switcher").select_option(MANAGER)
    page.get_by_test_id(f"nav-D{MANAGER}").click()
    composer = page.get_by_test_id("composer")
    composer.fill(f"/case history {code}")
    composer.press("Enter")

    modal = page.get_by_test_id("modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text(code)
    expect(modal.locator('[data-block-id="history.print"]')).to_be_visible()
    page.screenshot(path=str(screenshots / "sandbox-history.png"))

    modal.locator('[data-block-id="history.print"] [data-action-id$=".plan"]').click()
    link_message = page.get_by_test_id("message").filter(has_text=LINK).last
    expect(link_message).to_be_visible(timeout=20_000)
    expect(link_message.get_by_test_id("ephemeral-marker")).to_be_visible()  # the asker's alone
    url = LINK.search(link_message.inner_text()).group(0)

    first = page.request.get(url)
    assert first.status == 200 and first.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(first.body())
    assert "서비스 제공계획서" in PdfReader(pdf).pages[0].extract_text()
    assert page.request.get(url).status == 403  # once

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=1.4).to_pil()
    finally:
        document.close()
    assert image.width > 700 and image.getextrema() != ((255, 255), (255, 255), (255, 255))  # not blank
    image.save(screenshots / "printed-plan.png")
    assert errors == [], errors
