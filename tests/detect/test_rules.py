"""Threshold, keyword, influencer, sentiment share, flatline and new topic rules over a real store."""

from __future__ import annotations

import random
from datetime import timedelta

from monitor.crawl.health import load_health, record_crawl, save_health
from monitor.crawl.runner import CrawlResult
from monitor.detect import flatline, influencer, keyword, new_topic, share, threshold
from monitor.detect.engine import evaluate_rules
from tests.detect.mentions import T0, mention, rule, settings_for

NOW = T0 + timedelta(days=10)
SOURCES = ({"name": "bbs", "type": "feed", "start_urls": ["http://127.0.0.1/a"]},
           {"name": "news", "type": "feed", "start_urls": ["http://127.0.0.1/b"]})


def recent(n: int, minutes: int = 20, **kw):
    return [mention(NOW - timedelta(minutes=minutes) + timedelta(seconds=i), **kw) for i in range(n)]


def test_a_threshold_fires_at_its_count_and_not_below(store, context):
    store.upsert(recent(4))
    r = rule("threshold", min_count=5, window="1h")
    assert threshold.evaluate(r, context(NOW)) == []
    store.upsert(recent(1))
    [finding] = threshold.evaluate(r, context(NOW))
    assert finding.figures == {"count": 5, "threshold": 5, "window_minutes": 60}


def test_a_fixed_keyword_rule_uses_the_crisis_lexicon_unless_given_words(store, context):
    store.upsert(recent(2, crisis=("召回",)) + recent(2, text="星河手机 电池 鼓包"))
    [lexicon] = keyword.evaluate(rule("keyword", against="fixed", min_count=2, brands=["星河手机"]), context(NOW))
    assert lexicon.figures["terms"] == ["召回"]
    [own] = keyword.evaluate(rule("keyword", against="fixed", min_count=2, keywords=["鼓包"], brands=["星河手机"]),
                             context(NOW))
    assert own.figures["count"] == 2


def everyday_complaints(days: int, per_hour: int, **kw):
    """A brand that always hears a few 投诉 and 退款: per_hour complaint posts every hour, each its own story."""
    return [mention(NOW - timedelta(days=days) + timedelta(hours=h, minutes=7 * k), crisis=("投诉",), **kw)
            for h in range(24 * days) for k in range(per_hour)]


def test_crisis_words_the_brand_always_hears_are_not_a_crisis_but_a_burst_of_them_is(store, context):
    store.upsert(everyday_complaints(10, 2))
    r = rule("keyword", brands=["星河手机"], against="baseline", count="stories", windows=["15m", "1h"],
                min_count=4, ratio=3, p_value=0.001)
    assert keyword.evaluate(r, context(NOW)) == []
    store.upsert([mention(NOW - timedelta(minutes=12 - i), crisis=("爆炸",), text=f"星河手机 爆炸 {i}")
                  for i in range(12)])
    [finding] = keyword.evaluate(r, context(NOW))
    assert finding.figures["window_minutes"] == 15 and finding.figures["count"] >= 12
    assert finding.figures["baseline"] < 2 and "爆炸" in finding.figures["terms"]
    assert finding.title.startswith("星河手机 出现危机词：") and "平时约" in finding.title


def test_a_copy_paste_wave_of_complaint_words_counts_as_one_story(store, context):
    store.upsert(everyday_complaints(10, 1))
    spam = [mention(NOW - timedelta(minutes=10, seconds=i), crisis=("退款", "投诉"), text="专业处理星河手机退款投诉 加V")
            for i in range(80)]
    for m in spam:
        m.cluster_id, m.cluster_size = "spam-1", 80
    store.upsert(spam)
    stories = rule("keyword", brands=["星河手机"], against="baseline", count="stories", windows=["15m", "1h"],
                min_count=4, ratio=3, p_value=0.001)
    assert keyword.evaluate(stories, context(NOW)) == []
    [copies] = keyword.evaluate(stories.model_copy(update={"count": "mentions"}), context(NOW))
    assert copies.figures["count"] >= 80 and copies.figures["clusters"][0] == 80


def test_one_account_posting_crisis_words_again_and_again_counts_once_by_authors(store, context):
    store.upsert(everyday_complaints(10, 1))
    rants = [mention(NOW - timedelta(minutes=10, seconds=i), crisis=("爆炸",), text=f"星河手机 爆炸 第{i}次")
             for i in range(30)]  # each its own text, so its own story: only the author gives it away
    for m in rants:
        m.author.id = "angry-1"
    store.upsert(rants)
    authors = rule("keyword", brands=["星河手机"], against="baseline", count="authors", windows=["15m", "1h"],
                   min_count=4, ratio=3, p_value=0.001)
    assert keyword.evaluate(authors, context(NOW)) == []
    [stories] = keyword.evaluate(authors.model_copy(update={"count": "stories"}), context(NOW))
    assert stories.figures["count"] >= 30 and "个话题" in stories.title


def test_a_keyword_rule_against_the_baseline_waits_for_its_warmup(store, context):
    store.upsert(everyday_complaints(3, 1) + [mention(NOW - timedelta(minutes=5, seconds=i), crisis=("爆炸",),
                                                      text=f"星河手机 爆炸 {i}") for i in range(20)])
    r = rule("keyword", brands=["星河手机"], against="baseline", windows=["15m"], min_count=4, ratio=3, p_value=0.001)
    assert keyword.evaluate(r, context(NOW)) == []
    assert keyword.evaluate(r.model_copy(update={"warmup": timedelta(days=2)}), context(NOW)) != []


def test_a_fixed_influencer_bar_is_a_big_audience_or_a_post_with_reach(store, context):
    store.upsert(recent(3, followers=200) + recent(1, followers=2_000_000) + recent(1, likes=9000, followers=10)
                 + recent(1, followers=5_000_000, label="positive"))
    fixed = rule("influencer", relative=False, min_followers=100_000, min_engagement=5000)
    [finding] = influencer.evaluate(fixed, context(NOW))
    assert finding.figures["count"] == 2 and finding.figures["fired"] == "followers"
    assert finding.examples[0].author.followers == 2_000_000
    only_followers = influencer.evaluate(rule("influencer", relative=False, min_followers=100_000), context(NOW))
    assert only_followers[0].figures["count"] == 1


def past_authors(followers: list[int]):
    return [mention(NOW - timedelta(days=9) + timedelta(minutes=2 * i), followers=f, brand="星河手机")
            for i, f in enumerate(followers)]


def test_an_influencer_is_judged_against_the_authors_the_brand_usually_hears(store, context):
    store.upsert(past_authors([300] * 1990 + [150_000] * 10))  # 0.5 % of its complainers have 150k followers
    r = rule("influencer", brands=["星河手机"], min_followers=50_000, min_engagement=2000, quantile=0.999, factor=2)
    store.upsert(recent(1, followers=160_000))
    assert influencer.evaluate(r, context(NOW)) == []
    store.upsert(recent(1, followers=3_000_000))
    [finding] = influencer.evaluate(r, context(NOW))
    assert finding.figures["fired"] == "followers" and finding.figures["followers"] == 3_000_000
    assert finding.figures["share_above"] == 0 and "粉丝 3,000,000" in finding.title


def test_an_engagement_alert_says_engagement_not_followers(store, context):
    store.upsert(past_authors([300] * 500))
    store.upsert(recent(1, likes=20_000, followers=2481))
    r = rule("influencer", brands=["星河手机"], min_followers=50_000, min_engagement=2000)
    [finding] = influencer.evaluate(r, context(NOW))
    assert finding.figures["fired"] == "engagement" and finding.figures["engagement"] == 20_000
    assert "高互动负面帖" in finding.title and "互动 20,000" in finding.title and "粉丝" not in finding.title


def test_a_negative_share_is_judged_against_the_brands_own_share(store, context):
    past = [mention(NOW - timedelta(days=9) + timedelta(minutes=5 * i), label="negative" if i % 5 < 2 else "positive")
            for i in range(2000)]  # normally 40 % negative
    store.upsert(past + recent(27, label="negative") + recent(23, label="positive"))
    r = rule("sentiment_share", share=0.3, lift=0.3, p_value=0.001, min_volume=30, brands=["星河手机"])
    assert share.evaluate(r, context(NOW)) == []  # 54 % on a 40 % brand: a bad hour, not a crisis
    store.upsert(recent(40, label="negative"))
    [finding] = share.evaluate(r, context(NOW))
    assert finding.figures["normal_share"] == 0.4 and finding.figures["share"] > 0.7
    assert "平时 40%" in finding.title


def test_a_negative_share_needs_both_the_share_and_the_volume(store, context):
    store.upsert(recent(6, label="negative") + recent(4, label="positive"))
    r = rule("sentiment_share", share=0.5, min_volume=10, brands=["星河手机"])
    [finding] = share.evaluate(r, context(NOW))
    assert finding.figures["share"] == 0.6 and "负面占比 60%" in finding.title
    assert share.evaluate(r.model_copy(update={"min_volume": 11}), context(NOW)) == []


def crawled(store, source: str, at, new: int = 1, blocked: str | None = None) -> None:
    health = load_health(store, source)
    result = CrawlResult(source, pages=0 if blocked else 2, errors=1 if blocked else 0, new=new, blocked=blocked)
    save_health(store, record_crawl(health, result, at, timedelta(minutes=10)))


def test_a_blocked_source_is_a_flatline_from_its_crawl_health_but_one_never_crawled_is_not(store, context):
    store.upsert([mention(NOW - timedelta(days=9, hours=-h), source="bbs") for h in range(0, 24 * 9, 2)])
    r = rule("flatline", window="2h", warmup="7d")
    crawled(store, "bbs", NOW - timedelta(hours=3))
    crawled(store, "bbs", NOW - timedelta(hours=1), blocked="HTTP 403")
    assert flatline.evaluate(r, context(NOW, SOURCES)) == []  # blocked for one hour only
    crawled(store, "bbs", NOW - timedelta(minutes=30), blocked="HTTP 403")
    [finding] = flatline.evaluate(r, context(NOW + timedelta(hours=1), SOURCES))
    assert (finding.brand, finding.group) == ("", "bbs") and finding.figures["reason"] == "blocked"
    assert finding.title.startswith("来源 bbs 采集被封")


def test_a_quiet_small_source_is_not_silent_but_a_busy_one_finding_nothing_is(store, context):
    store.upsert([mention(NOW - timedelta(days=9, hours=-h), source="bbs") for h in range(0, 24 * 9, 8)])
    store.upsert([mention(NOW - timedelta(days=9, minutes=-m), source="news") for m in range(0, 60 * 24 * 9, 10)])
    r = rule("flatline", window="3h", warmup="7d", p_value=0.001)
    for source in ("bbs", "news"):
        crawled(store, source, NOW - timedelta(hours=4), new=3)
        crawled(store, source, NOW - timedelta(minutes=5), new=0)
    [finding] = flatline.evaluate(r, context(NOW, SOURCES))
    assert finding.group == "news" and finding.figures["reason"] == "nothing_new"
    assert finding.figures["baseline"] > 20


def test_a_forum_whose_posts_come_in_clumps_may_be_silent_for_hours_where_a_steady_source_of_its_mean_may_not(
        store, context):
    """Both sources average six posts an hour; the forum's come as a thread's burst in about one hour of four."""
    clumps = random.Random(5)
    store.upsert([mention(NOW - timedelta(days=9, minutes=-m), source="news") for m in range(0, 60 * 24 * 9, 10)])
    store.upsert([mention(NOW - timedelta(days=9, hours=-h, minutes=-k), source="bbs")
                  for h in range(24 * 9) if clumps.random() < 0.25 for k in range(24)])
    for source in ("bbs", "news"):
        crawled(store, source, NOW - timedelta(hours=4), new=3)
        crawled(store, source, NOW - timedelta(minutes=5), new=0)
    every = {f.group: f.figures for f in flatline.evaluate(rule("flatline", window="3h", warmup="7d", p_value=0.999),
                                                           context(NOW, SOURCES))}
    assert every["bbs"]["baseline"] > 10  # a Poisson source of that mean: P(silent) < 5·10⁻⁵
    assert every["bbs"]["p_value"] > 0.001 and every["news"]["p_value"] < 0.001
    [finding] = flatline.evaluate(rule("flatline", window="3h", warmup="7d", p_value=0.001), context(NOW, SOURCES))
    assert finding.group == "news"


def test_a_brand_that_went_silent_is_a_flatline_of_that_brand(store, context):
    store.upsert([mention(NOW - timedelta(hours=h), brand="云朵奶茶") for h in range(3, 24)])
    [finding] = flatline.evaluate(rule("flatline", of="brand", window="2h", min_baseline=10), context(NOW))
    assert finding.brand == "云朵奶茶"


def test_a_new_topic_waits_until_the_brand_has_a_baseline(store, context):
    store.upsert(recent(20, text="星河手机 帖子", keywords=("帖子",)))
    assert new_topic.evaluate(rule("new_topic", min_count=5, ratio=2, brands=["星河手机"]), context(NOW)) == []


def test_a_new_topic_is_a_surging_word_the_brand_rarely_had(store, context):
    old = [mention(NOW - timedelta(days=d, hours=2), text="星河手机 续航 不错", keywords=("续航",)) for d in range(1, 6)]
    old.append(mention(NOW - timedelta(days=9), text="星河手机 很早的帖子", keywords=("帖子",)))
    store.upsert(old + recent(8, text="星河手机 续航 起火", keywords=("起火", "续航")))
    [finding] = new_topic.evaluate(rule("new_topic", min_count=5, ratio=2, brands=["星河手机"]), context(NOW))
    assert [t["term"] for t in finding.figures["terms"]] == ["起火"]
    assert "出现新话题：起火" in finding.title


def test_the_engine_runs_every_enabled_rule_and_survives_a_broken_one(store, monkeypatch):
    store.upsert(recent(6))
    good = rule("threshold", min_count=5)
    off = rule("threshold", name="off", min_count=1, enabled=False)
    broken = rule("keyword", name="broken", against="fixed")
    monkeypatch.setattr(keyword.__name__ + ".scopes", lambda *a: 1 / 0)
    findings = evaluate_rules(settings_for(good, off, broken), store, NOW)
    assert [f.fingerprint for f in findings] == ["test_threshold|星河手机|"]
