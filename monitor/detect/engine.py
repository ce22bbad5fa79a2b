"""Runs every enabled rule; each rule type's evaluator walks the brands (and groups) it watches."""

from __future__ import annotations

import logging
from collections.abc import Callable

from monitor.config import Settings
from monitor.detect import flatline, influencer, keyword, new_topic, share, spike, threshold
from monitor.detect.finding import Finding, RuleContext
from monitor.detect.readahead import ReadAhead
from monitor.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

EVALUATORS: dict[str, Callable[..., list[Finding]]] = {
    "spike": spike.evaluate, "threshold": threshold.evaluate, "keyword": keyword.evaluate,
    "influencer": influencer.evaluate, "sentiment_share": share.evaluate, "flatline": flatline.evaluate,
    "new_topic": new_topic.evaluate,
}


def evaluate_rules(settings: Settings, store: Store, now, ahead: ReadAhead | None = None) -> list[Finding]:
    """With `ahead` (kept from cycle to cycle), the counts and states the last cycle read are asked at
    once before the rules run (monitor/detect/readahead.py)."""
    reads = ahead.begin(store, now) if ahead is not None else None
    ctx = RuleContext(reads or store, now, settings.config)  # type: ignore[arg-type]  # a Store in all it reads
    findings = []
    for rule in settings.rules:
        if not rule.enabled:
            continue
        try:
            findings += EVALUATORS[rule.type](rule, ctx)
        except StoreUnavailable:  # not this rule's fault: the whole evaluation waits for the store
            raise
        except Exception:  # one broken rule must not silence the others
            log.exception("rule %s failed", rule.name)
    if ahead is not None:
        ahead.end(reads, now)
    return findings
