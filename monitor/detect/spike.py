"""Spike: the latest buckets hold far more matching mentions than the seasonal baseline expects.

The baseline lives in the store (get_state/put_state), so a restart neither forgets it nor re-learns
the crisis; after downtime it catches up on at most `history`. A bucket is learnt one bucket after it
ends, so mentions crawled a little late still count in it.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timezone

from monitor.config.rules import SEASONS, SpikeRule
from monitor.detect.finding import Finding, RuleContext, Scope, make_finding, minutes, scopes
from monitor.detect.seasonal import SeasonalBaseline, SpikeTest


def evaluate(rule: SpikeRule, ctx: RuleContext) -> list[Finding]:
    test = SpikeTest(rule.min_count, rule.ratio, rule.p_value, rule.pseudo_count)
    findings = []
    for scope in scopes(rule, ctx):
        baseline = learnt_baseline(rule, scope, ctx, test)
        if baseline.trusted(ctx.now.timestamp(), rule.warmup):
            finding = _judge(rule, scope, ctx, test, baseline)
            if finding is not None:
                findings.append(finding)
    return findings


def _judge(rule: SpikeRule, scope: Scope, ctx: RuleContext, test: SpikeTest, baseline: SeasonalBaseline) -> Finding | None:
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
    count, expected = counts[0], expectations[0]
    window = scope.window(ctx.now - rule.bucket * rule.consecutive, ctx.now)
    span = minutes(rule.bucket)
    figures = {"count": count, "baseline": round(expected, 2), "ratio": round(count / test.rate(expected), 1),
               "p_value": float(f"{test.p(count, expected, baseline.dispersion):.2g}"), "window_minutes": span}
    if rule.consecutive > 1:
        figures["counts"] = counts[::-1]
    title = f"{scope.label} 声量激增：{span} 分钟 {count} 条（基线 {expected:.1f}）"
    return make_finding(rule, scope, ctx, window, title, figures)


def learnt_baseline(rule: SpikeRule, scope: Scope, ctx: RuleContext, test: SpikeTest) -> SeasonalBaseline:
    """Load the scope's baseline, fold in every bucket finished since, and save it back."""
    key = f"spike:{rule.name}:{scope.brand}:{scope.group or ''}"
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
    for bucket_start, count in ctx.store.histogram(scope.window(_dt(start), _dt(until)), rule.bucket):
        baseline.fold(bucket_start.timestamp(), count, test)
    ctx.store.put_state(key, {"signature": signature, "baseline": baseline.to_state()})
    return baseline


def _signature(rule: SpikeRule, scope: Scope, zone: str) -> str:
    """What the learnt numbers depend on: change any of it and the baseline is learnt afresh."""
    basis = [rule.bucket.total_seconds(), rule.season, rule.smoothing, zone, repr(scope.query)]
    return hashlib.sha1(json.dumps(basis, ensure_ascii=False).encode()).hexdigest()[:12]


def _floor(ts: float, size: int) -> float:
    return math.floor(ts / size) * size


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)
