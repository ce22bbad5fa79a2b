"""Quiet hours: named local-time intervals in which notifications below an override severity wait."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.config.model import WEEKDAYS, AlertingConfig, QuietHours


def _inside(interval: QuietHours, local: datetime) -> bool:
    """An interval belongs to the day it starts on; one that ends earlier than it starts crosses midnight."""
    clock = local.time()
    today = WEEKDAYS[local.weekday()]
    if interval.start < interval.end or interval.end == time.max:
        return today in interval.days and interval.start <= clock < interval.end
    yesterday = WEEKDAYS[(local - timedelta(days=1)).weekday()]
    return (today in interval.days and clock >= interval.start) or (yesterday in interval.days and clock < interval.end)


def quiet_interval(alerting: AlertingConfig, zone: ZoneInfo, now: datetime) -> str | None:
    """The name of the quiet interval `now` falls in, if any."""
    for name, interval in alerting.quiet_hours.items():
        if _inside(interval, now.astimezone(ZoneInfo(interval.timezone) if interval.timezone else zone)):
            return name
    return None
