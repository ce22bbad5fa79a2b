"""Mentions the NLP pool cannot score in time go to the inbox on disk and are stored when replayed."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from monitor.app import Monitor
from monitor.config.model import Config
from monitor.config.loader import Settings
from monitor.mention import Mention
from monitor.store.base import Query
from monitor.store.sqlite import SqliteStore
from monitor.workers import NlpPool

ABOUT_THE_BRAND = Query(brand="星河手机")


def mentions() -> list[Mention]:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    return [Mention(id=f"t:{i}", platform="forum", source="forum", url=f"https://example.com/{i}", text=text,
                    published_at=now, crawled_at=now)
            for i, text in enumerate(["星河手机发热严重，要求退款", "星河手机拍照真好", "今天天气不错"])]


@pytest.fixture
def monitor(tmp_path):
    config = Config.model_validate({"brands": [{"name": "星河手机"}], "state_dir": str(tmp_path)})
    settings = Settings(path=None, config=config, rules=(), playbooks={})
    pool = NlpPool(config.brands, config.nlp, workers=1, timeout=60)
    store = SqliteStore(tmp_path / "db.sqlite")
    yield Monitor(settings, store=store, nlp=pool, crawler=object())
    pool.close()
    store.close()


def test_the_pool_scores_in_a_worker_process_like_the_stage_does(monitor):
    report = monitor.ingest(mentions())
    assert (report.items, report.new, report.spooled) == (2, 2, 0)
    assert sum(report.by_brand_sentiment.values()) == 2
    [negative] = [m for m in monitor.store.find(ABOUT_THE_BRAND) if m.sentiment_label == "negative"]
    assert "发热" in negative.text


def test_a_batch_that_misses_the_shutdown_deadline_is_kept_in_the_inbox_then_replayed(monitor, tmp_path):
    monitor.nlp.finish_by(time.monotonic() - 1)
    report = monitor.ingest(mentions())
    assert (report.items, report.spooled) == (0, 3)
    assert monitor.inbox.pending() == 3
    assert monitor.store.count(ABOUT_THE_BRAND) == 0
    monitor.nlp.finish_by(time.monotonic() + 60)
    replayed = monitor.replay_inbox()
    assert (replayed.items, replayed.spooled) == (2, 0)
    assert monitor.inbox.pending() == 0 and monitor.store.count(ABOUT_THE_BRAND) == 2


def test_a_closed_pool_keeps_the_batch_rather_than_dropping_it(monitor):
    monitor.nlp.close()
    assert monitor.ingest(mentions()).spooled == 3
    assert monitor.inbox.pending() == 3
