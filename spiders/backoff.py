"""Waiting out rate limits: 429 and 503 are retried after Retry-After (or base·2ⁿ seconds), and the whole
domain slows down, so a rate limit ends a crawl only when the site keeps refusing."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.utils.defer import maybe_deferred_to_future

BACKOFF_STAT = "brandmon/backoff"
log = logging.getLogger(__name__)
_CODES = {429, 503}


class BackoffRetry:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.times = settings.getint("RETRY_TIMES")
        self.base = settings.getfloat("BRANDMON_BACKOFF_BASE", 2.0)
        self.longest = settings.getfloat("BRANDMON_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response):
        tries = request.meta.get("backoff_times", 0)
        if response.status not in _CODES or request.meta.get("dont_retry") or tries >= self.times:
            return response
        wait = min(max(retry_after(response) or 0.0, self.base * 2 ** tries), self.longest)
        self._slow_down(request, wait)
        self.crawler.stats.inc_value(BACKOFF_STAT)
        log.info("HTTP %s from %s: waiting %.1fs before retrying", response.status, request.url, wait)
        await _sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["backoff_times"] = tries + 1
        return retry

    def _slow_down(self, request, wait: float) -> None:
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot"))
        if slot is not None:
            slot.delay = max(slot.delay, wait)


def retry_after(response) -> float | None:
    """Retry-After in seconds, given as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max((parsedate_to_datetime(text) - datetime.now(timezone.utc)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds))
