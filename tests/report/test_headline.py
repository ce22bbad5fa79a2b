"""The report's Chinese headline says what changed and why, from the figures alone."""

from __future__ import annotations

from datetime import datetime, timezone

from monitor.mention import Mention
from monitor.report.data import BrandFigures
from monitor.report.headline import headline

AT = datetime(2026, 11, 23, tzinfo=timezone.utc)


def story(text: str) -> Mention:
    return Mention(id="weibo:1", platform="weibo", source="s", url="u", text=text, published_at=AT, crawled_at=AT)


def test_a_volume_rise_driven_by_negatives_names_the_biggest_story_and_its_words():
    b = BrandFigures("星河手机", total=200, previous=100,
                     sentiment={"negative": 120, "neutral": 50, "positive": 30},
                     previous_sentiment={"negative": 20, "neutral": 50, "positive": 30},
                     negative=[story("星河X5 充电时爆炸起火，要求召回")], story_sizes={"weibo:1": 85},
                     negative_words=[("爆炸", 60), ("召回", 40), ("退款", 12)],
                     competitors=[("极光手机", 200, 10)],
                     reply={"negative": 120, "answered": 30, "handled": 10, "within_sla": 35, "breached": 5, "open": 80})
    text = headline(b, [])
    assert text.split("；") == [
        "星河手机本期声量 200 条，比上期增加 100%",
        "负面 120 条，占 60%（上期 20%）",
        "变化主要来自负面提及（+100 条），最大的负面话题是“星河X5 充电时爆炸起火，要求召回…”（85 条），热词：爆炸、召回、退款",
        "声量份额 50%（竞品：极光手机 50%）",
        "需回复的负面 120 条，35 条在时限内回复或处理，80 条仍待回复。",
    ]


def test_a_quiet_period_says_it_held_steady_and_gives_no_cause():
    b = BrandFigures("云朵奶茶", total=101, previous=100, sentiment={"negative": 5, "neutral": 60, "positive": 36},
                     previous_sentiment={"negative": 6, "neutral": 60, "positive": 34})
    assert headline(b, []) == "云朵奶茶本期声量 101 条，与上期基本持平；负面 5 条，占 5%（上期 6%）。"
