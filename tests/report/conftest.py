"""A real embedded store filled with a week of mentions and incidents, and the config that points at it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.incident import Incident
from monitor.mention import Author, Engagement, Mention
from monitor.store.sqlite import SqliteStore
from tests.conftest import ROOT, write_config

UNTIL = datetime(2026, 11, 23, 0, 0, tzinfo=timezone(timedelta(hours=8)))  # Monday, local midnight
CONFIG = """
timezone: Asia/Shanghai
state_dir: {state}
brands:
  - name: 星河手机
    aliases: [星河]
    competitors: [极光手机, 银河手机]
  - name: 极光手机
sources:
  - name: forum
    type: feed
    start_urls: ["http://127.0.0.1:9/forum.xml"]
  - name: news
    type: feed
    start_urls: ["http://127.0.0.1:9/news.xml"]
channels:
  console: "console://"
  pr_oncall: "json://127.0.0.1:9/oncall"
  pr_manager: "json://127.0.0.1:9/manager"
  {extra}
rules_dir: {rules}
"""


def mention(n: int, brand: str, sentiment: str, at: datetime, source: str, text: str, likes: int = 0) -> Mention:
    return Mention(id=f"t:{n}", platform=source, source=source, url=f"https://example.com/{n}", text=text,
                   published_at=at, crawled_at=at, author=Author(name=f"用户{n}"),
                   engagement=Engagement(likes=likes), brands=[brand], sentiment_label=sentiment,
                   keywords=["续航", "发热"] if sentiment == "negative" else ["拍照"])


def seed(store: SqliteStore) -> dict:
    """Per day of the week before UNTIL: 星河手机 gets 3 + day mentions (one negative each day, two on Sunday),
    极光手机 gets 2; one incident acked after 12 minutes and resolved after 2 hours."""
    mentions, n = [], 0
    counts = {"星河手机": 0, "极光手机": 0, "negative": 0}
    for day in range(7):
        noon = UNTIL - timedelta(days=7 - day) + timedelta(hours=12)
        for i in range(3 + day):
            n += 1
            negative = i == 0 or (day == 6 and i == 1)
            mentions.append(mention(n, "星河手机", "negative" if negative else "positive", noon + timedelta(minutes=i),
                                    "forum" if i % 2 == 0 else "news",
                                    "星河手机发热严重，续航崩了" if negative else "星河手机拍照不错", likes=n if negative else 0))
            counts["星河手机"] += 1
            counts["negative"] += negative
        for i in range(2):
            n += 1
            mentions.append(mention(n, "极光手机", "neutral", noon + timedelta(minutes=30 + i), "news", "极光手机发布会"))
            counts["极光手机"] += 1
    store.upsert(mentions)
    opened = UNTIL - timedelta(days=2)
    store.save_incident(Incident(id="INC-1121-abc123", fingerprint="fp", rule="negative_spike", brand="星河手机",
                                 severity="critical", title="星河手机 负面声量激增", playbook={}, opened_at=opened,
                                 last_seen_at=opened, state="resolved", acked_at=opened + timedelta(minutes=12),
                                 acked_by="张三", resolved_at=opened + timedelta(hours=2)))
    return counts


@pytest.fixture
def seeded(tmp_path: Path):
    state = tmp_path / "state"
    store = SqliteStore(state / "brandmon.db")
    counts = seed(store)
    store.close()
    return tmp_path, counts


def config_for(folder: Path, extra: str = "") -> Path:
    return write_config(folder, CONFIG.format(state=folder / "state", rules=ROOT / "rules", extra=extra))


@pytest.fixture
def settings(seeded):
    folder, _ = seeded
    return load_settings(config_for(folder))
