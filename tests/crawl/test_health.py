"""Source health: a blocked source waits longer after each block, and one good crawl clears it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.crawl.health import CrawlHealth, record_crawl
from monitor.crawl.runner import CrawlResult

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
BLOCKED = CrawlResult(source="s", pages=1, errors=1, blocked="forbidden (HTTP 403)")
GOOD = CrawlResult(source="s", pages=10, new=4)


def test_each_block_in_a_row_doubles_the_wait_up_to_six_hours():
    health, waits, now = CrawlHealth("s"), [], T0
    for _ in range(7):
        record_crawl(health, BLOCKED, now, timedelta(minutes=10))
        waits.append(health.backoff_until - now)
        now = health.backoff_until
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240, 360, 360)]
    assert health.blocked_since == T0 and health.status == "blocked"


def test_a_good_crawl_after_a_block_clears_the_block_and_the_wait():
    health = record_crawl(CrawlHealth("s"), BLOCKED, T0, timedelta(minutes=10))
    record_crawl(health, GOOD, T0 + timedelta(hours=1), timedelta(minutes=10))
    assert (health.blocked, health.backoff_until, health.blocks_in_a_row) == (None, None, 0)
    assert not health.backing_off(T0 + timedelta(hours=1))


def test_health_survives_the_round_trip_through_the_store_as_plain_json():
    health = record_crawl(CrawlHealth("s"), GOOD, T0, timedelta(minutes=10))
    data = health.to_dict()
    assert data["status"] == "ok" and data["last_success"] == T0.isoformat()
    assert CrawlHealth.from_dict(data) == health


def test_a_source_with_no_success_for_three_intervals_is_stale():
    interval = timedelta(minutes=10)
    health = record_crawl(CrawlHealth("s"), GOOD, T0, interval)
    assert health.state(interval, T0 + timedelta(minutes=30)) == "ok"
    assert health.state(interval, T0 + timedelta(minutes=31)) == "stale"


def test_a_failing_source_stays_failing_rather_than_stale():
    interval = timedelta(minutes=10)
    health = record_crawl(CrawlHealth("s"), GOOD, T0, interval)
    record_crawl(health, CrawlResult(source="s", errors=3), T0 + interval, interval)
    assert health.state(interval, T0 + timedelta(hours=5)) == "failing"
