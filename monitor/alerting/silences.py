"""Silences: mute notifications for matching incidents until an expiry, kept in the store's named state."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import Clock
from monitor.incident import Incident, _iso, _parse
from monitor.store.base import Store

STATE_KEY = "alerting:silences"


@dataclass
class Silence:
    """Matches an incident when every matcher it sets (brand, rule) equals the incident's."""

    id: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str = ""
    brand: str | None = None
    rule: str | None = None
    expired_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at and self.expired_at is None

    def matches(self, incident: Incident) -> bool:
        return (self.brand is None or self.brand == incident.brand) and (self.rule is None or self.rule == incident.rule)

    @property
    def matchers(self) -> str:
        parts = [f"brand={self.brand}" if self.brand else "", f"rule={self.rule}" if self.rule else ""]
        return " ".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "starts_at": _iso(self.starts_at), "ends_at": _iso(self.ends_at),
                "expired_at": _iso(self.expired_at)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Silence":
        return cls(**{**d, "starts_at": _parse(d["starts_at"]), "ends_at": _parse(d["ends_at"]),
                      "expired_at": _parse(d.get("expired_at"))})


class Silences:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def all(self) -> list[Silence]:
        return [Silence.from_dict(d) for d in self._store.get_state(STATE_KEY) or []]

    def _save(self, silences: list[Silence]) -> None:
        self._store.put_state(STATE_KEY, [s.to_dict() for s in silences])

    def add(self, duration: timedelta, created_by: str, brand: str | None = None, rule: str | None = None,
            comment: str = "") -> Silence:
        if brand is None and rule is None:
            raise ValueError("a silence needs a brand, a rule or both")
        if duration <= timedelta(0):
            raise ValueError("a silence must last a positive duration")
        now = self._clock.now()
        digest = hashlib.sha1(f"{brand}|{rule}|{now.isoformat()}".encode()).hexdigest()[:6]
        silence = Silence(f"S-{digest}", now, now + duration, created_by, comment, brand, rule)
        self._save([*self.all(), silence])
        return silence

    def expire(self, silence_id: str) -> Silence:
        silences = self.all()
        for silence in silences:
            if silence.id == silence_id:
                silence.expired_at = silence.expired_at or self._clock.now()
                self._save(silences)
                return silence
        raise KeyError(silence_id)

    def matching(self, incident: Incident) -> Silence | None:
        now = self._clock.now()
        return next((s for s in self.all() if s.active(now) and s.matches(incident)), None)
