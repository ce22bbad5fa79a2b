"""Per-source crawl health as the daemon sees it, kept in the store so `brandmon status` can read it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

STALE_AFTER_INTERVALS = 3
FAILING_AFTER = 3


@dataclass
class SourceHealth:
    crawls: int = 0
    pages: int = 0
    items: int = 0
    new: int = 0
    errors: int = 0
    last_crawl_at: str | None = None
    last_success_at: str | None = None
    last_pages: int = 0
    last_items: int = 0
    last_errors: int = 0
    failures_in_a_row: int = 0

    def record(self, at: datetime, pages: int, items: int, new: int, errors: int) -> bool:
        """Count one finished crawl; True when it succeeded (pages fetched, not every one failed)."""
        self.crawls += 1
        self.pages += pages
        self.items += items
        self.new += new
        self.errors += errors
        self.last_crawl_at = at.isoformat()
        self.last_pages, self.last_items, self.last_errors = pages, items, errors
        ok = pages > 0 and errors < pages
        if ok:
            self.last_success_at = at.isoformat()
            self.failures_in_a_row = 0
        else:
            self.failures_in_a_row += 1
        return ok

    def state(self, interval: timedelta, now: datetime) -> str:
        """pending, ok, degraded (some pages failed), failing (crawls fetch nothing) or stale (no success lately)."""
        if self.last_crawl_at is None:
            return "pending"
        if self.failures_in_a_row >= FAILING_AFTER or self.last_success_at is None:
            return "failing"
        if now - datetime.fromisoformat(self.last_success_at) > interval * STALE_AFTER_INTERVALS:
            return "stale"
        return "degraded" if self.last_errors or self.failures_in_a_row else "ok"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SourceHealth":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})
