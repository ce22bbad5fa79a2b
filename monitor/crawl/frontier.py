"""One crawl frontier in Redis for crawl workers on several machines (`crawl.frontier` in the config).

scrapy-redis's scheduler keeps each source's request queue in Redis, so every worker crawling a source
takes its next page from the same line, and `SeenFilter` (the scheduler's duplicate filter) keeps a page
from being fetched twice by any worker:
- bounded: a fingerprint is a Redis key that expires after `seen_ttl` (at most half the source's
  interval, so the next scheduled crawl fetches the lists and due threads again);
- a request that failed (a 500 after Scrapy's retries, a timeout, a page without its content) is
  forgotten at once, so the next crawl by any worker tries it again.

Each worker still keeps the source's memory (seen posts, known threads) in the store; `merge_states`
folds what two workers wrote into one, under a Redis lock, so neither overwrites the other's threads.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
import warnings
from datetime import timedelta

from scrapy import signals
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

from monitor.config.model import FrontierConfig, SourceConfig

log = logging.getLogger(__name__)

# scrapy-redis 0.9 still passes `spider=` to the stats collector, which Scrapy 2.13+ only warns about
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector", module="scrapy_redis")

# sent by a spider when a request finally failed (spiders/base.py); SeenFilter forgets the request
request_failed = object()

QUEUE_CLASS = "scrapy_redis.queue.PriorityQueue"
STATE_LOCK_SECONDS = 30
BUSY_SECONDS = 120  # a worker that took a page counts as busy this long (a crashed one stops counting)


class Frontier:
    """The Redis connection and key names of one config's frontier."""

    def __init__(self, config: FrontierConfig) -> None:
        import redis

        self.config = config
        self.redis = redis.Redis.from_url(config.redis_url, socket_timeout=10, socket_connect_timeout=5)

    def key(self, source: str, part: str) -> str:
        return f"{self.config.key_prefix}:frontier:{source}:{part}"

    def seen_ttl(self, source: SourceConfig) -> int:
        """Seconds a fetched page stays "seen": the configured TTL, at most half the source's interval."""
        return max(1, int(min(self.config.seen_ttl, source.interval / 2) / timedelta(seconds=1)))

    def scrapy_settings(self, source: SourceConfig) -> dict:
        """Scrapy settings that put this source's requests and fingerprints in Redis. The queue persists
        when a worker's crawl ends: another worker may still be adding to it."""
        return {"SCHEDULER": "monitor.crawl.frontier.SharedScheduler", "SCHEDULER_QUEUE_CLASS": QUEUE_CLASS,
                "SCHEDULER_PERSIST": True, "SCHEDULER_QUEUE_KEY": self.key(source.name, "requests"),
                "BRANDMON_BUSY_KEY": self.key(source.name, "busy"),
                "DUPEFILTER_CLASS": "monitor.crawl.frontier.SeenFilter", "REDIS_URL": self.config.redis_url,
                "BRANDMON_SEEN_KEY": self.key(source.name, "seen"), "BRANDMON_SEEN_TTL": self.seen_ttl(source)}

    def state_lock(self, source: str):
        """Held while a worker reads, merges and writes the source's crawl state."""
        return self.redis.lock(self.key(source, "state-lock"), timeout=STATE_LOCK_SECONDS,
                               blocking_timeout=STATE_LOCK_SECONDS)

    def close(self) -> None:
        self.redis.close()


def state_lock(frontier: Frontier | None, source: str):
    return frontier.state_lock(source) if frontier is not None else contextlib.nullcontext()


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, plus: a worker whose queue ran dry stays while another worker still
    fetches this source's pages (they may add more to the queue), instead of leaving that work to one."""

    @classmethod
    def from_crawler(cls, crawler) -> "SharedScheduler":
        scheduler = super().from_crawler(crawler)
        scheduler.busy_key = crawler.settings["BRANDMON_BUSY_KEY"]
        scheduler.mine = f"{scheduler.busy_key}:{uuid.uuid4().hex}"
        scheduler.waiting = False
        crawler.signals.connect(scheduler.idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.closed, signal=signals.spider_closed)
        return scheduler

    def next_request(self):
        request = super().next_request()
        if request is not None:
            self.server.set(self.mine, 1, ex=BUSY_SECONDS)
            self.waiting = False
        return request

    def idle(self, spider) -> None:
        """Scrapy asks again every 5 s while DontCloseSpider is raised; the queue is read each time."""
        self.server.delete(self.mine)
        if next(iter(self.server.scan_iter(match=f"{self.busy_key}:*", count=100)), None) is None:
            return
        if not self.waiting:
            log.info("frontier: the queue of %s is empty while another worker crawls it; waiting for its pages",
                     spider.source.name)
            self.waiting = True
        raise DontCloseSpider

    def closed(self, spider) -> None:
        self.server.delete(self.mine)


class SeenFilter(BaseDupeFilter):
    """Request fingerprints as expiring Redis keys: SET NX EX claims a page for one worker."""

    def __init__(self, server, key: str, ttl: int, fingerprinter) -> None:
        self.server, self.key, self.ttl, self.fingerprinter = server, key, ttl, fingerprinter

    @classmethod
    def from_spider(cls, spider) -> "SeenFilter":
        """scrapy-redis's scheduler builds its filter here, once the spider (and its settings) exist."""
        from scrapy_redis.connection import get_redis_from_settings

        settings = spider.settings
        seen = cls(get_redis_from_settings(settings), settings["BRANDMON_SEEN_KEY"],
                   settings.getint("BRANDMON_SEEN_TTL"), spider.crawler.request_fingerprinter)
        spider.crawler.signals.connect(seen.forget, signal=request_failed)
        return seen

    def _key(self, request) -> str:
        return f"{self.key}:{self.fingerprinter.fingerprint(request).hex()}"

    def request_seen(self, request) -> bool:
        return not self.server.set(self._key(request), 1, nx=True, ex=self.ttl)

    def forget(self, request) -> None:
        """The request failed: not seen, so the next crawl (by any worker) fetches it again."""
        self.server.delete(self._key(request))

    def clear(self) -> None:
        for key in self.server.scan_iter(match=f"{self.key}:*", count=1000):
            self.server.delete(key)

    def log(self, request, spider) -> None:
        spider.crawler.stats.inc_value("brandmon/frontier_seen")


def merge_states(base: dict | None, mine: dict, stored: dict | None) -> dict:
    """The crawl state to keep when another worker may have written it since this crawl loaded `base`:
    what this crawl changed (added, updated or dropped) from `mine`, everything else as `stored` has it.
    With no other writer (`stored` == `base`) this is exactly `mine`."""
    from monitor.crawl.state import SEEN_LIMIT
    from monitor.crawl.tracking import MAX_THREADS

    base, stored = base or {}, stored or {}
    seen = _merge({k: v for k, v in base.get("seen") or ()}, {k: v for k, v in mine.get("seen") or ()},
                  {k: v for k, v in stored.get("seen") or ()})
    threads = _merge({t["key"]: t for t in base.get("threads") or ()}, {t["key"]: t for t in mine.get("threads") or ()},
                     {t["key"]: t for t in stored.get("threads") or ()})
    ordered = sorted(threads.values(), key=lambda t: t.get("active", ""), reverse=True)[:MAX_THREADS]
    return {**stored, **mine, "seen": [[k, v] for k, v in list(seen.items())[-SEEN_LIMIT:]], "threads": ordered}


def _merge(base: dict, mine: dict, stored: dict) -> dict:
    """Three-way merge of keyed entries; this crawl's changes go last (most recently seen)."""
    changed = {k for k in mine.keys() | base.keys() if mine.get(k) != base.get(k)}
    out = {k: v for k, v in stored.items() if k not in changed}
    out.update((k, mine[k]) for k in mine if k in changed)
    return out
