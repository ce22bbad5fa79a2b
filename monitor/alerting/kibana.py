"""A Kibana Discover link filtered on an incident's brand, group and window, for one click from the alert."""

from __future__ import annotations

from urllib.parse import quote

from monitor.clock import utc
from monitor.incident import Incident


def _rison(text: str) -> str:
    """A Rison string literal: single quotes, with ' and ! escaped by !."""
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"


def _kql_value(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def discover_url(base: str, incident: Incident) -> str:
    """Fields are those of the mention record (brands, source, platform) as the store indexes them."""
    clauses = []
    if incident.brand:
        clauses.append(f"brands:{_kql_value(incident.brand)}")
    if incident.group:
        clauses.append(f"(source:{_kql_value(incident.group)} or platform:{_kql_value(incident.group)})")
    start = utc(incident.window_start).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = utc(incident.window_end).strftime("%Y-%m-%dT%H:%M:%SZ")
    g = f"(time:(from:{_rison(start)},to:{_rison(end)}))"
    a = f"(query:(language:kuery,query:{_rison(' and '.join(clauses))}))"
    return f"{base.rstrip('/')}/app/discover#/?_g={quote(g, safe='():,')}&_a={quote(a, safe='():,')}"
