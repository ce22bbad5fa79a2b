"""Influencer: a matching (by default negative) mention from an author with a big audience, or one with reach."""

from __future__ import annotations

from dataclasses import replace

from monitor.config.rules import InfluencerRule
from monitor.detect.finding import Finding, RuleContext, make_finding, minutes, scopes
from monitor.store.base import Query


def _bars(rule: InfluencerRule, window: Query) -> list[Query]:
    """Followers or engagement: either bar is enough, so each is its own query."""
    bars = []
    if rule.min_followers is not None:
        bars.append(replace(window, min_followers=rule.min_followers))
    if rule.min_engagement is not None:
        bars.append(replace(window, min_engagement=rule.min_engagement))
    return bars


def evaluate(rule: InfluencerRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in scopes(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        found = {m.id: m for bar in _bars(rule, window) for m in ctx.store.find(bar, limit=20, order="engagement")}
        if not found:
            continue
        top = max(found.values(), key=lambda m: m.author.followers or 0)
        who = top.author.name or "匿名作者"
        followers = top.author.followers or 0
        figures = {"count": len(found), "window_minutes": minutes(rule.window), "followers": followers,
                   "author": who}
        title = f"{scope.label} 大V发声：{who}（粉丝 {followers}）等 {len(found)} 条"
        finding = make_finding(rule, scope, ctx, window, title, figures)
        finding.examples = sorted(found.values(), key=lambda m: m.author.followers or 0, reverse=True)[:rule.examples]
        findings.append(finding)
    return findings
