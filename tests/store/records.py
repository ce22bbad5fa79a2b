"""Mentions and incidents for store tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.incident import Incident
from monitor.mention import Author, Engagement, Mention

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def mention(n: int, minutes: int, brand: str = "小米", label: str = "negative", text: str | None = None,
            likes: int = 0, crisis: list[str] | None = None, categories: list[str] | None = None) -> Mention:
    body = text or f"第{n}条 小米 手机 发热 严重"
    return Mention(id=f"forum:{n}", platform="forum", source="bbs", url=f"http://127.0.0.1/t/{n}", text=body,
                   published_at=T0 + timedelta(minutes=minutes), crawled_at=T0, brands=[brand],
                   tokens=body.split(), keywords=["发热", f"词{n % 2}"], sentiment=0.1, sentiment_label=label,
                   author=Author(name=f"用户{n}"), engagement=Engagement(likes=likes),
                   crisis_terms=crisis or [], crisis_brands=[brand] if crisis else [], categories=categories or [])


def incident(n: int = 1, state: str = "open") -> Incident:
    return Incident(id=f"INC-{n}", fingerprint=f"spike|小米|{n}", rule="spike", brand="小米",
                    severity="critical", title="小米 声量激增", playbook={"name": "critical"},
                    opened_at=T0 + timedelta(minutes=n), last_seen_at=T0, state=state, figures={"count": 9})
