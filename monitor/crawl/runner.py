"""Runs Scrapy spiders in-process, over and over, on a reactor that lives in its own thread."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from monitor.config.model import SourceConfig
from monitor.crawl.frontier import Frontier
from monitor.mention import Mention

log = logging.getLogger(__name__)

SPIDERS = {"forum": "spiders.forum.ForumSpider", "comments": "spiders.comments.CommentsSpider",
           "weibo": "spiders.weibo.WeiboSpider", "feed": "spiders.feed.FeedSpider",
           "social": "spiders.social.SocialSpider", "complaints": "spiders.social.ComplaintsSpider"}


@dataclass
class CrawlResult:
    """What one crawl of one source found: mentions that are new or changed, and the state to keep."""

    source: str
    mentions: list[Mention] = field(default_factory=list)
    pages: int = 0  # pages that held what they should (the crawl succeeded when there is one)
    fetched: int = 0  # responses received, whatever they held (redirect hops included)
    errors: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason → posts or values left out or flagged
    new: int = 0
    updated: int = 0
    blocked: str | None = None
    needs_login: str | None = None  # why the platform wants an operator to log in again
    seconds: float = 0.0
    state: dict = field(default_factory=dict)


class _Collector:
    """Holds scraped items; a bound method, because Scrapy's signals keep only weak references."""

    def __init__(self) -> None:
        self.items: list[Mention] = []

    def item_scraped(self, item, response, spider) -> None:
        if isinstance(item, Mention):
            self.items.append(item)


class CrawlRunner:
    """One Twisted reactor per process (it cannot be restarted), so it runs in a daemon thread.

    `overrides` (e.g. short timeouts in tests) win over both the project settings and per-source ones.
    """

    def __init__(self, zone: str, overrides: dict | None = None, state_dir: str | None = None) -> None:
        from scrapy.utils.reactor import install_reactor

        from spiders import settings as spider_settings

        install_reactor(spider_settings.TWISTED_REACTOR)
        from twisted.internet import reactor

        self._reactor = reactor
        self.zone = zone
        self._settings = {k: getattr(spider_settings, k) for k in dir(spider_settings) if k.isupper()}
        self._settings["LOG_LEVEL"] = "WARNING"
        if state_dir is not None:  # where the cookie pools are
            self._settings["BRANDMON_STATE_DIR"] = str(state_dir)
        self._overrides = dict(overrides or {})
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None and not self._reactor.running:  # another runner of this process runs it
                self._thread = threading.Thread(target=self._reactor.run, name="scrapy-reactor",
                                                kwargs={"installSignalHandlers": False}, daemon=True)
                self._thread.start()

    def crawl(self, source: SourceConfig, state: dict | None = None, now: datetime | None = None,
              timeout: float = 300.0, frontier: Frontier | None = None) -> CrawlResult:
        """Crawl one source to the end; errors are counted in the result, never raised.

        `state` is what the previous crawl returned (None: crawl as if for the first time);
        `now` is the crawl's time for schedules and relative dates (default: the wall clock);
        `frontier` shares the requests and the pages already fetched with other workers through Redis.
        """
        from twisted.internet import threads

        self._ensure_started()
        started = time.monotonic()
        try:
            result = threads.blockingCallFromThread(self._reactor, self._start, source, state, now, timeout, frontier)
        except Exception as exc:  # the crawl itself could not run: count it, keep the daemon alive
            log.error("crawl of %s failed: %s", source.name, exc)
            result = CrawlResult(source=source.name, errors=1, state=dict(state or {}))
        result.seconds = time.monotonic() - started
        return result

    def _start(self, source: SourceConfig, state: dict | None, now: datetime | None, timeout: float,
               frontier: Frontier | None):
        from scrapy import signals
        from scrapy.crawler import CrawlerRunner
        from scrapy.settings import Settings
        from scrapy.utils.misc import load_object

        from spiders.base import (BLOCKED_STAT, ERRORS_STAT, NEEDS_LOGIN_STAT, NEW_STAT, PAGES_STAT, SKIP_STATS,
                                  UPDATED_STAT)

        settings = Settings(self._settings)
        settings.set("CLOSESPIDER_TIMEOUT", timeout)
        settings.setdict(self._overrides, priority="cmdline")
        if frontier is not None:
            settings.setdict(frontier.scrapy_settings(source), priority="cmdline")
        runner = CrawlerRunner(settings)
        crawler = runner.create_crawler(load_object(SPIDERS[source.type]))
        collector = _Collector()
        crawler.signals.connect(collector.item_scraped, signal=signals.item_scraped)

        def finished(_):
            stats = crawler.stats.get_stats()
            errors = stats.get(ERRORS_STAT, 0) + stats.get("spider_exceptions/count", 0)
            skipped = {reason: stats[stat] for reason, stat in SKIP_STATS.items() if stats.get(stat)}
            return CrawlResult(source=source.name, mentions=collector.items, pages=stats.get(PAGES_STAT, 0),
                               fetched=stats.get("response_received_count", 0), errors=errors, skipped=skipped,
                               new=stats.get(NEW_STAT, 0), updated=stats.get(UPDATED_STAT, 0),
                               blocked=stats.get(BLOCKED_STAT), needs_login=stats.get(NEEDS_LOGIN_STAT),
                               state=crawler.spider.crawl_state.to_dict())

        return runner.crawl(crawler, source=source, zone=self.zone, state=state, now=now).addCallback(finished)

    def stop(self) -> None:
        from monitor.crawl.signer import close_signers

        close_signers()
        if self._thread is not None and self._reactor.running:
            self._reactor.callFromThread(self._reactor.stop)
            self._thread.join(timeout=10)
