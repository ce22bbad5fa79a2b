"""Backtest: replay stored mentions through the rules and the policy with a moving clock, sending nothing.

Incidents, timelines and baselines go to a throwaway store, so a backtest never touches the live ones.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.alerting.message import Shape
from monitor.alerting.notify import Message, Notifier, Outcome, Target
from monitor.alerting.policy import IncidentManager
from monitor.clock import FakeClock
from monitor.config import Settings
from monitor.config.model import SlaTier
from monitor.detect.engine import evaluate_rules
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention
from monitor.store.base import Fence, Query, Store, UpsertResult
from monitor.store.sqlite import SqliteStore


class ReplayStore(Store):
    """Mentions from the real store; everything the rules and the policy write, into a scratch store."""

    def __init__(self, mentions: Store, scratch: Store) -> None:
        self._mentions = mentions
        self._scratch = scratch

    def upsert(self, mentions: list[Mention]) -> UpsertResult:
        raise PermissionError("a backtest only reads mentions")

    def count(self, query: Query) -> int:
        return self._mentions.count(query)

    def histogram(self, query: Query, bucket: timedelta) -> list[tuple[datetime, int]]:
        return self._mentions.histogram(query, bucket)

    def find(self, query: Query, limit: int = 20, order: str = "recent") -> list[Mention]:
        return self._mentions.find(query, limit, order)

    def find_page(self, query: Query, size: int, after: Any = None,
                  fields: tuple[str, ...] | None = None) -> tuple[list, Any]:
        return self._mentions.find_page(query, size, after, fields)

    def find_fields(self, query: Query, fields: tuple[str, ...], limit: int = 20) -> list[tuple]:
        return self._mentions.find_fields(query, fields, limit)

    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]:
        return self._mentions.top_terms(query, limit)

    def term_counts(self, query: Query, terms) -> dict[str, int]:
        return self._mentions.term_counts(query, terms)

    def facet_counts(self, query: Query, facet: str, limit: int = 10) -> list[tuple[str, int]]:
        return self._mentions.facet_counts(query, facet, limit)

    def top_authors(self, query: Query, limit: int = 10) -> list[tuple[str, int, int | None]]:
        return self._mentions.top_authors(query, limit)

    def top_stories(self, query: Query, limit: int = 5) -> list[tuple[Mention, int]]:
        return self._mentions.top_stories(query, limit)

    def sla_counts(self, query: Query, tiers: tuple[SlaTier, ...], now: datetime) -> list[tuple[int, int]]:
        return self._mentions.sla_counts(query, tiers, now)

    def save_incident(self, incident: Incident, fence: Fence | None = None) -> None:
        self._scratch.save_incident(incident, fence)

    def get_incident(self, incident_id: str) -> Incident | None:
        return self._scratch.get_incident(incident_id)

    def incidents(self, states: tuple[str, ...] = (), limit: int = 100) -> list[Incident]:
        return self._scratch.incidents(states, limit)

    def add_event(self, event: Event) -> None:
        self._scratch.add_event(event)

    def events(self, incident_id: str) -> list[Event]:
        return self._scratch.events(incident_id)

    def claim_delivery(self, incident_id: str, step: str, channel: str, at: datetime, fence: Fence | None = None) -> bool:
        return self._scratch.claim_delivery(incident_id, step, channel, at, fence)

    def finish_delivery(self, incident_id: str, step: str, channel: str, status: str,
                        at: datetime, attempts: int, error: str | None = None) -> None:
        self._scratch.finish_delivery(incident_id, step, channel, status, at, attempts, error)

    def deliveries(self, incident_id: str | None = None) -> list[Delivery]:
        return self._scratch.deliveries(incident_id)

    def get_state(self, key: str) -> Any | None:
        return self._scratch.get_state(key)

    def put_state(self, key: str, value: Any) -> None:
        self._scratch.put_state(key, value)

    def states(self, prefix: str, limit: int = 1000) -> dict[str, Any]:
        return self._scratch.states(prefix, limit)

    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None:
        return self._scratch.take_lease(name, holder, ttl, now)

    def ping(self) -> bool:
        return self._mentions.ping() and self._scratch.ping()


class DryRunNotifier(Notifier):
    """Every delivery succeeds without leaving the process."""

    def shape(self, target: Target) -> Shape:
        return Shape()

    def send(self, target: Target, message: Message) -> Outcome:
        return Outcome(True, 1)


@dataclass(frozen=True)
class Replay:
    """What the replay opened, oldest first, and every delivery the phones would have received."""

    incidents: list[Incident]
    deliveries: list[Delivery]


def backtest(settings: Settings, store: Store, start: datetime, end: datetime, step: timedelta,
             progress=lambda done: None) -> Replay:
    """Detection and the notification policy (grouping, inhibition, quiet hours, escalation, re-notification)
    every `step` from start to end, with the clock at each moment; nothing leaves the process."""
    if end <= start:
        raise ValueError("the backtest must end after it starts")
    if step <= timedelta(0):
        raise ValueError("the step must be positive")
    with tempfile.TemporaryDirectory(prefix="brandmon-backtest-") as folder:
        scratch = SqliteStore(Path(folder) / "backtest.db")
        try:
            replay = ReplayStore(store, scratch)
            clock = FakeClock(start)
            manager = IncidentManager(settings, replay, DryRunNotifier(settings.config), clock)
            while clock.now() <= end:
                manager.handle(evaluate_rules(settings, replay, clock.now()))
                manager.tick()
                clock.advance(step)
                progress(step)
            return Replay(sorted(scratch.incidents(limit=1_000_000), key=lambda i: i.opened_at),
                          scratch.deliveries())
        finally:
            scratch.close()
