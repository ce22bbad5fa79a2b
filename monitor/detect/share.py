"""Sentiment share: too large a share of a brand's mentions carry one sentiment (negative by default)."""

from __future__ import annotations

from dataclasses import replace

from monitor.config.rules import SentimentShareRule
from monitor.detect.finding import Finding, RuleContext, make_finding, minutes, scopes

SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def evaluate(rule: SentimentShareRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in scopes(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        volume = ctx.store.count(window)
        if volume < rule.min_volume:
            continue
        matching = replace(window, sentiments=(rule.sentiment,))
        count = ctx.store.count(matching)
        share = count / volume
        if share < rule.share:
            continue
        span = minutes(rule.window)
        figures = {"count": count, "volume": volume, "share": round(share, 3), "threshold": rule.share,
                   "window_minutes": span}
        title = f"{scope.label} {SENTIMENT_ZH[rule.sentiment]}占比 {share:.0%}（{span} 分钟 {count}/{volume} 条）"
        findings.append(make_finding(rule, scope, ctx, matching, title, figures))
    return findings
