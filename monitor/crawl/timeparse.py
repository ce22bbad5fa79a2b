"""Times as Chinese sites print them, to aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

_ABSOLUTE = re.compile(
    r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?(?:\s*[T ]?\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?)?"
)
_AGO = re.compile(r"(\d+)\s*(秒|分钟|分|小时|天|周|个月)前")
_AGO_UNITS = {"秒": 1, "分钟": 60, "分": 60, "小时": 3600, "天": 86400, "周": 604800, "个月": 2592000}
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})")
_CLOCK_ONLY = re.compile(r"^(\d{1,2})[:：](\d{2})$")


def parse_time(text: str | None, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Parse absolute, ISO, RFC 822, Weibo's ctime-like and relative (刚刚, 半小时前, 3 分钟前, 昨天 12:30, 12:30)
    times; None when unparseable."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    local_now = now.astimezone(zone)
    for parse in (_iso, _rfc822):
        dt = parse(text)
        if dt is not None:
            return (dt if dt.tzinfo else dt.replace(tzinfo=zone)).astimezone(timezone.utc)
    if text.isdigit() and len(text) in (10, 13):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, timezone.utc)
    if "刚刚" in text:
        return now
    if "半小时前" in text:
        return now - timedelta(minutes=30)
    if m := _AGO.search(text):
        return now - timedelta(seconds=int(m.group(1)) * _AGO_UNITS[m.group(2)])
    for word, days_back in _DAY_WORDS.items():
        if word in text:
            day = local_now.date() - timedelta(days=days_back)
            clock = _CLOCK.search(text)
            hour, minute = (int(clock.group(1)), int(clock.group(2))) if clock else (0, 0)
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(timezone.utc)
    if m := _CLOCK_ONLY.match(text):  # lists print only the clock for today's posts
        return _today_at(local_now, int(m.group(1)), int(m.group(2)))
    if m := _ABSOLUTE.search(text):
        year = int(m.group(1)) if m.group(1) else local_now.year
        try:
            dt = datetime(year, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0),
                          int(m.group(5) or 0), int(m.group(6) or 0), tzinfo=zone)
        except ValueError:
            return None
        if not m.group(1) and dt > local_now + timedelta(days=1):
            dt = dt.replace(year=year - 1)
        return dt.astimezone(timezone.utc)
    return None


def _today_at(local_now: datetime, hour: int, minute: int) -> datetime | None:
    try:
        dt = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError:
        return None
    if dt > local_now + timedelta(minutes=5):
        dt -= timedelta(days=1)
    return dt.astimezone(timezone.utc)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    if "," not in text and not re.search(r"[A-Za-z]{3}", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
