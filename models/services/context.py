"""What every service call carries: who acts, from where, at what time, under which policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from models.cadence import Cadences
from models.enums import CaseIntensity, Profile, Surface
from models.profiles import PublicClocks, SchoolCalendar, allowed_classifications
from models.staff import StaffMember, Team
from models.text import LOCALES, t

# 서비스 제공기록: the funding sources every agency has (후원금, 사업비, 공적급여, 기타), as codes whose
# labels are `serve.funding.<code>` in the catalogs. An agency adds its own by the FUNDING_SOURCES
# setting: those are stored as written and are their own labels.
DEFAULT_FUNDING_SOURCES = ("DONATION", "PROGRAM", "PUBLIC_BENEFIT", "OTHER")


class FundingSource(str):
    """A funding source as stored (a default's code or an agency's own name); its `label` is the
    catalog's for a default, else the name itself. A `Message` parameter renders it by its label."""

    __slots__ = ()

    def label(self, locale: str = "ko") -> str:
        return t(f"serve.funding.{self}", locale) if self in DEFAULT_FUNDING_SOURCES else str(self)


def funding_label(source: str, locale: str = "ko") -> str:
    """How people read a funding source: a default's label in `locale`, an agency's own name as is."""
    return FundingSource(source).label(locale)


def funding_sources_with(own: Iterable[str]) -> tuple[str, ...]:
    """The defaults, then the agency's own names; a name that is a default's label (`후원금`) is that
    default, not a second one."""
    labels = {funding_label(code, locale) for code in DEFAULT_FUNDING_SOURCES for locale in LOCALES}
    return tuple(dict.fromkeys((*DEFAULT_FUNDING_SOURCES, *(name for name in own if name not in labels))))


# privacy_mode=strict: no direct identifiers in Casebot; the case links to the system of record by number.
PrivacyMode = Literal["standard", "strict"]


@dataclass(frozen=True)
class Policy:
    """Agency-level settings the core needs (taken from the bot's settings by the caller)."""

    cadences: Cadences = field(default_factory=Cadences)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))
    profile: Profile = Profile.WELFARE_CENTRE
    workday_start_hour: int = 9
    privacy_mode: PrivacyMode = "standard"
    # The funding sources a service delivery may name: the defaults, then the agency's own.
    funding_sources: tuple[str, ...] = DEFAULT_FUNDING_SOURCES
    # PROFILE=school: per-student caps in won over the school year, by service category code, and
    # "TOTAL" for all categories together ((code, won) pairs; the form warns before passing one).
    school_caps: tuple[tuple[str, int], ...] = ()
    # Supervision: the intensity-weighted caseload above which a worker is flagged, and how many weeks
    # without a recorded supervision session the weekly digest names a worker after.
    caseload_threshold: float = 30.0
    supervision_gap_weeks: int = 4
    # Closure sign-off: who may approve a closure when the team's only supervisor requested it (Slack
    # user ids, agency-wide), and the logged attempts a "lost contact" closure needs (NO_ANSWER
    # contacts within the last days).
    closure_approvers: tuple[str, ...] = ()
    lost_contact_attempts: int = 3
    lost_contact_days: int = 30
    # What differs by team profile (models/profiles.py): the classifications each profile offers
    # ((profile, values) pairs; a profile not named keeps its default list), the public-sector clocks
    # and the school teams' academic calendar.
    classifications: tuple[tuple[Profile, tuple[CaseIntensity, ...]], ...] = ()
    public_clocks: PublicClocks = field(default_factory=PublicClocks)
    school_calendar: SchoolCalendar = field(default_factory=SchoolCalendar)

    @property
    def strict_privacy(self) -> bool:
        return self.privacy_mode == "strict"

    def team_profile(self, team: Team | None) -> Profile:
        """A team's profile: its own, else the deployment's PROFILE."""
        return team.profile if team is not None and team.profile is not None else self.profile

    def classifications_for(self, profile: Profile) -> tuple[CaseIntensity, ...]:
        return allowed_classifications(profile, dict(self.classifications))

    def cadences_for(self, profile: Profile) -> Cadences:
        """The cadences a case of a team with this profile runs on: PUBLIC teams keep the public-sector
        clocks (domain.md §1, §4 [V2 S6]) whatever the general cadences say."""
        if profile != Profile.PUBLIC:
            return self.cadences
        clocks = self.public_clocks
        return self.cadences.model_copy(
            update={
                "intake_to_assessment_days": clocks.intake_to_survey_days,
                "assessment_to_classification_days": clocks.survey_to_classification_days,
                "intake_to_plan_days": clocks.intake_to_plan_days,
                "plan_nudge_days": clocks.plan_nudge_days,
            }
        )


@dataclass(frozen=True)
class Ctx:
    actor: StaffMember
    surface: Surface
    now: datetime
    policy: Policy = field(default_factory=Policy)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Ctx.now must be timezone-aware")

    @property
    def today(self) -> date:
        """Today in the agency's time zone: due dates are local dates."""
        return self.now.astimezone(self.policy.zone).date()

    @property
    def profile(self) -> Profile:
        """The profile of the actor's team (a new case's, when no case is in question yet)."""
        return self.policy.team_profile(self.actor.team)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
