"""Sentiment share: too large a share of a brand's mentions carry one sentiment (negative by default).

With `lift`, judged against the brand's own share over `history` (a brand whose normal negative share
is 40 % is not news at 45 %): the share must reach s₀ + lift·(1 − s₀) and `share`, and a binomial test
at s₀ must find it unlikely (≤ `p_value`). No verdict until the brand has `warmup` of history.
"""

from __future__ import annotations

from dataclasses import replace

from scipy.stats import binom

from monitor.config.rules import SentimentShareRule
from monitor.detect.finding import Finding, RuleContext, Scope, make_finding, minutes, scopes

SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def _normal_share(rule: SentimentShareRule, scope: Scope, ctx: RuleContext) -> float | None:
    """The brand's share over `history`, recomputed once an hour (kept in the store); None until warm."""
    hour = int(ctx.now.timestamp() // 3600)
    key = f"sentiment_share:{rule.name}:{scope.brand}"
    cached = ctx.store.get_state(key)
    if isinstance(cached, dict) and cached.get("hour") == hour:
        return cached["share"]
    share = None
    dated_or_not = replace(scope, query=replace(scope.query, known_time=False))  # a share: the rollups answer
    if ctx.store.count(dated_or_not.window(ctx.now - rule.history, ctx.now - rule.warmup)):
        past = dated_or_not.window(ctx.now - rule.history, ctx.now - rule.window)
        volume = ctx.store.count(past)
        share = ctx.store.count(replace(past, sentiments=(rule.sentiment,))) / volume if volume else 0.0
    ctx.store.put_state(key, {"hour": hour, "share": share})
    return share


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
        figures = {"count": count, "volume": volume, "share": round(share, 3), "threshold": rule.share,
                   "window_minutes": minutes(rule.window)}
        usual = ""
        if rule.lift is not None:
            normal = _normal_share(rule, scope, ctx)
            if normal is None:
                continue  # not warm yet
            bar = normal + rule.lift * (1 - normal)
            p = float(binom.sf(count - 1, volume, normal)) if normal > 0 else 0.0
            if share < bar or p > rule.p_value:
                continue
            figures.update(normal_share=round(normal, 3), threshold=round(max(bar, rule.share), 3), p_value=float(f"{p:.2g}"))
            usual = f"，平时 {normal:.0%}"
        span = minutes(rule.window)
        title = f"{scope.label} {SENTIMENT_ZH[rule.sentiment]}占比 {share:.0%}（{span} 分钟 {count}/{volume} 条{usual}）"
        findings.append(make_finding(rule, scope, ctx, matching, title, figures))
    return findings
