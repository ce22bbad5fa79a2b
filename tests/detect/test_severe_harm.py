"""The shipped physical-harm rule (rules/severe_harm.yaml) over a real store: two independent voices are
enough for a brand that never hears these words, one voice or praise never is, and a brand that hears
them every day needs a real burst."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from monitor.config.model import BrandConfig
from monitor.config.rules import RULE_TYPES
from monitor.detect import keyword
from monitor.nlp.attribution import CrisisAttribution, owned
from monitor.nlp.sentiment import crisis_terms
from tests.conftest import ROOT
from tests.detect.mentions import T0, mention

NOW = T0 + timedelta(days=10)


@pytest.fixture(scope="module")
def severe():
    data = yaml.safe_load((ROOT / "rules" / "severe_harm.yaml").read_text(encoding="utf-8"))
    return RULE_TYPES["keyword"].model_validate({"name": "severe_harm", **data})


def everyday(days: int = 10, brand: str = "星河手机", **kw):
    """A brand's ordinary negative chatter, two posts an hour, none of them about harm."""
    return [mention(NOW - timedelta(days=days) + timedelta(hours=h, minutes=20 * k), brand=brand, **kw)
            for h in range(24 * days) for k in range(2)]


def voice(minutes_ago: float, author: str, text: str = "星河手机门店爆炸，现场有人受伤", label: str = "negative",
          brand: str = "星河手机"):
    """A post as the NLP stage leaves it: crisis terms found, those of a competitor's clause dropped."""
    said = CrisisAttribution([BrandConfig(name=brand, competitors=("华为",))]).said_of(text.lower(), crisis_terms(text))
    m = mention(NOW - timedelta(minutes=minutes_ago), brand=brand, label=label, text=text,
                crisis=tuple(owned(said, [brand])[0]))
    m.author.id = author
    return m


def test_the_shipped_rule_is_enabled_critical_and_counts_negative_authors(severe):
    assert severe.enabled and severe.severity == "critical" and severe.against == "baseline"
    assert severe.count == "authors" and severe.filter.sentiment == ("negative", "neutral") and severe.min_count == 2
    assert severe.own_crisis and all(crisis_terms(word) == [word] for word in severe.keywords)  # attribution applies


def test_two_authors_within_fifteen_minutes_open_a_critical_finding_for_a_brand_that_never_hears_harm(store, context, severe):
    store.upsert(everyday() + [voice(12, "u1"), voice(4, "u2", "星河手机充电起火了！视频曝光")])
    [finding] = keyword.evaluate(severe, context(NOW))
    assert (finding.brand, finding.severity, finding.rule) == ("星河手机", "critical", "severe_harm")
    assert finding.figures["count"] == 2 and finding.figures["window_minutes"] == 15
    assert finding.figures["baseline"] < 0.05
    assert finding.figures["terms"] == ["受伤", "爆炸", "起火"]  # the words the posts hold, most voiced first
    assert finding.title == "星河手机 出现危机词：受伤、爆炸、起火（15 分钟 2 位作者，平时约 0.0）"


def test_the_warm_up_counts_from_the_brands_first_post_not_from_its_first_harm_word(store, context, severe):
    store.upsert(everyday(days=3) + [voice(12, "u1"), voice(4, "u2")])
    assert keyword.evaluate(severe, context(NOW)) == []  # heard for three days: a week of warm-up is not over
    later = NOW + timedelta(days=5)  # eight days after the brand's first post, never a harm word before
    store.upsert([voice(-5 * 24 * 60 + 12, "u3"), voice(-5 * 24 * 60 + 4, "u4")])
    [finding] = keyword.evaluate(severe, context(later))
    assert finding.figures["count"] == 2 and finding.window_end == later


def test_one_author_posting_twice_or_praise_in_slang_is_not_a_harm_crisis(store, context, severe):
    store.upsert(everyday() + [voice(12, "u1"), voice(4, "u1", "星河手机又爆炸了，我受伤了")])
    assert keyword.evaluate(severe, context(NOW)) == []
    store.upsert([voice(3, "fan", "星河手机性能爆炸，颜值爆炸", label="positive")])
    assert keyword.evaluate(severe, context(NOW)) == []


def test_harm_reported_in_a_neutral_voice_counts_as_the_sentiment_model_may_read_it(store, context, severe):
    """brandmon-lr@5 reads "门店爆炸，现场有人受伤" as neutral: a report, still the brand's harm."""
    store.upsert(everyday() + [voice(12, "u1", label="neutral"), voice(4, "u2", "星河手机门店起火了，视频曝光", label="neutral")])
    [finding] = keyword.evaluate(severe, context(NOW))
    assert finding.figures["count"] == 2 and finding.figures["terms"] == ["受伤", "爆炸", "起火"]


def test_two_authors_further_apart_than_fifteen_minutes_wait_for_a_third_in_the_hour(store, context, severe):
    store.upsert(everyday() + [voice(28, "u1"), voice(2, "u2")])
    assert keyword.evaluate(severe, context(NOW)) == []
    store.upsert([voice(1, "u3", "星河手机被曝吃出异物")])
    [finding] = keyword.evaluate(severe, context(NOW))
    assert finding.figures["count"] == 3 and finding.figures["window_minutes"] in (30, 60)


def test_a_brand_that_hears_harm_words_every_day_needs_a_burst_not_two_voices(store, context, severe):
    routine = [voice(60 * 24 * 10 - 60 * h, f"r{h}", "星河手机旁边鞭炮爆炸，声音太吵") for h in range(0, 24 * 10, 2)]
    store.upsert(everyday() + routine + [voice(10, "u1"), voice(5, "u2")])
    assert keyword.evaluate(severe, context(NOW)) == []
    store.upsert([voice(4 - i / 10, f"w{i}") for i in range(6)])
    [finding] = keyword.evaluate(severe, context(NOW))
    assert finding.figures["count"] >= 8 and finding.figures["baseline"] > 0.1


def test_the_other_brand_is_not_paged_for_this_brands_harm(store, context, severe):
    store.upsert(everyday() + everyday(brand="云朵奶茶") + [voice(12, "u1"), voice(4, "u2")])
    assert [f.brand for f in keyword.evaluate(severe, context(NOW))] == ["星河手机"]


def test_a_competitors_fire_in_a_comparison_is_not_the_brands_harm(store, context, severe):
    comparisons = [voice(12 - i, f"c{i}", "华为起火事件后，星河手机销量要涨了", label=label)
                   for i, label in enumerate(("neutral", "positive", "neutral", "negative", "negative"))]
    assert all(not m.crisis_terms for m in comparisons)  # the NLP stage's attribution: 起火 is 华为's
    store.upsert(everyday() + comparisons)
    assert keyword.evaluate(severe, context(NOW)) == []
    store.upsert([voice(3, "w1", "星河手机门店起火"), voice(2, "w2")])
    [finding] = keyword.evaluate(severe, context(NOW))
    assert finding.figures["count"] == 2 and "起火" in finding.figures["terms"]
