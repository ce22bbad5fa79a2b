"""A finding: one rule firing for one brand (and group) at one moment, with the evidence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from monitor.config.model import Config
from monitor.config.rules import Grouped, RuleBase
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
    window_end: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return f"{self.rule}|{self.brand}|{self.group or ''}"


@dataclass(frozen=True)
class RuleContext:
    """What an evaluator may use: the store, the moment, and the configured brands and sources."""

    store: Store
    now: datetime
    config: Config

    def brands(self, rule: RuleBase) -> list[str]:
        return [b.name for b in self.config.brands] if rule.brands == "all" else list(rule.brands)


@dataclass(frozen=True)
class Scope:
    """One fingerprint's slice of the mentions: a brand, and a source or platform when the rule groups."""

    brand: str
    group: str | None
    query: Query

    def window(self, start: datetime, end: datetime) -> Query:
        return replace(self.query, start=start, end=end)

    @property
    def label(self) -> str:
        return f"{self.brand}（{self.group}）" if self.group else self.brand


def base_query(rule: RuleBase, brand: str | None) -> Query:
    """The rule's filter for one brand, without a time range. Mentions whose time is unknown are left
    out: they sit at the crawl that found them, so a backlog of them would look like a surge now."""
    f = rule.filter
    return Query(brand=brand, sentiments=f.sentiment, sources=f.sources, platforms=f.platforms, keywords=f.keywords,
                 categories=f.category, known_time=True)


def scopes(rule: RuleBase, ctx: RuleContext) -> Iterator[Scope]:
    """Every (brand, group) the rule watches; a group narrows the query to one source or platform."""
    group_by = rule.group_by if isinstance(rule, Grouped) else None
    for brand in ctx.brands(rule):
        query = base_query(rule, brand)
        if group_by is None:
            yield Scope(brand, None, query)
            continue
        if group_by == "source":
            groups = [s.name for s in ctx.config.sources if not query.sources or s.name in query.sources]
        else:
            groups = sorted({s.platform_name for s in ctx.config.sources})
            groups = [p for p in groups if not query.platforms or p in query.platforms]
        for group in groups:
            narrowed = replace(query, sources=(group,)) if group_by == "source" else replace(query, platforms=(group,))
            yield Scope(brand, group, narrowed)


def make_finding(rule: RuleBase, scope: Scope, ctx: RuleContext, window: Query, title: str,
                 figures: dict[str, Any]) -> Finding:
    """Attach the evidence a PR person needs: top words and the most engaged examples, with their links."""
    return Finding(
        rule=rule.name, rule_type=rule.type, brand=scope.brand, severity=rule.severity,
        playbook=rule.playbook_name, at=ctx.now, title=title, figures=figures, group=scope.group,
        keywords=[t for t, _ in ctx.store.top_terms(window, 8)],
        examples=ctx.store.find(window, limit=rule.examples, order="engagement") if rule.examples else [],
        window_start=window.start, window_end=window.end,
    )


def minutes(delta) -> int:
    return int(delta.total_seconds() // 60)
