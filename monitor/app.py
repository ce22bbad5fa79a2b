"""The whole path wired together: crawl → NLP → store → detect → notify. One instance per process."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager, TickReport
from monitor.clock import Clock
from monitor.config import Settings
from monitor.config.model import SourceConfig
from monitor.crawl.frontier import Frontier, merge_states, state_lock
from monitor.crawl.health import load_health, record_crawl, save_health
from monitor.crawl.state import state_key
from monitor.detect.engine import evaluate_rules
from monitor.detect.readahead import ReadAhead
from monitor.faults import Faults
from monitor.incident import Incident
from monitor.mention import Mention
from monitor.nlp.cluster import ClusterIndex
from monitor.nlp.pipeline import NlpStage, brand_names
from monitor.reply.queue import ReplyDesk
from monitor.reply.sla import sla_findings
from monitor.queue import RAW, SCORED, STATE, Item, QueueBroken, WorkQueue
from monitor.store import Store, StoreUnavailable, open_store
from monitor.workers import NlpFailed, NlpUnavailable

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    items: int = 0
    new: int = 0
    errors: int = 0
    pages: int = 0
    queued: int = 0  # mentions still waiting in the queue (NLP or the store could not take them yet)
    dead: int = 0  # mentions moved to the dead-letter file
    nlp_seconds: float = 0.0
    index_seconds: float = 0.0
    by_brand_sentiment: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # reason → posts or values the crawl left out or flagged

    def add(self, other: "SourceReport") -> None:
        self.items += other.items
        self.new += other.new
        self.errors += other.errors
        self.pages += other.pages
        self.queued += other.queued
        self.dead += other.dead
        self.nlp_seconds += other.nlp_seconds
        self.index_seconds += other.index_seconds
        self.by_brand_sentiment.update(other.by_brand_sentiment)


class Monitor:
    def __init__(self, settings: Settings, clock: Clock | None = None, store: Store | None = None,
                 notifier: Notifier | None = None, nlp=None, crawler=None, queue: WorkQueue | None = None,
                 faults: Faults | None = None) -> None:
        """`nlp` is anything with NlpStage's `process` (the daemon passes a process pool); `crawler` lets a
        reloaded config reuse the running CrawlRunner, whose reactor cannot be started twice; `queue` and
        `faults` are the daemon's, shared by every reloaded Monitor."""
        self.settings = settings
        self.clock = clock or Clock()
        self.store = store or open_store(settings.config)
        self.nlp = nlp or NlpStage(settings.config.brands, settings.config.nlp)
        self.clusters = ClusterIndex(self.store, ignore=brand_names(settings.config.brands))
        self.queue = queue or open_queue(settings.config, self.clock)
        self.faults = faults or Faults()
        self.incidents = IncidentManager(settings, self.store, notifier or Notifier(settings.config), self.clock)
        self.ahead = ReadAhead()  # each cycle asks at once what the last one read
        self._crawler = crawler
        frontier = settings.config.crawl.frontier
        self.frontier = Frontier(frontier) if frontier is not None else None

    @property
    def crawler(self):
        if self._crawler is None:
            from monitor.crawl.runner import CrawlRunner

            self._crawler = CrawlRunner(self.settings.config.timezone, state_dir=self.settings.config.state_dir)
        return self._crawler

    def ingest(self, mentions: list[Mention]) -> SourceReport:
        """Queue the batch (on disk first), then work the queue up to it: NLP, then the store. What
        cannot be scored or stored now stays queued, in order; nothing is dropped. Raises QueueBroken
        when the batch could neither be queued nor stored, so the caller does not record it as crawled."""
        if not mentions:
            return self.drain()  # nothing new: still a chance for what waits
        try:
            seq = self.queue.put_mentions(mentions)
        except QueueBroken as exc:
            self.faults.fail("queue", str(exc))
            return self._without_queue(mentions, exc)
        self.faults.ok("queue")
        return self.drain(up_to=seq)

    def _without_queue(self, mentions: list[Mention], why: QueueBroken) -> SourceReport:
        """The queue cannot write (disk full): score and store the batch directly, or raise."""
        try:
            result = self.nlp.process(mentions)
            self.clusters.assign(result.accepted)
            stored = self.store.upsert(result.accepted)
        except (NlpUnavailable, StoreUnavailable) as exc:
            raise QueueBroken(f"{why}; and the batch could not be stored directly either: {exc}") from exc
        if stored.refused:
            log.error("the store refused %d mentions and the queue cannot keep them: %s", len(stored.refused),
                      "; ".join(f"{m.id}: {why}" for m, why in stored.refused))
        return self._stored(result.accepted, stored.new, 0.0, 0.0)

    def drain(self, up_to: int | None = None) -> SourceReport:
        """Work the queue oldest first (up to seq `up_to`) until it is empty or the store is away."""
        total = SourceReport()
        while (item := self.queue.claim_next(up_to)) is not None:
            try:
                total.add(self._work(item))
            except StoreUnavailable as exc:
                self.queue.release(item, str(exc))
                self.faults.fail("store", str(exc))
                break
            except NlpFailed as exc:
                total.dead += self._failed(item, f"NLP: {exc}")
            except NlpUnavailable as exc:  # stopping: the batch waits for the next start
                self.queue.release(item, str(exc))
                break
            except QueueBroken:
                self.queue.release(item)
                raise
            except Exception as exc:  # a bug that this item triggers must not block the line forever
                log.exception("queue item %d failed", item.seq)
                total.dead += self._failed(item, f"{type(exc).__name__}: {exc}")
        items, mentions = self.queue.depth()
        total.queued = mentions
        return total

    def _failed(self, item: Item, error: str) -> int:
        return len(item.payload) if self.queue.failed(item, error) and item.kind != STATE else 0

    def _work(self, item: Item) -> SourceReport:
        if item.kind == STATE:
            self.store.put_state(item.payload["key"], item.payload["value"])
            self.queue.done(item)
            return SourceReport()
        started = time.monotonic()
        if item.kind == RAW:
            result = self.nlp.process(item.mentions)
            self.clusters.assign(result.accepted)
            item = self.queue.replace(item, SCORED, result.accepted)
        scored = time.monotonic()
        mentions = item.mentions
        stored = self.store.upsert(mentions)
        self.faults.ok("store")
        if stored.refused:
            self.queue.refused(list(stored.refused))
        self.queue.done(item)
        report = self._stored(mentions, stored.new, scored - started, time.monotonic() - scored)
        report.dead = len(stored.refused)
        return report

    @staticmethod
    def _stored(mentions: list[Mention], new: int, nlp_seconds: float, index_seconds: float) -> SourceReport:
        return SourceReport(items=len(mentions), new=new, nlp_seconds=nlp_seconds, index_seconds=index_seconds,
                            by_brand_sentiment=Counter((b, m.sentiment_label) for m in mentions for b in m.brands))

    # named state: what waits in the queue is newer than what the store has
    def get_state(self, key: str):
        waiting, value = self.queue.latest_state(key)
        if waiting:
            return value
        try:
            return self.store.get_state(key)
        except StoreUnavailable as exc:  # crawl as on a first run: mentions are stored by id, never twice
            self.faults.fail("store", str(exc))
            return None

    def put_state(self, key: str, value) -> None:
        """Into the store, or behind the queue's earlier writes of the key (and into the queue while the
        store is away), so an older value is never applied over a newer one."""
        if not self.queue.latest_state(key)[0]:
            try:
                self.store.put_state(key, value)
                return
            except StoreUnavailable as exc:
                self.faults.fail("store", str(exc))
        self.queue.put_state(key, value)

    def crawl(self, source: SourceConfig, force: bool = False, afresh: bool = False) -> SourceReport:
        """Crawl one source from where its last crawl left off (from scratch when `afresh`: the stored
        mentions were lost), then keep its state and health in the store.

        A source a site has blocked waits out its backoff (returns an empty report) unless `force`d.
        """
        now = self.clock.now()
        health = load_health(self, source.name)
        if health.backing_off(now) and not force and not self._logged_in_since(source, health):
            log.info("skipped %s: blocked (%s) until %s", source.name, health.blocked, health.backoff_until)
            return SourceReport()
        key = state_key(source.name)
        state = None if afresh else self.get_state(key)
        result = self.crawler.crawl(source, state=state, now=now, frontier=self.frontier)
        report = self.ingest(result.mentions)  # raises, leaving the crawl state as it was, if nothing could keep them
        report.errors, report.pages, report.skipped = result.errors, result.pages, Counter(result.skipped)
        if afresh:
            self.put_state(key, result.state)
        else:  # another worker of a shared frontier may have crawled this source meanwhile: keep its work too
            with state_lock(self.frontier, source.name):
                self.put_state(key, merge_states(state, result.state, self.get_state(key)))
        save_health(self, record_crawl(health, result, now, source.interval))
        log.info("crawled %s: %d pages, %d mentions (%d new), %d errors%s%s",
                 source.name, result.pages, report.items, report.new, result.errors,
                 f", skipped {dict(result.skipped)}" if result.skipped else "",
                 f", blocked: {result.blocked}" if result.blocked else "")
        return report

    def _logged_in_since(self, source: SourceConfig, health) -> bool:
        """An operator ran `brandmon login` after the source was set aside: try it now, not after the backoff."""
        if not health.needs_login or health.blocked_since is None:
            return False
        from monitor.crawl.cookies import CookiePool, pool_name

        newest = CookiePool(self.settings.config.state_dir, pool_name(source)).newest_login()
        return newest is not None and newest > health.blocked_since

    def evaluate(self) -> tuple[list[Incident], TickReport]:
        """Run the rules now, then let the policy open, escalate and resolve incidents."""
        touched = self.incidents.handle(self.detect())
        return touched, self.incidents.tick()

    def detect(self) -> list:
        """Run the rules and the reply-SLA check now (reads only: the daemon runs it outside the policy lock)."""
        now = self.clock.now()
        findings = evaluate_rules(self.settings, self.store, now, self.ahead)
        return findings + sla_findings(self.settings, self.store, now,
                                       ReplyDesk(self.settings.config, self.store, self.clock))

    def close(self) -> None:
        if self._crawler is not None:
            self._crawler.stop()
        if self.frontier is not None:
            self.frontier.close()
        self.queue.close()
        self.store.close()


def open_queue(config, clock: Clock) -> WorkQueue:
    d = config.daemon
    return WorkQueue(config.state_dir / "queue", clock, max_attempts=d.queue_attempts,
                     retry_after=d.queue_retry.total_seconds())
