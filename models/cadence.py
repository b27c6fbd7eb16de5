"""Reminder cadences (domain.md section 4) and the calendar arithmetic they need.

Every figure is a setting with the domain model's default, because several are proposals [P] that an
agency must be able to change without a release.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, PositiveInt, ValidationInfo, field_validator

from models.enums import CaseIntensity


class Cadences(BaseModel):
    intake_to_assessment_days: int = Field(10, ge=1)
    assessment_to_classification_days: int = Field(5, ge=1)
    intake_to_plan_days: int = Field(30, ge=1)
    plan_nudge_days: tuple[PositiveInt, ...] = (20, 27)

    crisis_first_response_hours: int = Field(24, ge=1)
    contact_crisis_days: int = Field(1, ge=1)  # daily check-in while a domain is rated 4
    contact_crisis_after_days: int = Field(7, ge=1)  # weekly once the risk has come down
    contact_high_complexity_days: int = Field(7, ge=1)
    contact_intensive_days: int = Field(14, ge=1)
    contact_general_months: int = Field(1, ge=1)
    linkage_first_check_days: int = Field(14, ge=1)
    linkage_months: int = Field(1, ge=1)

    referral_response_days: int = Field(7, ge=1)
    plan_review_general_months: int = Field(3, ge=1)
    plan_review_high_complexity_months: int = Field(1, ge=1)
    plan_period_months: int = Field(6, ge=1)
    plan_end_warning_days: int = Field(14, ge=1)
    reassessment_months: int = Field(6, ge=1)
    reassessment_severity_change: int = Field(2, ge=1)

    aftercare_months: tuple[PositiveInt, ...] = (1, 3, 6)
    aftercare_high_complexity_extra_months: tuple[PositiveInt, ...] = (12,)
    consent_expiry_warning_days: tuple[PositiveInt, ...] = (30, 7)
    closure_approval_days: int = Field(3, ge=1)
    # R10: a closed case's record is destroyed this long after closure (welfare centre default: 5 years).
    retention_years: int = Field(5, ge=1)

    @field_validator("aftercare_months", "aftercare_high_complexity_extra_months")
    @classmethod
    def _distinct_aftercare(cls, value: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        # One after-care check per case and day (a unique constraint): offsets must not repeat.
        earlier = info.data.get("aftercare_months", ()) if info.field_name != "aftercare_months" else ()
        if len(set(value)) != len(value) or set(value) & set(earlier):
            raise ValueError("after-care months must not repeat")
        return value

    def contact_interval(self, intensity: CaseIntensity | None, start: date, *, crisis_risk: bool) -> date:
        """The date the next contact is due after a contact (or classification) on `start`."""
        match intensity:
            case CaseIntensity.CRISIS:
                days = self.contact_crisis_days if crisis_risk else self.contact_crisis_after_days
                return start + timedelta(days=days)
            case CaseIntensity.HIGH_COMPLEXITY:
                return start + timedelta(days=self.contact_high_complexity_days)
            case CaseIntensity.INTENSIVE:
                return start + timedelta(days=self.contact_intensive_days)
            case CaseIntensity.LINKAGE_ONLY:
                return add_months(start, self.linkage_months)
            case _:
                return add_months(start, self.contact_general_months)

    def plan_review_months(self, intensity: CaseIntensity | None) -> int:
        if intensity in (CaseIntensity.HIGH_COMPLEXITY, CaseIntensity.CRISIS):
            return self.plan_review_high_complexity_months
        return self.plan_review_general_months

    def aftercare_offsets(self, intensity: CaseIntensity | None) -> tuple[int, ...]:
        if intensity == CaseIntensity.HIGH_COMPLEXITY:
            return self.aftercare_months + self.aftercare_high_complexity_extra_months
        return self.aftercare_months


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def at_local(day: date, zone: ZoneInfo, hour: int = 9) -> datetime:
    """The moment a date-based item falls due: the start of the working morning, local time."""
    return datetime.combine(day, time(hour), tzinfo=zone)
