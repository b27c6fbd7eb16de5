"""What every service call carries: who acts, from where, at what time, under which policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from models.cadence import Cadences
from models.enums import Profile, Surface
from models.staff import StaffMember

# 서비스 제공기록: the funding sources every agency has; an agency adds its own by a setting.
DEFAULT_FUNDING_SOURCES = ("후원금", "사업비", "공적급여", "기타")

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

    @property
    def strict_privacy(self) -> bool:
        return self.privacy_mode == "strict"


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


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
