"""The supervisor's App Home in the sandbox page, in real headless Chromium: each worker of the team with
the intensity-weighted caseload against the threshold, crisis cases, overdue cases and the 8-week bars;
the workers over the threshold are flagged. The screenshot goes to the `screenshots` folder
(scripts/screenshots puts it in docs/screenshots for the README).

The sandbox runs here with CASELOAD_THRESHOLD=4 (the default is 30) so that the demo's busiest worker is
over it and the flag shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.sandbox_process import SandboxProcess, running_sandbox

SUPERVISOR = "UDEMO00"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    with running_sandbox(
        tmp_path_factory.mktemp("sandbox"), SCHEDULER_ENABLED="false", CASELOAD_THRESHOLD="4"
    ) as running:
        yield running


def test_the_supervisors_home_shows_the_load_bars_and_flags(
    page: Page, sandbox: SandboxProcess, screenshots: Path
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url + "/")
    page.get_by_test_id("user-switcher").select_option(SUPERVISOR)
    expect(page.get_by_test_id("user-switcher")).to_have_value(SUPERVISOR)
    page.get_by_test_id("nav-home").click()
    home = page.get_by_test_id("home")
    expect(home).to_contain_text("팀 사례 현황")
    expect(home).to_contain_text("/ 기준 4")
    expect(home).to_contain_text("기준 초과")
    expect(home).to_contain_text("사례량 기준(4) 초과")
    expect(home).to_contain_text(re.compile(r"`?[·▁▂▃▄▅▆▇█]{8}`?"))
    expect(home).to_contain_text("8주 추이")
    page.screenshot(path=str(screenshots / "sandbox-supervisor-home.png"), full_page=False)
    assert errors == [], errors
