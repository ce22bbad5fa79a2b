"""Source health: is each source still delivering? Kept in the store under `health:<source>`.

A source that is blocked backs off (exponentially, up to BACKOFF_MAX) instead of being hammered;
one that keeps failing or stops finding anything new is what `brandmon status` and the daemon's
metrics show (`load_health`), next to the flatline rule that watches the mentions themselves.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.crawl.runner import CrawlResult
    from monitor.store.base import Store

log = logging.getLogger(__name__)

SMOOTHING = 0.3  # weight of the latest crawl in the running averages
DEGRADED_ERROR_RATE = 0.3
STALE_AFTER_INTERVALS = 3  # no success for this many intervals: the scheduler or the crawl is stuck
BACKOFF_MIN = timedelta(minutes=15)
BACKOFF_MAX = timedelta(hours=6)
_TIMES = ("last_crawl", "last_success", "last_new", "blocked_since", "backoff_until")


def health_key(source: str) -> str:
    return f"health:{source}"


@dataclass
class CrawlHealth:
    source: str
    crawls: int = 0
    last_crawl: datetime | None = None
    last_success: datetime | None = None
    last_new: datetime | None = None  # the last crawl that found anything new
    error_rate: float = 0.0  # smoothed share of fetches that failed
    items_per_crawl: float = 0.0  # smoothed new mentions per crawl
    last: dict = field(default_factory=dict)  # the latest crawl's pages, items, new, errors, seconds
    blocked: str | None = None
    blocked_since: datetime | None = None
    backoff_until: datetime | None = None
    blocks_in_a_row: int = 0
    needs_login: str | None = None  # the platform's session ended: an operator must run `brandmon login`

    @property
    def status(self) -> str:
        """unknown, needs_login, blocked, failing (the latest crawl fetched nothing usable), degraded or ok."""
        if self.crawls == 0:
            return "unknown"
        if self.needs_login:
            return "needs_login"
        if self.blocked:
            return "blocked"
        if self.last_success != self.last_crawl:
            return "failing"
        return "degraded" if self.error_rate >= DEGRADED_ERROR_RATE else "ok"

    def state(self, interval: timedelta, now: datetime) -> str:
        """The status, or 'stale' when a healthy-looking source has not succeeded for several intervals."""
        status = self.status
        if status in ("ok", "degraded") and now - self.last_success > interval * STALE_AFTER_INTERVALS:
            return "stale"
        return status

    def backing_off(self, now: datetime) -> bool:
        return self.backoff_until is not None and now < self.backoff_until

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in _TIMES:
            d[key] = d[key].isoformat() if d[key] else None
        d["status"] = self.status
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "CrawlHealth":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for key in _TIMES:
            d[key] = datetime.fromisoformat(d[key]) if d.get(key) else None
        return cls(**d)


def record_crawl(health: CrawlHealth, result: "CrawlResult", now: datetime, interval: timedelta) -> CrawlHealth:
    """Fold one crawl's outcome into the running health of its source."""
    fetches = result.pages + result.errors
    rate = result.errors / fetches if fetches else 1.0
    first = health.crawls == 0
    health.crawls += 1
    health.last_crawl = now
    health.error_rate = rate if first else (1 - SMOOTHING) * health.error_rate + SMOOTHING * rate
    health.items_per_crawl = (result.new if first
                              else (1 - SMOOTHING) * health.items_per_crawl + SMOOTHING * result.new)
    health.last = {"pages": result.pages, "items": len(result.mentions), "new": result.new,
                   "errors": result.errors, "seconds": round(result.seconds, 2), "skipped": dict(result.skipped)}
    if result.new:
        health.last_new = now
    if result.blocked:
        health.blocks_in_a_row += 1
        health.blocked_since = health.blocked_since or now
        wait = max(interval, BACKOFF_MIN) * 2 ** min(health.blocks_in_a_row - 1, 16)  # no overflow after days blocked
        health.backoff_until = now + min(wait, BACKOFF_MAX)
    else:
        health.blocks_in_a_row, health.blocked_since, health.backoff_until = 0, None, None
        if result.pages:  # a page that held threads or posts; a 200 of garbage or a redirect loop is no success
            health.last_success = now
    health.blocked = result.blocked
    if result.needs_login and not health.needs_login:  # said once, when it starts, not at every crawl
        log.warning("source %s needs login: %s", health.source, result.needs_login)
    health.needs_login = result.needs_login
    return health


def load_health(store: "Store", source: str) -> CrawlHealth:
    data = store.get_state(health_key(source))
    return CrawlHealth.from_dict(data) if isinstance(data, dict) else CrawlHealth(source)


def save_health(store: "Store", health: CrawlHealth) -> None:
    store.put_state(health_key(health.source), health.to_dict())
