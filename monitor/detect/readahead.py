"""Read-ahead for rule cycles: each cycle asks the store the same questions as the one before, a cycle
later (every window ends at `now`).

A cycle records the counts, top words, term counts and named states its rules read; the next one asks
all of them at once, every window shifted by the time between the two cycles (Store.read_many and
Store.get_states: one _msearch and one _mget on Elasticsearch, instead of a round trip per rule, brand
and window), and the rules' reads are answered from those answers. What was not foreseen (the first
cycle, a new rule, an hour-aligned window, new candidate words) goes to the store as before and is
foreseen next time. Writes go to the store at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from monitor.store.base import Query, Store

MAX_FORESEEN = 20_000  # reads or keys carried from one cycle to the next (a runaway rule cannot grow it)
Read = tuple[str, tuple]  # a store method's name and its arguments, the first a Query


class CycleReads:
    """The store as one cycle's rules see it: foreseen reads and states answered from memory."""

    def __init__(self, store: Store, answers: dict[Read, Any], states: dict[str, Any], fetched: set[str]) -> None:
        self.store = store
        self._answers = answers
        self._states = states
        self._fetched = fetched  # keys asked ahead, found or not
        self.asked: dict[Read, None] = {}
        self.asked_keys: dict[str, None] = {}

    def _read(self, read: Read) -> Any:
        self.asked[read] = None
        if read in self._answers:
            return self._answers[read]
        return getattr(self.store, read[0])(*read[1])

    def count(self, query: Query) -> int:
        return self._read(("count", (query,)))

    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]:
        return self._read(("top_terms", (query, limit)))

    def term_counts(self, query: Query, terms: Iterable[str]) -> dict[str, int]:
        return self._read(("term_counts", (query, tuple(dict.fromkeys(terms)))))

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
    """What the last cycle read, and when; one per evaluating daemon (cycles run one at a time)."""

    def __init__(self) -> None:
        self._reads: list[Read] = []
        self._keys: list[str] = []
        self._at: datetime | None = None

    def begin(self, store: Store, now: datetime) -> CycleReads:
        """Ask now what the last cycle read, shifted to this cycle's time."""
        shift = now - self._at if self._at is not None else None
        reads = list(dict.fromkeys(_shifted(r, shift) for r in self._reads)) if shift is not None else []
        answers = dict(zip(reads, store.read_many(reads))) if reads else {}
        states = store.get_states(self._keys) if self._keys else {}
        return CycleReads(store, answers, states, set(self._keys))

    def end(self, reads: CycleReads, now: datetime) -> None:
        self._reads = list(reads.asked)[:MAX_FORESEEN]
        self._keys = list(reads.asked_keys)[:MAX_FORESEEN]
        self._at = now


def _shifted(read: Read, shift: timedelta) -> Read:
    name, (query, *rest) = read
    if shift:
        query = replace(query, start=query.start and query.start + shift, end=query.end and query.end + shift)
    return name, (query, *rest)
