"""The store interface: what every backend (embedded SQLite, Elasticsearch) must do."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.config.model import SlaTier
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention


@dataclass(frozen=True)
class Query:
    """Which mentions to count or fetch; empty fields match everything. Times are [start, end)."""

    brand: str | None = None
    sentiments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # any of them, as phrases of the text (monitor/store/matching.py)
    categories: tuple[str, ...] = ()  # complaint categories: any of them
    crisis: bool = False  # carries crisis terms said of the brand asked about (without a brand: of any brand)
    text: str | None = None  # search box: every space-separated phrase in the text or the title
    min_followers: int | None = None  # author.followers at least this
    min_engagement: int | None = None  # likes + comments + reposts at least this
    start: datetime | None = None
    end: datetime | None = None
    unique: bool = False  # count and histogram count stories (distinct cluster_id), not mentions
    authors: bool = False  # count and histogram count distinct authors (author.id; those without one are one author)
    known_time: bool = False  # only mentions whose publication time is known (Mention.time_unknown false):
    # an unknown time is stored as the first crawl that saw the post, so a backlog would pile up "now"
    ids: tuple[str, ...] = ()  # mention ids: any of them
    threads: tuple[str, ...] = ()  # Mention.thread_id: any of them
    written_by: tuple[str, ...] = ()  # author.id or author.name one of these, ignoring case (official accounts;
    # matching.handle says how: platforms treat handles as case-insensitive)

    def picks_records(self) -> bool:
        """Filters on what only each stored record says (ids, threads, authors): no rollup answers them."""
        return bool(self.ids or self.threads or self.written_by)

    def __post_init__(self) -> None:
        if self.unique and self.authors:
            raise ValueError("count stories (unique) or authors, not both")


@dataclass(frozen=True)
class Fence:
    """A leader's fencing token (monitor/lease.py): a write carrying it is refused once another daemon
    has taken the lease, so a leader that paused and came back cannot send or open anything."""

    lease: str
    token: int


class FencedOff(Exception):
    """This daemon's lease was taken over: the write was refused and the daemon must stop leading."""


FACETS = ("platform", "source", "region", "category")


class StoreUnavailable(Exception):
    """The store cannot do this now (down, disk full, file damaged, indices missing): the one error both
    backends raise for "not your data's fault", so callers keep the work in the queue instead of losing it."""


@dataclass(frozen=True)
class UpsertResult:
    new: int
    updated: int
    # mentions the backend refused for their content (e.g. a mapping error), with the reason: retrying
    # would not help, so the caller sets them aside in the dead-letter file
    refused: tuple[tuple[Mention, str], ...] = field(default=(), compare=False)


def raising_unavailable(cls: type, is_outage: Callable[[Any, Exception], bool], skip: tuple[str, ...] = ()) -> type:
    """Wrap every public method of a store class (and its constructor) so the backend's own errors that
    mean "cannot now" (`is_outage(store, exc)`) surface as StoreUnavailable, with the backend's message."""
    def wrap(method):
        @functools.wraps(method)
        def guarded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except StoreUnavailable:
                raise
            except Exception as exc:
                if not is_outage(args[0], exc):
                    raise
                raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return guarded

    for name, value in list(vars(cls).items()):
        if callable(value) and name not in skip and (not name.startswith("_") or name == "__init__"):
            setattr(cls, name, wrap(value))
    return cls


class Store(ABC):
    """Mentions, incidents, their timeline and notification log, and small named state."""

    # mentions
    @abstractmethod
    def upsert(self, mentions: list[Mention]) -> UpsertResult:
        """Insert or update by mention id: a re-crawl never duplicates."""

    @abstractmethod
    def count(self, query: Query) -> int: ...

    def counts(self, queries: Sequence[Query]) -> list[int]:
        """count() of each query, in order. A report asks dozens at once: a backend that pays a round trip
        per request (Elasticsearch) sends them together."""
        return self.read_many([("count", (q,)) for q in queries])

    def read_many(self, reads: Sequence[tuple[str, tuple]]) -> list[Any]:
        """Several reads at once, each (method name, its arguments), in order: `count`, `top_terms` and
        `term_counts` go in one request where the backend can (a rule cycle asks them for every brand)."""
        return [getattr(self, name)(*args) for name, args in reads]

    @abstractmethod
    def histogram(self, query: Query, bucket: timedelta) -> list[tuple[datetime, int]]:
        """Counts per bucket (aligned to the Unix epoch) from query.start to query.end, empty buckets included."""

    @abstractmethod
    def find(self, query: Query, limit: int = 20, order: str = "recent") -> list[Mention]:
        """Mentions matching query, newest first ('recent') or most engaged first ('engagement')."""

    @abstractmethod
    def find_page(self, query: Query, size: int, after: Any = None,
                  fields: tuple[str, ...] | None = None) -> tuple[list, Any]:
        """Up to `size` matching mentions, oldest first (ties by id), following the mention the cursor
        `after` stands for; and the cursor of this page's last mention, None when the page was the last.
        A keyset (search_after) walk: each page costs the same however deep it is. With `fields`, tuples
        of those fields as find_fields gives them, instead of whole mentions."""

    def pages(self, query: Query, size: int, fields: tuple[str, ...] | None = None) -> Iterator[list]:
        """Every matching mention (or its `fields`), oldest first, `size` at a time: reads of any size in
        bounded memory."""
        after = None
        while True:
            found, after = self.find_page(query, size, after, fields)
            if found:
                yield found
            if after is None:
                return

    @abstractmethod
    def find_fields(self, query: Query, fields: tuple[str, ...], limit: int = 20) -> list[tuple]:
        """Like find (newest first), but only `fields` of each mention, as Mention.to_dict has them (dotted
        for nested ones: "author.followers"; None when absent): for reads of thousands of mentions, where
        decoding whole records would be most of the cost."""

    @abstractmethod
    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]:
        """Exact number of matching mentions per keyword (Mention.keywords), most first, ties by word."""

    @abstractmethod
    def term_counts(self, query: Query, terms: Iterable[str]) -> dict[str, int]:
        """Number of matching mentions whose keywords include each of `terms` (0 when none)."""

    @abstractmethod
    def facet_counts(self, query: Query, facet: str, limit: int = 10) -> list[tuple[str, int]]:
        """Exact number of matching mentions per value of `facet` (one of FACETS: platform, source,
        region = Mention.ip_location, category = each of Mention.categories), most first, ties by value."""

    @abstractmethod
    def sla_counts(self, query: Query, tiers: Sequence[SlaTier], now: datetime) -> list[tuple[int, int]]:
        """For each reply-SLA tier, in order: the matching mentions it applies to (the first tier whose
        platforms, content types and follower floor a mention meets; unknown followers count as 0), and how
        many of those were published at least the tier's `within` before `now` (due unless answered)."""

    @abstractmethod
    def top_authors(self, query: Query, limit: int = 10) -> list[tuple[str, int, int | None]]:
        """(author name, matching mentions, most followers seen) of the most followed named authors, then
        the most active, ties by name."""

    @abstractmethod
    def top_stories(self, query: Query, limit: int = 5) -> list[tuple[Mention, int]]:
        """The biggest stories (cluster_id, else the mention alone) among matching mentions, biggest first,
        then by their most engaged mention: that mention (the newest on ties) and the story's size."""

    # incidents
    @abstractmethod
    def save_incident(self, incident: Incident, fence: Fence | None = None) -> None:
        """Insert or replace; with `fence`, raises FencedOff unless that token still holds its lease."""

    @abstractmethod
    def get_incident(self, incident_id: str) -> Incident | None: ...

    @abstractmethod
    def incidents(self, states: tuple[str, ...] = (), limit: int = 100) -> list[Incident]:
        """Newest first."""

    @abstractmethod
    def add_event(self, event: Event) -> None: ...

    @abstractmethod
    def events(self, incident_id: str) -> list[Event]: ...

    @abstractmethod
    def claim_delivery(self, incident_id: str, step: str, channel: str, at: datetime, fence: Fence | None = None) -> bool:
        """Record a delivery as pending; False when that (incident, step, channel) was already claimed.
        With `fence`, raises FencedOff unless that token still holds its lease."""

    @abstractmethod
    def finish_delivery(self, incident_id: str, step: str, channel: str, status: str,
                        at: datetime, attempts: int, error: str | None = None) -> None: ...

    @abstractmethod
    def deliveries(self, incident_id: str | None = None) -> list[Delivery]: ...

    # named state (rule baselines, spider cursors)
    @abstractmethod
    def get_state(self, key: str) -> Any | None: ...

    @abstractmethod
    def put_state(self, key: str, value: Any) -> None: ...

    def get_states(self, keys: list[str]) -> dict[str, Any]:
        """Several keys at once (the reply queue reads one per mention); missing keys are left out."""
        out = {}
        for key in keys:
            value = self.get_state(key)
            if value is not None:
                out[key] = value
        return out

    @abstractmethod
    def states(self, prefix: str, limit: int = 1000) -> dict[str, Any]:
        """Every key starting with `prefix` and its value (e.g. each daemon's status)."""

    # one alerting leader among several daemons
    @abstractmethod
    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None:
        """Acquire or renew the lease `name` for `holder` until now + ttl. Returns its fencing token when
        `holder` holds it (the token grows each time the lease changes hands), None while another
        holder's lease runs. Atomic: of two callers racing for a free lease, one wins."""

    @abstractmethod
    def ping(self) -> bool: ...

    def prune(self, now: datetime) -> dict[str, int]:
        """Delete what the configured retention no longer keeps; what was deleted, by kind."""
        return {}

    def ensure_setup(self) -> str:
        """Create what the backend needs, idempotently, before a daemon starts; raises when its data
        must be migrated first. The embedded store sets itself up when opened."""
        return "ok"

    def close(self) -> None:
        """Release connections."""
