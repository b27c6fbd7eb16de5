"""The household modal with the intake's members, the 가구 button of the case summary, and the agenda
requests on a supervisor's Home: within Slack's limits in both languages, at any size."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.ids import Action
from bot.metadata import AgendaRequestRef, CaseRef
from bot.views.home import MAX_AGENDA_REQUESTS, home_view
from bot.views.households import MAX_INTAKE_CASES, household_modal
from bot.views.show import show_modal
from models.enums import ConferenceType, LifeStage, NeedDomain
from models.services.desk import PendingAgendaRequest
from models.services.households import Glimpse, HouseholdView, IntakeHousehold, IntakePerson
from tests.unit.test_home_views import TODAY, make_caseload, make_desk, summary, texts, validate

LOCALES = ["ko", "en"]
MEMBER = "가상막내이름"


def buttons(view: dict) -> list[dict]:
    return [e for blk in view["blocks"] if blk["type"] == "actions" for e in blk["elements"]]


def household(cases: int, *, code: str | None = "H-2026-0001", may_change: bool = True) -> HouseholdView:
    """A household view with `cases` cases' intake members, 8 members each (the intake's most)."""
    intake = tuple(
        IntakeHousehold(
            f"C-2026-{i + 1:04d}",
            tuple(
                IntakePerson("관계" * 20, LifeStage.YOUTH if j % 2 else None, MEMBER * 10) for j in range(8)
            ),
        )
        for i in range(cases)
    )
    return HouseholdView(
        case_code="C-2026-0001",
        code=code,
        others=tuple(e.code for e in intake[1:]),
        people=(),
        needs={},
        domains=tuple(NeedDomain)[:19],
        may_change=may_change,
        intake=intake,
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("cases", [0, 1, 30])
@pytest.mark.parametrize("code", ["H-2026-0001", None])
def test_the_household_modal_lists_the_intake_members_within_slacks_limits(locale, cases, code):
    view = household_modal(household(cases, code=code), locale)
    validate(view)
    shown = texts(view)
    assert (MEMBER in shown) == (cases > 0)  # names: a modal, for a viewer of those cases
    sections = [blk["text"]["text"] for blk in view["blocks"] if blk["type"] == "section"]
    per_case = [text for text in sections if text.startswith("C-2026-") and MEMBER in text]
    assert len(per_case) == min(cases, MAX_INTAKE_CASES)
    note = "초기상담 기록에서" if locale == "ko" else "Shown from the intake"
    assert (note in shown) == (cases > 0)
    # A viewer who does not lead the case reads the same members, without inputs.
    validate(household_modal(household(cases, code=code, may_change=False), locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_case_summary_has_a_household_button_with_or_without_a_household(locale):
    plain = summary(1)
    for shown in (plain, replace(plain, household=Glimpse("H-2026-0003", ("C-2026-0009",)))):
        view = show_modal(shown, locale)
        validate(view)
        [opener] = [e for e in buttons(view) if e["action_id"] == Action.OPEN_HOUSEHOLD]
        assert CaseRef.read(opener["value"]) == CaseRef(code=shown.case.code)
    assert "H-2026-0003" in texts(view)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("size", [0, 1, 150])
def test_a_supervisors_home_lists_waiting_agenda_requests_with_agree_and_refuse(locale, size):
    caseload = make_caseload(workers=60, approvals=size, unassigned=size)
    at = datetime(2026, 3, 17, 14, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Seoul"))
    caseload.agenda_requests = [
        PendingAgendaRequest(500 + i, f"C-2026-{700 + i:04d}", ConferenceType.INTEGRATED, at)
        for i in range(size)
    ]
    view = home_view(locale, name="팀장", today=TODAY.isoformat(), desk=make_desk(size), caseload=caseload)
    validate(view)
    shown = buttons(view)
    for action in (Action.AGENDA_AGREE, Action.AGENDA_REFUSE):
        refs = [AgendaRequestRef.read(e["value"]) for e in shown if e["action_id"] == action]
        assert refs == [AgendaRequestRef(request_id=500 + i) for i in range(min(size, MAX_AGENDA_REQUESTS))]
    assert ("C-2026-0700" in texts(view)) == (size > 0)
    assert ("2026-03-17 23:00" in texts(view)) == (size > 0)  # the conference's time in Seoul
    if size > MAX_AGENDA_REQUESTS:
        more = "외 147건" if locale == "ko" else "147 more"
        assert more in texts(view)
