"""Keyword: mentions carrying crisis terms (召回, 爆炸, 维权…) or the rule's own keywords."""

from __future__ import annotations

from dataclasses import replace

from monitor.config.rules import KeywordRule
from monitor.detect.finding import Finding, RuleContext, make_finding, minutes, scopes


def evaluate(rule: KeywordRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in scopes(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        window = replace(window, keywords=rule.keywords) if rule.keywords else replace(window, crisis=True)
        count = ctx.store.count(window)
        if count < rule.min_count:
            continue
        seen = ctx.store.find(window, limit=50)
        terms = sorted({t for m in seen for t in (m.crisis_terms or [])} | set(rule.keywords))
        span = minutes(rule.window)
        figures = {"count": count, "window_minutes": span, "terms": terms}
        title = f"{scope.label} 出现危机词：{'、'.join(terms[:5]) or '关键词'}（{span} 分钟 {count} 条）"
        findings.append(make_finding(rule, scope, ctx, window, title, figures))
    return findings
