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
from monitor.crawl.health import load_health, record_crawl, save_health
from monitor.crawl.state import state_key
from monitor.detect.engine import evaluate_rules
from monitor.inbox import Inbox
from monitor.incident import Incident
from monitor.mention import Mention
from monitor.nlp.cluster import ClusterIndex
from monitor.nlp.pipeline import NlpStage, brand_names
from monitor.reply.queue import ReplyDesk
from monitor.reply.sla import sla_findings
from monitor.store import Store, open_store
from monitor.workers import NlpUnavailable

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    items: int = 0
    new: int = 0
    errors: int = 0
    pages: int = 0
    spooled: int = 0
    nlp_seconds: float = 0.0
    index_seconds: float = 0.0
    by_brand_sentiment: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # reason → posts or values the crawl left out or flagged

    def add(self, other: "SourceReport") -> None:
        self.items += other.items
        self.new += other.new
        self.errors += other.errors
        self.pages += other.pages
        self.spooled += other.spooled
        self.nlp_seconds += other.nlp_seconds
        self.index_seconds += other.index_seconds
        self.by_brand_sentiment.update(other.by_brand_sentiment)


class Monitor:
    def __init__(self, settings: Settings, clock: Clock | None = None, store: Store | None = None,
                 notifier: Notifier | None = None, nlp=None, crawler=None) -> None:
        """`nlp` is anything with NlpStage's `process` (the daemon passes a process pool); `crawler` lets a
        reloaded config reuse the running CrawlRunner, whose reactor cannot be started twice."""
        self.settings = settings
        self.clock = clock or Clock()
        self.store = store or open_store(settings.config)
        self.nlp = nlp or NlpStage(settings.config.brands, settings.config.nlp)
        self.clusters = ClusterIndex(self.store, ignore=brand_names(settings.config.brands))
        self.inbox = Inbox(settings.config.state_dir / "inbox")
        self.incidents = IncidentManager(settings, self.store, notifier or Notifier(settings.config), self.clock)
        self._crawler = crawler

    @property
    def crawler(self):
        if self._crawler is None:
            from monitor.crawl.runner import CrawlRunner

            self._crawler = CrawlRunner(self.settings.config.timezone)
        return self._crawler

    def ingest(self, mentions: list[Mention]) -> SourceReport:
        """Score and store a batch; a batch that cannot be scored or stored now goes to the inbox, never away."""
        started = time.monotonic()
        try:
            result = self.nlp.process(mentions)
            self.clusters.assign(result.accepted)
            scored = time.monotonic()
            stored = self.store.upsert(result.accepted)
        except (NlpUnavailable, OSError, ConnectionError) as exc:
            self.inbox.put(mentions)
            log.warning("kept %d mentions in the inbox for later: %s", len(mentions), exc)
            return SourceReport(spooled=len(mentions))
        return SourceReport(items=len(result.accepted), new=stored.new, spooled=stored.spooled,
                            nlp_seconds=scored - started,
                            index_seconds=time.monotonic() - scored,
                            by_brand_sentiment=Counter((b, m.sentiment_label) for m in result.accepted
                                                       for b in m.brands))

    def replay_inbox(self) -> SourceReport:
        """Ingest what an earlier run set aside (batches that fail again go back to the inbox)."""
        total = SourceReport()
        self.inbox.replay(lambda batch: total.add(self.ingest(batch)))
        return total

    def crawl(self, source: SourceConfig, force: bool = False) -> SourceReport:
        """Crawl one source from where its last crawl left off, then keep its state and health in the store.

        A source a site has blocked waits out its backoff (returns an empty report) unless `force`d.
        """
        now = self.clock.now()
        health = load_health(self.store, source.name)
        if health.backing_off(now) and not force:
            log.info("skipped %s: blocked (%s) until %s", source.name, health.blocked, health.backoff_until)
            return SourceReport()
        result = self.crawler.crawl(source, state=self.store.get_state(state_key(source.name)), now=now)
        report = self.ingest(result.mentions)
        report.errors, report.pages, report.skipped = result.errors, result.pages, Counter(result.skipped)
        self.store.put_state(state_key(source.name), result.state)
        save_health(self.store, record_crawl(health, result, now, source.interval))
        log.info("crawled %s: %d pages, %d mentions (%d new), %d errors%s%s",
                 source.name, result.pages, report.items, report.new, result.errors,
                 f", skipped {dict(result.skipped)}" if result.skipped else "",
                 f", blocked: {result.blocked}" if result.blocked else "")
        return report

    def evaluate(self) -> tuple[list[Incident], TickReport]:
        """Run the rules now, then let the policy open, escalate and resolve incidents."""
        touched = self.incidents.handle(self.detect())
        return touched, self.incidents.tick()

    def detect(self) -> list:
        """Run the rules and the reply-SLA check now (reads only: the daemon runs it outside the policy lock)."""
        now = self.clock.now()
        findings = evaluate_rules(self.settings, self.store, now)
        return findings + sla_findings(self.settings, self.store, now,
                                       ReplyDesk(self.settings.config, self.store, self.clock))

    def close(self) -> None:
        if self._crawler is not None:
            self._crawler.stop()
        self.store.close()
