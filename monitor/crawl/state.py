"""A source's memory between crawls, as one JSON value the store keeps under `crawl:<source>`.

It holds what was already seen (mention id → fingerprint of text and engagement, so a changed like
count is sent again as an update) and the known threads. Only lists and fixed keys: no key is a
mention id, so any store (including Elasticsearch's dynamic mappings) keeps it as is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from monitor.crawl.tracking import Schedule, ThreadBook
from monitor.mention import Mention

SEEN_LIMIT = 5000
NEW, CHANGED, SAME = "new", "changed", "same"
SKIPPED_MARK = "-"  # the fingerprint of a post seen but not stored (no text)


def state_key(source: str) -> str:
    return f"crawl:{source}"


def fingerprint(mention: Mention) -> str:
    e = mention.engagement
    raw = f"{mention.text}\x00{e.likes}\x00{e.comments}\x00{e.reposts}\x00{e.views}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]


@dataclass
class CrawlState:
    seen: dict[str, str]
    threads: ThreadBook

    @classmethod
    def load(cls, data: dict | None, schedule: Schedule, now: datetime) -> "CrawlState":
        data = data if isinstance(data, dict) else {}
        seen = {row[0]: row[1] for row in data.get("seen") or () if isinstance(row, list) and len(row) == 2}
        return cls(seen, ThreadBook.load(data.get("threads") or [], schedule, now))

    def classify(self, mention: Mention) -> str:
        """New, changed (text or engagement) or the same as last seen; remembers it either way."""
        mark = fingerprint(mention)
        before = self.seen.pop(mention.id, None)
        self.seen[mention.id] = mark  # re-inserted: the most recently seen are kept longest
        if before is None:
            return NEW
        return SAME if before == mark else CHANGED

    def remember_skipped(self, platform: str, native_ids: list[str]) -> None:
        """Posts with nothing to read (an image, a deleted floor) are known too: a post stream does not ask
        for them again on every crawl."""
        from monitor.mention import mention_id

        for native in native_ids:
            key = mention_id(platform, native)
            self.seen.pop(key, None)
            self.seen[key] = SKIPPED_MARK

    def has_seen(self, mention_id: str) -> bool:
        return mention_id in self.seen

    def to_dict(self) -> dict:
        recent = list(self.seen.items())[-SEEN_LIMIT:]
        return {"seen": [[k, v] for k, v in recent], "threads": self.threads.to_list()}
