"""Runs every enabled rule for every brand it selects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from monitor.config import Settings
from monitor.detect import keyword, spike
from monitor.detect.finding import Finding
from monitor.store.base import Store

log = logging.getLogger(__name__)

EVALUATORS: dict[str, Callable] = {"spike": spike.evaluate, "keyword": keyword.evaluate}


def evaluate_rules(settings: Settings, store: Store, now: datetime) -> list[Finding]:
    findings = []
    all_brands = [b.name for b in settings.config.brands]
    for rule in settings.rules:
        if not rule.enabled:
            continue
        for brand in all_brands if rule.brands == "all" else rule.brands:
            try:
                finding = EVALUATORS[rule.type](rule, brand, store, now)
            except Exception:  # one broken rule must not silence the others
                log.exception("rule %s failed for brand %s", rule.name, brand)
                continue
            if finding is not None:
                findings.append(finding)
    return findings
