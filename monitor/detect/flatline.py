"""Flatline: a source (or brand) that used to be heard goes silent, which usually means a blocked crawler."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from monitor.config.rules import FlatlineRule
from monitor.detect.finding import Finding, RuleContext, Scope, base_query, make_finding, minutes, scopes


def _watched(rule: FlatlineRule, ctx: RuleContext) -> Iterator[Scope]:
    if rule.of == "brand":
        yield from scopes(rule, ctx)
        return
    query = base_query(rule, None)
    for source in ctx.config.sources:
        if not query.sources or source.name in query.sources:
            yield Scope("", source.name, replace(query, sources=(source.name,)))


def evaluate(rule: FlatlineRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in _watched(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        count = ctx.store.count(window)
        if count > rule.max_count:
            continue
        before = ctx.store.count(scope.window(ctx.now - rule.baseline, ctx.now - rule.window))
        if before < rule.min_baseline:
            continue
        expected = before * (rule.window / (rule.baseline - rule.window))
        span = minutes(rule.window)
        what = f"来源 {scope.group}" if rule.of == "source" else scope.label
        figures = {"count": count, "baseline": round(expected, 2), "window_minutes": span}
        title = f"{what} 沉默：{span} 分钟仅 {count} 条（此前平均 {expected:.1f} 条），采集可能被封"
        findings.append(make_finding(rule, scope, ctx, scope.window(ctx.now - rule.baseline, ctx.now), title, figures))
    return findings
