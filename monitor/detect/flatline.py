"""Flatline: a source (or brand) that used to be heard goes silent, which usually means a blocked crawler.

For a source, silence is a crawl-health fact (monitor/crawl/health.py), not a count of brand-matched
mentions: a source the site has blocked, or whose crawls keep failing, for `window`; or one whose crawls
succeed but have found nothing new for `window` while its own rhythm (the source's mentions per hour of
the week, learnt like a spike baseline, with its over-dispersion) makes such a silence less likely than
`p_value`. A forum's posts come in clumps (a thread's replies, an evening's rush), so three empty hours
are far likelier than a Poisson source at the same mean would have them. A source never crawled, or
crawled for less than `warmup`, is not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

from monitor.config.rules import FlatlineRule, SpikeRule
from monitor.crawl.health import load_health
from monitor.detect.finding import Finding, RuleContext, Scope, base_query, make_finding, minutes, scopes
from monitor.detect.seasonal import MIN_DISPERSION
from monitor.detect.spike import learnt_baseline, test_of


def _sources(rule: FlatlineRule, ctx: RuleContext) -> Iterator[Scope]:
    query = base_query(rule, None)
    for source in ctx.config.sources:
        if not query.sources or source.name in query.sources:
            yield Scope("", source.name, replace(query, sources=(source.name,)))


def _rhythm(rule: FlatlineRule) -> SpikeRule:
    """The source's hourly rhythm is learnt with the spike rule's model, under this rule's name."""
    return SpikeRule.model_validate({"name": rule.name, "type": "spike", "warmup": rule.warmup,
                                     "history": max(rule.warmup * 2, timedelta(weeks=2))})


def evaluate(rule: FlatlineRule, ctx: RuleContext) -> list[Finding]:
    if rule.of == "brand":
        return _brands(rule, ctx)
    findings = []
    model = _rhythm(rule)
    model = model.model_copy(update={"type": "flatline"})
    for scope in _sources(rule, ctx):
        health = load_health(ctx.store, scope.group)
        if health.crawls == 0 or health.last_crawl is None:
            continue
        baseline = learnt_baseline(model, scope, ctx, test_of(model))
        if not baseline.trusted(ctx.now.timestamp(), rule.warmup):
            continue
        span = minutes(rule.window)
        if health.blocked:
            if not health.blocked_since or ctx.now - health.blocked_since < rule.window:
                continue
            silent = minutes(ctx.now - health.blocked_since)
            title = f"来源 {scope.group} 采集被封：{silent} 分钟（{health.blocked}），期间的帖子会在恢复后补采"
            figures = {"window_minutes": span, "silent_minutes": silent, "reason": "blocked", "blocked": health.blocked}
        elif health.last_success is None or ctx.now - health.last_success >= rule.window:
            since = health.last_success or health.last_crawl
            silent = minutes(ctx.now - since)
            title = f"来源 {scope.group} 采集失败：{silent} 分钟没有成功抓取（错误率 {health.error_rate:.0%}）"
            figures = {"window_minutes": span, "silent_minutes": silent, "reason": "failing",
                       "error_rate": round(health.error_rate, 3)}
        else:
            since = health.last_new or health.last_crawl
            if ctx.now - since < rule.window:
                continue
            expected = baseline.expected_between(since.timestamp(), ctx.now.timestamp())
            chance = silence_chance(expected, baseline.dispersion)
            if chance > rule.p_value:
                continue
            silent = minutes(ctx.now - since)
            title = f"来源 {scope.group} 沉默：{silent} 分钟没有新内容（平时应有约 {expected:.0f} 条），页面结构可能已变"
            figures = {"window_minutes": span, "silent_minutes": silent, "reason": "nothing_new",
                       "baseline": round(expected, 2), "p_value": float(f"{chance:.2g}")}
        findings.append(make_finding(rule, scope, ctx, scope.window(ctx.now - rule.window, ctx.now), title, figures))
    return findings


def silence_chance(expected: float, dispersion: float) -> float:
    """P(nothing new) for a source at its usual rate: a negative binomial of variance μ + dispersion · μ²
    (Poisson when it has none)."""
    if dispersion <= MIN_DISPERSION:
        return math.exp(-expected)
    return (1 + dispersion * expected) ** (-1 / dispersion)


def _brands(rule: FlatlineRule, ctx: RuleContext) -> list[Finding]:
    """A brand nobody mentions any more: counts its mentions against the period before."""
    findings = []
    for scope in scopes(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        count = ctx.store.count(window)
        if count > rule.max_count:
            continue
        before = ctx.store.count(scope.window(ctx.now - rule.baseline, ctx.now - rule.window))
        if before < rule.min_baseline:
            continue
        expected = before * (rule.window / (rule.baseline - rule.window))
        span = minutes(rule.window)
        figures = {"count": count, "baseline": round(expected, 2), "window_minutes": span}
        title = f"{scope.label} 沉默：{span} 分钟仅 {count} 条（此前平均 {expected:.1f} 条）"
        findings.append(make_finding(rule, scope, ctx, scope.window(ctx.now - rule.baseline, ctx.now), title, figures))
    return findings
