"""The whole path wired together: crawl → NLP → store → detect → notify. One instance per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager, TickReport
from monitor.clock import Clock
from monitor.config import Settings
from monitor.config.model import SourceConfig
from monitor.detect.engine import evaluate_rules
from monitor.incident import Incident
from monitor.mention import Mention
from monitor.nlp.pipeline import NlpStage
from monitor.store import Store, open_store

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    items: int = 0
    new: int = 0
    errors: int = 0
    pages: int = 0

    def add(self, other: "SourceReport") -> None:
        self.items += other.items
        self.new += other.new
        self.errors += other.errors
        self.pages += other.pages


class Monitor:
    def __init__(self, settings: Settings, clock: Clock | None = None, store: Store | None = None,
                 notifier: Notifier | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.store = store or open_store(settings.config)
        self.nlp = NlpStage(settings.config.brands, settings.config.nlp)
        self.incidents = IncidentManager(settings, self.store, notifier or Notifier(settings.config), self.clock)
        self._crawler = None

    @property
    def crawler(self):
        if self._crawler is None:
            from monitor.crawl.runner import CrawlRunner

            self._crawler = CrawlRunner(self.settings.config.timezone)
        return self._crawler

    def ingest(self, mentions: list[Mention]) -> SourceReport:
        result = self.nlp.process(mentions)
        stored = self.store.upsert(result.accepted)
        return SourceReport(items=len(result.accepted), new=stored.new)

    def crawl(self, source: SourceConfig) -> SourceReport:
        result = self.crawler.crawl(source)
        report = self.ingest(result.mentions)
        report.errors, report.pages = result.errors, result.pages
        log.info("crawled %s: %d pages, %d mentions (%d new), %d errors",
                 source.name, result.pages, report.items, report.new, result.errors)
        return report

    def evaluate(self) -> tuple[list[Incident], TickReport]:
        """Run the rules now, then let the policy open, escalate and resolve incidents."""
        findings = evaluate_rules(self.settings, self.store, self.clock.now())
        touched = self.incidents.handle(findings)
        return touched, self.incidents.tick()

    def close(self) -> None:
        if self._crawler is not None:
            self._crawler.stop()
        self.store.close()
