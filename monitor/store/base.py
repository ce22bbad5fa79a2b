"""The store interface: what every backend (embedded SQLite, Elasticsearch) must do."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention


@dataclass(frozen=True)
class Query:
    """Which mentions to count or fetch; empty fields match everything. Times are [start, end)."""

    brand: str | None = None
    sentiments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # complaint categories: any of them
    crisis: bool = False
    text: str | None = None
    min_followers: int | None = None  # author.followers at least this
    min_engagement: int | None = None  # likes + comments + reposts at least this
    start: datetime | None = None
    end: datetime | None = None
    unique: bool = False  # count and histogram count stories (distinct cluster_id), not mentions


@dataclass(frozen=True)
class UpsertResult:
    new: int
    updated: int
    spooled: int = 0  # kept on disk while the backend is unreachable, stored when it returns


class Store(ABC):
    """Mentions, incidents, their timeline and notification log, and small named state."""

    # mentions
    @abstractmethod
    def upsert(self, mentions: list[Mention]) -> UpsertResult:
        """Insert or update by mention id: a re-crawl never duplicates."""

    @abstractmethod
    def count(self, query: Query) -> int: ...

    @abstractmethod
    def histogram(self, query: Query, bucket: timedelta) -> list[tuple[datetime, int]]:
        """Counts per bucket (aligned to the Unix epoch) from query.start to query.end, empty buckets included."""

    @abstractmethod
    def find(self, query: Query, limit: int = 20, order: str = "recent") -> list[Mention]:
        """Mentions matching query, newest first ('recent') or most engaged first ('engagement')."""

    @abstractmethod
    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]: ...

    # incidents
    @abstractmethod
    def save_incident(self, incident: Incident) -> None: ...

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
    def claim_delivery(self, incident_id: str, step: str, channel: str, at: datetime) -> bool:
        """Record a delivery as pending; False when that (incident, step, channel) was already claimed."""

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

    @abstractmethod
    def ping(self) -> bool: ...

    def ensure_setup(self) -> str:
        """Create what the backend needs, idempotently, before a daemon starts; raises when its data
        must be migrated first. The embedded store sets itself up when opened."""
        return "ok"

    def close(self) -> None:
        """Release connections."""
