"""What the daemon exposes on /metrics, in Prometheus' text format, from a registry of its own."""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from monitor.alerting.notify import Message, Notifier, Outcome, Target

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
ALERT_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """One set of series per daemon; tests build their own, so nothing leaks between them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.pages = Counter("brandmon_source_pages", "Pages fetched, per source.", ["source"], registry=r)
        self.items = Counter("brandmon_source_items", "Brand mentions accepted, per source.", ["source"], registry=r)
        self.errors = Counter("brandmon_source_errors", "Failed pages and spider errors, per source.", ["source"],
                              registry=r)
        self.skipped = Counter("brandmon_source_skipped", "Posts or values a crawl left out or flagged, per source "
                               "and reason (empty, malformed, time_unknown, clamped, invalid, cleaned, refused).",
                               ["source", "reason"], registry=r)
        self.crawls = Counter("brandmon_source_crawls", "Crawls finished, per source.", ["source"], registry=r)
        self.last_success = Gauge("brandmon_source_last_success_timestamp_seconds",
                                  "When a crawl of the source last fetched pages without failing.", ["source"],
                                  registry=r)
        self.mentions = Counter("brandmon_mentions", "Mentions stored, by brand and sentiment.",
                                ["brand", "sentiment"], registry=r)
        self.queue_items = Gauge("brandmon_queue_items", "Batches and state writes waiting in the durable queue.",
                                 registry=r)
        self.queue_mentions = Gauge("brandmon_queue_mentions", "Mentions waiting in the durable queue for NLP or the store.",
                                    registry=r)
        self.queue_oldest = Gauge("brandmon_queue_oldest_age_seconds", "How long the oldest queued item has waited.",
                                  registry=r)
        self.dead_letters = Counter("brandmon_queue_dead_letter_items",
                                    "Items moved to the dead-letter file after failing daemon.queue_attempts times.",
                                    registry=r)
        self.queue_restored = Counter("brandmon_queue_restored",
                                      "Times the queue file was deleted or replaced under the daemon and written back.",
                                      registry=r)
        self.store_up = Gauge("brandmon_store_up", "1 when the store answers and works, else 0.", registry=r)
        self.component_up = Gauge("brandmon_component_up",
                                  "0 while a component (store, queue, disk, a source, a job) is failing.",
                                  ["component"], registry=r)
        self.source_up = Gauge("brandmon_source_up", "1 when the source's last crawls succeeded (ok or degraded).",
                               ["source"], registry=r)
        self.evaluation_age = Gauge("brandmon_last_evaluation_age_seconds",
                                    "Seconds since the rules were last evaluated successfully (NaN before the first).",
                                    registry=r)
        self.alert_latency = Histogram("brandmon_alert_latency_seconds",
                                       "From the first example mention's publication to each notification sent.",
                                       buckets=ALERT_BUCKETS, registry=r)
        self.disk_free = Gauge("brandmon_state_disk_free_bytes", "Free space on the state directory's disk.",
                               registry=r)
        self.nlp_seconds = Histogram("brandmon_nlp_seconds", "NLP time per crawl batch.", buckets=LATENCY_BUCKETS,
                                     registry=r)
        self.index_seconds = Histogram("brandmon_index_seconds", "Store write time per crawl batch.",
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.evaluate_seconds = Histogram("brandmon_evaluate_seconds", "Rule evaluation time.",
                                          buckets=LATENCY_BUCKETS, registry=r)
        self.incidents_open = Gauge("brandmon_incidents_open", "Incidents not yet resolved, by state and severity.",
                                    ["state", "severity"], registry=r)
        self.notifications = Counter("brandmon_notifications", "Notifications by channel and outcome (sent, failed).",
                                     ["channel", "status"], registry=r)
        self.reloads = Counter("brandmon_config_reloads", "Config reloads by result (applied, refused).", ["result"],
                               registry=r)
        self.rules = Gauge("brandmon_rules_loaded", "Enabled rules in the running config.", registry=r)
        self.reports = Counter("brandmon_reports", "Scheduled reports by result (sent, failed).", ["result"],
                               registry=r)

    def crawled(self, source: str, pages: int, items: int, errors: int, succeeded_at: float | None,
                skipped: dict[str, int] | None = None) -> None:
        self.pages.labels(source).inc(pages)
        for reason, n in (skipped or {}).items():
            self.skipped.labels(source, reason).inc(n)
        self.items.labels(source).inc(items)
        self.errors.labels(source).inc(errors)
        self.crawls.labels(source).inc()
        if succeeded_at is not None:
            self.last_success.labels(source).set(succeeded_at)

    def component(self, name: str, up: bool) -> None:
        self.component_up.labels(name).set(1 if up else 0)

    def stored(self, by_brand_sentiment: Tally) -> None:
        for (brand, sentiment), n in by_brand_sentiment.items():
            self.mentions.labels(brand, sentiment or "unknown").inc(n)

    def open_incidents(self, counts: Tally) -> None:
        """Set the gauge from (state, severity) counts; series that dropped to zero read 0, not stale."""
        for labels in list(self.incidents_open._metrics):
            if labels not in counts:
                self.incidents_open.labels(*labels).set(0)
        for (state, severity), n in counts.items():
            self.incidents_open.labels(state, severity).set(n)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MeteredNotifier:
    """A notifier that counts what it delivered and what failed, per channel."""

    def __init__(self, inner: Notifier, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def send(self, target: Target, message: Message) -> Outcome:
        outcome = self._inner.send(target, message)
        self._metrics.notifications.labels(target.channel, "sent" if outcome.ok else "failed").inc()
        return outcome

    def __getattr__(self, name: str):
        return getattr(self._inner, name)
