"""Read-ahead for rule cycles: each cycle asks the store the same counts and named states as the one
before, a cycle later (every window ends at `now`).

A cycle records what its rules asked; the next one asks all of it at once, every window shifted by
the time between the two cycles (Store.counts and Store.get_states: one _msearch and one _mget on
Elasticsearch, instead of a round trip per rule, brand and window), and the rules' reads are answered
from those answers. What was not foreseen (the first cycle, a new rule, an hour-aligned window) goes
to the store as before and is foreseen next time. Writes go to the store at once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from monitor.store.base import Query, Store

MAX_FORESEEN = 20_000  # counts or keys carried from one cycle to the next (a runaway rule cannot grow it)


class CycleReads:
    """The store as one cycle's rules see it: foreseen counts and states answered from memory."""

    def __init__(self, store: Store, counts: dict[Query, int], states: dict[str, Any], fetched: set[str]) -> None:
        self.store = store
        self._counts = counts
        self._states = states
        self._fetched = fetched  # keys asked ahead, found or not
        self.asked_counts: dict[Query, None] = {}
        self.asked_keys: dict[str, None] = {}

    def count(self, query: Query) -> int:
        self.asked_counts[query] = None
        if query in self._counts:
            return self._counts[query]
        return self.store.count(query)

    def get_state(self, key: str) -> Any | None:
        self.asked_keys[key] = None
        if key in self._fetched:
            return self._states.get(key)
        return self.store.get_state(key)

    def put_state(self, key: str, value: Any) -> None:
        self.store.put_state(key, value)
        self._fetched.add(key)
        self._states[key] = value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


class ReadAhead:
    """What the last cycle asked, and when; one per evaluating daemon (cycles run one at a time)."""

    def __init__(self) -> None:
        self._counts: list[Query] = []
        self._keys: list[str] = []
        self._at: datetime | None = None

    def begin(self, store: Store, now: datetime) -> CycleReads:
        """Ask now what the last cycle asked, shifted to this cycle's time."""
        shift = now - self._at if self._at is not None else None
        queries = list(dict.fromkeys(_shifted(q, shift) for q in self._counts)) if shift is not None else []
        counts = dict(zip(queries, store.counts(queries))) if queries else {}
        states = store.get_states(self._keys) if self._keys else {}
        return CycleReads(store, counts, states, set(self._keys))

    def end(self, reads: CycleReads, now: datetime) -> None:
        self._counts = list(reads.asked_counts)[:MAX_FORESEEN]
        self._keys = list(reads.asked_keys)[:MAX_FORESEEN]
        self._at = now


def _shifted(query: Query, shift: timedelta) -> Query:
    if not shift:
        return query
    return replace(query, start=query.start and query.start + shift, end=query.end and query.end + shift)
