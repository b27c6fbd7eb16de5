"""What differs by practice profile (public, welfare centre, school), as settings with sourced defaults.

The profile belongs to a TEAM (`Team.profile`; None follows the deployment's PROFILE setting): one
deployment can run a 복지관 team and a 학교사회복지 team side by side. The rules below are read through
`team_profile` (a case: its team's profile).

Sources (cited as in /work/shared/domain.md, its section 8 key):
- Classification lists: domain.md §3 "CaseIntensity" and /work/shared/practice-review.md stage 3:
  희망복지지원단 (public) uses 위기 / 고난도 / 일반 / 서비스연계 [V2 S6, S7]; welfare centres use
  집중 / 일반 / 단순연계 (practice review; 집중 is not an MOHW/행복e음 category [V2 S7]). The school list
  is a proposal [P]: 교육복지사 casework follows the welfare-centre practice (seed
  /work/shared/seeds/000_3259e0fc52034181.txt "학교현장에서의 사례관리 실천요소": the school social worker
  links the family to 종합사회복지관 or 희망복지지원단 and works the student's case the same way).
- Public-sector clocks: domain.md §1 "Public-sector clocks" and §4 [V2 S6]: intake → 욕구·위기도 조사
  ≈10 days; conference → classification ≈5 days; plan ≈15 days; intake → plan ≤30 days (nudges at
  D+20 and D+27); after-care done by the 읍면동.
- School calendar: domain.md §4 "School terms" [P]/[K] and §6.4 (academic calendar as lifecycle):
  March selection, pre-holiday safety check, February grade hand-over; dropout → 꿈드림
  (학교밖청소년지원센터, domain.md §3 ClosureReason DROPPED_OUT).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, Field, PositiveInt

from models.enums import CaseIntensity, Profile, ReminderKind, WeeLevel

# The classifications (대상자 구분) each profile offers, in the order the modal lists them.
DEFAULT_CLASSIFICATIONS: dict[Profile, tuple[CaseIntensity, ...]] = {
    # 희망복지지원단 + 읍면동 맞춤형복지팀 [V2 S6, S7]
    Profile.PUBLIC: (
        CaseIntensity.CRISIS,
        CaseIntensity.HIGH_COMPLEXITY,
        CaseIntensity.GENERAL,
        CaseIntensity.LINKAGE_ONLY,
    ),
    # 사회복지관 (practice review, stage 3)
    Profile.WELFARE_CENTRE: (CaseIntensity.INTENSIVE, CaseIntensity.GENERAL, CaseIntensity.SIMPLE_LINKAGE),
    # 교육복지사 / Wee 클래스 [P]: as the welfare centre
    Profile.SCHOOL: (CaseIntensity.INTENSIVE, CaseIntensity.GENERAL, CaseIntensity.SIMPLE_LINKAGE),
}

# Classifications with no contact cadence of their own: 단순연계 is a linkage only (practice review,
# stage 3), 단순서비스 is "treat as non-case" (domain.md §3 [K]). No contact nudges, no escalation.
NO_CONTACT_CADENCE: frozenset[CaseIntensity] = frozenset({CaseIntensity.SIMPLE_LINKAGE, CaseIntensity.SIMPLE})

# Classifications that skip the service plan (stage 4): 서비스연계 대상가구 go linkage → check →
# after-care [V2 S6 영도]; 단순연계 is a linkage only as well.
NO_PLAN: frozenset[CaseIntensity] = frozenset({CaseIntensity.LINKAGE_ONLY, CaseIntensity.SIMPLE_LINKAGE})


class PublicClocks(BaseModel):
    """The public-sector clocks of the practice model (domain.md §1 and §4, [V2 S6]). They apply to the
    cases of PUBLIC teams whatever the deployment's general cadences say (CADENCES__...)."""

    intake_to_survey_days: int = Field(10, ge=1)  # intake → 욕구·위기도 조사 ≈10 d
    survey_to_classification_days: int = Field(5, ge=1)  # conference → classification ≈5 d
    classification_to_plan_days: int = Field(15, ge=1)  # plan ≈15 d (after the classification)
    intake_to_plan_days: int = Field(30, ge=1)  # intake → plan ≤30 d
    plan_nudge_days: tuple[PositiveInt, ...] = (20, 27)  # nudges at D+20 and D+27
    # After-care goes to the 읍면동 at closure: the hand-over is recorded within this many days [P].
    handover_days: int = Field(7, ge=1)


class SchoolCalendar(BaseModel):
    """The academic calendar (학사일정) of a school team [P]/[K]: the school year starts in March in Korea
    (초·중등교육법 §24①: 학년도 3월 1일 ~ 다음 해 2월 말일 [K])."""

    year_start_month: int = Field(3, ge=1, le=12)
    # 대상학생 선정 (March selection): a nudge on this day of the first month of the school year.
    selection_day: int = Field(10, ge=1, le=28)
    # 방학 전 안전점검: the first day of each vacation, as (month, day); the check is due days before.
    vacation_starts: tuple[tuple[int, int], ...] = ((7, 20), (12, 26))
    safety_check_days_before: int = Field(7, ge=1, le=60)
    # 학년 인계 (February hand-over): the nudge's day of the school year's last month.
    handover_day: int = Field(15, ge=1, le=28)


@dataclass(frozen=True)
class SchoolDate:
    """A date of the academic calendar a school team's open cases are nudged about: what, the morning the
    nudge fires, and the task's own deadline."""

    kind: ReminderKind
    fires_on: date
    deadline: date


def school_dates(cal: SchoolCalendar, since: date, days: int = 365) -> list[SchoolDate]:
    """The academic-calendar tasks whose deadline falls in [since, since + days), by deadline:
    - SCHOOL_SELECTION (3월 대상학생 선정): fires on the school year's first day, due on `selection_day`;
    - SAFETY_CHECK (방학 전 안전점검): due the day before each vacation, fires `safety_check_days_before`;
    - GRADE_HANDOVER (2월 학년 인계): fires on `handover_day` of the school year's last month, due on its
      last day."""
    until = since + timedelta(days=days)
    found: list[SchoolDate] = []
    for year in (since.year - 1, since.year, since.year + 1, since.year + 2):
        first = date(year, cal.year_start_month, 1)
        found.append(SchoolDate(ReminderKind.SCHOOL_SELECTION, first, first.replace(day=cal.selection_day)))
        last_month_year, last_month = (
            (year, cal.year_start_month - 1) if cal.year_start_month > 1 else (year - 1, 12)
        )
        last_day = date(last_month_year, last_month, calendar.monthrange(last_month_year, last_month)[1])
        found.append(
            SchoolDate(ReminderKind.GRADE_HANDOVER, last_day.replace(day=cal.handover_day), last_day)
        )
        for month, day in cal.vacation_starts:
            due = date(year, month, min(day, calendar.monthrange(year, month)[1])) - timedelta(days=1)
            found.append(
                SchoolDate(ReminderKind.SAFETY_CHECK, due - timedelta(days=cal.safety_check_days_before), due)
            )
    return sorted({d for d in found if since <= d.deadline < until}, key=lambda d: (d.deadline, d.kind.value))


# The Wee ladder (domain.md §6.3 [V2 S9]), lowest first.
WEE_LADDER: tuple[WeeLevel, ...] = (
    WeeLevel.WEE_CLASS,
    WeeLevel.WEE_CENTER,
    WeeLevel.FAMILY_WEE_CENTER,
    WeeLevel.WEE_SCHOOL,
)


def next_wee_level(level: WeeLevel) -> WeeLevel | None:
    """One step up the Wee ladder (None at the top)."""
    index = WEE_LADDER.index(level)
    return WEE_LADDER[index + 1] if index + 1 < len(WEE_LADDER) else None


def allowed_classifications(
    profile: Profile, classifications: dict[Profile, tuple[CaseIntensity, ...]] | None = None
) -> tuple[CaseIntensity, ...]:
    """The classifications a team of this profile may choose (the deployment's setting, else the
    defaults above)."""
    found = (classifications or {}).get(profile)
    return found if found else DEFAULT_CLASSIFICATIONS[profile]
