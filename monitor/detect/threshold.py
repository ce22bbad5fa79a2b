"""Threshold: at least N matching mentions in the last window."""

from __future__ import annotations

from monitor.config.rules import ThresholdRule
from monitor.detect.finding import Finding, RuleContext, make_finding, minutes, scopes


def evaluate(rule: ThresholdRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in scopes(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        count = ctx.store.count(window)
        if count >= rule.min_count:
            span = minutes(rule.window)
            title = f"{scope.label} 提及量达到阈值：{span} 分钟 {count} 条（阈值 {rule.min_count}）"
            figures = {"count": count, "threshold": rule.min_count, "window_minutes": span}
            findings.append(make_finding(rule, scope, ctx, window, title, figures))
    return findings
