"""Keyword: mentions carrying crisis terms (召回, 爆炸, 维权…) or the rule's own keywords."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from monitor.config.rules import KeywordRule
from monitor.detect.finding import Finding, base_query, make_finding
from monitor.store.base import Store


def evaluate(rule: KeywordRule, brand: str, store: Store, now: datetime) -> Finding | None:
    query = base_query(rule, brand, now - rule.window, now)
    query = replace(query, keywords=rule.keywords) if rule.keywords else replace(query, crisis=True)
    count = store.count(query)
    if count < rule.min_count:
        return None
    examples = store.find(query, limit=50)
    terms = sorted({t for m in examples for t in (m.crisis_terms or [])} | set(rule.keywords))
    minutes = int(rule.window.total_seconds() // 60)
    figures = {"count": count, "window_minutes": minutes, "terms": terms}
    title = f"{brand} 出现危机词：{'、'.join(terms[:5]) or '关键词'}（{minutes} 分钟 {count} 条）"
    return make_finding(rule, brand, store, query, title, figures, now)
