"""Times as Chinese (and English-language forum) sites print them, to aware UTC datetimes.

A time that cannot be read, or that cannot be true (after the crawl, before 1990: a year-0001
placeholder or a broken clock), is reported as such, never replaced by the crawl time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)  # before the web had forums: a placeholder, not a time
FUTURE_SLACK = timedelta(days=1)  # clocks and zones of sites drift; beyond this a time is invented

MISSING, UNREADABLE, FUTURE, TOO_OLD = "missing", "unreadable", "future", "too old"

_ABSOLUTE = re.compile(
    r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?(?:\s*[T ]?\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?)?"
)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}
# "Fri Jun 08, 2018 9:53 am" (phpBB), "08 Jun 2018, 09:53", "June 8, 2018 at 9:53 pm" (WordPress)
_ENGLISH = re.compile(
    r"(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+)?(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"(?:(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+)?(?P<year>\d{4}),?\s*(?:at\s+|@\s*|-\s*)?"
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>am|pm)?)?", re.I)
_AGO = re.compile(r"(\d+)\s*(秒|分钟|分|小时|天|周|个月)前")
_AGO_UNITS = {"秒": 1, "分钟": 60, "分": 60, "小时": 3600, "天": 86400, "周": 604800, "个月": 2592000}
_AGO_EN = re.compile(r"(\d+|an?|one)\s+(second|minute|hour|day|week)s?\s+ago", re.I)
_AGO_EN_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2, "today": 0, "yesterday": 1}
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})\s*(am|pm)?", re.I)
_CLOCK_ONLY = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_AMPM = re.compile(r"\d\s*[ap]m\b", re.I)


_DECLARED = re.compile(r"\b(?:UTC|GMT)(?:\s*([+\-\u2212])\s*(\d{1,2})(?:[:.](\d{1,2}))?)?", re.I)


def declared_zone(text: object) -> timezone | None:
    """The fixed offset a page states for its times ("All times are UTC+01:00", "UTC + 5.5 hours [ DST ]",
    "GMT+8"), or None when the text names none. phpBB 3.0 adds an hour for "[ DST ]"."""
    if not isinstance(text, str) or not (m := _DECLARED.search(text[:200])):
        return None
    sign = -1 if m.group(1) in ("-", "\u2212") else 1
    hours = int(m.group(2) or 0)
    part = m.group(3) or "0"
    minutes = int(part) if ":" in text[m.start():m.end()] else round(float(f"0.{part}") * 60)
    offset = sign * timedelta(hours=hours, minutes=minutes) + timedelta(hours="DST" in text)
    if abs(offset) > timedelta(hours=14):
        return None
    return timezone(offset)


def parse_time(text: str | None, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The time, or None when it is missing, unreadable or impossible (see read_time)."""
    return read_time(text, zone, now)[0]


def read_time(text: object, zone: ZoneInfo | timezone, now: datetime) -> tuple[datetime | None, str | None]:
    """(time, None) or (None, why): absolute, ISO, RFC 822, epoch seconds/milliseconds, English month
    names, and relative times (刚刚, 半小时前, 3 分钟前, 昨天 12:30, 12:30, "5 minutes ago", "Today, 10:15")."""
    if text is None or isinstance(text, bool):
        return None, MISSING
    text = str(text).strip()[:200]
    if not text:
        return None, MISSING
    try:
        found = _parse(text, zone, now)
    except (ValueError, OverflowError, OSError):  # 25:99, year 99999, epoch 1e30: not a time
        found = None
    if found is None:
        return None, UNREADABLE
    if found > now + FUTURE_SLACK:
        return None, FUTURE
    if found < EARLIEST:
        return None, TOO_OLD
    return found, None


def _parse(text: str, zone: ZoneInfo | timezone, now: datetime) -> datetime | None:
    local_now = now.astimezone(zone)
    for parse in (_iso, _rfc822):
        dt = parse(text)
        if dt is not None:
            return (dt if dt.tzinfo else dt.replace(tzinfo=zone)).astimezone(timezone.utc)
    if text.isdigit() and len(text) in (10, 13):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, timezone.utc)
    lowered = text.lower()
    if "刚刚" in text or "just now" in lowered or "less than a minute ago" in lowered:
        return now
    if "半小时前" in text:
        return now - timedelta(minutes=30)
    if m := _AGO.search(text):
        return now - timedelta(seconds=int(m.group(1)) * _AGO_UNITS[m.group(2)])
    if m := _AGO_EN.search(text):
        n = 1 if m.group(1).lower() in ("a", "an", "one") else int(m.group(1))
        return now - timedelta(seconds=n * _AGO_EN_UNITS[m.group(2).lower()])
    for word, days_back in _DAY_WORDS.items():
        if word in lowered:
            day = local_now.date() - timedelta(days=days_back)
            clock = _CLOCK.search(text)
            hour, minute = _hour_minute(clock) if clock else (0, 0)
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(timezone.utc)
    if m := _CLOCK_ONLY.match(text):  # lists print only the clock for today's posts
        return _today_at(local_now, int(m.group(1)), int(m.group(2)))
    if m := _ENGLISH.search(text):
        hour = int(m.group("h") or 0)
        if m.group("ampm"):
            hour = hour % 12 + (12 if m.group("ampm").lower() == "pm" else 0)
        day = int(m.group("d1") or m.group("d2") or 0)
        dt = datetime(int(m.group("year")), _MONTHS[m.group("mon").lower()], day, hour, int(m.group("m") or 0),
                      int(m.group("s") or 0), tzinfo=zone)
        return dt.astimezone(timezone.utc)
    if m := _ABSOLUTE.search(text):
        year = int(m.group(1)) if m.group(1) else local_now.year
        dt = datetime(year, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0),
                      int(m.group(5) or 0), int(m.group(6) or 0), tzinfo=zone)
        if not m.group(1) and dt > local_now + FUTURE_SLACK:  # "06-14" printed without its year
            dt = dt.replace(year=year - 1)
        return dt.astimezone(timezone.utc)
    return None


def _hour_minute(clock: re.Match) -> tuple[int, int]:
    hour = int(clock.group(1))
    if clock.group(3):
        hour = hour % 12 + (12 if clock.group(3).lower() == "pm" else 0)
    return hour, int(clock.group(2))


def _today_at(local_now: datetime, hour: int, minute: int) -> datetime | None:
    dt = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if dt > local_now + timedelta(minutes=5):
        dt -= timedelta(days=1)
    return dt.astimezone(timezone.utc)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    if ("," not in text and not re.search(r"[A-Za-z]{3}", text)) or _AMPM.search(text):
        return None  # RFC 822 has no am/pm: "Sat Jun 09, 2018 10:02 pm" is phpBB's, read by _ENGLISH
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
