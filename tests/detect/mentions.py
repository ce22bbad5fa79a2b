"""Test data: mentions with a day/night rhythm, rules from their schemas, settings around them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import numpy as np

from monitor.config.loader import Settings
from monitor.config.model import Config
from monitor.config.rules import RULE_TYPES, Playbook
from monitor.mention import Author, Engagement, Mention

# A Monday 00:00 in Shanghai, so weeks and days line up with the local calendar.
T0 = datetime(2026, 11, 1, 16, 0, tzinfo=timezone.utc)
BRANDS = ("星河手机", "云朵奶茶")
_ids = itertools.count()


def mention(at: datetime, brand: str = "星河手机", label: str = "negative", text: str = "星河手机 充电 发热",
            source: str = "bbs", platform: str = "forum", followers: int | None = None, likes: int = 0,
            keywords: tuple[str, ...] = ("发热",), crisis: tuple[str, ...] = ()) -> Mention:
    n = next(_ids)
    return Mention(id=f"{platform}:{n}", platform=platform, source=source, url=f"http://127.0.0.1/t/{n}", text=text,
                   published_at=at, crawled_at=at, brands=[brand], tokens=text.split(), keywords=list(keywords),
                   sentiment=0.1 if label == "negative" else 0.8, sentiment_label=label,
                   author=Author(name=f"用户{n}", followers=followers), engagement=Engagement(likes=likes),
                   crisis_terms=list(crisis), crisis_brands=[brand] if crisis else [])


def hourly_noise(start: datetime, hours: int, mean: float, seed: int = 7, **kw) -> list[Mention]:
    """Poisson counts per hour with a day/night rhythm (busier in the Shanghai evening), spread in each hour."""
    rng = np.random.default_rng(seed)
    out = []
    for h in range(hours):
        at = start + timedelta(hours=h)
        local_hour = (at.hour + 8) % 24
        rate = mean * (0.3 if local_hour < 7 else 1.6 if 19 <= local_hour < 23 else 1.0)
        for _ in range(rng.poisson(rate)):
            out.append(mention(at + timedelta(seconds=int(rng.integers(0, 3600))), **kw))
    return out


def rule(kind: str, **options):
    return RULE_TYPES[kind].model_validate({"name": f"test_{kind}", "type": kind, **options})


def settings_for(*rules, sources: tuple[dict, ...] = ()) -> Settings:
    config = Config.model_validate({"brands": [{"name": b} for b in BRANDS], "sources": list(sources),
                                    "channels": {"console": "console://"}})
    playbooks = {s: Playbook.model_validate({"name": s, "steps": [{"notify": ["console"]}]})
                 for s in ("info", "warning", "critical")}
    return Settings(path=None, config=config, rules=tuple(rules), playbooks=playbooks)
