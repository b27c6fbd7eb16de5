"""What every service call carries: who acts, from where, at what time, under which policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from models.cadence import Cadences
from models.enums import Profile, Surface
from models.staff import StaffMember
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
