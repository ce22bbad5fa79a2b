"""Findings and settings for policy tests: two brands, a two-step playbook per severity."""

from __future__ import annotations

from datetime import timedelta

from monitor.config.loader import Settings
from monitor.config.model import Config
from monitor.config.rules import Playbook
from monitor.detect.finding import Finding


TWO_STEPS = [{"notify": ["oncall"]}, {"after": "15m", "notify": ["lead"]}]


def settings_for(channels: dict[str, str | list[str]], steps: list[dict] = TWO_STEPS, **alerting) -> Settings:
    config = Config.model_validate({"brands": [{"name": "小米"}, {"name": "华为"}], "channels": channels,
                                    "alerting": alerting})
    playbooks = {severity: Playbook.model_validate({"name": severity, "resolve_after": "2h", "steps": steps})
                 for severity in ("critical", "warning")}
    return Settings(path=None, config=config, rules=(), playbooks=playbooks)


def finding(clock, count: int = 12, rule: str = "negative_spike", brand: str = "小米",
            severity: str = "critical") -> Finding:
    return Finding(rule=rule, rule_type="spike", brand=brand, severity=severity, playbook=severity,
                   at=clock.now(), title=f"{brand} 声量激增：10 分钟 {count} 条", figures={"count": count, "baseline": 1.0,
                   "ratio": float(count), "window_minutes": 10}, keywords=["爆炸", "召回"],
                   window_start=clock.now() - timedelta(minutes=10), window_end=clock.now())
