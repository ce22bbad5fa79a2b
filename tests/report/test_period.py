from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from monitor.config.model import ReportSchedule
from monitor.report.period import period_until, scheduled_until, seconds_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_weekly_period_is_seven_local_days_ending_at_the_next_local_midnight():
    period = period_until("weekly", datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI), SHANGHAI)
    assert len(period.buckets) == 7
    assert period.start == datetime(2026, 11, 17, 0, 0, tzinfo=SHANGHAI)
    assert period.end == datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI)
    assert period.previous() == (datetime(2026, 11, 10, tzinfo=SHANGHAI), period.start)


def test_a_period_until_midnight_ends_there():
    period = period_until("weekly", datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI), SHANGHAI)
    assert period.end == datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)


def test_a_daily_period_is_24_local_hours_ending_at_the_next_full_hour():
    period = period_until("daily", datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc), SHANGHAI)
    assert len(period.buckets) == 24
    assert period.end == datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    assert all(b - a == timedelta(hours=1) for a, b in period.buckets)


def test_a_weekly_schedule_falls_due_on_its_weekday_at_its_local_time():
    schedule = ReportSchedule(period="weekly", weekday="mon", at=time(9, 0), send=("x",))
    sunday_noon = datetime(2026, 11, 22, 12, 0, tzinfo=SHANGHAI)
    assert seconds_until(schedule, sunday_noon, SHANGHAI) == 21 * 3600
    monday_nine = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    assert seconds_until(schedule, monday_nine, SHANGHAI) == 7 * 86400
    assert scheduled_until(schedule, monday_nine, SHANGHAI) == datetime(2026, 11, 23, tzinfo=SHANGHAI)


def test_a_monthly_schedule_falls_due_on_the_first():
    schedule = ReportSchedule(period="monthly", at=time(8, 30), send=("x",))
    now = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
    due = now + timedelta(seconds=seconds_until(schedule, now, SHANGHAI))
    assert due == datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)
