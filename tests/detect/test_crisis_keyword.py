"""The shipped crisis-word rule (rules/crisis_keyword.yaml) over a real store, with the moment injected: a slow
burn is heard at its second story of words the brand never hears, also on a busy evening, while one story,
or two of a word the brand hears every few days, stay quiet."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from monitor.config.rules import RULE_TYPES
from monitor.detect import keyword
from tests.conftest import ROOT
from tests.detect.mentions import T0, mention

NOW = T0 + timedelta(days=29, hours=12)


@pytest.fixture(scope="module")
def crisis_words():
    data = yaml.safe_load((ROOT / "rules" / "crisis_keyword.yaml").read_text(encoding="utf-8"))
    return RULE_TYPES["keyword"].model_validate({"name": "crisis_keyword", **data})


def four_weeks(heard_every_days: int | None = None):
    """A brand's four weeks: four posts an hour, a 投诉 complaint every other hour, and — if given — a 维权
    story every few days. Every post is its own story."""
    out = []
    for h in range(28 * 24):
        at = NOW - timedelta(days=28, hours=1) + timedelta(hours=h)
        out += [mention(at + timedelta(minutes=15 * k), label="neutral", text=f"星河手机 拍照 {h}-{k}") for k in range(4)]
        if h % 2 == 0:
            out.append(mention(at + timedelta(minutes=7), crisis=("投诉",), text=f"星河手机 已经投诉了 {h}"))
        if heard_every_days and h % (24 * heard_every_days) == 5:
            out.append(mention(at + timedelta(minutes=9), crisis=("维权",), text=f"星河手机 车主维权 {h}"))
    return out


def busy_evening():
    """The last hour holds seven times the brand's usual volume (a launch evening): every word's expected
    count grows with it, also the never-heard ones'."""
    return [mention(NOW - timedelta(minutes=2 * k + 1), label="neutral", text=f"星河手机 发布会 {k}") for k in range(26)]


def test_the_second_story_of_words_never_heard_fires_even_on_a_busy_evening(store, context, crisis_words):
    store.upsert(four_weeks() + busy_evening())
    store.upsert([mention(NOW - timedelta(minutes=40), crisis=("集体诉讼",), text="星河手机集体诉讼准备中")])
    assert keyword.evaluate(crisis_words, context(NOW)) == []  # one voice is not yet a story
    store.upsert([mention(NOW - timedelta(minutes=24), crisis=("故障", "消协"), text="星河手机故障，消协介入")])
    [finding] = keyword.evaluate(crisis_words, context(NOW))
    assert finding.figures["count"] == 2 and finding.figures["window_minutes"] == 60
    assert finding.figures["terms"] == ["故障", "消协", "集体诉讼"]
    assert finding.figures["baseline"] < 0.02  # two word groups never heard, each expected about 0.005


def test_never_heard_words_in_neutral_reports_are_heard_as_well(store, context, crisis_words):
    """A slow burn often starts as reports the sentiment model calls neutral ("车主集体维权，要求召回")."""
    store.upsert(four_weeks())
    store.upsert([mention(NOW - timedelta(minutes=m), label="neutral", crisis=("维权", "召回"),
                          text=f"星河手机车主集体维权，要求召回 {m}") for m in (40, 24)])
    [finding] = keyword.evaluate(crisis_words, context(NOW))
    assert finding.figures["count"] == 2 and finding.figures["terms"] and set(finding.figures["terms"]) <= {"维权", "召回"}


def test_two_stories_of_a_word_the_brand_hears_every_few_days_are_no_crisis(store, context, crisis_words):
    store.upsert(four_weeks(heard_every_days=3) + busy_evening())
    store.upsert([mention(NOW - timedelta(minutes=m), crisis=("维权",), text=f"星河手机 车主维权 今天{m}") for m in (40, 24)])
    assert keyword.evaluate(crisis_words, context(NOW)) == []
