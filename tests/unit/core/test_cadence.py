"""Cadence arithmetic and settings (domain.md section 4): pure functions, no database."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.settings import SettingsError, load_settings
from models.cadence import Cadences, add_months, at_local, local_date
from models.enums import CaseIntensity

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Settings come only from what a test sets: no developer `.env`, no CADENCES__* in the shell."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("CADENCES"):
            monkeypatch.delenv(name)


# --- add_months -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # not a leap year
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # leap day a year on
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 1, date(2026, 2, 15)),  # no clamping needed
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # December rolls into the next January
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 2), 12, date(2027, 3, 2)),
        (date(2026, 3, 2), 24, date(2028, 3, 2)),
        (date(2026, 7, 31), 6, date(2027, 1, 31)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_does_not_drift_when_chained_from_the_anchor() -> None:
    # Monthly dates computed from the anchor keep the 31st where the month has one.
    anchor = date(2026, 1, 31)
    assert [add_months(anchor, n) for n in range(1, 5)] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


# --- contact intervals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intensity", "crisis_risk", "start", "expected"),
    [
        (CaseIntensity.CRISIS, True, date(2026, 3, 2), date(2026, 3, 3)),  # daily while risk = 4
        (CaseIntensity.CRISIS, False, date(2026, 3, 2), date(2026, 3, 9)),  # weekly after
        (CaseIntensity.CRISIS, True, date(2026, 2, 28), date(2026, 3, 1)),
        (CaseIntensity.HIGH_COMPLEXITY, False, date(2026, 3, 2), date(2026, 3, 9)),
        (CaseIntensity.HIGH_COMPLEXITY, True, date(2026, 3, 2), date(2026, 3, 9)),  # risk does not matter
        (CaseIntensity.INTENSIVE, False, date(2026, 3, 2), date(2026, 3, 16)),
        (CaseIntensity.INTENSIVE, False, date(2026, 12, 25), date(2027, 1, 8)),
        (CaseIntensity.GENERAL, False, date(2026, 3, 2), date(2026, 4, 2)),
        (CaseIntensity.GENERAL, False, date(2026, 1, 31), date(2026, 2, 28)),  # clamped at month end
        (CaseIntensity.GENERAL, False, date(2027, 12, 31), date(2028, 1, 31)),
        (CaseIntensity.LINKAGE_ONLY, False, date(2026, 3, 2), date(2026, 4, 2)),
        (CaseIntensity.LINKAGE_ONLY, False, date(2026, 3, 31), date(2026, 4, 30)),
        (None, False, date(2026, 3, 2), date(2026, 4, 2)),  # unclassified falls back to monthly
    ],
)
def test_contact_interval_by_intensity(
    intensity: CaseIntensity | None, crisis_risk: bool, start: date, expected: date
) -> None:
    assert Cadences().contact_interval(intensity, start, crisis_risk=crisis_risk) == expected


def test_contact_interval_follows_the_settings() -> None:
    cadences = Cadences(
        contact_crisis_days=2,
        contact_crisis_after_days=3,
        contact_high_complexity_days=5,
        contact_intensive_days=10,
        contact_general_months=2,
        linkage_months=3,
    )
    start = date(2026, 3, 2)
    assert cadences.contact_interval(CaseIntensity.CRISIS, start, crisis_risk=True) == date(2026, 3, 4)
    assert cadences.contact_interval(CaseIntensity.CRISIS, start, crisis_risk=False) == date(2026, 3, 5)
    assert cadences.contact_interval(CaseIntensity.HIGH_COMPLEXITY, start, crisis_risk=False) == date(
        2026, 3, 7
    )
    assert cadences.contact_interval(CaseIntensity.INTENSIVE, start, crisis_risk=False) == date(2026, 3, 12)
    assert cadences.contact_interval(CaseIntensity.GENERAL, start, crisis_risk=False) == date(2026, 5, 2)
    assert cadences.contact_interval(CaseIntensity.LINKAGE_ONLY, start, crisis_risk=False) == date(2026, 6, 2)


# --- plan review and after-care -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intensity", "months"),
    [
        (CaseIntensity.GENERAL, 3),
        (CaseIntensity.INTENSIVE, 3),
        (CaseIntensity.LINKAGE_ONLY, 3),
        (None, 3),
        (CaseIntensity.HIGH_COMPLEXITY, 1),
        (CaseIntensity.CRISIS, 1),
    ],
)
def test_plan_review_months(intensity: CaseIntensity | None, months: int) -> None:
    assert Cadences().plan_review_months(intensity) == months


@pytest.mark.parametrize(
    ("intensity", "offsets"),
    [
        (CaseIntensity.GENERAL, (1, 3, 6)),
        (CaseIntensity.INTENSIVE, (1, 3, 6)),
        (CaseIntensity.CRISIS, (1, 3, 6)),
        (CaseIntensity.LINKAGE_ONLY, (1, 3, 6)),
        (None, (1, 3, 6)),
        (CaseIntensity.HIGH_COMPLEXITY, (1, 3, 6, 12)),
    ],
)
def test_aftercare_offsets(intensity: CaseIntensity | None, offsets: tuple[int, ...]) -> None:
    assert Cadences().aftercare_offsets(intensity) == offsets


def test_domain_defaults() -> None:
    cadences = Cadences()
    assert cadences.intake_to_assessment_days == 10
    assert cadences.assessment_to_classification_days == 5
    assert cadences.intake_to_plan_days == 30
    assert cadences.plan_nudge_days == (20, 27)
    assert cadences.crisis_first_response_hours == 24
    assert cadences.linkage_first_check_days == 14
    assert cadences.referral_response_days == 7
    assert cadences.plan_end_warning_days == 14
    assert cadences.reassessment_months == 6
    assert cadences.consent_expiry_warning_days == (30, 7)


# --- local time -----------------------------------------------------------------------------------


def test_at_local_is_nine_in_seoul_and_midnight_utc() -> None:
    moment = at_local(date(2026, 3, 2), SEOUL)
    assert moment == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert moment.astimezone(SEOUL).hour == 9
    assert moment.astimezone(UTC).date() == date(2026, 3, 2)


@pytest.mark.parametrize("day", [date(2026, 1, 15), date(2026, 7, 15)])
def test_seoul_has_no_daylight_saving_time(day: date) -> None:
    # Winter and summer give the same UTC hour.
    assert at_local(day, SEOUL).astimezone(UTC) == datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC)
    assert at_local(day, SEOUL).utcoffset().total_seconds() == 9 * 3600


def test_at_local_other_hour() -> None:
    assert at_local(date(2026, 3, 2), SEOUL, hour=18) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_local_date_crosses_midnight_in_seoul() -> None:
    # 15:30 UTC on 1 March is 00:30 on 2 March in Seoul.
    assert local_date(datetime(2026, 3, 1, 15, 30, tzinfo=UTC), SEOUL) == date(2026, 3, 2)
    assert local_date(datetime(2026, 3, 1, 14, 59, tzinfo=UTC), SEOUL) == date(2026, 3, 1)


# --- cadences are settings ------------------------------------------------------------------------


def test_defaults_come_through_the_settings() -> None:
    assert load_settings().cadences == Cadences()


def test_cadence_override_by_keyword() -> None:
    settings = load_settings(cadences={"contact_general_months": 2})
    assert settings.cadences.contact_general_months == 2
    assert settings.cadences.contact_intensive_days == 14  # the rest keep their defaults
    assert settings.cadences.contact_interval(
        CaseIntensity.GENERAL, date(2026, 1, 31), crisis_risk=False
    ) == date(2026, 3, 31)


def test_cadence_override_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENCES__CONTACT_INTENSIVE_DAYS", "10")
    settings = load_settings()
    assert settings.cadences.contact_intensive_days == 10
    assert settings.cadences.contact_general_months == 1
    assert settings.cadences.contact_interval(
        CaseIntensity.INTENSIVE, date(2026, 3, 2), crisis_risk=False
    ) == date(2026, 3, 12)


def test_tuple_cadence_override_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENCES__AFTERCARE_MONTHS", "[2, 4]")
    settings = load_settings()
    assert settings.cadences.aftercare_offsets(CaseIntensity.GENERAL) == (2, 4)
    assert settings.cadences.aftercare_offsets(CaseIntensity.HIGH_COMPLEXITY) == (2, 4, 12)


def _one_line_error(excinfo: pytest.ExceptionInfo[SettingsError], variable: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    assert variable in message
    return message


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("contact_general_months", 0, "CADENCES__CONTACT_GENERAL_MONTHS"),
        ("contact_intensive_days", -3, "CADENCES__CONTACT_INTENSIVE_DAYS"),
        ("intake_to_assessment_days", 0, "CADENCES__INTAKE_TO_ASSESSMENT_DAYS"),
        ("crisis_first_response_hours", 0, "CADENCES__CRISIS_FIRST_RESPONSE_HOURS"),
        ("contact_crisis_days", "daily", "CADENCES__CONTACT_CRISIS_DAYS"),
    ],
)
def test_bad_cadence_by_keyword_is_a_one_line_settings_error(
    field: str, value: object, variable: str
) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(cadences={field: value})
    _one_line_error(excinfo, variable)


def test_bad_cadence_in_the_environment_is_a_one_line_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENCES__CONTACT_INTENSIVE_DAYS", "0")
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    message = _one_line_error(excinfo, "CADENCES__CONTACT_INTENSIVE_DAYS")
    assert message.startswith("Invalid setting:")


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("aftercare_months", [0, 3, 6], "CADENCES__AFTERCARE_MONTHS"),
        ("aftercare_months", [1, -3], "CADENCES__AFTERCARE_MONTHS"),
        ("aftercare_high_complexity_extra_months", [0], "CADENCES__AFTERCARE_HIGH_COMPLEXITY_EXTRA_MONTHS"),
        ("plan_nudge_days", [0, 27], "CADENCES__PLAN_NUDGE_DAYS"),
        ("consent_expiry_warning_days", [30, 0], "CADENCES__CONSENT_EXPIRY_WARNING_DAYS"),
    ],
)
def test_bad_entry_in_a_list_cadence_is_a_settings_error(field: str, value: object, variable: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(cadences={field: value})
    _one_line_error(excinfo, variable)


@pytest.mark.parametrize(
    ("cadences", "variable"),
    [
        ({"aftercare_months": [1, 3, 3]}, "CADENCES__AFTERCARE_MONTHS"),
        (
            {"aftercare_months": [1, 3, 6], "aftercare_high_complexity_extra_months": [6]},
            "CADENCES__AFTERCARE_HIGH_COMPLEXITY_EXTRA_MONTHS",
        ),
    ],
)
def test_repeated_aftercare_offsets_are_a_settings_error(cadences: dict[str, object], variable: str) -> None:
    # Two after-care checks on one day break the (case, due date) uniqueness at closure approval.
    with pytest.raises(SettingsError) as excinfo:
        load_settings(cadences=cadences)
    _one_line_error(excinfo, variable)
