"""The one clock. Every "now" of the core is read from a `Clock` passed in by the caller: a request's
`Ctx.now` (taken from the app's clock), the scheduler's `Runtime.clock`, the CLI's and the sandbox's.
Nothing in `models/` or `scheduler/` reads the system time on its own, so tests and the sandbox can
set or move time for everything at once.

`now()` is always aware and in UTC; local dates come from the agency's zone (`Policy.zone`, from the
`TIMEZONE` setting) through `today`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, aware, in UTC."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


@dataclass
class MovableClock:
    """Another clock (real time by default) moved by an offset: the sandbox's clock control."""

    base: Clock = field(default=SYSTEM_CLOCK)
    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def move_to(self, moment: datetime) -> None:
        """From now on the clock reads `moment` (and goes on from there)."""
        self.offset = _aware(moment) - self.base.now()

    def advance(self, step: timedelta) -> None:
        self.offset += step


class FixedClock:
    """A clock that reads what it was set to, until it is set or advanced again (tests)."""

    def __init__(self, moment: datetime) -> None:
        self._moment = _aware(moment).astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._moment

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._moment = _aware(moment).astimezone(UTC)

    def advance(self, step: timedelta) -> None:
        with self._lock:
            self._moment += step

    def __repr__(self) -> str:
        return f"FixedClock({self._moment.isoformat()})"


def today(clock: Clock, zone: ZoneInfo) -> date:
    """The date the clock reads in `zone` (the agency's date when `zone` is `Policy.zone`)."""
    return clock.now().astimezone(zone).date()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a clock is set to an aware moment")
    return moment
