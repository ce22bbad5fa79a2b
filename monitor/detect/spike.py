"""Spike: the latest window holds far more matching mentions than the baseline's average window."""

from __future__ import annotations

from datetime import datetime

from monitor.config.rules import SpikeRule
from monitor.detect.finding import Finding, base_query, make_finding
from monitor.store.base import Store


def evaluate(rule: SpikeRule, brand: str, store: Store, now: datetime) -> Finding | None:
    current_q = base_query(rule, brand, now - rule.window, now)
    count = store.count(current_q)
    if count < rule.min_count:
        return None
    reference = store.count(base_query(rule, brand, now - rule.baseline, now - rule.window))
    windows = (rule.baseline - rule.window) / rule.window
    expected = reference / windows
    # A floor of one mention per window: a quiet baseline never makes 0 → 1 a spike.
    if count < rule.ratio * max(expected, 1.0):
        return None
    minutes = int(rule.window.total_seconds() // 60)
    figures = {"count": count, "baseline": round(expected, 2), "ratio": round(count / max(expected, 1.0), 1),
               "window_minutes": minutes}
    title = f"{brand} 声量激增：{minutes} 分钟 {count} 条（基线 {expected:.1f}）"
    return make_finding(rule, brand, store, current_q, title, figures, now)
