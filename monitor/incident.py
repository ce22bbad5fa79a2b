"""Incidents and their history: plain records the store persists and the alerting stage reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from monitor.clock import utc

OPEN, ACKED, RESOLVED = "open", "acked", "resolved"


def _iso(dt: datetime | None) -> str | None:
    return utc(dt).isoformat() if dt else None


def _parse(value: Any) -> datetime | None:
    if value is None:
        return None
    return utc(value if isinstance(value, datetime) else datetime.fromisoformat(value))


@dataclass
class Incident:
    """One crisis per fingerprint (rule + brand + group), from opening to resolution."""

    id: str
    fingerprint: str
    rule: str
    brand: str
    severity: str
    title: str
    playbook: dict[str, Any]
    opened_at: datetime
    last_seen_at: datetime
    state: str = OPEN
    acked_at: datetime | None = None
    acked_by: str | None = None
    resolved_at: datetime | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    group: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    escalate_from: datetime | None = None  # the playbook clock starts here: opening, or when a mute first lifted
    muted: str | None = None  # why notifications wait (silence, inhibition, quiet hours), or None
    wave: dict[str, Any] = field(default_factory=dict)  # re-notification: {"n", "at", "counts": {rule: count}}
    assignee: str | None = None  # who owns it; set by `brandmon assign` or the incident page

    _TIMES = ("opened_at", "last_seen_at", "acked_at", "resolved_at", "window_start", "window_end", "escalate_from")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in self._TIMES:
            d[key] = _iso(d[key])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Incident":
        d = dict(d)
        for key in cls._TIMES:
            d[key] = _parse(d.get(key))
        return cls(**d)


@dataclass
class Event:
    """One line of an incident's timeline: opened, updated, notified, escalated, acked, resolved…"""

    incident_id: str
    at: datetime
    kind: str
    detail: str = ""
    actor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Event":
        return cls(**{**d, "at": _parse(d["at"])})


@dataclass
class Delivery:
    """The notification log: one row per incident, step and channel, so nothing is sent twice."""

    incident_id: str
    step: str
    channel: str
    status: str
    at: datetime
    attempts: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Delivery":
        return cls(**{**d, "at": _parse(d["at"])})
