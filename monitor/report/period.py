"""Report periods in the configured zone (days start at local midnight), and when scheduled reports fall due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from monitor.config.model import WEEKDAYS, ReportSchedule

LENGTHS = {"daily": 24, "weekly": 7, "monthly": 30}
TITLES = {"daily": "舆情日报", "weekly": "舆情周报", "monthly": "舆情月报"}


@dataclass(frozen=True)
class Period:
    name: str
    buckets: tuple[tuple[datetime, datetime], ...]  # UTC [start, end), aligned to local hours or days

    @property
    def start(self) -> datetime:
        return self.buckets[0][0]

    @property
    def end(self) -> datetime:
        return self.buckets[-1][1]

    @property
    def hourly(self) -> bool:
        return self.name == "daily"

    def previous(self) -> tuple[datetime, datetime]:
        """The window of the same length just before, for the change figure."""
        return self.start - (self.end - self.start), self.start


def period_until(name: str, until: datetime, zone: ZoneInfo) -> Period:
    """The period ending at `until`, rounded up to the next local hour (daily) or midnight (weekly, monthly)."""
    local = until.astimezone(zone)
    if name == "daily":
        end = local.replace(minute=0, second=0, microsecond=0)
        if end < local:
            end += timedelta(hours=1)
        edges = [end - timedelta(hours=n) for n in range(LENGTHS[name], -1, -1)]
    else:
        day = local.date() if local.timetz().replace(tzinfo=None) == time(0) else local.date() + timedelta(days=1)
        edges = [datetime.combine(day - timedelta(days=n), time(0), zone) for n in range(LENGTHS[name], -1, -1)]
    utc = [e.astimezone(timezone.utc) for e in edges]
    return Period(name, tuple(zip(utc, utc[1:])))


def scheduled_until(schedule: ReportSchedule, now: datetime, zone: ZoneInfo) -> datetime:
    """What a scheduled report covers up to: the last full hour (daily) or the last full day (weekly, monthly)."""
    local = now.astimezone(zone)
    if schedule.period == "daily":
        return local.replace(minute=0, second=0, microsecond=0)
    return datetime.combine(local.date(), time(0), zone)


def seconds_until(schedule: ReportSchedule, now: datetime, zone: ZoneInfo) -> float:
    """Seconds from now to the schedule's next local time: every day, on its weekday, or on the 1st (monthly)."""
    local = now.astimezone(zone)
    day = local.date()
    for _ in range(400):
        at = datetime.combine(day, schedule.at, zone)
        fits = (schedule.period == "daily" or
                (schedule.period == "weekly" and WEEKDAYS[day.weekday()] == schedule.weekday) or
                (schedule.period == "monthly" and day.day == 1))
        if fits and at > local:
            return (at - local).total_seconds()
        day += timedelta(days=1)
    raise ValueError(f"no run time found for {schedule}")
