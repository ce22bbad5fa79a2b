"""Why an incident's notifications wait: silences, inhibition by a graver incident, quiet hours.

Each is a Muter: given an incident, the other live incidents and the time, it answers with a reason
(the sentence that goes on the timeline) or None. The policy asks them in order; the first reason wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from monitor.alerting.quiet import quiet_interval
from monitor.alerting.silences import Silence
from monitor.config.model import AlertingConfig
from monitor.config.rules import SEVERITY_RANK
from monitor.incident import Incident


class Muter(Protocol):
    def reason(self, incident: Incident, live: list[Incident], now: datetime) -> str | None: ...


class Watched:
    """A competitor watched with `alerts: false`: its incidents are noted on the timeline, never sent."""

    def __init__(self, brands) -> None:
        self.quiet = {b.name for b in brands if not b.alerts}

    def reason(self, incident: Incident, live: list[Incident], now: datetime) -> str | None:
        return "竞品，仅记录（alerts: false）" if incident.brand in self.quiet else None


class Silenced:
    def __init__(self, silences: list[Silence]) -> None:
        self.silences = silences

    def reason(self, incident: Incident, live: list[Incident], now: datetime) -> str | None:
        silence = next((s for s in self.silences if s.active(now) and s.matches(incident)), None)
        return f"静默 {silence.id}（{silence.matchers}）" if silence else None


class Inhibited:
    """An open incident of `inhibit_from` severity or graver mutes less grave ones of its brand."""

    def __init__(self, alerting: AlertingConfig) -> None:
        self.floor = SEVERITY_RANK[alerting.inhibit_from] if alerting.inhibit_from else None

    def reason(self, incident: Incident, live: list[Incident], now: datetime) -> str | None:
        if self.floor is None or not incident.brand:
            return None
        rank = SEVERITY_RANK[incident.severity]
        graver = next((o for o in live if o.brand == incident.brand and o.id != incident.id
                       and SEVERITY_RANK[o.severity] >= self.floor and SEVERITY_RANK[o.severity] > rank), None)
        return f"被 {graver.id}（{graver.severity}）抑制" if graver else None


class QuietHours:
    """Incidents below `quiet_hours_override` wait out the configured quiet intervals."""

    def __init__(self, alerting: AlertingConfig, zone: ZoneInfo) -> None:
        self.alerting = alerting
        self.zone = zone

    def reason(self, incident: Incident, live: list[Incident], now: datetime) -> str | None:
        if SEVERITY_RANK[incident.severity] >= SEVERITY_RANK[self.alerting.quiet_hours_override]:
            return None
        name = quiet_interval(self.alerting, self.zone, now)
        return f"免打扰时段 {name}" if name else None


def mute_reason(muters: list[Muter], incident: Incident, live: list[Incident], now: datetime) -> str | None:
    return next((r for m in muters if (r := m.reason(incident, live, now)) is not None), None)
