"""Spike: matching mentions far above the brand's seasonal baseline, in any of the judged windows.

The baseline lives in the store (get_state/put_state), so a restart neither forgets it nor re-learns
the crisis; after downtime it catches up on at most `history`. A bucket is learnt one bucket after it
ends, so mentions crawled a little late still count in it. The keyword and sentiment-share rules use
the same baselines (`learnt_baseline`, `judge`), so every rule that compares against history shares one
model and one warm-up.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from scipy.special import bdtrc

from monitor.config.rules import SEASONS, Seasonal, SpikeRule
from monitor.detect.finding import Finding, RuleContext, Scope, make_finding, minutes, scopes
from monitor.detect.seasonal import SeasonalBaseline, SpikeTest
from monitor.store.base import Query


@dataclass(frozen=True)
class Verdict:
    """The most unusual judged window: its count, expectation and p-value."""

    window: Query
    count: int
    expected: float
    p: float
    ratio: float

    @property
    def minutes(self) -> int:
        return minutes(self.window.end - self.window.start)


def test_of(rule: Seasonal) -> SpikeTest:
    return SpikeTest(rule.min_count, rule.ratio, rule.p_value, rule.pseudo_count)


def evaluate(rule: SpikeRule, ctx: RuleContext) -> list[Finding]:
    test = test_of(rule)
    findings = []
    for scope in scopes(rule, ctx):
        counted = counting(rule, scope)
        baseline = learnt_baseline(rule, counted, ctx, test)
        if not baseline.trusted(ctx.now.timestamp(), rule.warmup):
            continue
        if rule.consecutive > 1:
            finding = _consecutive(rule, counted, ctx, test, baseline)
        else:
            recount = (lambda window, count: _paste_once(ctx, window, count)) if rule.paste_once else None
            verdict = judge(rule, counted, ctx, test, baseline, recount)
            if verdict is not None and rule.share_lift is not None:
                verdict = _share_rose(rule, scope, ctx, test, baseline, verdict)
            finding = None if verdict is None else _finding(rule, counted, ctx, verdict, baseline, test)
        if finding is not None:
            findings.append(finding)
    return findings


def counting(rule: Seasonal, scope: Scope) -> Scope:
    """The scope counting stories (distinct clusters), authors or mentions, as the rule says."""
    return replace(scope, query=replace(scope.query, unique=rule.count == "stories", authors=rule.count == "authors"))


def unit(query: Query) -> str:
    return "个话题" if query.unique else "位作者" if query.authors else "条"


def every_mention(query: Query) -> Query:
    """The same mentions, counted one by one (for examples and words)."""
    return replace(query, unique=False, authors=False)


def judge(rule: Seasonal, scope: Scope, ctx: RuleContext, test: SpikeTest, baseline: SeasonalBaseline,
          recount: Callable[[Query, int], int] | None = None) -> Verdict | None:
    """The judged window with the smallest p-value among those that are anomalous, or None.

    `recount`: a second look at a window that is anomalous, giving the count that is judged instead
    (read only then: most windows of most cycles are not)."""
    best = None
    for span in rule.judged:
        window = scope.window(ctx.now - span, ctx.now)
        count = ctx.store.count(window)
        if count < rule.min_count:
            continue
        expected = baseline.expected_between(window.start.timestamp(), window.end.timestamp())
        # the pseudo count is a prior per bucket: a 15-minute window of an hourly baseline gets a quarter of it
        scaled = replace(test, pseudo_count=test.pseudo_count * min(1.0, span / rule.bucket))
        if not scaled.anomalous(count, expected, baseline.dispersion):
            continue
        if recount is not None:
            count = recount(window, count)
            if not scaled.anomalous(count, expected, baseline.dispersion):
                continue
        p = scaled.p(count, expected, baseline.dispersion)
        if best is None or p < best.p:
            best = Verdict(window, count, expected, p, count / scaled.rate(expected))
    return best


def _paste_once(ctx: RuleContext, window: Query, count: int) -> int:
    """The window's count with the copies of its biggest pasted story counted once.

    A story whose copies do not name a post they pass on (no parent_id) was pasted, by a spam or 水军
    wave ("专业处理退款投诉，加V" from 300 fresh accounts); a repost storm's copies name their original and
    all count. Only the biggest: a surge of many people's complaints stays a surge when one text among
    them was pasted a few times."""
    rows = ctx.store.find_fields(every_mention(window), ("cluster_id", "parent_id"), limit=count)
    pasted = Counter(cluster for cluster, parent in rows if cluster and not parent)
    biggest = max(pasted.values(), default=1)
    return count - (biggest - 1)


def _share_rose(rule: SpikeRule, scope: Scope, ctx: RuleContext, test: SpikeTest, baseline: SeasonalBaseline,
                verdict: Verdict) -> Verdict | None:
    """The matching share of everything the brand heard must surely have risen well above its own normal
    share s₀: more than s₁ = s₀ + share_lift·(1 − s₀), with a binomial chance of at most share_p_value of
    reaching this many at s₁. A 双11 rush brings everything at five times its usual rate and complaints at
    a third more than their usual share; in a window of a few dozen posts chance alone lifts that above s₁
    often enough for the point estimate to fire, not for the test."""
    everything = replace(scope, query=replace(scope.query, sentiments=(), keywords=(), crisis=False))
    total_baseline = learnt_baseline(rule, everything, ctx, test, part="all")
    start, end = verdict.window.start.timestamp(), verdict.window.end.timestamp()
    normal_total = total_baseline.expected_between(start, end)
    normal_share = min(verdict.expected / normal_total, 1.0) if normal_total > 0 else 0.0
    total = ctx.store.count(everything.window(verdict.window.start, verdict.window.end))
    lifted = normal_share + rule.share_lift * (1 - normal_share)
    if total == 0 or verdict.count / total < lifted:
        return None
    if lifted >= 1:  # a brand heard only in complaints has no share to rise: the count decides
        return verdict
    chance = float(bdtrc(verdict.count - 1, total, lifted)) if verdict.count < total else lifted ** total
    return verdict if chance <= rule.share_p_value else None


def _finding(rule: SpikeRule, scope: Scope, ctx: RuleContext, v: Verdict, baseline: SeasonalBaseline,
             test: SpikeTest) -> Finding:
    figures = {"count": v.count, "baseline": round(v.expected, 2), "ratio": round(v.ratio, 1),
               "p_value": float(f"{v.p:.2g}"), "window_minutes": v.minutes, "counted": rule.count}
    title = f"{scope.label} 声量激增：{v.minutes} 分钟 {v.count} {unit(scope.query)}（平时约 {v.expected:.1f}）"
    return with_clusters(make_finding(rule, scope, ctx, every_mention(v.window), title, figures))


def with_clusters(finding: Finding) -> Finding:
    """The alert shows how big each story is: the largest clusters among the examples."""
    sizes = sorted({(m.cluster_id or m.id, m.cluster_size) for m in finding.examples}, key=lambda c: -c[1])
    if sizes and sizes[0][1] > 1:
        finding.figures["clusters"] = [size for _, size in sizes]
    return finding


def _consecutive(rule: SpikeRule, scope: Scope, ctx: RuleContext, test: SpikeTest, baseline: SeasonalBaseline) -> Finding | None:
    """The latest `consecutive` sliding buckets, newest first, must all be anomalous."""
    counts, expectations = [], []
    for k in range(rule.consecutive):
        end = ctx.now - k * rule.bucket
        count = ctx.store.count(scope.window(end - rule.bucket, end))
        expected = baseline.expected_between((end - rule.bucket).timestamp(), end.timestamp())
        if not test.anomalous(count, expected, baseline.dispersion):
            return None
        counts.append(count)
        expectations.append(expected)
    window = scope.window(ctx.now - rule.bucket * rule.consecutive, ctx.now)
    verdict = Verdict(scope.window(ctx.now - rule.bucket, ctx.now), counts[0], expectations[0],
                      test.p(counts[0], expectations[0], baseline.dispersion), counts[0] / test.rate(expectations[0]))
    finding = _finding(rule, scope, ctx, verdict, baseline, test)
    finding.figures["counts"] = counts[::-1]
    finding.window_start = window.start
    return finding


def learnt_baseline(rule: Seasonal, scope: Scope, ctx: RuleContext, test: SpikeTest, part: str = "",
                    watched: Scope | None = None) -> SeasonalBaseline:
    """Load the scope's baseline, fold in every bucket finished since, and save it back.

    `watched`: the wider scope a rare subset is drawn from (a brand's negative posts for its harm words).
    The subset may hold nothing for weeks, which is a rate of zero once the brand itself was heard, not
    "not watched yet": its history, and so the warm-up, starts with the wider scope's first mention."""
    key = f"{rule.type}:{rule.name}:{scope.brand}:{scope.group or ''}" + (f":{part}" if part else "")
    signature = _signature(rule, scope, ctx.config.timezone)
    state = ctx.store.get_state(key)
    if state and state.get("signature") == signature:
        baseline = SeasonalBaseline.from_state(state["baseline"])
    else:
        baseline = SeasonalBaseline.create(rule.bucket, SEASONS[rule.season], rule.smoothing, ctx.config.timezone)
    size = baseline.bucket_seconds
    horizon = _floor(ctx.now.timestamp() - rule.history.total_seconds(), size)
    start = max(baseline.folded_until or horizon, horizon)
    until = _floor(ctx.now.timestamp(), size) - size
    if until <= start:
        return baseline
    if baseline.first_data is None and watched is not None:
        heard = [b for b, count in ctx.store.histogram(watched.window(_dt(start), _dt(until)), rule.bucket) if count]
        if heard:
            baseline.first_data = start = heard[0].timestamp()
    for bucket_start, count in ctx.store.histogram(scope.window(_dt(start), _dt(until)), rule.bucket):
        baseline.fold(bucket_start.timestamp(), count, test)
    ctx.store.put_state(key, {"signature": signature, "baseline": baseline.to_state()})
    return baseline


def _signature(rule: Seasonal, scope: Scope, zone: str) -> str:
    """What the learnt numbers depend on: change any of it and the baseline is learnt afresh."""
    basis = [rule.bucket.total_seconds(), rule.season, rule.smoothing, zone, repr(scope.query)]
    return hashlib.sha1(json.dumps(basis, ensure_ascii=False).encode()).hexdigest()[:12]


def _floor(ts: float, size: int) -> float:
    return math.floor(ts / size) * size


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)
