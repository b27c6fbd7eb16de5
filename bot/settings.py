"""Settings from the environment and an optional `.env`, validated once at start-up.

Secrets are `SecretStr` so that they never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.cadence import Cadences
from models.crypto import EncryptionKeyError, Keyring
from models.enums import CaseIntensity, Profile, ResourceCategory
from models.profiles import PublicClocks, SchoolCalendar
from models.services.context import Policy, PrivacyMode, funding_sources_with


class WorkingHours(BaseModel):
    """When nudges may be sent (local time); the rest of the time they wait."""

    start_hour: int = Field(9, ge=0, le=23)
    end_hour: int = Field(18, ge=1, le=24)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        env_nested_delimiter="__",
        extra="ignore",
    )

    database_url: str = "sqlite:///casebot.sqlite3"
    timezone: str = "Asia/Seoul"
    default_locale: str = "ko"
    profile: Profile = Profile.WELFARE_CENTRE
    environment: str = "development"
    # strict: no direct identifiers in Casebot at all; a case carries the system of record's number.
    privacy_mode: PrivacyMode = "standard"

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Fernet keys, comma-separated, newest first: identifiers and narratives are encrypted with the
    # first and read with any (models/crypto.py). Required outside development.
    encryption_keys: SecretStr | None = None
    # The bot process runs the scheduler (one leader per database); off when an operator runs
    # `casebot reminders send` from cron instead, and in tests that move time themselves.
    scheduler_enabled: bool = True
    # `casebot run` without Slack tokens starts the sandbox, on a database of its own (demo data).
    sandbox_database_url: str = "sqlite:///casebot-sandbox.sqlite3"
    host: str = "127.0.0.1"
    port: int = Field(3000, ge=1, le=65535)
    # Listener work after the ack (modals, answers, messages) runs on this many threads, in order.
    lazy_workers: int = Field(4, ge=1, le=64)
    # On SIGTERM: how long the work already acked may take to finish before the process exits anyway.
    shutdown_grace_seconds: float = Field(20.0, ge=0, le=600)
    # Reminders and team boards keep this many seconds between two messages to one channel: Slack takes
    # about one a second (chat.postMessage's special limit). Lower only against a stand-in (the tests).
    slack_channel_interval_seconds: float = Field(1.0, ge=0, le=60)

    # 서비스 제공기록: funding sources beyond 후원금, 사업비, 공적급여, 기타 (JSON list, e.g. ["지정후원금"]).
    funding_sources: list[str] = Field(default_factory=list)
    # PROFILE=school: per-student caps in won over the school year, by service category (ResourceCategory
    # code) and "TOTAL"; e.g. {"TOTAL": 500000, "IN_KIND": 100000} (경남 교육복지안전망 style).
    school_caps: dict[str, int] = Field(default_factory=lambda: {"TOTAL": 500000})
    # Supervision: intensity-weighted caseload above which a worker is flagged (Home, digest, intake).
    caseload_threshold: float = Field(30.0, gt=0, le=1000)
    # The weekly digest names workers with no supervision session in this many weeks.
    supervision_gap_weeks: int = Field(4, ge=1, le=52)
    # Who may approve a closure the team's only supervisor requested (Slack user ids, a JSON list).
    closure_approvers: list[str] = Field(default_factory=list)
    # A "lost contact" closure needs this many unanswered contacts logged within the last days.
    lost_contact_attempts: int = Field(3, ge=0, le=50)
    lost_contact_days: int = Field(30, ge=1, le=365)
    # Where people reach Casebot's own HTTP server (e.g. https://casebot.example.org), for the print
    # links; without it (Socket Mode behind a firewall) the print button says how to print from the CLI.
    public_url: str | None = None
    # Printed forms: the agency's name on every page, and the TrueType fonts embedded (Korean).
    agency_name: str = Field("", max_length=100)
    print_font: str = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
    print_bold_font: str = "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"

    cadences: Cadences = Cadences()
    working_hours: WorkingHours = WorkingHours()
    # The profile is a team's (`casebot team profile`); PROFILE is the default of teams without one.
    # What differs by profile (models/profiles.py, sources there): the classifications a team of each
    # profile offers, e.g. CLASSIFICATIONS='{"public": ["CRISIS", "HIGH_COMPLEXITY", "GENERAL",
    # "LINKAGE_ONLY"]}' (a profile not named keeps its default), the public-sector clocks
    # (PUBLIC_CLOCKS__INTAKE_TO_SURVEY_DAYS=10 ...) and the school teams' academic calendar
    # (SCHOOL_CALENDAR__YEAR_START_MONTH=3 ...).
    classifications: dict[Profile, list[CaseIntensity]] = Field(default_factory=dict)
    public_clocks: PublicClocks = PublicClocks()
    school_calendar: SchoolCalendar = SchoolCalendar()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in ("ko", "en"):
            raise ValueError("must be 'ko' or 'en'")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # WebClient joins method names with urljoin: a base without "/" loses its last path part.
        return value if value.endswith("/") else value + "/"

    @field_validator("funding_sources")
    @classmethod
    def _funding_names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value if name.strip()]
        if any(len(name) > 40 for name in names):
            raise ValueError("a funding source takes at most 40 characters")
        return names

    @field_validator("school_caps")
    @classmethod
    def _caps(cls, value: dict[str, int]) -> dict[str, int]:
        known = {c.value for c in ResourceCategory} | {"TOTAL"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown categories {unknown}; use ResourceCategory codes or TOTAL")
        if any(won <= 0 for won in value.values()):
            raise ValueError("a cap must be a positive number of won")
        return value

    @field_validator("classifications")
    @classmethod
    def _classification_lists(
        cls, value: dict[Profile, list[CaseIntensity]]
    ) -> dict[Profile, list[CaseIntensity]]:
        for profile, values in value.items():
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{profile.value}: name each classification once, at least one")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def keyring(self) -> Keyring | None:
        """The encryption keyring, or None in development without keys (values stored as typed)."""
        if self.encryption_keys is None:
            if not self.is_development:
                raise SettingsError(
                    "Invalid setting: ENCRYPTION_KEYS: required outside development "
                    "(generate one with `casebot keys generate`)"
                )
            return None
        keys = [k for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]
        try:
            return Keyring(keys)
        except EncryptionKeyError as exc:
            raise SettingsError(f"Invalid setting: ENCRYPTION_KEYS: {exc}") from None

    def policy(self) -> Policy:
        return Policy(
            cadences=self.cadences,
            zone=self.zone,
            profile=self.profile,
            workday_start_hour=self.working_hours.start_hour,
            privacy_mode=self.privacy_mode,
            funding_sources=funding_sources_with(self.funding_sources),
            school_caps=tuple(sorted(self.school_caps.items())),
            caseload_threshold=self.caseload_threshold,
            supervision_gap_weeks=self.supervision_gap_weeks,
            closure_approvers=tuple(self.closure_approvers),
            lost_contact_attempts=self.lost_contact_attempts,
            lost_contact_days=self.lost_contact_days,
            classifications=tuple((p, tuple(v)) for p, v in self.classifications.items()),
            public_clocks=self.public_clocks,
            school_calendar=self.school_calendar,
        )


class SettingsError(Exception):
    """A settings problem, phrased as one line that names the variable."""


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        variable = "__".join(str(p) for p in item["loc"]).upper() or "settings"
        parts.append(f"{variable}: {item['msg']}")
    return "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(f"Invalid setting: {describe_validation_error(exc)}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
