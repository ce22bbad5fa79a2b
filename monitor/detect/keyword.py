"""Keyword: mentions carrying crisis terms (召回, 爆炸, 维权…) or the rule's own keywords.

Judged against the brand's own normal rate of them (`against: baseline`: the spike rule's seasonal
baseline and windows; `against: terms`: each term against its own share, monitor/detect/term_rates.py),
unless the rule says `against: fixed`: every brand with a few hundred mentions a day hears 投诉 and 退款.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from monitor.config.rules import KeywordRule
from monitor.detect import term_rates
from monitor.detect.finding import Finding, RuleContext, Scope, make_finding, minutes, scopes
from monitor.detect.spike import counting, every_mention, judge, learnt_baseline, test_of, unit, with_clusters
from monitor.mention import Mention
from monitor.store import matching


def _matching(rule: KeywordRule, scope: Scope) -> Scope:
    if rule.keywords:
        query = replace(scope.query, keywords=rule.keywords, crisis=rule.own_crisis)
    else:
        query = replace(scope.query, crisis=True)
    return counting(rule, replace(scope, query=query))


def _found(rule: KeywordRule, seen: list[Mention]) -> list[str]:
    """The words that fired, most voiced first: the rule's own words found in the posts, else their crisis terms."""
    if rule.keywords:
        found = Counter(k for m in seen for k in rule.keywords if matching.contains(m.text, k))
    else:
        found = Counter(t for m in seen for t in dict.fromkeys(m.crisis_terms or []))
    return [t for t, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]


def evaluate(rule: KeywordRule, ctx: RuleContext) -> list[Finding]:
    test = test_of(rule)
    findings = []
    for scope in scopes(rule, ctx):
        matching = _matching(rule, scope)
        if rule.against == "fixed":
            window = matching.window(ctx.now - rule.window, ctx.now)
            count, expected = ctx.store.count(window), None
            if count < rule.min_count:
                continue
        elif rule.against == "terms":
            found = term_rates.judge(rule, scope, matching, ctx)
            if found is None:
                continue
            window, count, expected = replace(found.window, keywords=found.terms), found.count, found.expected
        else:
            baseline = learnt_baseline(rule, matching, ctx, test, watched=scope)
            if not baseline.trusted(ctx.now.timestamp(), rule.warmup):
                continue
            verdict = judge(rule, matching, ctx, test, baseline)
            if verdict is None:
                continue
            window, count, expected = verdict.window, verdict.count, verdict.expected
        mentions = every_mention(window)
        if rule.against == "terms":
            terms = list(found.terms)  # what surged, not every word that came along
        else:
            terms = _found(rule, ctx.store.find(mentions, limit=50))
        span = minutes(window.end - window.start)
        figures = {"count": count, "window_minutes": span, "terms": terms, "counted": rule.count}
        usual = ""
        if expected is not None:
            figures["baseline"] = round(expected, 2)
            usual = f"，平时约 {expected:.1f}"
        title = f"{scope.label} 出现危机词：{'、'.join(terms[:5]) or '关键词'}（{span} 分钟 {count} {unit(window)}{usual}）"
        findings.append(with_clusters(make_finding(rule, scope, ctx, mentions, title, figures)))
    return findings
