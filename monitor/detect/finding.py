"""A finding: one rule firing for one brand at one moment, with the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.config.rules import RuleBase
from monitor.mention import Mention
from monitor.store.base import Query, Store


@dataclass
class Finding:
    rule: str
    rule_type: str
    brand: str
    severity: str
    playbook: str
    at: datetime
    title: str
    figures: dict[str, Any]
    group: str | None = None
    keywords: list[str] = field(default_factory=list)
    examples: list[Mention] = field(default_factory=list)
    window_start: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return f"{self.rule}|{self.brand}|{self.group or ''}"


def base_query(rule: RuleBase, brand: str, start: datetime, end: datetime) -> Query:
    """The rule's filter, for one brand and one time range."""
    f = rule.filter
    return Query(brand=brand, sentiments=f.sentiment, sources=f.sources, platforms=f.platforms,
                 keywords=f.keywords, start=start, end=end)


def make_finding(rule: RuleBase, brand: str, store: Store, query: Query, title: str,
                 figures: dict[str, Any], at: datetime) -> Finding:
    """Attach the evidence a PR person needs: top words and the most engaged examples."""
    return Finding(
        rule=rule.name, rule_type=rule.type, brand=brand, severity=rule.severity,
        playbook=rule.playbook_name, at=at, title=title, figures=figures,
        keywords=[t for t, _ in store.top_terms(query, 8)],
        examples=store.find(query, limit=rule.examples, order="engagement"),
        window_start=query.start,
    )
