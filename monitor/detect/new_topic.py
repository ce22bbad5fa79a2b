"""New topic: keywords surging now that were rare over the whole baseline before (a story the brand never had).

A term is new when the window holds at least `ratio` times as many mentions of it as the entire
baseline period did: a word the brand hears every day never qualifies, however busy the hour. With
`count: stories` it must also be in `min_count` distinct stories: one ad pasted 300 times is not a topic. Until
the brand has history older than `warmup` (default: the whole baseline), every word would look new,
so the rule waits; a first crawl of a fresh install is not a new topic.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.config.rules import NewTopicRule
from monitor.detect.finding import Finding, RuleContext, make_finding, minutes, scopes


def evaluate(rule: NewTopicRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in scopes(rule, ctx):
        warmup = rule.warmup or rule.baseline
        history = replace(scope.window(ctx.now - rule.baseline - warmup, ctx.now - warmup), known_time=False)
        if ctx.store.count(history) == 0:  # any history will do, so the rollups answer
            continue
        window = scope.window(ctx.now - rule.window, ctx.now)
        candidates = [(t, n) for t, n in ctx.store.top_terms(window, rule.candidates) if n >= rule.min_count]
        if not candidates:
            continue
        # the same measure in both windows: mentions whose keywords include the term (rollups, not text
        # scans; undated mentions in the past only make a word look less new)
        past = replace(scope.window(ctx.now - rule.baseline, ctx.now - rule.window), known_time=False)
        baseline = ctx.store.term_counts(past, [t for t, _ in candidates])
        surging = [{"term": t, "count": n, "baseline": baseline[t]} for t, n in candidates
                   if n >= rule.ratio * baseline[t]]
        if rule.count == "stories":  # a spam wave or a repost storm brings many copies of one story's words
            surging = [s for s in surging
                       if ctx.store.count(replace(window, keywords=(s["term"],), unique=True)) >= rule.min_count]
        if not surging:
            continue
        terms = [s["term"] for s in surging]
        span = minutes(rule.window)
        figures = {"count": surging[0]["count"], "baseline": surging[0]["baseline"], "window_minutes": span,
                   "terms": surging}
        title = f"{scope.label} 出现新话题：{'、'.join(terms[:5])}（{span} 分钟 {surging[0]['count']} 条）"
        topical = replace(window, keywords=tuple(terms))
        findings.append(make_finding(rule, scope, ctx, topical, title, figures))
    return findings
