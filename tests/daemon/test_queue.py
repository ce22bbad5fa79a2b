"""One durable queue in front of NLP and the store: every batch waits on disk until it is stored, in order;
a batch that keeps failing goes to the dead-letter file; a store error never skips the queue."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest

from monitor.app import Monitor
from monitor.clock import FakeClock
from monitor.config.loader import Settings
from monitor.config.model import Config
from monitor.mention import Mention
from monitor.nlp.pipeline import NlpStage
from monitor.queue import RAW, SCORED, WorkQueue
from monitor.store.base import Query, StoreUnavailable
from monitor.store.sqlite import SqliteStore
from monitor.workers import NlpFailed, NlpPool

ABOUT_THE_BRAND = Query(brand="星河手机")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
POISON = "这条会让评分崩溃"


def mentions(first: int = 0, texts=("星河手机发热严重，要求退款", "星河手机拍照真好", "今天天气不错")) -> list[Mention]:
    return [Mention(id=f"t:{first + i}", platform="forum", source="forum", url=f"https://example.com/{first + i}",
                    text=text, published_at=NOW, crawled_at=NOW)
            for i, text in enumerate(texts)]


class PoisonedStage(NlpStage):
    """The real NLP stage, except that it raises on one text (as a bug in a model would)."""

    def process(self, batch):
        if any(POISON in m.text for m in batch):
            raise NlpFailed("ValueError: the model choked")
        return super().process(batch)


@pytest.fixture
def config(tmp_path):
    return Config.model_validate({"brands": [{"name": "星河手机"}], "state_dir": str(tmp_path),
                                  "daemon": {"queue_attempts": 3, "queue_retry": "10s"}})


@pytest.fixture
def clock():
    return FakeClock(NOW)


@pytest.fixture
def monitor(config, tmp_path, clock):
    settings = Settings(path=None, config=config, rules=(), playbooks={})
    store = SqliteStore(tmp_path / "db.sqlite")
    monitor = Monitor(settings, clock=clock, store=store, nlp=PoisonedStage(config.brands, config.nlp),
                      crawler=object())
    yield monitor
    monitor.queue.close()
    store.close()


def test_items_come_back_in_the_order_they_were_queued_and_survive_a_reopen(tmp_path):
    queue = WorkQueue(tmp_path)
    first = queue.put_mentions(mentions(0))
    queue.put_state("cursor:forum", {"page": 2})
    queue.put_mentions(mentions(10))
    queue.close()
    again = WorkQueue(tmp_path)
    taken = []
    while (item := again.claim_next()) is not None:
        taken.append((item.kind, item.payload["key"] if item.kind == "state" else [m.id for m in item.mentions]))
        again.done(item)
    assert taken == [("raw", ["t:0", "t:1", "t:2"]), ("state", "cursor:forum"), ("raw", ["t:10", "t:11", "t:12"])]
    assert first == 1 and again.depth() == (0, 0)


def test_a_scored_batch_keeps_its_place_and_is_not_scored_again(tmp_path):
    queue = WorkQueue(tmp_path)
    queue.put_mentions(mentions(0))
    queue.put_mentions(mentions(10))
    item = queue.claim_next()
    queue.replace(item, SCORED, item.mentions[:2])
    queue.release(item, "store down")
    head = queue.claim_next()
    assert (head.seq, head.kind, len(head.payload)) == (item.seq, SCORED, 2)


def test_a_batch_is_stored_through_the_queue_and_leaves_it(monitor):
    report = monitor.ingest(mentions())
    assert (report.items, report.new, report.queued) == (2, 2, 0)
    assert monitor.store.count(ABOUT_THE_BRAND) == 2
    assert monitor.queue.depth() == (0, 0)


def test_a_sqlite_error_in_the_store_keeps_the_batch_queued_instead_of_skipping_it(monitor, tmp_path):
    monitor.store.close()  # any sqlite3 error: here "Cannot operate on a closed database"
    report = monitor.ingest(mentions())
    assert report.items == 0 and monitor.queue.depth()[0] == 1  # the batch waits (raw or scored), not skipped
    [reason] = monitor.faults.reasons()
    assert reason.startswith("store: ProgrammingError")
    monitor.store = monitor.clusters._store = SqliteStore(tmp_path / "db.sqlite")
    monitor.incidents.store = monitor.store
    replayed = monitor.drain()
    assert (replayed.items, replayed.queued) == (2, 0)
    assert monitor.store.count(ABOUT_THE_BRAND) == 2 and monitor.faults.reasons() == []


def test_a_corrupt_sqlite_file_raises_store_unavailable(tmp_path):
    path = tmp_path / "db.sqlite"
    SqliteStore(path).close()
    with path.open("r+b") as f:  # garbage over everything after the header page
        f.seek(4096)
        f.write(b"\xde\xad\xbe\xef" * 4096)
    with pytest.raises(StoreUnavailable, match="malformed|not a database"):
        store = SqliteStore(path)
        store.ping()


def test_a_batch_that_always_fails_nlp_goes_to_the_dead_letter_file_after_n_attempts(monitor, clock):
    poisoned = mentions(100, texts=(f"星河手机 {POISON}",))
    monitor.ingest(poisoned)
    assert monitor.ingest(mentions()).items == 2  # the failing batch does not hold up the line
    for attempt in range(2, 4):
        clock.advance(10 * 2 ** (attempt - 2))
        report = monitor.drain()
    assert report.dead == 1
    assert monitor.queue.depth() == (0, 0)
    [line] = monitor.queue.dead_letter.read_text(encoding="utf-8").splitlines()
    dead = json.loads(line)
    assert (dead["kind"], dead["attempts"], dead["payload"][0]["id"]) == (RAW, 3, "t:100")
    assert dead["error"].startswith("NLP: ValueError")
    assert monitor.queue.dead_letters() == 1


def test_a_failed_batch_waits_out_its_pause_before_the_next_attempt(monitor, clock):
    monitor.ingest(mentions(100, texts=(f"星河手机 {POISON}",)))
    assert monitor.drain().dead == 0
    item = monitor.queue.claim_next()
    assert item is None  # pausing
    clock.advance(10)
    item = monitor.queue.claim_next()
    assert item.attempts == 1


def test_state_written_while_the_store_is_away_waits_in_line_and_reads_back_newest(monitor, tmp_path):
    monitor.put_state("cursor:forum", {"page": 1})
    monitor.store.close()
    monitor.put_state("cursor:forum", {"page": 2})
    assert monitor.get_state("cursor:forum") == {"page": 2}
    monitor.store = SqliteStore(tmp_path / "db.sqlite")
    monitor.put_state("cursor:forum", {"page": 3})  # behind the waiting write, not before it
    monitor.drain()
    assert monitor.store.get_state("cursor:forum") == {"page": 3}
    assert monitor.queue.depth() == (0, 0)


def test_the_queue_file_deleted_under_a_running_daemon_is_detected_and_written_back(tmp_path):
    queue = WorkQueue(tmp_path)
    queue.put_mentions(mentions(0))
    queue.put_mentions(mentions(10))
    assert queue.check() is None
    for leftover in tmp_path.glob("queue.db*"):
        leftover.unlink()
    restored = queue.check()
    assert restored.items == 2 and "deleted or replaced" in restored.reason
    queue.close()
    assert WorkQueue(tmp_path).depth() == (2, 6)


def test_the_pool_scores_in_a_worker_process_like_the_stage_does(config, tmp_path):
    settings = Settings(path=None, config=config, rules=(), playbooks={})
    pool = NlpPool(config.brands, config.nlp, workers=1, timeout=120)
    store = SqliteStore(tmp_path / "db.sqlite")
    monitor = Monitor(settings, store=store, nlp=pool, crawler=object())
    try:
        pool.finish_by(time.monotonic() - 1)  # the daemon is stopping: the batch waits for the next start
        report = monitor.ingest(mentions())
        assert (report.items, report.queued) == (0, 3)
        pool.finish_by(time.monotonic() + 120)
        replayed = monitor.drain()
        assert (replayed.items, replayed.queued) == (2, 0)
        [negative] = [m for m in store.find(ABOUT_THE_BRAND) if m.sentiment_label == "negative"]
        assert "发热" in negative.text
    finally:
        pool.close()
        monitor.queue.close()
        store.close()


def test_closing_the_pool_finishes_within_its_timeout_even_with_a_batch_in_flight(config):
    pool = NlpPool(config.brands, config.nlp, workers=1, timeout=120)
    pool._pool.apply_async(time.sleep, (60,))
    started = time.monotonic()
    pool.close(timeout=2)
    assert time.monotonic() - started < 30
    assert all(not p.is_alive() for p in pool._pool._pool)
