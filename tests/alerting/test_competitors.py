"""Competitors are watched like brands: collected by the real spiders, scored, counted in share of voice,
their crises noted as incidents that notify nobody."""

from __future__ import annotations

import json
import shutil

from monitor.app import Monitor
from monitor.config import load_settings
from tests.reply.conftest import DEMO_RULES, brandmon, crawl_demo

LAUNCH_RULE = """type: keyword
description: 发布会话题
brands: all
severity: warning
keywords: [发布会]
window: 1d
min_count: 1
"""


def test_a_competitor_that_is_not_a_brand_is_collected_and_its_crisis_is_noted_without_alerts(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(DEMO_RULES, rules)
    (rules / "launch.yaml").write_text(LAUNCH_RULE, encoding="utf-8")
    config = crawl_demo(tmp_path, burst=False, rules=rules)  # 极光手机 is only 星河手机's competitor there
    settings = load_settings(config)
    watched = {b.name: (b.competitor, b.alerts) for b in settings.config.brands}
    assert watched["极光手机"] == (True, False)
    found = json.loads(brandmon("search", "--brand", "极光手机", "-c", str(config), "--json").stdout)
    assert found["total"] >= 3 and all("极光手机" in m["brands"] for m in found["mentions"])

    monitor = Monitor(settings)
    try:
        touched, _ = monitor.evaluate()
        rival = [i for i in touched if i.brand == "极光手机"]
        assert [i.rule for i in rival] == ["launch"]
        stored = monitor.store.get_incident(rival[0].id)
        assert stored.muted.startswith("竞品") and monitor.store.deliveries(stored.id) == []
    finally:
        monitor.close()
    report = brandmon("report", "--period", "daily", "--brand", "星河手机", "-c", str(config))
    rivals = report.stdout.split("### 竞品对比", 1)[1].split("###", 1)[0]
    assert f"| 极光手机 | {found['total']} |" in rivals
