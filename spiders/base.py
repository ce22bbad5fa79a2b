"""What every brandmon spider shares: its source, its memory of earlier crawls, time parsing, error and
block accounting, and sending on only what is new or changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import scrapy
from scrapy.utils.defer import deferred_from_coro

from monitor.config.model import SourceConfig, Tracking
from monitor.crawl.state import CHANGED, NEW, SAME, CrawlState
from monitor.crawl.timeparse import parse_time
from monitor.crawl.tracking import Schedule, ThreadBook
from monitor.mention import Mention
from spiders.blocking import body_block_reason
from spiders.source_settings import apply_source_settings, cookie_jar

ERRORS_STAT = "brandmon/errors"
NEW_STAT = "brandmon/new"
UPDATED_STAT = "brandmon/updated"
SKIPPED_STAT = "brandmon/skipped"
BLOCKED_STAT = "brandmon/blocked"


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured source.

    The daemon passes a SourceConfig and the state its last crawl left; `scrapy crawl TYPE -a config=FILE
    -a source=NAME` loads the source from a config file and crawls as if for the first time.
    """

    json_pages = False  # spiders reading JSON APIs ask for JSON

    def __init__(self, source: SourceConfig | str | None = None, config: str | None = None,
                 zone: str | None = None, state: dict | None = None, now: datetime | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(source, SourceConfig):
            source, zone = _source_from_file(config, source, self.name)
        self.source = source
        self.zone = ZoneInfo(source.timezone or zone or "Asia/Shanghai")
        self._now = now
        self.start_urls = list(source.start_urls)
        self.cookies = cookie_jar(source.cookies)
        self.crawl_state = CrawlState.load(state, self._schedule(), self.now)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        apply_source_settings(crawler.settings, spider.source, spider.json_pages)
        return spider

    @property
    def now(self) -> datetime:
        """The crawl's time: fixed by the caller (schedules stay consistent), else the wall clock."""
        return self._now or datetime.now(timezone.utc)

    @property
    def threads(self) -> ThreadBook:
        return self.crawl_state.threads

    def _schedule(self) -> Schedule:
        options = self.source.options
        tracking = options if isinstance(options, Tracking) else Tracking()
        return Schedule(first=tracking.recheck or self.source.interval, longest=tracking.recheck_max,
                        keep=tracking.track_for)

    def parse_time(self, text: str | None) -> datetime | None:
        return parse_time(text, self.zone, self.now)

    def request(self, url: str, callback, errback=None, **kwargs) -> scrapy.Request:
        """Every request carries the source's cookies and lands failures in an errback that counts them."""
        return scrapy.Request(url, callback=callback, errback=errback or self.on_error, cookies=self.cookies,
                              **kwargs)

    def fresh(self, mentions: Iterable[Mention]) -> Iterator[Mention]:
        """Only mentions that are new, or whose text or engagement changed since they were last seen."""
        return (m for m in mentions if self.is_fresh(m))

    def is_fresh(self, mention: Mention) -> bool:
        """Remembers the mention and counts it as new or updated; False when it is as it was."""
        verdict = self.crawl_state.classify(mention)
        if verdict == NEW:
            self.crawler.stats.inc_value(NEW_STAT)
        elif verdict == CHANGED:
            self.crawler.stats.inc_value(UPDATED_STAT)
        return verdict != SAME

    def on_error(self, failure) -> None:
        """A failed page is logged and counted; the crawl goes on."""
        self.crawler.stats.inc_value(ERRORS_STAT)
        self.logger.warning("fetch failed for %s: %s", failure.request.url, failure.getErrorMessage())

    def malformed(self, response, reason: str) -> None:
        self.crawler.stats.inc_value(ERRORS_STAT)
        self.logger.warning("skipped %s: %s", response.url, reason)

    def skipped(self, count: int) -> None:
        """Posts without text (deleted, shielded by moderators): normal on forums, counted but not errors."""
        if count:
            self.crawler.stats.inc_value(SKIPPED_STAT, count)

    def nothing_found(self, response, what: str) -> None:
        """A page without what it should have is a captcha or login wall, or a changed template."""
        reason = body_block_reason(response)
        if reason:
            self.block(reason, response.url)
        self.malformed(response, what)

    def block(self, reason: str, url: str) -> None:
        """The site refuses us: stop this crawl at once, so the source backs off instead of digging its ban deeper."""
        stats = self.crawler.stats
        if stats.get_value(BLOCKED_STAT):
            return
        stats.set_value(BLOCKED_STAT, reason)
        self.logger.warning("source %s is blocked (%s at %s): stopping this crawl", self.source.name, reason, url)
        self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))


def _source_from_file(config: str | None, name: str | None, spider_type: str) -> tuple[SourceConfig, str]:
    from monitor.config import load_settings

    if not config or not name:
        raise ValueError(f"run as: scrapy crawl {spider_type} -a config=CONFIG.yaml -a source=SOURCE_NAME")
    settings = load_settings(config).config
    try:
        source = settings.source(name)
    except StopIteration:
        raise ValueError(f"no source '{name}' in {config}") from None
    if source.type != spider_type:
        raise ValueError(f"source '{name}' is a '{source.type}' source: scrapy crawl {source.type} "
                         f"-a config={config} -a source={name}")
    return source, settings.timezone
