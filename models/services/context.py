"""What every service call carries: who acts, from where, at what time, under which policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from models.cadence import Cadences
from models.enums import Profile, Surface
from models.staff import StaffMember

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
