"""Working time: weekdays that are not Korean public holidays, within the agency's working hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=32)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


class WorkCalendar:
    def __init__(self, zone: ZoneInfo, start_hour: int = 9, end_hour: int = 18, country: str = "KR") -> None:
        self.zone, self.start_hour, self.end_hour, self.country = zone, start_hour, end_hour, country

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _public_holidays(self.country, day.year)

    def is_working_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return self.is_working_day(local.date()) and self.start_hour <= local.hour < self.end_hour

    def next_working_start(self, moment: datetime) -> datetime:
        """`moment` if it is working time, else the start of the next working morning."""
        if self.is_working_time(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = local.date() if local.hour < self.start_hour else local.date() + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, time(self.start_hour), tzinfo=self.zone)
