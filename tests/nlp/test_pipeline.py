import json
import pickle
from datetime import datetime, timezone

import pytest

from monitor.config.model import BrandConfig, NlpConfig, SentimentConfig
from monitor.mention import Mention
from monitor.nlp.pipeline import NlpStage, brand_names, dictionary_terms

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
BRANDS = (
    BrandConfig(name="星河手机", aliases=("星河X5", "星河"), exclude=("星河湾",), competitors=("极光手机",),
                query="NOT 楼盘"),
    BrandConfig(name="小米", aliases=("Xiaomi",), exclude=("小米粥",)),
)


def mention(i: int, text: str, title: str | None = None) -> Mention:
    return Mention(id=f"t:{i}", platform="forum", source="s", url=f"https://f.example/{i}", text=text, title=title,
                   published_at=NOW, crawled_at=NOW)


@pytest.fixture(scope="module")
def stage():
    return NlpStage(BRANDS, NlpConfig())


def test_irrelevant_mentions_are_dropped_and_counted(stage):
    result = stage.process([mention(1, "早上喝小米粥"), mention(2, "星河湾的房子"), mention(3, "星河手机新楼盘广告"),
                            mention(4, "小米手机不错")])
    assert [m.id for m in result.accepted] == ["t:4"]
    assert result.irrelevant == 3


def test_a_mention_gets_everything_the_rules_need(stage):
    original = "<p>星河X5充电爆炸了！！太可怕了，要求召回[怒] @星河客服 http://t.cn/A6x</p>"
    [m] = stage.process([mention(1, original, title="【避雷】星河X5")]).accepted
    assert m.text == original  # shown as written
    assert m.brands == ["星河手机"]
    assert "星河X5" in m.tokens and "爆炸" in m.tokens and "t.cn" not in " ".join(m.tokens)
    assert "爆炸" in m.keywords and "星河X5" not in m.keywords
    assert m.crisis_terms == ["避雷", "爆炸", "召回"] and m.crisis_brands == ["星河手机"]
    assert m.sentiment < 0.3 and m.sentiment_label == "negative"
    assert m.model == stage.model == "brandmon-lr@5"


def test_a_comparison_carries_only_the_crisis_terms_said_of_each_brand(stage):
    [fire, praise] = stage.process([mention(1, "小米手机起火了，还是星河手机靠谱"),
                                    mention(2, "星河手机售后投诉无门，小米笑了")]).accepted
    assert sorted(fire.brands) == sorted(["星河手机", "小米"])
    assert (fire.crisis_terms, fire.crisis_brands) == (["起火"], ["小米"])
    assert (praise.crisis_terms, praise.crisis_brands) == (["投诉"], ["星河手机"])


def test_traditional_posts_are_understood(stage):
    [m] = stage.process([mention(1, "星河手機質量太差了，我要投訴")]).accepted
    assert m.sentiment_label == "negative" and m.crisis_terms == ["投诉"]


def test_thresholds_come_from_the_config():
    wide = NlpStage(BRANDS, NlpConfig(sentiment=SentimentConfig(negative_below=0.0, positive_above=1.0)))
    assert {m.sentiment_label for m in wide.process([mention(1, "星河X5太差了"), mention(2, "星河真好用")]).accepted} \
        == {"neutral"}


def test_the_scorer_can_be_chosen():
    stage = NlpStage(BRANDS, NlpConfig(sentiment=SentimentConfig(model="snownlp")))
    [m] = stage.process([mention(1, "星河手机很好用")]).accepted
    assert m.model.startswith("snownlp@")


def test_the_stage_is_built_from_picklable_config_alone():
    brands, nlp = pickle.loads(pickle.dumps((BRANDS, NlpConfig())))
    assert NlpStage(brands, nlp).process([mention(1, "小米手机")]).accepted[0].brands == ["小米"]


def test_brand_product_competitor_and_query_terms_go_into_the_dictionary():
    assert dictionary_terms(BRANDS) == {"星河手机", "星河X5", "星河", "极光手机", "楼盘", "小米", "Xiaomi"}
    assert brand_names(BRANDS) == dictionary_terms(BRANDS) - {"楼盘"}


def test_query_terms_stay_whole_and_may_be_keywords_but_brand_names_may_not():
    stage = NlpStage((BrandConfig(name="星河手机", aliases=("星河",), query="星河 NEAR/20 充电爆燃"),), NlpConfig())
    [m] = stage.process([mention(1, "星河充电爆燃事件，充电爆燃太吓人")]).accepted
    assert "充电爆燃" in m.tokens and m.keywords[0] == "充电爆燃" and "星河" not in m.keywords


def test_a_megabyte_title_is_capped_cleaned_and_never_stalls_the_stage(stage):
    from monitor.nlp.pipeline import MAX_TEXT_CHARS, MAX_TITLE_CHARS

    hostile = "星河手机爆炸了\x1b[31m" + "啊\u202e\ud800" * 500_000  # 1.5M characters of title
    result = stage.process([mention(1, "星河手机\x07真好\u200b用" + "好" * 300_000, title=hostile),
                            mention(2, "星河X5 续航不错")])
    first, second = result.accepted
    assert len(first.title) <= MAX_TITLE_CHARS and "\x1b" not in first.title and "\u202e" not in first.title
    assert not any("\ud800" <= ch <= "\udfff" for ch in first.title)
    assert first.title.startswith("星河手机爆炸了啊")
    assert len(first.text) == MAX_TEXT_CHARS - 1 and first.text.startswith("星河手机真好\u200b用")
    assert json.dumps(first.to_dict(), ensure_ascii=False).encode("utf-8")  # storable: no lone surrogates
    assert first.brands == ["星河手机"] and "爆炸" in first.crisis_terms
    assert second.brands == ["星河手机"] and second.sentiment is not None


def test_a_batch_reports_the_cpu_time_of_each_step(stage):
    result = stage.process([mention(i, f"星河X5电池第{i}次鼓包了，售后不管") for i in range(20)])
    assert list(result.cpu_seconds) == ["normalise", "brands", "sentiment", "crisis", "words", "categories"]
    assert all(seconds >= 0 for seconds in result.cpu_seconds.values()) and sum(result.cpu_seconds.values()) > 0
