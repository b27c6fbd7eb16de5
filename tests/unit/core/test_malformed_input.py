"""Core fixes for what the property tests (tests/property) found: each bug pinned by one plain test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from models.enums import ConferenceType
from models.errors import InvalidInput, NotFound, invalid_input_from
from models.schemas import ConferenceCaseInput, ConferenceInput, OutcomeInput, RescheduleInput
from models.services import access, cases, conferences
from tests.factories import NOW, intake


def test_a_rule_about_the_first_row_keeps_its_index():
    """`if p` dropped the list index 0: the error landed on no row, so the modal showed it elsewhere."""
    with pytest.raises(ValidationError) as caught:
        OutcomeInput.model_validate(
            {
                "action_items": [
                    {"description": "첫째", "due_date": "2026-03-10"},
                    {"description": "둘째", "due_date": "2026-03-10"},
                ]
            }
        )
    assert set(invalid_input_from(caught.value).errors) == {
        "action_items.0.owner_id",
        "action_items.1.owner_id",
    }


@pytest.mark.parametrize("day", [date(9999, 12, 31), date(1, 1, 1), date(1899, 12, 31), date(2101, 1, 1)])
def test_a_date_off_the_calendar_is_a_field_error_not_an_overflow(day):
    """9999-12-31 from a date picker used to overflow while the conference's reminders were computed."""
    moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    with pytest.raises(ValidationError) as caught:
        RescheduleInput(scheduled_at=moment)
    errors = invalid_input_from(caught.value).errors
    assert set(errors) == {"scheduled_at"}
    assert "2100" in errors["scheduled_at"].en and "2100" in errors["scheduled_at"].ko


def test_dates_within_the_range_are_accepted():
    assert RescheduleInput(scheduled_at=datetime(2100, 12, 31, 12, tzinfo=UTC)).scheduled_at.year == 2100
    assert ConferenceCaseInput(code="c-2026-0001").code == "C-2026-0001"


@pytest.mark.parametrize(
    "typed", ["010-1234-5678", "someone@example.org", "홍길동", "C-2026-0001\x00", "9" * 400]
)
def test_something_that_is_not_a_case_code_is_not_quoted_back(db, world, typed):
    """The answer goes to Slack; a phone number or name in it was refused by the outbound gate (a 500)."""
    with pytest.raises(NotFound) as caught:
        access.load_case(db, world.ctx(), typed)
    assert typed.strip() not in caught.value.message.ko and typed.strip() not in caught.value.message.en
    assert "C-2026-0007" in caught.value.message.en  # says what a code looks like


def test_an_unknown_but_well_formed_code_is_still_named(db, world):
    with pytest.raises(NotFound) as caught:
        access.load_case(db, world.ctx(), "c-2026-9999")
    assert "C-2026-9999" in caught.value.message.en


def test_the_same_case_twice_on_an_agenda_is_an_error_on_the_second_row(db, world):
    """It used to reach the database's unique constraint: "could not save" and an error in the log."""
    ctx = world.ctx()
    case = cases.open_case(db, ctx, intake())
    scheduled = ConferenceInput(
        conference_type=ConferenceType.INTERNAL, scheduled_at=NOW.replace(day=NOW.day + 2), cases=[]
    )
    [conference] = conferences.schedule(db, ctx, scheduled)
    twice = [ConferenceCaseInput(code=case.code), ConferenceCaseInput(code=case.code.lower())]
    with pytest.raises(InvalidInput) as caught:
        conferences.add_cases(db, ctx, conference.id, twice)
    assert set(caught.value.errors) == {"cases.1.code"}
