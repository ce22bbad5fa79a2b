"""The keyword rule `against: terms`: each crisis term against the brand's own share of it, over a real store."""

from __future__ import annotations

from datetime import timedelta

from monitor.detect import keyword, term_rates
from monitor.detect.finding import RuleContext
from tests.detect.mentions import T0, hourly_noise, mention, rule, settings_for
from tests.es.node import elastic_store, es, es_prefix, es_url  # noqa: F401  (fixtures)

NOW = T0 + timedelta(days=10, hours=12)


def terms_rule(**options):
    settings = {"brands": ["星河手机"], "against": "terms", "count": "stories", "windows": ["1h", "6h", "24h"],
                "filter": {"sentiment": ["negative"]}, "min_count": 2, "ratio": 3, "p_value": 0.0001}
    return rule("keyword", **{**settings, **options})


def everyday(start, hours: int, per_hour: float, seed: int = 7):
    """A brand's ordinary day: neutral chatter and, among it, complaints carrying 投诉 at a steady share."""
    chatter = hourly_noise(start, hours, per_hour, seed=seed, label="neutral", text="星河手机 拍照 不错")
    complaints = hourly_noise(start, hours, per_hour / 10, seed=seed + 1, crisis=("投诉",))
    for n, m in enumerate(chatter + complaints):
        m.text = f"{m.text} {n}"  # each its own story
    return chatter + complaints


def test_words_the_brand_never_hears_fire_at_their_third_story_in_six_hours_while_everyday_complaints_do_not(store, context):
    a_slow_burn_is_heard_at_its_third_story(store, context)


def test_elasticsearch_gives_the_rule_the_same_terms_and_stories(elastic_store):
    a_slow_burn_is_heard_at_its_third_story(elastic_store, lambda now: RuleContext(elastic_store, now, settings_for().config))


def a_slow_burn_is_heard_at_its_third_story(store, context):
    store.upsert(everyday(NOW - timedelta(days=10), 240, 20))
    r = terms_rule()
    assert keyword.evaluate(r, context(NOW)) == []
    store.upsert([mention(NOW - timedelta(hours=5), crisis=("维权",), text="星河手机 车主维权"),
                  mention(NOW - timedelta(hours=3), crisis=("维权", "召回"), text="星河手机 集体维权 要求召回")])
    assert keyword.evaluate(r, context(NOW)) == []  # two stories hours apart: not yet
    store.upsert([mention(NOW - timedelta(minutes=90), crisis=("集体诉讼",), text="星河手机 集体诉讼准备中")])
    [finding] = keyword.evaluate(r, context(NOW))
    assert finding.figures["count"] == 3 and finding.figures["window_minutes"] == 360
    assert finding.figures["baseline"] < 0.1
    assert finding.figures["terms"] == ["维权", "召回", "集体诉讼"]  # most stories first, then by word
    assert finding.title.startswith("星河手机 出现危机词：维权、召回、集体诉讼（360 分钟 3 个话题")
    assert {m.text for m in finding.examples} <= {"星河手机 车主维权", "星河手机 集体维权 要求召回",
                                                  "星河手机 集体诉讼准备中"}


def test_words_said_together_in_one_post_are_expected_as_often_as_their_commonest():
    expected = {"维权": 0.02, "召回": 0.01, "集体诉讼": 0.02, "消协": 0.03}
    said = [["维权", "召回"], ["集体诉讼"], ["召回", "消协"], ["退款"]]
    # 维权·召回·消协 are one event (0.03, the commonest of them), 集体诉讼 another
    assert term_rates._pooled(["维权", "召回", "集体诉讼", "消协"], expected, said) == 0.05
    assert term_rates._pooled(["维权", "集体诉讼"], expected, said) == 0.04  # apart, each counts


def test_a_rare_word_is_judged_alone_not_drowned_by_an_everyday_one_that_came_along(store, context):
    store.upsert(everyday(NOW - timedelta(days=10), 240, 20))
    # a bad hour of 投诉 (seven where two are usual) next to two stories of a word never heard
    store.upsert([mention(NOW - timedelta(minutes=5 * i + 3), crisis=("投诉",), text=f"星河手机 投诉 {i}") for i in range(7)])
    store.upsert([mention(NOW - timedelta(minutes=m), crisis=("集体诉讼",), text=f"星河手机 集体诉讼 {m}") for m in (40, 10)])
    [finding] = keyword.evaluate(terms_rule(), context(NOW))
    assert finding.figures["terms"] == ["集体诉讼"] and finding.figures["count"] == 2


def test_two_stories_of_a_word_never_heard_within_the_hour_are_enough(store, context):
    store.upsert(everyday(NOW - timedelta(days=10), 240, 20))
    store.upsert([mention(NOW - timedelta(minutes=50), crisis=("维权",), text="星河手机 车主维权")])
    assert keyword.evaluate(terms_rule(), context(NOW)) == []
    store.upsert([mention(NOW - timedelta(minutes=5), crisis=("召回",), text="星河手机 要求召回")])
    [finding] = keyword.evaluate(terms_rule(), context(NOW))
    assert finding.figures["count"] == 2 and finding.figures["window_minutes"] == 60


def test_a_rush_bringing_more_of_everything_complaints_included_is_not_a_crisis(store, context):
    store.upsert(everyday(NOW - timedelta(days=10), 240, 20))
    rush = everyday(NOW - timedelta(hours=2), 2, 20 * 6, seed=11)  # 双11: six times the chatter and complaints
    assert sum("投诉" in m.crisis_terms for m in rush) >= 15
    store.upsert(rush)
    assert keyword.evaluate(terms_rule(), context(NOW)) == []
    # a word the brand never hears stands out even in the rush, its expectation grown with the volume
    store.upsert([mention(NOW - timedelta(minutes=10 * i + 5), crisis=("召回",), text=f"星河手机 召回 第{i}位")
                  for i in range(5)])
    [finding] = keyword.evaluate(terms_rule(), context(NOW))
    assert finding.figures["terms"] == ["召回"] and finding.figures["window_minutes"] == 60
    assert finding.figures["count"] == 5 and finding.figures["baseline"] > 0.03  # a quiet hour: about 0.01


def test_a_copy_paste_wave_of_rare_words_is_one_story(store, context):
    store.upsert(everyday(NOW - timedelta(days=10), 240, 20))
    spam = [mention(NOW - timedelta(minutes=40, seconds=i), crisis=("维权", "索赔"), text="专业代理星河手机维权索赔 加V")
            for i in range(200)]
    for m in spam:
        m.cluster_id, m.cluster_size = "spam-1", 200
    store.upsert(spam)
    assert keyword.evaluate(terms_rule(), context(NOW)) == []
    [copies] = keyword.evaluate(terms_rule(count="mentions"), context(NOW))
    assert copies.figures["count"] == 200


def test_terms_wait_for_the_warmup_and_each_day_is_tallied_once(store, context):
    store.upsert(everyday(NOW - timedelta(days=3), 72, 20))
    store.upsert([mention(NOW - timedelta(minutes=10 * i + 5), crisis=("召回",), text=f"星河手机 召回 {i}") for i in range(5)])
    r = terms_rule()
    assert keyword.evaluate(r, context(NOW)) == []  # three days of history, a week of warm-up
    assert keyword.evaluate(r.model_copy(update={"warmup": timedelta(days=2)}), context(NOW)) != []
    [state] = store.states("keyword_terms:").values()
    days = [d[0] for d in state["days"]]
    assert days == sorted(set(days)) and days[-1] - days[0] == 86400 * (len(days) - 1)  # one row per day
    assert days[0] <= (NOW - timedelta(weeks=4)).timestamp() + 86400  # the whole history
    assert days[-1] + 86400 <= (NOW - timedelta(hours=24)).timestamp()  # and no day the windows still judge
    # a mention added to a day already tallied does not change its tally: the day is not read again
    store.upsert([mention(NOW - timedelta(days=2), crisis=("召回",), text="星河手机 召回 迟到")])
    keyword.evaluate(r.model_copy(update={"warmup": timedelta(days=2)}), context(NOW + timedelta(minutes=5)))
    [again] = store.states("keyword_terms:").values()
    assert again["days"] == state["days"]


def test_a_rule_with_its_own_words_judges_each_of_them_the_same_way(store, context):
    store.upsert(everyday(NOW - timedelta(days=10), 240, 20))
    own = terms_rule(keywords=["电池鼓包", "拍照"], filter={})
    assert keyword.evaluate(own, context(NOW)) == []  # 拍照 is in every chatter post: never three times its share
    store.upsert([mention(NOW - timedelta(minutes=m), text=f"星河手机 电池 鼓包 了 {m}") for m in (40, 20)])
    [finding] = keyword.evaluate(own, context(NOW))
    assert finding.figures["terms"] == ["电池鼓包"] and finding.figures["count"] == 2
