"""Through the whole path: `Monitor.crawl` keeps each source's crawl state and health in the store, so a
restarted daemon continues where it stopped, a blocked source backs off, and status can show it all."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.app import Monitor
from monitor.config import load_settings
from monitor.crawl.health import load_health
from monitor.store.base import Query
from tests.conftest import ROOT, write_config
from tests.crawl.conftest import CONFIG_HEAD, JSON
from tests.crawl.fixture_site import FixtureSite, Reply
from tests.crawl.test_discuz import GBK, serve_board

SOURCES = """
  - name: xinghe-bbs
    type: forum
    interval: 10m
    allow_networks: ["127.0.0.1/32"]
    options: {{preset: discuz, base_url: "{bbs}", boards: [2]}}
  - name: xinghe-video
    type: comments
    platform: bilibili
    allow_networks: ["127.0.0.1/32"]
    options: {{preset: bilibili, base_url: "{video}", targets: [170001]}}
"""
VIDEO = "/x/v2/reply/main?type=1&oid=170001&mode=2&next="


@pytest.fixture
def sites():
    with FixtureSite("discuz") as bbs, FixtureSite("bilibili") as video:
        serve_board(bbs, **GBK)
        video.file(VIDEO + "0", "reply-main-next-0.json", **JSON)
        video.file(VIDEO + "2", "reply-main-next-2.json", **JSON)
        yield bbs, video


@pytest.fixture
def settings(sites, tmp_path, rules_copy):
    bbs, video = sites
    text = CONFIG_HEAD.format(state=tmp_path / "state", rules=rules_copy) + SOURCES.format(bbs=bbs.url, video=video.url)
    return load_settings(write_config(tmp_path, text))


def monitor_of(settings, clock, runner) -> Monitor:
    return Monitor(settings, clock=clock, crawler=runner)


def test_a_restarted_monitor_continues_where_the_last_crawl_stopped(settings, clock, runner, sites):
    bbs, _ = sites
    first = monitor_of(settings, clock, runner)
    report = first.crawl(settings.config.source("xinghe-bbs"))
    assert report.new == report.items == 7  # the customer-service post names no brand: the NLP stage drops it
    first.store.close()
    bbs.hits.clear()
    restarted = monitor_of(settings, clock, runner)
    again = restarted.crawl(settings.config.source("xinghe-bbs"))
    assert (again.items, again.new, again.errors) == (0, 0, 0)
    assert bbs.hits_of("/forum.php?mod=viewthread") == 0
    restarted.store.close()


def test_health_of_each_source_is_stored_and_readable_by_name(settings, clock, runner):
    monitor = monitor_of(settings, clock, runner)
    monitor.crawl(settings.config.source("xinghe-bbs"))
    bbs, video = (load_health(monitor.store, name) for name in ("xinghe-bbs", "xinghe-video"))
    assert bbs.status == "ok" and bbs.last_success == clock.now() and bbs.last["new"] == 8
    assert bbs.items_per_crawl == 8 and bbs.error_rate == 0
    assert video.status == "unknown" and video.crawls == 0
    clock.advance(timedelta(minutes=10))
    monitor.crawl(settings.config.source("xinghe-bbs"))
    bbs = load_health(monitor.store, "xinghe-bbs")
    assert bbs.last_new == clock.now() - timedelta(minutes=10)
    assert 0 < bbs.items_per_crawl < 8
    monitor.store.close()


def test_a_blocked_source_backs_off_and_is_crawled_again_only_after_the_wait(settings, clock, runner, sites):
    bbs, _ = sites
    monitor = monitor_of(settings, clock, runner)
    source = settings.config.source("xinghe-bbs")
    bbs.route("/forum.php?mod=forumdisplay&fid=2", Reply(status=403))
    monitor.crawl(source)
    health = load_health(monitor.store, source.name)
    assert health.status == "blocked" and health.blocked == "forbidden (HTTP 403)"
    assert health.backoff_until == clock.now() + timedelta(minutes=15)
    serve_board(bbs, **GBK)
    bbs.hits.clear()
    clock.advance(timedelta(minutes=5))
    assert monitor.crawl(source).pages == 0 and sum(bbs.hits.values()) == 0
    clock.advance(timedelta(minutes=11))
    assert monitor.crawl(source).new == 7
    health = load_health(monitor.store, source.name)
    assert (health.blocked, health.backoff_until, health.last_success) == (None, None, clock.now())
    assert health.status == "degraded"  # the failed crawl still weighs on the error rate
    monitor.store.close()


def test_a_changed_like_count_updates_the_stored_mention_in_place(settings, clock, runner, sites):
    _, video = sites
    monitor = monitor_of(settings, clock, runner)
    source = settings.config.source("xinghe-video")
    monitor.crawl(source)
    stored = monitor.store.count(Query())
    video.file(VIDEO + "0", "reply-main-next-0-more-likes.json", **JSON)
    clock.advance(timedelta(minutes=10))
    report = monitor.crawl(source)
    assert (report.items, report.new) == (1, 0)
    assert monitor.store.count(Query()) == stored
    top = monitor.store.find(Query(), limit=1, order="engagement")[0]
    assert (top.native_id, top.engagement.likes) == ("230001", 999)
    monitor.store.close()


def brandmon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_the_crawl_command_prints_per_source_counts_as_json_and_a_second_run_finds_nothing_new(settings):
    config = str(settings.path)
    first = json.loads(brandmon("crawl", "--config", config, "--once", "--json").stdout.strip().splitlines()[-1])
    assert first["sources"]["xinghe-bbs"] == {"items": 7, "new": 7, "errors": 0, "pages": 7, "blocked": None,
                                               "queued": 0}  # robots.txt is no page
    assert first["sources"]["xinghe-video"]["new"] == 4 and first["mentions"] == 11  # replies naming no brand dropped
    proc = brandmon("crawl", "--config", config, "--once", "--source", "xinghe-bbs", "--json")
    second = json.loads(proc.stdout.strip().splitlines()[-1])
    assert list(second["sources"]) == ["xinghe-bbs"] and second["sources"]["xinghe-bbs"]["new"] == 0


def test_scrapy_lists_the_spiders_and_crawls_a_configured_source_from_the_project_root(settings, tmp_path):
    listed = subprocess.run(["scrapy", "list"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert listed.stdout.split() == ["comments", "complaints", "feed", "forum", "social", "weibo"]
    out = Path(tmp_path) / "items.jsonl"
    proc = subprocess.run(["scrapy", "crawl", "forum", "-a", f"config={settings.path}", "-a", "source=xinghe-bbs",
                           "-O", str(out), "-s", "LOG_LEVEL=WARNING"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(items) == 8 and {i["source"] for i in items} == {"xinghe-bbs"}


def test_every_skipped_value_reaches_metrics_and_brandmon_status(settings, clock, runner, sites):
    import monitor.cli  # noqa: F401  (the commands register on it; importing one alone is circular)
    from monitor.commands.status import gather
    from monitor.metrics import Metrics

    _, video = sites
    page = json.loads((video.folder / "reply-main-next-0.json").read_text(encoding="utf-8"))
    page["data"]["replies"][0]["like"] = 2**64  # one count no store can hold
    page["data"]["replies"][1]["ctime"] = "昨天 25:99"  # one time no clock shows
    video.route(VIDEO + "0", Reply(body=json.dumps(page).encode(), content_type="application/json"))
    monitor = monitor_of(settings, clock, runner)
    report = monitor.crawl(settings.config.source("xinghe-video"))
    monitor.store.close()
    assert report.skipped == {"clamped": 1, "time_unknown": 1} and report.errors == 0
    metrics = Metrics()
    metrics.crawled("xinghe-video", report.pages, report.items, report.errors, None, report.skipped)
    lines = metrics.exposition().decode().splitlines()
    assert 'brandmon_source_skipped_total{reason="clamped",source="xinghe-video"} 1.0' in lines
    assert 'brandmon_source_skipped_total{reason="time_unknown",source="xinghe-video"} 1.0' in lines
    video_status = next(s for s in gather(settings)["sources"] if s["name"] == "xinghe-video")
    assert video_status["last"]["skipped"] == {"clamped": 1, "time_unknown": 1}
