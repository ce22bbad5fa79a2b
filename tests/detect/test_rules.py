"""Threshold, keyword, influencer, sentiment share, flatline and new topic rules over a real store."""

from __future__ import annotations

from datetime import timedelta

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


def test_a_keyword_rule_uses_the_crisis_lexicon_unless_given_words(store, context):
    store.upsert(recent(2, crisis=("召回",)) + recent(2, text="星河手机 电池 鼓包"))
    [lexicon] = keyword.evaluate(rule("keyword", min_count=2, brands=["星河手机"]), context(NOW))
    assert lexicon.figures["terms"] == ["召回"]
    [own] = keyword.evaluate(rule("keyword", min_count=2, keywords=["鼓包"], brands=["星河手机"]), context(NOW))
    assert own.figures["count"] == 2


def test_an_influencer_is_a_big_audience_or_a_post_with_reach(store, context):
    store.upsert(recent(3, followers=200) + recent(1, followers=2_000_000) + recent(1, likes=9000, followers=10)
                 + recent(1, followers=5_000_000, label="positive"))
    [finding] = influencer.evaluate(rule("influencer", min_followers=100_000, min_engagement=5000), context(NOW))
    assert finding.figures["count"] == 2 and finding.figures["followers"] == 2_000_000
    assert finding.examples[0].author.followers == 2_000_000
    only_followers = influencer.evaluate(rule("influencer", min_followers=100_000), context(NOW))
    assert only_followers[0].figures["count"] == 1


def test_a_negative_share_needs_both_the_share_and_the_volume(store, context):
    store.upsert(recent(6, label="negative") + recent(4, label="positive"))
    r = rule("sentiment_share", share=0.5, min_volume=10, brands=["星河手机"])
    [finding] = share.evaluate(r, context(NOW))
    assert finding.figures["share"] == 0.6 and "负面占比 60%" in finding.title
    assert share.evaluate(r.model_copy(update={"min_volume": 11}), context(NOW)) == []


def test_a_source_that_went_silent_is_a_flatline_but_one_never_heard_is_not(store, context):
    store.upsert([mention(NOW - timedelta(hours=h), source="bbs") for h in range(3, 24)])
    [finding] = flatline.evaluate(rule("flatline", window="2h", baseline="1d", min_baseline=10), context(NOW, SOURCES))
    assert (finding.brand, finding.group) == ("", "bbs")
    assert "来源 bbs 沉默" in finding.title


def test_a_brand_that_went_silent_is_a_flatline_of_that_brand(store, context):
    store.upsert([mention(NOW - timedelta(hours=h), brand="云朵奶茶") for h in range(3, 24)])
    [finding] = flatline.evaluate(rule("flatline", of="brand", window="2h", min_baseline=10), context(NOW))
    assert finding.brand == "云朵奶茶"


def test_a_new_topic_is_a_surging_word_the_brand_rarely_had(store, context):
    old = [mention(NOW - timedelta(days=d, hours=2), text="星河手机 续航 不错", keywords=("续航",)) for d in range(1, 6)]
    store.upsert(old + recent(8, text="星河手机 续航 起火", keywords=("起火", "续航")))
    [finding] = new_topic.evaluate(rule("new_topic", min_count=5, ratio=2, brands=["星河手机"]), context(NOW))
    assert [t["term"] for t in finding.figures["terms"]] == ["起火"]
    assert "出现新话题：起火" in finding.title


def test_the_engine_runs_every_enabled_rule_and_survives_a_broken_one(store, monkeypatch):
    store.upsert(recent(6))
    good = rule("threshold", min_count=5)
    off = rule("threshold", name="off", min_count=1, enabled=False)
    broken = rule("keyword", name="broken")
    monkeypatch.setattr(keyword.__name__ + ".scopes", lambda *a: 1 / 0)
    findings = evaluate_rules(settings_for(good, off, broken), store, NOW)
    assert [f.fingerprint for f in findings] == ["test_threshold|星河手机|"]
