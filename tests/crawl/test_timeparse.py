from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from monitor.crawl.numbers import CLAMPED, INVALID, MAX_COUNT, parse_count, read_count
from monitor.crawl.timeparse import FUTURE, MISSING, TOO_OLD, UNREADABLE, declared_zone, parse_time, read_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # 16:00 in Shanghai


@pytest.mark.parametrize("text, expected", [
    ("2026-11-20 10:30", datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)),
    ("发表于 2026-11-20 10:30:05", datetime(2026, 11, 20, 2, 30, 5, tzinfo=timezone.utc)),
    ("2026年11月20日 10:30", datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)),
    ("2026-11-20T10:30:00+08:00", datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)),
    ("Mon, 23 Nov 2026 07:00:00 GMT", datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)),
    ("刚刚", NOW),
    ("3 分钟前", datetime(2026, 11, 23, 7, 57, tzinfo=timezone.utc)),
    ("3天前", datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)),
    ("昨天 12:30", datetime(2026, 11, 22, 4, 30, tzinfo=timezone.utc)),
    ("11-20 09:15", datetime(2026, 11, 20, 1, 15, tzinfo=timezone.utc)),
    ("半小时前", datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)),
    ("13:20", datetime(2026, 11, 23, 5, 20, tzinfo=timezone.utc)),  # Tieba's list: today's clock only
    ("23:50", datetime(2026, 11, 22, 15, 50, tzinfo=timezone.utc)),  # later than now: yesterday
    ("Sat Nov 21 10:20:30 +0800 2026", datetime(2026, 11, 21, 2, 20, 30, tzinfo=timezone.utc)),  # Weibo
    ("1763686000", datetime(2025, 11, 21, 0, 46, 40, tzinfo=timezone.utc)),  # Bilibili's ctime
])
def test_site_times_become_utc(text, expected):
    assert parse_time(text, SHANGHAI, NOW) == expected


def test_a_date_without_year_in_the_future_belongs_to_last_year():
    assert parse_time("12-30 10:00", SHANGHAI, NOW).year == 2025


@pytest.mark.parametrize("text", [None, "", "楼主", "2026-13-45 10:00"])
def test_unparseable_times_are_none(text):
    assert parse_time(text, SHANGHAI, NOW) is None


@pytest.mark.parametrize("text, expected", [
    ("1.2万", 12000), ("145.5万", 1455000), ("100万+", 1_000_000), ("3亿", 300_000_000), ("1,234", 1234),
    (" 3 ", 3), (17, 17), ("楼主", None), ("", None), (None, None),
])
def test_counts_as_sites_print_them_become_integers(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Fri Jun 08, 2018 9:53 am", datetime(2018, 6, 8, 1, 53, tzinfo=timezone.utc)),  # phpBB 3.2
    ("» Sat Mar 22, 2008 8:17 pm", datetime(2008, 3, 22, 12, 17, tzinfo=timezone.utc)),  # phpBB 3.0
    ("08 Jun 2018, 21:53", datetime(2018, 6, 8, 13, 53, tzinfo=timezone.utc)),
    ("June 8, 2018 at 9:53 pm", datetime(2018, 6, 8, 13, 53, tzinfo=timezone.utc)),  # WordPress
    ("5 minutes ago", datetime(2026, 11, 23, 7, 55, tzinfo=timezone.utc)),
    ("Yesterday, 10:15 pm", datetime(2026, 11, 22, 14, 15, tzinfo=timezone.utc)),
])
def test_english_forum_times_become_utc(text, expected):
    assert parse_time(text, SHANGHAI, NOW) == expected


@pytest.mark.parametrize("text, why", [
    (None, MISSING), ("", MISSING), ("   ", MISSING),
    ("昨天 25:99", UNREADABLE), ("13-45", UNREADABLE), ("2026-02-30 10:00", UNREADABLE), ("下周", UNREADABLE),
    ("99999999999999999999", UNREADABLE),
    ("2099-01-01 00:00", FUTURE), ("Tue Jan 01 00:00:00 +0800 2286", FUTURE),
    ("0001-01-01T00:00:00Z", TOO_OLD), ("1970-01-01 08:00", TOO_OLD),
])
def test_times_that_cannot_be_read_or_cannot_be_true_are_reported_never_invented(text, why):
    assert read_time(text, SHANGHAI, NOW) == (None, why)


@pytest.mark.parametrize("value, expected", [
    ("-5", (None, INVALID)), ("1e999", (None, INVALID)), (float("nan"), (None, INVALID)),
    (float("inf"), (None, INVALID)), ([3], (None, INVALID)), ({"n": 3}, (None, INVALID)),
    (2**63, (MAX_COUNT, CLAMPED)), ("99999999999999999999999", (MAX_COUNT, CLAMPED)), (1e30, (MAX_COUNT, CLAMPED)),
    ("1.2万", (12_000, None)), ("100万+", (1_000_000, None)), (7, (7, None)), ("暂无", (None, None)),
])
def test_counts_that_no_store_can_hold_are_refused_or_clamped_never_raised(value, expected):
    assert read_count(value) == expected


@pytest.mark.parametrize(("text", "hours"), [
    ("All times are UTC+01:00", 1),             # phpBB 3.1+
    ("All times are UTC + 1 hour [ DST ]", 2),  # phpBB 3.0, summer time on
    ("All times are UTC - 5 hours", -5),
    ("All times are UTC + 5.5 hours", 5.5),
    ("All times are UTC", 0),
    ("GMT+8, 2017-5-7 21:50", 8),               # the Discuz! footer
])
def test_a_zone_a_page_states_becomes_a_fixed_offset(text, hours):
    assert declared_zone(text).utcoffset(None) == timedelta(hours=hours)


@pytest.mark.parametrize("text", [None, "", "All times are", "UTC+99", "Powered by phpBB"])
def test_a_page_naming_no_zone_leaves_the_sources_zone(text):
    assert declared_zone(text) is None
